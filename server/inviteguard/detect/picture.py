"""What a reader sees in a picture: the words drawn in it (Tesseract OCR) and what a QR code or
barcode in it says (zbar). A lure that knows every text part is read draws its number instead,
or hands it over as a QR code of `tel:+359...` "to scan with your phone".

The picture's bytes are an attacker's: Pillow, asked to recognise only the formats a mail client
shows, reads the header (lazily: width and height before any pixel), refuses what is too small to
hold a line or too large to be anything but a photo, then decodes the first frame and writes it
again as a plain grey picture (PGM). Only those bytes, Pillow's own, reach the two programs: fed
bytes it cannot read as an image, Tesseract takes them for a list of files and web addresses to
fetch, and zbarimg reads through ImageMagick, whose decoders are no place for a hostile file.
Nothing here raises on the picture's bytes: what could not be read is said in the problems.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import struct
import subprocess
import threading
import time
from collections import Counter, OrderedDict

from PIL import Image

from .dotmatrix import GLYPH_ROWS, digits_in_grid
from .view import link_target

# The formats Pillow is allowed to recognise: a mail client shows these, and no other of Pillow's
# decoders (TIFF, PSD, EPS through Ghostscript...) ever sees an attacker's bytes.
FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
PICTURE_TYPES = frozenset({"image/png", "image/jpeg", "image/jpg", "image/pjpeg", "image/gif", "image/webp"})
PICTURE_NAMES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
MAX_PICTURE_BYTES = 2_000_000  # as any attachment read (parse.MAX_ATTACHMENT_BYTES), and the add-in's fetch
# A tracking pixel, a spacer or a rule holds no line a reader reads: a side under 16 px, or less
# than a line of 80x16 px in all. A square QR code of 40 px still counts.
MIN_SIDE = 16
MIN_PIXELS = 80 * 16
# Past these the picture is a photo or a scan, whose decoding and OCR cost seconds; said, not read.
MAX_SIDE = 4000
MAX_PIXELS = 8_000_000
PICTURE_SECONDS = 3.0  # both programs together, per picture; a few lines take Tesseract about 0.2 s

TESSERACT = "tesseract"
ZBARIMG = "zbarimg"
# --psm 6: one block of text, the shape of a few lines drawn in a banner or a notice; English's
# model reads the digits, the plus sign and Latin words.
OCR_ARGUMENTS = ("stdin", "stdout", "--psm", "6", "-l", "eng")
# Exit status 4: zbarimg found no code, which is most pictures.
ZBAR_NO_CODE = 4

# What Pillow raises on a broken or hostile file, besides its decompression-bomb error: plugins
# raise SyntaxError for a bad header and struct.error or EOFError for a short one.
_UNREADABLE = (OSError, ValueError, SyntaxError, EOFError, struct.error, IndexError, TypeError, KeyError,
               ZeroDivisionError)
_UNREADABLE_PICTURE = "a picture could not be read"
_TOO_LARGE = f"a picture larger than {MAX_PIXELS // 1_000_000} megapixels was not read"
_NO_TESSERACT = f"pictures not read: {TESSERACT} is not installed"
_NO_ZBARIMG = f"QR codes and barcodes in pictures not read: {ZBARIMG} is not installed"


def is_picture(content_type: str, name: str) -> bool:
    """A picture a mail client draws in the message or shows when opened, by its type or name."""
    return content_type.lower() in PICTURE_TYPES or name.lower().endswith(PICTURE_NAMES)


def worth_reading(data: bytes) -> bool | str:
    """From the picture's header alone (no pixel decoded): True when it is one to read, False
    when it holds nothing a reader reads (a tracking pixel, a spacer), a problem when it cannot or
    may not be read. Cheap, so that only pictures worth it count against a message's bound."""
    if len(data) > MAX_PICTURE_BYTES:
        return f"a picture larger than {MAX_PICTURE_BYTES:,} bytes was not read"
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as picture:
            width, height = picture.size
    # Pillow refuses a header claiming far more pixels than it reads (Image.MAX_IMAGE_PIXELS) and
    # warns, which -W error makes an exception, for fewer: both are past MAX_PIXELS.
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _TOO_LARGE
    except _UNREADABLE:
        return _UNREADABLE_PICTURE
    if min(width, height) < MIN_SIDE or width * height < MIN_PIXELS:
        return False
    return _TOO_LARGE if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS else True


FRAMES_READ = 8  # an animation's frames a reader watches go by: a message's few lines, a word or two each


def _frames(picture: Image.Image) -> list[Image.Image]:
    """An animation's frames as the reader sees each in turn (Pillow composes a frame on those
    before it), in order, each different frame once; a still picture's one frame. Within
    FRAMES_READ frames and MAX_PIXELS together."""
    frames: list[Image.Image] = []
    for index in range(min(getattr(picture, "n_frames", 1), FRAMES_READ)):
        picture.seek(index)
        frame = picture.convert("RGBA")
        if (len(frames) + 1) * frame.width * frame.height > MAX_PIXELS:
            break
        if not frames or frame.tobytes() != frames[-1].tobytes():
            frames.append(frame)
    return frames


def _on_page(data: bytes) -> Image.Image | None:
    """The picture as a reader sees it on the page: grey, on white where it is transparent, an
    animation's frames one under another in the order they show (a number whose parts show on
    different frames is read as the reader reads it, frame after frame); None when its pixels
    cannot be read."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as picture:
            frames = _frames(picture)
    except _UNREADABLE:
        return None
    if not frames:
        return None
    page = Image.new("RGBA", (frames[0].width, frames[0].height * len(frames)), "white")
    for index, frame in enumerate(frames):
        page.alpha_composite(frame, (0, index * frame.height))
    return page.convert("L")


def _shown(data: bytes) -> bytes | str:
    """The picture as Tesseract and zbar read it (`_on_page`, a PGM Pillow wrote), or a problem
    when its pixels cannot be read. Only for a picture worth reading: its size is within the bounds."""
    page = _on_page(data)
    if page is None:
        return _UNREADABLE_PICTURE
    out = io.BytesIO()
    page.save(out, format="PPM")
    return out.getvalue()


# A picture turned clockwise by quarter turns: Pillow's transposes turn it counter-clockwise.
_CLOCKWISE = {1: Image.Transpose.ROTATE_270, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_90}


def _within_bounds(data: bytes) -> Image.Image | None:
    """The picture on its page (`_on_page`) when its header keeps it within one picture's bounds
    (worth_reading, judged before decoding); None otherwise or when it cannot be read."""
    return _on_page(data) if worth_reading(data) in (True, False) else None


def turned(data: bytes, mirrored: bool, upside_down: bool, quarters: int) -> bytes | None:
    """The picture (PNG) as a reader sees it once the message's transform has turned it: mirrored
    left to right, upside down, then turned clockwise by quarter turns. None when it cannot be
    read or passes the bounds on one picture."""
    page = _within_bounds(data)
    if page is None:
        return None
    if mirrored:
        page = page.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if upside_down:
        page = page.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    if quarters in _CLOCKWISE:
        page = page.transpose(_CLOCKWISE[quarters])
    out = io.BytesIO()
    page.save(out, format="PNG")
    return out.getvalue()


ROW_PICTURES_MAX = 24  # pictures drawn together read as one: a number's digits and a few more
ROW_GAP = 6  # pixels between pictures side by side, as a line of text spaces its characters


def drawn_together(lines: list[list[bytes]]) -> bytes | None:
    """Pictures a message draws together, as one picture (PNG): each line's pictures one after
    another with a gap between, the lines one under another with none (a number drawn a digit to a
    picture, or a line of text cut across into strips, reads as a number only when its pieces are
    read together). None when one cannot be read or together they pass the bounds on one picture."""
    opened: list[list[Image.Image]] = []
    for line in lines:
        opened.append([])
        for data in line[:ROW_PICTURES_MAX - sum(map(len, opened))]:
            page = _within_bounds(data)
            if page is None:
                return None
            opened[-1].append(_ink_on_paper(page))
    lines_shown = [line for line in opened if line]
    width = max(sum(p.width for p in line) + ROW_GAP * (len(line) + 1) for line in lines_shown)
    heights = [max(p.height for p in line) for line in lines_shown]
    height = sum(heights) + 2 * ROW_GAP
    if width > MAX_SIDE or width * height > MAX_PIXELS:
        return None
    together = Image.new("L", (width, height), 255)
    y = ROW_GAP
    for line, line_height in zip(lines_shown, heights, strict=True):
        x = ROW_GAP
        for picture in line:
            together.paste(picture, (x, y + (line_height - picture.height) // 2))
            x += picture.width + ROW_GAP
        y += line_height
    out = io.BytesIO()
    together.save(out, format="PNG")
    return out.getvalue()


INK_CONTRAST = 64  # grey levels from its background at which a pixel is ink


def _ink_on_paper(grey: Image.Image) -> Image.Image:
    """A picture's ink black on white, whatever its own colours: a digit drawn white on a coloured
    tile, its neighbour on a tile of another colour, read as one line of dark digits with no
    tile edges between them (Tesseract reads a tile's edge as a bar). The background is the
    commonest grey of the picture's edge."""
    width, height = grey.size
    edge = [grey.getpixel((x, y)) for x in range(width) for y in (0, height - 1)] + \
        [grey.getpixel((x, y)) for y in range(height) for x in (0, width - 1)]
    background = Counter(edge).most_common(1)[0][0]
    return grey.point(lambda level: 0 if abs(level - background) > INK_CONTRAST else 255)


DOT_PICTURE_PIXELS_MAX = 400_000  # a banner of a line or two: pixel art is drawn small
DOT_PICTURE_GREYS_MAX = 4  # pixel art is drawn in a colour or two, with no smoothing
_DARK_RUN = re.compile(rb"\x00+")


def _dot_matrix_digits(shown: bytes) -> str:
    """The digits a picture draws in a dot-matrix font, each dot a square of pixels (a pixel-art
    banner Tesseract misreads, its zero slashed): the picture sampled as a grid of dots, read as
    a table of coloured cells is (dotmatrix.py). "" for any other picture."""
    with Image.open(io.BytesIO(shown)) as grey:
        if grey.width * grey.height > DOT_PICTURE_PIXELS_MAX or grey.getcolors(DOT_PICTURE_GREYS_MAX) is None:
            return ""
        dark = grey.point(lambda level: 0 if level < 128 else 255)
        across, down = dark.tobytes(), dark.transpose(Image.Transpose.TRANSPOSE).tobytes()
        rows = [across[y * dark.width:(y + 1) * dark.width] for y in range(dark.height)]
        columns = [down[x * dark.height:(x + 1) * dark.height] for x in range(dark.width)]
    # A dot's side: the shortest run of dark pixels across or down.
    side = min((len(run) for line in (*rows, *columns) for run in _DARK_RUN.findall(line)), default=0)
    marked_rows = [y for y, row in enumerate(rows) if 0 in row]
    marked_columns = [x for x, column in enumerate(columns) if 0 in column]
    if side < 2 or not marked_rows:
        return ""
    top, left = marked_rows[0], marked_columns[0]
    height, width = marked_rows[-1] - top + 1, marked_columns[-1] - left + 1
    if height != GLYPH_ROWS * side:
        return ""
    grid = ["".join("#" if rows[top + r * side + side // 2][left + c * side + side // 2] == 0 else "."
                    for c in range(width // side)) for r in range(GLYPH_ROWS)]
    return digits_in_grid(grid)


def _run(program: str, arguments: tuple[str, ...], shown: bytes, seconds: float) -> subprocess.CompletedProcess[bytes]:
    # One thread: OpenMP's threads make Tesseract's result depend on timing and take every core.
    environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    return subprocess.run([program, *arguments], input=shown, capture_output=True, timeout=seconds,  # noqa: S603
                          env=environment, check=False)


def _code_text(payload: str) -> str:
    """A code's payload as the phone that scans it shows it: a tel: or sms: code as the number it
    dials (as a link's target reads), anything else as written."""
    return link_target(payload).strip() or payload


def _codes(zbarimg: str, shown: bytes, seconds: float) -> tuple[list[str], list[str]]:
    """(payloads as read, problems) of the QR codes and barcodes in the picture."""
    done = _run(zbarimg, ("--raw", "-q", "-"), shown, seconds)
    if done.returncode == ZBAR_NO_CODE:
        return [], []
    if done.returncode != 0:
        return [], [_UNREADABLE_PICTURE]
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return [_code_text(line.strip()) for line in lines if line.strip()], []


def _words(tesseract: str, shown: bytes, seconds: float) -> tuple[str, list[str]]:
    """(text, problems) of the words Tesseract finds drawn in the picture."""
    done = _run(tesseract, OCR_ARGUMENTS, shown, seconds)
    if done.returncode != 0:
        return "", [_UNREADABLE_PICTURE]
    return done.stdout.decode("utf-8", "replace").strip(), []


# Readings of the last pictures read, whole: the three inputs of one message (the whole message and
# the Outlook paths, as fit and eval read it) and the copies a list sends carry the same picture,
# and a reading costs Tesseract a few hundred milliseconds. Keyed by the picture's digest and the
# programs that read it; a reading cut short by its time is not kept.
PICTURES_KEPT = 32
_kept: OrderedDict[tuple[bytes, str | None, str | None], tuple[str, tuple[str, ...]]] = OrderedDict()
_kept_lock = threading.Lock()


def picture_text(data: bytes, seconds: float = PICTURE_SECONDS) -> tuple[str, list[str]]:
    """(text, problems): the words a reader sees in a picture, the digits a pixel-art picture
    draws in a dot-matrix font, then what each code in it says, within `seconds`. A reader that is
    not installed is said, and the picture read without it."""
    worth = worth_reading(data)
    if worth is not True:
        return "", [worth] if worth else []
    tesseract, zbarimg = shutil.which(TESSERACT), shutil.which(ZBARIMG)
    key = (hashlib.blake2b(data, digest_size=16).digest(), tesseract, zbarimg)
    with _kept_lock:
        if key in _kept:
            _kept.move_to_end(key)
            text, said = _kept[key]
            return text, list(said)
    text, problems, whole = _read(data, seconds, tesseract, zbarimg)
    if whole:
        with _kept_lock:
            _kept[key] = (text, tuple(problems))
            while len(_kept) > PICTURES_KEPT:
                _kept.popitem(last=False)
    return text, problems


def _read(data: bytes, seconds: float, tesseract: str | None, zbarimg: str | None) -> tuple[str, list[str], bool]:
    """(text, problems, read whole): picture_text's reading with these programs (None: not
    installed), and whether it ran to its end within its time."""
    problems = [missing for program, missing in ((tesseract, _NO_TESSERACT), (zbarimg, _NO_ZBARIMG))
                if program is None]
    if tesseract is None and zbarimg is None:
        return "", problems, True
    shown = _shown(data)
    if isinstance(shown, str):
        return "", [*problems, shown], True
    deadline = time.monotonic() + seconds
    words, payloads, whole = "", [], True
    try:
        # The codes first: zbar takes milliseconds, and Tesseract has what is left of the time.
        if zbarimg is not None:
            payloads, failed = _codes(zbarimg, shown, seconds)
            problems += failed
        if tesseract is not None:
            words, failed = _words(tesseract, shown, max(deadline - time.monotonic(), 0.01))
            problems += failed
    except subprocess.TimeoutExpired:
        problems.append(f"a picture took longer than {seconds:.1f} s to read and was left out")
        whole = False
    except OSError:  # the program could not be started (removed since, not executable)
        problems.append(_UNREADABLE_PICTURE)
    return "\n".join(text for text in (words, _dot_matrix_digits(shown), *payloads) if text), problems, whole
