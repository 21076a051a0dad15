"""Zipped office documents' text as the reader who opens them sees it: Word (.docx), PowerPoint
(.pptx), OpenDocument (.odt, .ods, .odp) and Excel workbooks (.xlsx, .xlsm; numbers as their
cells' formats show them).

Each format is a zip of XML parts. The parts a reader sees are read in the order the reader meets
them, within MAX_OFFICE_MEMBERS parts and MAX_OFFICE_XML_BYTES of XML together; tags go, character
references are read. Every step is a split, a bounded pattern or a dictionary lookup: linear in
the XML, whatever an attacker nests or leaves unclosed.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from .formula import formula_result
from .number_format import formatted

MAX_OFFICE_XML_BYTES = 10_000_000  # the XML of one office document's text parts, together
MAX_OFFICE_MEMBERS = 16  # parts of one document read: headers and footers, or a workbook's sheets

_XML_TAG = re.compile(r"<[^>]{0,2000}>")
_ATTRIBUTE = re.compile(r'([\w:.-]{1,100})\s*=\s*"([^"]{0,2000})"')


@dataclass(frozen=True)
class OfficeFormat:
    """Where a zipped office format keeps the text a reader sees, in the order the reader meets it,
    and the elements that end a paragraph or stand for a space or a line break."""

    members: tuple[re.Pattern[str], ...]
    breaks: dict[str, str]
    symbol: re.Pattern[str] | None = None  # an element drawing one character of a font (`_symbol_drawn`)


# Word: the page headers, the body, the page footers, the foot- and endnotes: a header or footer
# shows on every page as plainly as the body.
WORD_DOCUMENT = OfficeFormat(
    (re.compile(r"word/header\d*\.xml"), re.compile(r"word/document\.xml"), re.compile(r"word/footer\d*\.xml"),
     re.compile(r"word/(?:footnotes|endnotes)\.xml")),
    {"</w:p>": "\n", "<w:tab/>": " ", "<w:br/>": "\n"},
    re.compile(r"<w:sym(?=[\s/>])[^>]{0,2000}>"))
# PowerPoint: the slides in their order, each shape's and table cell's paragraphs on lines of their
# own (a slide's speaker notes are not shown to a reader who opens it).
PRESENTATION = OfficeFormat(
    (re.compile(r"ppt/slides/slide\d+\.xml"),),
    {"</a:p>": "\n", "<a:br/>": "\n", "</a:br>": "\n", "</a:tc>": "\n"})
# OpenDocument: the body, then the master pages' headers and footers, kept with the styles.
OPEN_DOCUMENT = OfficeFormat(
    (re.compile(r"content\.xml"), re.compile(r"styles\.xml")),
    {"</text:p>": "\n", "</text:h>": "\n", "<text:tab/>": " ", "<text:s/>": " ", "<text:line-break/>": "\n"})


# Fonts whose characters are pictures (a Wingdings "(" is a telephone), not the letters they encode.
_DINGBAT_FONTS = ("wingdings", "webdings", "zapf dingbats", "marlett")
_SYMBOL_FONT_AREA = 0xF000  # a symbol font's characters, by the code of the letter each stands for


def _symbol_drawn(element: re.Match[str]) -> str:
    """The character a Word `<w:sym w:font w:char>` draws (hex `w:char`; a symbol font's at
    U+F000 and up, as its letter): a document can set a number as symbols, with no text run."""
    symbol = _attributes(element.group())
    if symbol.get("font", "").lower().startswith(_DINGBAT_FONTS):
        return ""
    try:
        code = int(symbol.get("char", ""), 16)
    except ValueError:
        return ""
    if _SYMBOL_FONT_AREA <= code <= _SYMBOL_FONT_AREA + 0xFF:
        code -= _SYMBOL_FONT_AREA
    # Escaped: the XML text is unescaped once its tags are gone, and a drawn "<" is no tag.
    return html.escape(chr(code), quote=False) if 0x20 <= code <= 0x10FFFF and chr(code).isprintable() else ""


def _xml_text(xml: str) -> str:
    return html.unescape(_XML_TAG.sub("", xml))


def _read_members(archive: zipfile.ZipFile, names: Sequence[str], room: int = MAX_OFFICE_XML_BYTES
                  ) -> dict[str, str]:
    """The named parts' XML by name (absent ones skipped), the first MAX_OFFICE_MEMBERS within
    `room` bytes together."""
    present = set(archive.namelist())
    texts, size = {}, 0
    for name in [name for name in names if name in present][:MAX_OFFICE_MEMBERS]:
        info = archive.getinfo(name)
        size += info.file_size
        if size > room:
            break
        texts[name] = archive.read(info).decode("utf-8", "replace")
    return texts


def _numbered(name: str) -> tuple[int, str]:
    """A part's place among its kind: slide2.xml before slide10.xml, header.xml first."""
    number = re.search(r"(\d{1,9})\.xml$", name)
    return (int(number.group(1)) if number else 0, name)


def document_text(data: bytes, office: OfficeFormat) -> str:
    """The text of a Word, PowerPoint or OpenDocument file: its text parts' XML without tags."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            xml = "\n".join(_read_members(archive, [name for pattern in office.members for name in
                                                     sorted(filter(pattern.fullmatch, names), key=_numbered)]).values())
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError, EOFError):
        return ""
    for element, shown in office.breaks.items():
        xml = xml.replace(element, shown)
    if office.symbol:
        xml = office.symbol.sub(_symbol_drawn, xml)
    return _xml_text(xml)


# ---------------------------------------------------------------- Excel workbooks

_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_LINKS = "xl/_rels/workbook.xml.rels"
_SHARED_STRINGS = "xl/sharedStrings.xml"
_STYLES = "xl/styles.xml"
_NUMBER_FORMAT_TAG = re.compile(r"<(?:\w{1,20}:)?numFmt(?=[\s/>])[^>]{0,2000}>")
_CELL_FORMATS = re.compile(r"<(?:\w{1,20}:)?cellXfs(?=[\s>])")
_FORMAT_TAG = re.compile(r"<(?:\w{1,20}:)?xf(?=[\s/>])[^>]{0,2000}>")
_SHEET_TAG = re.compile(r"<(?:\w{1,20}:)?sheet(?=[\s/>])[^>]{0,2000}>")
_LINK_TAG = re.compile(r"<(?:\w{1,20}:)?Relationship(?=[\s/>])[^>]{0,2000}>")
_ROW_TAG = re.compile(r"<(?:\w{1,20}:)?row(?=[\s/>])[^>]{0,2000}>")
_CELL_TAG = re.compile(r"<(?:\w{1,20}:)?c(?=[\s/>])[^>]{0,2000}>")
_VALUE = re.compile(r"<(?:\w{1,20}:)?v>([^<]{0,2000})<")
_FORMULA = re.compile(r"<(?:\w{1,20}:)?f(?:\s[^>]{0,2000})?>([^<]{0,2000})<")
_HIDDEN_STATES = frozenset({"hidden", "veryHidden"})
_BOOLEANS = {"0": "FALSE", "1": "TRUE"}
_TRUE = frozenset({"1", "true"})


def _attributes(tag: str) -> dict[str, str]:
    return {name.rsplit(":", 1)[-1]: html.unescape(value) for name, value in _ATTRIBUTE.findall(tag)}


def _visible_sheets(workbook: str, links: str) -> list[tuple[str, str]]:
    """The sheets the reader sees as tabs, in the tabs' order: (the tab's name, the zip member)."""
    targets = {}
    for tag in _LINK_TAG.findall(links):
        link = _attributes(tag)
        target = link.get("Target", "")
        targets[link.get("Id", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    sheets = []
    for tag in _SHEET_TAG.findall(workbook):
        sheet = _attributes(tag)
        if sheet.get("state") not in _HIDDEN_STATES and sheet.get("id") in targets:
            sheets.append((sheet.get("name", ""), targets[sheet["id"]]))
    return sheets


def _shared_strings(xml: str) -> list[str]:
    """The workbook's shared strings, by index: each <si>'s text, its rich-text runs joined."""
    return [_xml_text(item) for item in xml.split("</si>")[:-1]]


def _cell_formats(xml: str) -> list[str]:
    """The custom number format of each cell style, by the style's index ("" for a built-in one,
    whose numbers read as stored)."""
    codes = {}
    for tag in _NUMBER_FORMAT_TAG.findall(xml):
        found = _attributes(tag)
        codes[found.get("numFmtId", "")] = found.get("formatCode", "")
    opened = _CELL_FORMATS.search(xml)
    if opened is None:
        return []
    closed = xml.find("cellXfs>", opened.end())  # one search, not one per opening tag
    return [codes.get(_attributes(tag).get("numFmtId", ""), "")
            for tag in _FORMAT_TAG.findall(xml, opened.end(), closed if closed >= 0 else len(xml))]


def _cell_text(tag: str, content: str, shared: Sequence[str], formats: Sequence[str]) -> str:
    """What a cell shows: a shared string by its index, an inline string, or its stored value (a
    number through its style's number format, a formula's result, a boolean, an error); the
    formula itself is not shown, but a formula of constants saved without its result is worked
    out (formula.py)."""
    attributes = _attributes(tag)
    kind = attributes.get("t", "n")
    if kind == "inlineStr":
        return _xml_text(content)
    found = _VALUE.search(content)
    if found is None and (formula := _FORMULA.search(content)):
        # Saved without its result (recalculated when opened): what a formula of constants shows.
        return formula_result(html.unescape(formula.group(1))) or ""
    value = html.unescape(found.group(1)) if found else ""
    if kind == "s":
        index = value.strip()
        return shared[int(index)] if index.isdigit() and int(index) < len(shared) else ""
    if kind == "n":
        style = attributes.get("s", "0")
        return formatted(value, formats[int(style)]) if style.isdigit() and int(style) < len(formats) else value
    return _BOOLEANS.get(value, value) if kind == "b" else value


def _sheet_lines(xml: str, shared: Sequence[str], formats: Sequence[str]) -> list[str]:
    """Each cell of a sheet's visible rows on a line of its own, as a word processor's table cells
    are read: digits in neighbouring cells (an invoice number beside a date) never join into one
    number. A hidden row is not shown, so it is not read."""
    lines = []
    for row in xml.split("</row>"):
        start = _ROW_TAG.search(row)
        if start is None or _attributes(start.group()).get("hidden") in _TRUE:
            continue
        for piece in row[start.end():].split("</c>"):
            # A piece ends with one cell's start tag and content; an empty cell (<c .../>) before
            # it shows nothing.
            tags = list(_CELL_TAG.finditer(piece))
            tag = tags[-1] if tags else None
            if tag is not None and not tag.group().endswith("/>"):
                shown = _cell_text(tag.group(), piece[tag.end():], shared, formats).strip()
                if shown:
                    lines.append(shown)
    return lines


def _sheet_links(member: str) -> str:
    """The zip member holding a sheet's relationships: xl/worksheets/_rels/sheet1.xml.rels."""
    folder, _, name = member.rpartition("/")
    return f"{folder}/_rels/{name}.rels"


def _drawings(member: str, links: str) -> list[str]:
    """The drawings a sheet's relationships name (shapes and text boxes floating over its cells),
    as zip members: "../drawings/drawing1.xml" beside xl/worksheets is xl/drawings/drawing1.xml."""
    folder = member.rpartition("/")[0].split("/")
    drawings = []
    for tag in _LINK_TAG.findall(links):
        link = _attributes(tag)
        if not link.get("Type", "").endswith("/drawing"):
            continue
        path = list(folder)
        for step in link.get("Target", "").split("/"):
            if step == "..":
                path = path[:-1]
            elif step not in ("", "."):
                path.append(step)
        drawings.append("/".join(path))
    return drawings


def _shape_text(xml: str) -> list[str]:
    """The paragraphs of a drawing's text boxes and shapes, each on a line of its own."""
    return [line for line in _xml_text(xml.replace("</a:p>", "\n").replace("<a:br/>", "\n")).split("\n")
            if line.strip()]


def workbook_text(data: bytes) -> str:
    """The text of an Excel workbook: each visible sheet's tab name, its cells' text and the text
    of the boxes and shapes drawn over it (a text box shows on the sheet as plainly as a cell)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            structure = _read_members(archive, [_WORKBOOK, _WORKBOOK_LINKS])
            sheets = _visible_sheets(structure.get(_WORKBOOK, ""), structure.get(_WORKBOOK_LINKS, ""))
            room = MAX_OFFICE_XML_BYTES - sum(archive.getinfo(name).file_size for name in structure)
            links = _read_members(archive, [_sheet_links(member) for _, member in sheets], room)
            room -= sum(archive.getinfo(name).file_size for name in links)
            drawn = {member: _drawings(member, links.get(_sheet_links(member), "")) for _, member in sheets}
            parts = _read_members(archive, [_SHARED_STRINGS, _STYLES, *(member for _, member in sheets)], room)
            room -= sum(archive.getinfo(name).file_size for name in parts)
            drawings = _read_members(archive, [name for names in drawn.values() for name in names], room)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError, EOFError):
        return ""
    shared = _shared_strings(parts.get(_SHARED_STRINGS, ""))
    formats = _cell_formats(parts.get(_STYLES, ""))
    return "\n\n".join("\n".join([tab, *_sheet_lines(parts[member], shared, formats),
                                   *(line for name in drawn[member] for line in _shape_text(drawings.get(name, "")))])
                        for tab, member in sheets if member in parts)
