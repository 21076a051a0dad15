"""A PDF page's text as a reader sees it: number groups drawn out of order are read in order."""

import io
from email.message import EmailMessage

import pypdf
from inviteguard.detect.analyzer import callback_numbers
from inviteguard.detect.parse import parse_raw
from inviteguard.detect.pdf import Piece, annotation_text, in_reading_order, page_text


def _pdf(content: bytes, font: bytes = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
         *more: bytes) -> bytes:
    """A one-page PDF whose page draws `content` (a content stream) in `font` (Helvetica) as /F1;
    `more` objects follow the font's, as 6 0 R and on."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
               b" /Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream", font, *more]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _drawn(*pieces: tuple[int, int, str]) -> bytes:
    """A page drawing each (x, y, text) as a text object of its own, in the order given."""
    return _pdf(b"\n".join(b"BT /F1 12 Tf %d %d Td (%s) Tj ET" % (x, y, text.encode()) for x, y, text in pieces))


# b122's ESET lure: the number's five groups drawn right of the cue, in scrambled order.
SCRAMBLED = _drawn((40, 700, "Cancel the renewal and get a refund by phone: tel."), (271, 680, "08"),
                   (200, 680, "+48"), (290, 680, "61"), (245, 680, "395"), (226, 680, "12"))


def _page(pdf: bytes) -> pypdf.PageObject:
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0]


def test_number_groups_drawn_out_of_order_are_read_left_to_right():
    assert "+48 12 395 08 61" in page_text(_page(SCRAMBLED))
    assert "+48 12 395 08 61" not in (_page(SCRAMBLED).extract_text() or "")  # what pypdf's order gives


def test_the_number_in_a_scrambled_pdf_is_a_number_to_call():
    mail = EmailMessage()
    mail["From"] = "Rozliczenia <faktury@rozliczenia-eset.example>"
    mail["To"] = "biuro@gmina.example"
    mail["Subject"] = "Faktura VAT FV 2025/03/118"
    mail.set_content("W załączniku faktura za odnowienie licencji.")
    mail.add_attachment(SCRAMBLED, maintype="application", subtype="pdf", filename="faktura.pdf")
    assert "+48123950861" in callback_numbers(parse_raw(mail.as_bytes()))


def test_a_page_drawn_in_order_reads_as_pypdf_reads_it():
    page = _page(_drawn((40, 700, "Invoice 2025-118"), (40, 680, "Questions? Call"), (140, 680, "+1 808 555 0199"),
                        (260, 680, "or write to us.")))
    assert page_text(page) == page.extract_text()


def test_words_keep_their_order_only_letterless_pieces_move():
    # Words a PDF places right to left (as a right-to-left script's may be) are not reversed.
    pieces = [Piece("שלום", 300, 700), Piece(" עולם", 200, 700), Piece(" 555", 400, 680), Piece(" 03", 350, 680)]
    assert in_reading_order(pieces) == "שלום עולם 03 555"
    # A break pypdf made ends a stretch: groups on two lines are not sorted together.
    assert in_reading_order([Piece("99", 300, 700), Piece("\n"), Piece("11", 100, 700)]) == "99\n11"


def _to_unicode(pairs: dict[str, str]) -> bytes:
    """A ToUnicode CMap stream saying each code (a character) copies as another."""
    mapped = b"".join(b"<%02X> <%04X>\n" % (ord(code), ord(copied)) for code, copied in pairs.items())
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Adobe-Identity-UCS def"
            b" /CMapType 2 def 1 begincodespacerange <00> <FF> endcodespacerange %d beginbfchar\n" % len(pairs)
            + mapped + b"endbfchar endcmap CMapName currentdict /CMap defineresource pop end end")
    return b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream"


def test_a_font_the_viewer_supplies_is_read_as_its_encoding_draws_it_not_as_its_copy_map_says():
    """b131, b135: a font with no program of its own (the viewer's Helvetica) draws the glyphs its
    encoding names (its Differences too); a ToUnicode map saying the digits copy as letters
    changes what copying gives, not what the reader sees."""
    content = b"BT /F1 12 Tf 40 700 Td (Ligue +351 215 550 374) Tj ET"
    copied_as_letters = dict(zip("0123456789", "QZXKJWVYHG", strict=True))
    plain = _pdf(content, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding"
                          b" /ToUnicode 6 0 R >>", _to_unicode(copied_as_letters))
    assert "Ligue +351 215 550 374" in page_text(_page(plain))
    assert "+351" not in (_page(plain).extract_text() or "")  # what the copy map gives
    # Digits drawn at letters' codes ("k" draws a zero), copied as those letters.
    at_letters = dict(zip("0123456789", "kqwzhmxjvt", strict=True))
    differences = b" ".join(b"%d /%s" % (ord(code), name) for code, name in zip(
        at_letters.values(), b"zero one two three four five six seven eight nine".split(), strict=True))
    remapped = _pdf(b"BT /F1 12 Tf 40 700 Td (Ligue +" + "351 215 550 374".translate(str.maketrans(at_letters)).encode()
                    + b") Tj ET", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding << /BaseEncoding"
                    b" /WinAnsiEncoding /Differences [" + differences + b"] >> /ToUnicode 6 0 R >>",
                    _to_unicode({letter: letter for letter in [*at_letters.values(), *"Ligue +"]}))
    assert "Ligue +351 215 550 374" in page_text(_page(remapped))


def test_a_malformed_font_entry_the_page_never_uses_stops_no_reading():
    page = _page(SCRAMBLED)
    page["/Resources"]["/Font"][pypdf.generic.NameObject("/F9")] = pypdf.generic.NumberObject(7)
    page["/Resources"]["/Font"][pypdf.generic.NameObject("/F8")] = pypdf.generic.DictionaryObject(
        {pypdf.generic.NameObject("/FontDescriptor"): pypdf.generic.NumberObject(3)})
    assert "+48 12 395 08 61" in page_text(page)


def test_far_apart_pieces_stay_as_long_as_their_text():
    # pypdf's layout mode pads each gap (a 42 kB page became 20 million characters); this stays linear.
    content = b"BT /F1 12 Tf " + b"".join(b"-10000000 0 Td (%d) Tj " % (i % 10) for i in range(2000)) + b"ET"
    content += b"\n" + b"\n".join(b"BT /F1 12 Tf %d 600 Td (%d) Tj ET" % (10**7 - i * 4000, i % 10)
                                  for i in range(2000))
    assert len(page_text(_page(_pdf(content)))) < 10_000


def _annotated(*annotations: object) -> bytes:
    """A page with a line of text and these annotations."""
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(_drawn((40, 700, "Avis de facture: voir la note."))))
    for annotation in annotations:
        writer.add_annotation(0, annotation)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdfs_free_text_note_and_comment_are_read_and_hidden_ones_are_not():
    """b132: the number only in a FreeText annotation, which every viewer draws on the page while
    the page's own text has none of it."""
    from pypdf.annotations import FreeText, Text
    from pypdf.generic import NameObject, NumberObject

    hidden = Text(rect=(40, 500, 60, 520), text="Ancien numéro +216 71 000 111")
    hidden[NameObject("/F")] = NumberObject(2)
    pdf = _annotated(FreeText(text="Service client : +216 71 904 362", rect=(40, 600, 300, 640)),
                     Text(rect=(40, 560, 60, 580), text="Rappel sous 24 h"), hidden)
    page = _page(pdf)
    assert "+216" not in page_text(page)
    assert annotation_text(page) == "Service client : +216 71 904 362\nRappel sous 24 h"
    mail = EmailMessage()
    mail["From"] = "Facturation <factures@telecom-tunisie.example>"
    mail["Subject"] = "Facture impayée"
    mail.set_content("Votre facture est jointe.")
    mail.add_attachment(pdf, maintype="application", subtype="pdf", filename="facture.pdf")
    assert callback_numbers(parse_raw(mail.as_bytes())) == ("+21671904362",)


def test_a_pdf_forms_filled_text_field_is_read():
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject

    field = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
                              NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("tel"),
                              NameObject("/V"): TextStringObject("+1 808 555 0143"),
                              NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (40, 600, 300, 620)])})
    assert annotation_text(_page(_annotated(field))) == "+1 808 555 0143"


def test_a_malformed_annotation_is_skipped_not_the_page():
    from pypdf.annotations import FreeText
    from pypdf.generic import NameObject, TextStringObject

    odd = FreeText(text="+1 808 555 0100", rect=(40, 600, 300, 640))
    odd[NameObject("/F")] = TextStringObject("not a number")
    page = _page(_annotated(odd, FreeText(text="+1 808 555 0143", rect=(40, 500, 300, 540))))
    assert annotation_text(page) == "+1 808 555 0143"
