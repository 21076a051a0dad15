"""Pictures read as a reader sees them: the words drawn in them (Tesseract) and what a QR code in
them dials (zbar), inline by cid: or attached, within the bounds that keep a hostile picture cheap."""

import base64
import functools
import io
import itertools
import random
import shutil
import struct
import time
import zlib
from pathlib import Path

import pytest
import segno
from fontTools import subset
from fontTools.ttLib import TTFont
from inviteguard.detect import picture
from inviteguard.detect.evaluation import outlook_view
from inviteguard.detect.parse import MAX_PICTURES, parse_raw
from inviteguard.detect.picture import picture_text
from inviteguard.detect.signals import Reading, phone
from inviteguard.detect.webfont import font_sample
from PIL import Image, ImageDraw, ImageFont

from .test_documents import _numbers, _with_attachment
from .test_pdf import _drawn as text_page

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LURE = "Call +1 808 555 0143 to cancel"


@pytest.fixture(autouse=True)
def _readers_installed():
    """These tests read pictures with the real programs, drawn in a real font."""
    missing = [name for name, found in (("tesseract-ocr tesseract-ocr-eng", shutil.which("tesseract")),
                                        ("zbar-tools", shutil.which("zbarimg")),
                                        ("fonts-dejavu-core", Path(FONT).is_file())) if not found]
    if missing:
        pytest.fail(f"Debian's {' '.join(missing)} missing: apt-get install -y {' '.join(missing)} "
                    "(scripts/test.sh does it)", pytrace=False)


def _drawn(text: str, picture_format: str = "PNG", size: int = 20) -> bytes:
    """The text drawn black on white in DejaVu Sans, as a lure's banner draws its number."""
    font = ImageFont.truetype(FONT, size)
    _, _, right, bottom = font.getbbox(text)
    picture = Image.new("RGB", (right + 24, bottom + 24), "white")
    ImageDraw.Draw(picture).text((12, 12), text, font=font, fill="black")
    out = io.BytesIO()
    picture.save(out, format=picture_format)
    return out.getvalue()


def _qr(payload: str) -> bytes:
    out = io.BytesIO()
    segno.make(payload).save(out, kind="png", scale=4)
    return out.getvalue()


def _inline(*pictures: tuple[str, bytes], html: str = "<p>Your order is confirmed.</p>", between: str = "") -> bytes:
    """An HTML message showing each (content id, PNG) by cid: in a multipart/related, no file
    names, `between` written between the pictures."""
    images = between.join(f'<img src="cid:{cid}">' for cid, _ in pictures)
    parts = "".join(
        f"--r\r\nContent-Type: image/png\r\nContent-ID: <{cid}>\r\nContent-Disposition: inline\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{base64.encodebytes(data).decode()}\r\n"
        for cid, data in pictures)
    return ("From: Orders <orders@example.com>\r\nSubject: Order confirmed\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/related; boundary=r\r\n\r\n"
            f"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>{html}{images}</body></html>\r\n"
            f"{parts}--r--\r\n").encode()


def _png_header(width: int, height: int) -> bytes:
    """A PNG's signature and header claiming the size, and no pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_a_number_drawn_in_an_inline_picture_is_read():
    raw = _inline(("notice@x", _drawn(LURE)))
    message = parse_raw(raw)
    assert [(b.source, b.name, b.text) for b in message.attachments] == [("attachment", "notice@x", LURE)]
    assert _numbers(raw) == ["+18085550143"]
    assert message.problems == ()


@pytest.mark.parametrize(("name", "content_type", "picture_format"), [
    ("aviso.png", "image/png", "PNG"), ("aviso.jpg", "image/jpeg", "JPEG"), ("aviso.gif", "image/gif", "GIF")])
def test_a_number_drawn_in_an_attached_picture_is_read(name, content_type, picture_format):
    raw = _with_attachment(name, content_type, _drawn(LURE, picture_format))
    assert _numbers(raw) == ["+18085550143"]


def test_a_picture_drawn_within_a_line_is_read_in_its_place():
    """b134: the number's head is text and its tail a picture in the same font, so neither holds
    it whole; a picture of one short line is read where it stands. One hidden, or of several
    lines, is not set into the text."""
    def drawn_in(html: str) -> bytes:
        return _inline(("tail@x", _drawn("55 0143")), html=html).replace(b"<img src=\"cid:tail@x\">", b"")

    raw = drawn_in("<p>Call +1 808 5<img src='cid:tail@x'> to cancel</p>")
    assert parse_raw(raw).body == "Call +1 808 555 0143 to cancel"
    assert _numbers(raw) == ["+18085550143"]  # the picture alone holds no number
    assert parse_raw(drawn_in("<p>Call +1 808 5<img style='display:none' src='cid:tail@x'> to cancel</p>")).body == \
        "Call +1 808 5 to cancel"
    # A picture on a line of its own is a picture, read as one.
    assert parse_raw(drawn_in("<p>Call +1 808 5</p><img src='cid:tail@x'>")).body == "Call +1 808 5"


def _carried(html: str) -> bytes:
    return ("From: Orders <orders@example.com>\r\nSubject: Order confirmed\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body>{html}</body></html>\r\n").encode()


def test_a_picture_carried_in_the_html_as_a_data_uri_is_read():
    """Apple Mail, Thunderbird and Outlook show `<img src="data:image/png;base64,...">`: read as a
    picture drawn inline is, on the full message and on the Outlook path, and in its line."""
    uri = "data:image/png;base64," + base64.b64encode(_drawn(LURE)).decode()
    raw = _carried(f"<p>Your order is confirmed.</p><img alt='' src='{uri}'>")
    message = parse_raw(raw)
    assert [(b.name, b.text) for b in message.attachments] == [("a picture in the HTML", LURE)]
    assert _numbers(raw) == ["+18085550143"]
    assert [b.text for b in outlook_view(raw).attachments] == [LURE]
    tail = "data:image/png;base64," + base64.b64encode(_drawn("55 0143")).decode()
    assert parse_raw(_carried(f"<p>Call +1 808 5<img src='{tail}'> today</p>")).body == "Call +1 808 555 0143 today"
    # What is no base64 picture is no picture read, and nothing raises.
    assert parse_raw(_carried("<img src='data:image/png;base64,@@@@not-base64@@@@@@'>")).attachments == ()


def _animated(*texts: str) -> bytes:
    """A GIF animation showing each text drawn in turn, on frames of one size."""
    frames = [Image.open(io.BytesIO(_drawn(text))).convert("RGB") for text in texts]
    width, height = max(f.width for f in frames), max(f.height for f in frames)
    canvas = [Image.new("RGB", (width, height), "white") for _ in frames]
    for frame, drawn in zip(canvas, frames, strict=True):
        frame.paste(drawn, (0, 0))
    out = io.BytesIO()
    canvas[0].save(out, format="GIF", save_all=True, append_images=canvas[1:], duration=1500, loop=0)
    return out.getvalue()


def test_every_frame_of_an_animated_picture_is_read_in_the_order_it_shows():
    """A number only on a later frame of a GIF is seen by a reader who watches it: every frame is read
    (the same frame shown twice, once)."""
    raw = _inline(("notice@x", _animated("Refund on hold", "Refund on hold", LURE)))
    assert [b.text for b in parse_raw(raw).attachments] == ["Refund on hold\n" + LURE]
    assert _numbers(raw) == ["+18085550143"]


def _scanned(*pages: tuple[str, str]) -> bytes:
    """A PDF of pages, each (its own text, the words of the picture it shows): a scan when its text is
    empty, as a scanner or a "print to PDF" of a picture makes them."""
    import pypdf

    writer = pypdf.PdfWriter()
    for text, drawn in pages:
        out = io.BytesIO()
        Image.open(io.BytesIO(_drawn(drawn, size=28))).save(out, "PDF")
        page = writer.add_page(pypdf.PdfReader(io.BytesIO(out.getvalue())).pages[0])
        if text:
            page.merge_page(pypdf.PdfReader(io.BytesIO(text_page((10, 10, text)))).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_scanned_pdfs_words_are_read_from_its_pictures():
    """A PDF invoice that is a picture of the page (a scan) holds its number only in pixels."""
    raw = _with_attachment("Invoice_4471.pdf", "application/pdf", _scanned(("", LURE)))
    message = parse_raw(raw)
    assert [(b.name, b.text) for b in message.attachments] == [("Invoice_4471.pdf", LURE)]
    assert _numbers(raw) == ["+18085550143"]


def test_a_pdf_page_with_text_of_its_own_is_not_read_as_a_scan():
    """A page with text of its own is read by its text: its logo or signature picture costs no OCR."""
    text = "Invoice 4471 for the annual plan, paid in full on 3 March. Thank you for your business."
    raw = _with_attachment("Invoice_4471.pdf", "application/pdf", _scanned((text, LURE)))
    assert [b.text for b in parse_raw(raw).attachments] == [text]


def test_a_qr_code_that_dials_gives_its_number():
    raw = _inline(("scan@x", _qr("tel:+35928001234")), html="<p>Scan with your phone, it dials directly.</p>")
    assert "(+35928001234)" in parse_raw(raw).attachments[0].text
    assert _numbers(raw) == ["+35928001234"]


def test_the_outlook_path_reads_the_pictures_the_add_in_fetches():
    raw = _inline(("notice@x", _drawn(LURE)))
    assert [m.e164 for m in phone.mentions(Reading(outlook_view(raw)))] == ["+18085550143"]


def test_tracking_pixels_are_skipped_uncounted_and_a_broken_picture_is_said_never_raised():
    pixel = io.BytesIO()
    Image.new("RGBA", (1, 1)).save(pixel, format="PNG")
    lure = _drawn(LURE)
    # More pixels than the pictures read: they hold nothing and cannot push the lure out.
    pixels = [(f"pixel{i}@x", pixel.getvalue()) for i in range(MAX_PICTURES + 1)]
    raw = _inline(*pixels, ("broken@x", lure[:len(lure) // 2]), ("notice@x", lure))
    message = parse_raw(raw)
    assert [b.name for b in message.attachments] == ["notice@x"]
    assert message.problems == ("a picture could not be read",)


def test_a_decompression_bomb_is_refused_from_its_header():
    started = time.monotonic()
    message = parse_raw(_with_attachment("bomb.png", "image/png", _png_header(100_000, 100_000)))
    assert time.monotonic() - started < 1
    assert message.attachments == ()
    assert message.problems == ("a picture larger than 8 megapixels was not read",)


def test_only_the_first_pictures_of_a_message_are_read_and_it_is_said():
    raw = _inline(*((f"p{i}@x", _drawn(f"Ref 4{i}7")) for i in range(10)), between="<p>Next:</p>")
    message = parse_raw(raw)
    assert [b.text for b in message.attachments] == [f"Ref 4{i}7" for i in range(MAX_PICTURES)]
    assert message.problems == (f"only the first {MAX_PICTURES} pictures were read",)


def test_pictures_drawn_side_by_side_are_read_as_one():
    """b132: a number drawn a digit to a picture after "+221", each picture alone a lone digit.
    Pictures with no text between them are read together, as one picture of the bound's four;
    a row's pictures may have file names, as Outlook names the pictures it sends inline."""
    digits = [(f"d{i}@x", _drawn(digit, size=28)) for i, digit in enumerate("765123840")]
    raw = _inline(*digits, html="<p>Appelez le +221</p>", between="\r\n")
    message = parse_raw(raw)
    assert [(b.name, b.text.replace(" ", "")) for b in message.attachments] == [
        (" ".join(cid for cid, _ in digits), "765123840")]
    assert _numbers(raw) == ["+221765123840"]
    named = raw.replace(b"Content-Disposition: inline", b'Content-Disposition: inline; filename="image.png"')
    assert [b.text.replace(" ", "") for b in parse_raw(named).attachments] == ["765123840"]


def _strips(picture: bytes, *cuts: float) -> list[bytes]:
    """The picture cut across where `cuts` say (fractions of its height), its strips top to bottom."""
    with Image.open(io.BytesIO(picture)) as whole:
        rows = [0, *(round(cut * whole.height) for cut in cuts), whole.height]
        strips = []
        for top, bottom in itertools.pairwise(rows):
            out = io.BytesIO()
            whole.crop((0, top, whole.width, bottom)).save(out, format="PNG")
            strips.append(out.getvalue())
    return strips


def test_a_line_cut_into_strips_stacked_one_under_another_is_read_as_one():
    """b135: a line drawn as one picture cut across into three strips, each an inline picture
    shown as a block (one under another, no gap), each strip alone a third of every glyph.
    Pictures a break or a block puts on lines of their own are stacked as the reader sees them;
    pictures in a table's cells of one row stay side by side."""
    line = _drawn("Billing desk: +34 900 555 418", size=28)
    strips = [(f"s{i}@x", strip) for i, strip in enumerate(_strips(line, 0.45, 0.64))]
    as_blocks = (b'<img src="cid:', b'<img style="display:block" src="cid:')
    blocks = _inline(*strips, html="<p>Please phone:</p>").replace(*as_blocks)
    assert _numbers(blocks) == ["+34900555418"]
    assert _numbers(_inline(*strips, html="<p>Please phone:</p>", between="<br>")) == ["+34900555418"]
    digits = [(f"d{i}@x", _drawn(digit, size=28)) for i, digit in enumerate("765123840")]
    cells = _inline(*digits, html="<p>Appelez le +221</p><table><tr><td>", between="</td><td>")
    assert _numbers(cells.replace(*as_blocks)) == ["+221765123840"]
    # On the Outlook path too: the add-in sends each inline picture with its content id.
    assert [m.e164 for m in phone.mentions(Reading(outlook_view(blocks)))] == ["+34900555418"]


@pytest.mark.parametrize(("transform", "turn"), [
    ("scaleX(-1)", Image.Transpose.FLIP_LEFT_RIGHT),
    ("rotateY(180deg) translateX(2px)", Image.Transpose.FLIP_LEFT_RIGHT),
    ("rotate(0.5turn)", Image.Transpose.ROTATE_180),
    ("scale(1, -1)", Image.Transpose.FLIP_TOP_BOTTOM),
    ("rotate(-90deg)", Image.Transpose.ROTATE_270),  # carried a quarter turn clockwise, turned back
])
def test_a_picture_carried_turned_and_turned_back_by_its_transform_is_read_as_shown(transform, turn):
    """b136: the number's picture stored mirrored, `transform: scaleX(-1)` on the img showing it
    the right way round; read as the reader sees it, not as it is stored."""
    with Image.open(io.BytesIO(_drawn("Call +27 82 555 0193", size=28))) as upright:
        out = io.BytesIO()
        upright.transpose(turn).save(out, format="PNG")
    raw = _inline(("m@x", out.getvalue()), html="<p>Please call the desk:</p>")
    assert _numbers(raw) == []
    shown = raw.replace(b'<img src="cid:m@x">', f'<img src="cid:m@x" style="transform:{transform}">'.encode())
    assert _numbers(shown) == ["+27825550193"]


def test_without_the_readers_installed_pictures_are_skipped_and_said_once(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    message = parse_raw(_inline(("a@x", _drawn(LURE)), ("b@x", _drawn(LURE))))
    assert message.attachments == ()
    assert message.problems == ("pictures not read: tesseract is not installed",
                                "QR codes and barcodes in pictures not read: zbarimg is not installed")


def test_a_picture_past_its_time_is_left_out_and_said():
    started = time.monotonic()
    # A picture no other test draws: one read before is kept, and its reading takes no time.
    text, problems = picture_text(_drawn("Ref 90417 past its time"), seconds=0.001)
    assert time.monotonic() - started < 1
    assert (text, problems) == ("", ["a picture took longer than 0.0 s to read and was left out"])


def test_a_picture_read_again_is_not_read_twice_unless_its_reading_was_cut_short(monkeypatch):
    """The three inputs of one message and a list's copies carry the same picture: its reading is
    kept, per picture and per program, but not a reading its time cut short."""
    runs = []
    real_run = picture._run

    def counted(program, *arguments):
        runs.append(program)
        return real_run(program, *arguments)

    monkeypatch.setattr(picture, "_run", counted)
    drawn = _drawn("Call +1 808 555 0177 kept")
    assert picture_text(drawn, seconds=0.001)[1][-1].startswith("a picture took longer")
    cut_short = len(runs)
    first = picture_text(drawn)
    assert "808 555 0177" in first[0] and len(runs) == cut_short + 2  # zbar, then Tesseract
    assert picture_text(drawn) == first and len(runs) == cut_short + 2


# Round 123, from b130: a pixel-art banner of the LCD font, its zero slashed, which Tesseract reads
# as "+65 6291 46587". Each dot a square of pixels; the picture is read as a grid of dots too.
PLUS_6562914807 = """\
........##..#####.......##...###...###....#..........#...###...###..#####
..#....#....#..........#....#...#.#...#..##.........##..#...#.#...#.....#
..#...#.....####......#.........#.#...#...#........#.#..#...#.#..##....#.
#####.####......#.....####.....#...####...#.......#..#...###..#.#.#...#..
..#...#...#.....#.....#...#...#.......#...#.......#####.#...#.##..#..#...
..#...#...#.#...#.....#...#..#.......#....#..........#..#...#.#...#..#...
.......###...###.......###..#####..##....###.........#...###...###...#...""".split("\n")


def _pixel_art(grid: list[str], side: int = 6, picture_format: str = "PNG") -> bytes:
    picture = Image.new("RGB", (len(grid[0]) * side + 24, len(grid) * side + 24), "white")
    draw = ImageDraw.Draw(picture)
    for y, row in enumerate(grid):
        for x, dot in enumerate(row):
            if dot == "#":
                draw.rectangle((12 + x * side, 12 + y * side, 12 + x * side + side - 1, 12 + y * side + side - 1),
                               fill=(20, 40, 90))
    out = io.BytesIO()
    picture.save(out, format=picture_format)
    return out.getvalue()


def test_a_pixel_art_number_is_read_as_its_dots_draw_it():
    text, problems = picture_text(_pixel_art(PLUS_6562914807))
    assert "+65 6291 4807" in text.splitlines() and problems == []
    assert _numbers(_inline(("line.6jf5", _pixel_art(PLUS_6562914807)))) == ["+6562914807"]


def test_a_picture_drawn_smooth_is_not_read_as_dots():
    """Words in a real font have many greys at their edges: no grid of dots is sampled from them."""
    assert picture._dot_matrix_digits(picture._shown(_drawn(LURE))) == ""
    assert picture._dot_matrix_digits(picture._shown(_pixel_art(PLUS_6562914807, picture_format="JPEG"))) == ""


@functools.cache
def _web_font() -> bytes:
    """DejaVu Sans cut down to a few glyphs, as a web font is (cutting takes seconds: once)."""
    font = TTFont(FONT)
    subsetter = subset.Subsetter(subset.Options())
    subsetter.populate(text="0123456789+ Callusretoin")
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _font(swaps: dict[str, str]) -> bytes:
    """The web font with `swaps` drawing each letter as a digit (its cmap points the letter at the
    digit's glyph), as a lure's embedded font does."""
    font = TTFont(io.BytesIO(_web_font()))
    glyph_of = font.getBestCmap()
    for table in font["cmap"].tables:
        if table.isUnicode():
            table.cmap.update({ord(letter): glyph_of[ord(digit)] for letter, digit in swaps.items()})
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def _in_font(font: bytes, html: str) -> bytes:
    face = f"@font-face{{font-family:'Hotline Sans';src:url(data:font/ttf;base64,{base64.b64encode(font).decode()})}}"
    return (b"From: refunds@council.example\r\nSubject: Refund\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            + f"<html><head><style>{face}.n{{font-family:\"Hotline Sans\",Arial}}</style></head>"
              f"<body>{html}</body></html>".encode())


def test_letters_an_embedded_font_draws_as_digits_are_read_as_drawn():
    """b136, b137: the HTML says "+t ere nnn osri" in a font it carries, whose letters are digits'
    glyphs; a reader sees the number. Text in other fonts keeps its letters."""
    font = _font({"t": "1", "e": "8", "r": "0", "n": "5", "o": "2", "s": "7", "i": "4"})
    raw = _in_font(font, "<p>Please return the form, or call <span class=n>+t ere nnn osri</span></p>")
    message = parse_raw(raw)
    assert "Please return the form, or call +1 808 555 2704" in message.body
    assert _numbers(raw) == ["+18085552704"]
    assert "+1 808 555 2704" in outlook_view(raw, True, message).body


def test_an_embedded_font_that_draws_its_letters_changes_nothing():
    message = parse_raw(_in_font(_font({}), "<p>Call us: <span class=n>Call us to return it</span></p>"))
    assert "Call us: Call us to return it" in message.body and not message.problems


def test_a_broken_or_hostile_font_is_left_unread_and_logs_nothing(caplog):
    """Fonts mangled at random (truncated, bytes changed in their tables) are read or refused,
    never raised out of the reader, and fontTools' complaints stay out of the service's log."""
    rng = random.Random(3)
    font = _font({"t": "1"})
    for _ in range(300):
        mangled = bytearray(font)
        for _ in range(rng.randint(1, 20)):
            mangled[rng.randrange(len(mangled))] = rng.randrange(256)
        sample = font_sample(bytes(mangled[:rng.randrange(len(mangled))] if rng.random() < 0.3 else mangled))
        assert sample is None or isinstance(sample[1], bytes)
    assert font_sample(font[: len(font) // 2]) is None
    assert not [record for record in caplog.records if record.name.startswith("fontTools")]
