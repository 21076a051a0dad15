"""Attachments read as the reader who opens them sees them: Word, Excel, OpenDocument, RTF, SVG pictures."""

import gzip
import io
import struct
import tarfile
import time
import zipfile
import zlib

import pytest
from inviteguard.detect.formula import formula_result
from inviteguard.detect.number_format import formatted
from inviteguard.detect.office import workbook_text
from inviteguard.detect.parse import parse_raw
from inviteguard.detect.rtf import rtf_text
from inviteguard.detect.signals import Reading, phone
from inviteguard.detect.view import svg_text


def _with_attachment(name: str, content_type: str, data: bytes) -> bytes:
    import base64

    encoded = base64.encodebytes(data).decode().replace("\n", "\r\n")
    return ("From: Ana <ana@example.org>\r\nSubject: Aviso\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
            "Segue em anexo.\r\n"
            f"--b\r\nContent-Type: {content_type}; name={name}\r\nContent-Disposition: attachment; filename={name}\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}--b--\r\n").encode()


def _zipped(member: str, xml: str, **others: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, xml)
        for name, text in others.items():
            archive.writestr(name.replace("__", "/").replace("_xml", ".xml"), text)
    return buffer.getvalue()


def _numbers(raw: bytes) -> list[str]:
    return [m.e164 for m in phone.mentions(Reading(parse_raw(raw)))]


RTF_LURE = (rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Calibri 0800 111 222;}}\uc1\pard"
            rb"{\*\generator Writer 555 0100;}Per recuperar-lo cal trucar a l'oficina de la m\'fatua: "
            rb"{\b \'2b\'33\'35\'31 \'39\'33\'34 \'38\'31\'32 \'36\'30\'37}\par Gr\'e0cies \u8364? 96,20\par}")


def test_rtf_escapes_read_as_the_word_processor_shows_them():
    text = rtf_text(RTF_LURE)
    assert "mútua: +351 934 812 607\nGràcies € 96,20\n" in text
    # The font table and the generator's name are no text a reader sees.
    assert "Calibri" not in text and "0800" not in text and "555" not in text


def test_rtf_code_pages_unicode_fallbacks_fields_and_binary_data():
    cyrillic = rtf_text(rb"{\rtf1\ansi\ansicpg1251 \'cf\'ee\'e7\'e2\'ee\'ed\'e8\'f2\'e5}")
    assert cyrillic == "Позвоните"
    # \uc2: two fallback characters after each \uN are skipped, escaped or not.
    assert rtf_text(rb"{\rtf1\uc2\u1047\'3f\'3f\u1074 ZZ\u1086\'3fZ\u1085??}") == "Звон"
    field = rtf_text(rb'{\rtf1{\field{\*\fldinst HYPERLINK "tel:+18085550100"}{\fldrslt Call us}}}')
    assert field == "Call us"
    assert rtf_text(rb"{\rtf1 a{\pict\bin3 }9}}b}") == "ab"  # a picture's raw bytes, braces among them, are skipped


def test_an_rtf_attachment_gives_its_number():
    raw = _with_attachment("Avis.rtf", "application/rtf", RTF_LURE)
    assert _numbers(raw) == ["+351934812607"]


def test_an_opendocument_attachment_gives_its_number():
    xml = ('<?xml version="1.0"?><office:document-content><office:body><office:text>'
           "<text:h>Deuda pendiente</text:h><text:p>Llame al<text:s/>&#54;90<text:s/>214<text:tab/>387 hoy"
           "</text:p></office:text></office:body></office:document-content>")
    raw = _with_attachment("Aviso.odt", "application/vnd.oasis.opendocument.text", _zipped("content.xml", xml))
    assert parse_raw(raw).attachments[0].text == "Deuda pendiente\nLlame al 690 214 387 hoy"
    assert _numbers(raw) == ["+34690214387"]


def test_a_word_attachment_reads_character_references_and_line_breaks():
    xml = ("<w:document><w:body><w:p><w:r><w:t>Ring</w:t></w:r><w:r><w:br/><w:t>&#43;44 20 7946 0018"
           "</w:t></w:r></w:p></w:body></w:document>")
    raw = _with_attachment("Notice.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                           _zipped("word/document.xml", xml))
    assert parse_raw(raw).attachments[0].text == "Ring\n+44 20 7946 0018"


def test_a_word_documents_footer_is_read_as_its_body_is():
    """A footer shows on every page: "call" in the body and the number only at the page's foot."""
    body = "<w:document><w:body><w:p><w:r><w:t>Ffoniwch ni heddiw: gweler isod.</w:t></w:r></w:p></w:body></w:document>"
    footer = "<w:ftr><w:p><w:r><w:t>Desg filiau 029 2018 0437</w:t></w:r></w:p></w:ftr>"
    raw = _with_attachment("Bil.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                           _zipped("word/document.xml", body, word__footer2_xml=footer))
    assert parse_raw(raw).attachments[0].text == "Ffoniwch ni heddiw: gweler isod.\n\nDesg filiau 029 2018 0437"
    assert _numbers(raw) == ["+442920180437"]


def test_a_word_documents_symbol_characters_are_read_as_word_draws_them():
    """b135: a number built of `<w:sym>` elements, a digit each and no `<w:t>` text, which Word
    draws in the named font (a symbol font's characters stand at U+F000 and up); a dingbat font's
    characters are pictures, not letters."""
    digits = "".join(f'<w:r><w:sym w:font="Arial" w:char="{ord(d):04X}"/></w:r>' for d in "0522 555 941")
    symbol = '<w:r><w:sym w:font="Symbol" w:char="F02B"/></w:r>'
    dingbat = '<w:r><w:sym w:font="Wingdings" w:char="F028"/></w:r>'
    xml = (f"<w:document><w:body><w:p><w:r><w:t>Chiamare lo </w:t></w:r>{digits}</w:p>"
           f"<w:p>{symbol}<w:r><w:t>39 {dingbat}</w:t></w:r></w:p></w:body></w:document>")
    raw = _with_attachment("Conguaglio.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                           _zipped("word/document.xml", xml))
    assert parse_raw(raw).attachments[0].text == "Chiamare lo 0522 555 941\n+39"
    assert _numbers(raw) == ["+390522555941"]


def test_an_opendocuments_page_footer_is_read():
    content = "<office:document-content><office:body><office:text><text:p>Ver rodapé.</text:p></office:text>"
    styles = ("<office:document-styles><office:master-styles><style:master-page><style:footer>"
              "<text:p>Ligue 690 214 387</text:p></style:footer></style:master-page></office:master-styles>"
              "</office:document-styles>")
    raw = _with_attachment("Aviso.odt", "application/vnd.oasis.opendocument.text",
                           _zipped("content.xml", content, styles_xml=styles))
    assert parse_raw(raw).attachments[0].text == "Ver rodapé.\n\nLigue 690 214 387"


def _slide(*paragraphs: str) -> str:
    runs = "".join(f"<a:p><a:r><a:t>{text}</a:t></a:r></a:p>" for text in paragraphs)
    return f"<p:sld><p:cSld><p:spTree><p:sp><p:txBody>{runs}</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"


def test_a_powerpoint_attachments_slides_are_read_in_their_order():
    """The number on a slide only, the body pointing at it: slides 2 and 10 in their order, not the
    archive's, a line break inside a paragraph, and no speaker notes (a reader who opens the file
    does not see them)."""
    slide2 = _slide("Appelez le service client", "Ligne directe<a:br><a:rPr/></a:br>&#43;216 71 904 362")
    raw = _with_attachment(
        "Avis.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _zipped("ppt/slides/slide10.xml", _slide("Merci"), ppt__slides__slide2_xml=slide2,
                ppt__slides__slide1_xml=_slide("Facture impayée"),
                ppt__notesSlides__notesSlide1_xml=_slide("Note 0800 111 222")))
    assert parse_raw(raw).attachments[0].text == (
        "Facture impayée\n\nAppelez le service client\nLigne directe\n+216 71 904 362\n\nMerci")
    assert _numbers(raw) == ["+21671904362"]


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook(sheets: dict[str, str], shared: list[str], hidden: tuple[str, ...] = (), styles: str = "") -> bytes:
    """An .xlsx whose tabs are `sheets` (name -> sheetData XML), in that order; `styles`, its styles part."""
    tabs = "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"'
                   + (' state="hidden"' if name in hidden else "") + "/>"
                   for i, name in enumerate(sheets, 1))
    links = "".join(f'<Relationship Id="rId{i}" Type="worksheet" Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, len(sheets) + 1))
    members = {f"xl/worksheets/sheet{i}.xml": f"<worksheet><sheetData>{xml}</sheetData></worksheet>"
               for i, xml in enumerate(sheets.values(), 1)}
    members["xl/workbook.xml"] = f'<workbook xmlns:r="r"><sheets>{tabs}</sheets></workbook>'
    members["xl/_rels/workbook.xml.rels"] = f"<Relationships>{links}</Relationships>"
    members["xl/sharedStrings.xml"] = "<sst>" + "".join(f"<si>{text}</si>" for text in shared) + "</sst>"
    if styles:
        members["xl/styles.xml"] = styles
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, xml in members.items():
            archive.writestr(name, xml)
    return buffer.getvalue()


def test_an_excel_workbooks_second_sheet_gives_its_number():
    """Every visible tab is read, shared strings by their index; each cell on a line of its own, so
    an invoice number beside a date is no phone number; a formula shows its result."""
    overview = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>24-3390</t></is></c>'
                '<c r="C1" s="2"/><c r="D1" t="str"><f>TEXT(E1)</f><v>04-12-2024</v></c></row>'
                '<row r="2"><c r="A2"><f>SUM(D4:D5)</f><v>4621.5</v></c><c r="B2" t="b"><v>1</v></c></row>')
    contact = '<row r="1"><c r="A1" t="s"><v>1</v></c></row>'
    data = _workbook({"Openstaand": overview, "Contact": contact},
                     ["Factuur &amp; datum", "<r><t>Bel mevr. Jansen: </t></r><r><rPr/><t>010 742 19 06</t></r>"])
    assert workbook_text(data) == ("Openstaand\nFactuur & datum\n24-3390\n04-12-2024\n4621.5\nTRUE\n\n"
                                   "Contact\nBel mevr. Jansen: 010 742 19 06")
    assert _numbers(_with_attachment("Posten.xlsx", XLSX_TYPE, data)) == ["+31107421906"]


def test_an_excel_workbooks_hidden_sheets_and_rows_are_not_read():
    """A reader sees neither a hidden tab nor a hidden row: a decoy there is no text of the message."""
    shown = '<row r="1"><c t="inlineStr"><is><t>Gemeente rooster</t></is></c></row>'
    decoy = '<row r="2" hidden="1"><c t="inlineStr"><is><t>Inbellen 020 555 0100</t></is></c></row>'
    data = _workbook({"Rooster": shown + decoy, "Oud": shown.replace("Gemeente", "Verborgen")}, [], hidden=("Oud",))
    assert workbook_text(data) == "Rooster\nGemeente rooster"


def _with_members(data: bytes, members: dict[str, str]) -> bytes:
    """The zip `data` with more members (path -> XML)."""
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        for name, xml in members.items():
            archive.writestr(name, xml)
    return buffer.getvalue()


def test_an_excel_text_box_over_a_visible_sheet_is_read_after_its_cells():
    """A text box floats over the sheet as plainly as a cell shows; one over a hidden sheet is no
    more shown than the sheet itself."""
    cells = '<row r="1"><c t="inlineStr"><is><t>Invoice 4471</t></is></c></row>'
    box = ('<xdr:wsDr><xdr:sp><xdr:txBody><a:p><a:r><a:t>FINAL NOTICE</a:t></a:r></a:p>'
           '<a:p><a:r><a:t>Call our collections line: </a:t></a:r><a:r><a:t>(972) 555-0138</a:t></a:r></a:p>'
           '</xdr:txBody></xdr:sp></xdr:wsDr>')
    link = ('<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/drawing" Target="../drawings/drawing{}.xml"/></Relationships>')
    data = _with_members(_workbook({"Statement": cells, "Old": cells}, [], hidden=("Old",)), {
        "xl/worksheets/_rels/sheet1.xml.rels": link.format(1), "xl/worksheets/_rels/sheet2.xml.rels": link.format(2),
        "xl/drawings/drawing1.xml": box, "xl/drawings/drawing2.xml": box.replace("(972) 555-0138", "(972) 555-0199")})
    assert workbook_text(data) == "Statement\nInvoice 4471\nFINAL NOTICE\nCall our collections line: (972) 555-0138"
    assert _numbers(_with_attachment("Statement.xlsx", XLSX_TYPE, data)) == ["+19725550138"]


@pytest.mark.parametrize(("value", "code", "shown"), [
    ("8820", '"정산 담당 직통 ☎ 02-3471-"0000', "정산 담당 직통 ☎ 02-3471-8820"),  # the number's head is text
    ("5551234567", "000-000-0000", "555-123-4567"),  # a phone number format
    ("5551234567", "(###) ###-####", "(555) 123-4567"),
    ("18005550199", '"Call "0-000-000-0000', "Call 1-800-555-0199"),  # more digits than placeholders
    ("7", "00000", "00007"),
    ("1234.5", "#,##0.00", "1,234.50"),
    ("-1234.5", "#,##0.00;[Red](#,##0.00)", "(1,234.50)"),  # the negative section shows no minus
    ("-5", "0.0", "-5.0"),
    ("0.25", "0%", "25%"),
    ("0", '0;-0;"none"', "none"),  # the zero section
    ("42", '0" units"', "42 units"),
    ("45000", "yyyy-mm-dd", "45000"),  # a date format: the value as stored
    ("12", "General", "12"),
    ("abc", "0", "abc"),
    ("inf", "0", "inf"),
    ("3", "0" + "%" * 200, "3"),
])
def test_an_excel_number_format_shows_the_number_as_the_cell_does(value, code, shown):
    assert formatted(value, code) == shown


def test_an_excel_cells_number_format_is_read_as_the_cell_shows_it():
    """A cell stores 8820 and its format writes the rest of the number around it: a reader sees the
    whole number, and so does the detector. A cell of a built-in format reads as stored."""
    styles = ('<styleSheet><numFmts count="1"><numFmt numFmtId="164" formatCode="&quot;Bel ons: 020-&quot;000 0000"/>'
              '</numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs>'
              '</styleSheet>')
    rows = ('<row r="1"><c r="A1" s="1"><v>5550143</v></c><c r="B1" s="0"><v>17</v></c>'
            '<c r="C1" s="9"><v>3</v></c></row>')
    data = _workbook({"Blad1": rows}, [], styles=styles)
    assert workbook_text(data) == "Blad1\nBel ons: 020-555 0143\n17\n3"
    assert _numbers(_with_attachment("Factuur.xlsx", XLSX_TYPE, data)) == ["+31205550143"]


def test_an_excel_workbook_is_read_in_linear_time():
    for hostile in ("<row>" + "<c>" * 1_000_000, "<row>" + "</c>" * 1_000_000, "</row><row>" * 400_000,
                    '<row><c t="s"><v>' + "9" * 1_000_000):
        started = time.process_time()
        workbook_text(_workbook({"S": hostile}, ["x"] * 100_000))
        assert time.process_time() - started < 30  # a bound, not a timing: a superlinear reader takes hours
    for styles in ("<cellXfs>" * 400_000, "<cellXfs>" + '<xf numFmtId="1"/>' * 300_000, "<numFmt " * 400_000):
        started = time.process_time()
        workbook_text(_workbook({"S": '<row><c s="5"><v>1</v></c></row>'}, [], styles=styles))
        assert time.process_time() - started < 30


def test_rtf_is_read_in_linear_time():
    for hostile in (b"{" * 500_000 + b"x" + b"}" * 500_000, b"\\'4" * 300_000, b"\\u" * 400_000,
                    b"{\\*" * 300_000, b"\\" + b"a" * 1_000_000, b"\\bin999999999 " * 100_000):
        started = time.process_time()
        rtf_text(hostile)
        assert time.process_time() - started < 30  # a bound, not a timing: a superlinear reader takes hours


# Round 122, from b129: a lure's number only in an SVG picture attached, which any browser or
# image viewer draws as text.
SVG_NOTICE = (
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY n "0800 555 0100">]>'
    '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="200"><title>Kokkuvõte 0800 555 0101</title>'
    '<desc>0800 555 0102</desc><rect width="600" height="200" fill="#fff"/>'
    '<text x="10" y="30" font-size="20">Lepingu kokkuvõte</text>'
    '<text x="10" y="60">Loobumiseks helistage:</text><text x="10" y="90"><tspan>+372 5811</tspan> '
    '<tspan>0246</tspan></text><g style="display:none"><text>+372 5811 9999</text></g>'
    '<text opacity="0">+372 5811 8888</text><text visibility="hidden">+372 5811 7777</text>'
    '<text x="10" y="120">&n;</text></svg>')


def test_an_svg_pictures_drawn_words_are_read_and_its_hidden_ones_are_not():
    raw = _with_attachment("lepingu.svg", "image/svg+xml", SVG_NOTICE.encode())
    # Titles and descriptions are no drawn text, hidden text is not drawn, an entity is not expanded.
    assert parse_raw(raw).attachments[0].text == "Lepingu kokkuvõte\nLoobumiseks helistage:\n+372 5811 0246\n&n;"
    assert _numbers(raw) == ["+37258110246"]
    # Known by its name alone, as a reader's mail client knows it.
    unnamed_type = _with_attachment("lepingu.svg", "application/octet-stream", SVG_NOTICE.encode())
    assert _numbers(unnamed_type) == ["+37258110246"]


def test_an_svg_picture_is_read_in_linear_time():
    for hostile in ("<svg>" + "<g>" * 500_000 + "<text>x</text>", "<svg>" + "<text>1</text>" * 300_000,
                    "<svg><text>" + "<tspan>" * 500_000, "<svg>" + '<g style="display:none">' * 300_000 + "<text>1"):
        started = time.process_time()
        svg_text(hostile)
        assert time.process_time() - started < 30  # a bound, not a timing: a superlinear reader takes hours


def _archive(*files: tuple[str, bytes], encrypted: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    data = bytearray(buffer.getvalue())
    for name in encrypted:  # the "encrypted" flag set in the local and central headers
        for header in (b"PK\x03\x04", b"PK\x01\x02"):
            at = data.find(header)
            while at >= 0:
                offset = 30 if header == b"PK\x03\x04" else 46
                flags_at = at + (6 if header == b"PK\x03\x04" else 8)
                if data[at + offset:at + offset + len(name)] == name.encode():
                    data[flags_at] |= 1
                at = data.find(header, at + 1)
    return bytes(data)


def test_the_files_in_a_zip_attachment_are_read_as_attachments_of_their_kinds():
    """b131: the number only in a PDF inside a ZIP. Each file a reader opens after unpacking it is
    read as its kind, named inside the archive; an archive inside it, an encrypted file and a
    Mac's resource fork are not opened."""
    word = _zipped("word/document.xml", "<w:document><w:body><w:p><w:r><w:t>Linea de cobranza 55 4781 2290"
                   "</w:t></w:r></w:p></w:body></w:document>")
    inner = _archive(("deeper.txt", b"Llame al 55 1111 2222"))
    raw = _with_attachment("Factura.zip", "application/zip", _archive(
        ("__MACOSX/._Factura.docx", b"\x00\x05\x16\x07"), ("docs/Factura.docx", word), ("inner.zip", inner),
        ("leeme.txt", b"Abra la factura y llame."), ("secreto.txt", b"Llame al 55 3333 4444"),
        encrypted=("secreto.txt",)))
    message = parse_raw(raw)
    assert [(b.name, b.text) for b in message.attachments] == [
        ("Factura.zip/Factura.docx", "Linea de cobranza 55 4781 2290"),
        ("Factura.zip/leeme.txt", "Abra la factura y llame.")]
    assert "an encrypted file in an archive was not read" in message.problems
    assert _numbers(raw) == ["+525547812290"]


def _locked_zip(name: str, data: bytes, password: bytes) -> bytes:
    """A ZIP of one stored file locked with ZipCrypto (PKWARE's APPNOTE 6.1), as `zip -e` writes it."""
    keys = [0x12345678, 0x23456789, 0x34567890]

    def crc_step(crc: int, byte: int) -> int:
        return zlib.crc32(bytes([byte]), crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    def update(byte: int) -> None:
        keys[0] = crc_step(keys[0], byte)
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = crc_step(keys[2], keys[1] >> 24)

    for byte in password:
        update(byte)
    crc = zlib.crc32(data)
    locked = bytearray()
    for byte in bytes(11) + bytes([crc >> 24]) + data:  # the header's last byte checks the password
        step = keys[2] | 2
        locked.append(byte ^ ((step * (step ^ 1)) >> 8) & 0xFF)
        update(byte)
    encoded = name.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 1, 0, 0, 0x21, crc, len(locked), len(data), len(encoded), 0)
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 1, 0, 0, 0x21, crc, len(locked), len(data),
                          len(encoded), 0, 0, 0, 0, 0, 0) + encoded
    body = local + encoded + bytes(locked)
    return body + central + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(body), 0)


def _with_body(raw: bytes, body: str) -> bytes:
    return raw.replace(b"Segue em anexo.", body.encode())


def test_a_locked_zip_is_opened_with_the_password_the_message_gives():
    """b136: the number in a note inside a ZIP locked with ZipCrypto, its password in the body. A
    reader types the password the message gives: its words are tried on the locked file."""
    locked = _locked_zip("ledger.txt", b"Ring 0161 496 0755", b"Ledger2025")
    raw = _with_attachment("Ledger.zip", "application/zip", locked)
    opened = parse_raw(_with_body(raw, 'The file is locked, the password is "Ledger2025".'))
    assert [(b.name, b.text) for b in opened.attachments] == [("Ledger.zip/ledger.txt", "Ring 0161 496 0755")]
    assert "an encrypted file in an archive was not read" not in opened.problems
    kept_shut = parse_raw(_with_body(raw, "The file is locked; ask me for the password."))
    assert kept_shut.attachments == () and "an encrypted file in an archive was not read" in kept_shut.problems


def _tarred(*files: tuple[str, bytes], compression: str = "gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=f"w:{compression}") as archive:
        for name, data in files:
            member = tarfile.TarInfo(name)
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize("compression", ["gz", "bz2", "xz", ""])
def test_the_files_in_a_tar_are_read_as_a_zips_are(compression):
    """b136: the number in a note inside a `.tar.gz`; a tar compressed otherwise, or not, alike."""
    data = _tarred(("notes/._ring.txt", b"\x00\x05"), ("notes/ring.txt", b"Ring 0161 496 0755"),
                   compression=compression)
    raw = _with_attachment("notes.tar.gz", "application/gzip", data)
    assert [(b.name, b.text) for b in parse_raw(raw).attachments] == [("notes.tar.gz/ring.txt", "Ring 0161 496 0755")]


def test_one_compressed_file_is_read_by_its_name_less_the_ending():
    raw = _with_attachment("Factura.txt.gz", "application/gzip", gzip.compress(b"Llame al 55 4781 2290"))
    assert [(b.name, b.text) for b in parse_raw(raw).attachments] == [
        ("Factura.txt.gz/Factura.txt", "Llame al 55 4781 2290")]
    bomb = parse_raw(_with_attachment("big.txt.gz", "application/gzip", gzip.compress(b"0" * 50_000_000)))
    assert bomb.attachments == () and "a file of more than 2,000,000 bytes in an archive was not read" in bomb.problems
    junk = parse_raw(_with_attachment("junk.tar", "application/x-tar", b"no archive at all" * 100))
    assert "an archive attachment could not be opened" in junk.problems


def test_a_zip_bombs_file_is_not_unpacked_and_a_broken_zip_is_said():
    bomb = _archive(("big.txt", b"0" * 50_000_000))  # 50 MB that compress to some 50 kB
    message = parse_raw(_with_attachment("big.zip", "application/zip", bomb))
    assert not message.attachments
    assert "a file of more than 2,000,000 bytes in an archive was not read" in message.problems
    broken = parse_raw(_with_attachment("broken.zip", "application/zip", bomb[:2000]))
    assert "an archive attachment could not be opened" in broken.problems


@pytest.mark.parametrize(("formula", "shown"), [
    ('"+57 "&TEXT(77738^2+32374,"000 000 0000")', "+57 604 322 9018"),  # b131's lure
    ('_xlfn.CONCAT("0800 ",555," ",TEXT(143,"0000"))', "0800 555 0143"),
    ('CONCATENATE(CHAR(43),"44 20 ",7946*1,"0018")', "+44 20 79460018"),
    ("=1+2&3", "33"),  # & is worked out after + and -
    ("-2^2", "4"),  # as Excel: the sign first
    ('"say ""hi"""', 'say "hi"'),
    ("-" * 901 + "1", "-1"),  # signs are counted, not nested
])
def test_a_formula_of_constants_shows_what_excel_shows(formula, shown):
    assert formula_result(formula) == shown


@pytest.mark.parametrize("formula", ["A1&\"x\"", "SUM(1,2)", "9^9^9^9", "1/0", "(((1", '"a"&', "1+" * 600 + "1",
                                     "(" * 400 + "1" + ")" * 400])
def test_a_formula_of_anything_else_shows_nothing_here(formula):
    assert formula_result(formula) is None


def test_an_excel_cells_formula_saved_without_its_result_is_worked_out():
    sheet = ('<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Tesorería:</t></is></c></row>'
             '<row r="2"><c r="A2" t="str"><f>&quot;+57 &quot;&amp;TEXT(77738^2+32374,&quot;000 000 0000&quot;)'
             '</f></c><c r="B2"><f>A1</f></c></row></sheetData></worksheet>')
    assert workbook_text(_workbook({"Hoja1": sheet}, [])) == "Hoja1\nTesorería:\n+57 604 322 9018"
