"""A PDF page's text in the order a reader sees it.

pypdf gives a page's text in the order its content stream draws it. A PDF can draw the groups of
a number anywhere on a line in any order ("08", "+48", "61", "395", "12" drawn at x 271, 200, 290,
245, 226 shows "+48 12 395 08 61"), so the stream order hides the number a reader dials. pypdf's
layout mode orders by position but pads every gap with spaces: a 42 kB page of far-apart pieces
became 20 million characters and 6 to 13 s of work here. So the pieces pypdf reports keep its
order and spacing, except that a stretch of letterless pieces on one line (digits and their
punctuation) drawn out of left-to-right order is put back in it; words keep their order, so
right-to-left scripts, whose words a PDF may place right to left, are not reversed.

pypdf reports a text object (BT ... ET) as one piece: groups moved out of order inside one text
object are not seen apart, and stay in the stream's order.

A page that is a scan (a picture of the page, hardly any text of its own) shows its words in its
pictures: those are handed to the picture reader (OCR).

A viewer also draws what the page's annotations hold, outside its content stream: a free-text
note's words on the page, a comment's when it is opened, a filled form field's value. Their text
follows the page's.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

# Pieces closer than this in height (PDF units, 1/72 inch) sit on one line.
_SAME_LINE = 1.0
ANNOTATIONS_READ = 64  # per page
SCANNED_TEXT_MAX = 40  # letters and digits a page's own text holds at most to be read as a scan
SCAN_PICTURES = 2  # pictures of one scanned page handed on
# Annotation flags (PDF 32000-1, 12.5.3): a viewer shows no hidden (2) or no-view (32) annotation.
_NOT_SHOWN = 2 | 32


@dataclass(frozen=True, slots=True)
class Piece:
    """One run of text as pypdf reports it, with where it is drawn (None: a break pypdf made)."""

    text: str
    x: float | None = None
    y: float | None = None

    @property
    def letterless(self) -> bool:
        """Drawn somewhere and holding no letter: a number's group or its punctuation."""
        return self.x is not None and not any(c.isalpha() for c in self.text)


def page_text(page: Any) -> str:
    """The page's text, out-of-order number pieces put back in reading order."""
    pieces: list[Piece] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, _size: Any) -> None:
        if not text:
            return
        if "\n" in text:
            pieces.append(Piece(text))
            return
        # The text matrix's origin on the page: through the current transformation matrix.
        x, y = tm[4], tm[5]
        pieces.append(Piece(text, x * cm[0] + y * cm[2] + cm[4], x * cm[1] + y * cm[3] + cm[5]))

    _read_as_drawn(page)
    page.extract_text(visitor_text=visit)
    return in_reading_order(pieces)


FONTS_LOOKED_AT = 64  # per page
# A simple font's program draws the glyph its encoding names for each code (PDF 32000-1, 9.6.6).
_SIMPLE_FONTS = frozenset({"/Type1", "/MMType1", "/TrueType"})
_FONT_PROGRAMS = ("/FontFile", "/FontFile2", "/FontFile3")
_SYMBOL_FONTS = ("/Symbol", "/ZapfDingbats")  # their glyphs are their own, whatever the names say
_SYMBOLIC = 4  # font descriptor flag: the font's characters are outside the standard Latin set


def _read_as_drawn(page: Any) -> None:
    """A simple font the page uses with no program of its own is drawn by the viewer's font of
    its name, each code as its encoding (and the encoding's Differences) names the glyph: its
    ToUnicode map says only what copying the text gives, and is set aside so the text reads as
    drawn. A lure's font can draw digits that its map copies as letters (b131, b135)."""
    resources = _dictionary(page.get("/Resources"))
    fonts = _dictionary(resources.get("/Font")) if resources is not None else None
    for _, reference in zip(range(FONTS_LOOKED_AT), (fonts or {}).values(), strict=False):
        # A malformed entry, used or not, is the text extraction's to judge, not a reason to stop here.
        font = _dictionary(reference)
        descriptor = _dictionary(font.get("/FontDescriptor")) if font is not None else None
        flags = descriptor.get("/Flags", 0) if descriptor is not None else 0
        if (font is not None and font.get("/Subtype") in _SIMPLE_FONTS and "/ToUnicode" in font
                and "/Encoding" in font and not any(program in (descriptor or {}) for program in _FONT_PROGRAMS)
                and not str(font.get("/BaseFont", "")).endswith(_SYMBOL_FONTS)
                and not (isinstance(flags, int) and flags & _SYMBOLIC)):
            del font["/ToUnicode"]


def _dictionary(value: Any) -> Any:
    """A PDF object as the dictionary it stands for, or None when it is no dictionary."""
    resolved = value.get_object() if hasattr(value, "get_object") else value
    return resolved if isinstance(resolved, dict) else None


def in_reading_order(pieces: list[Piece]) -> str:
    """The pieces' text joined as pypdf joined them, each stretch of letterless pieces on one
    line that is drawn out of left-to-right order sorted by position and spaced."""
    out: list[str] = []
    stretch: list[Piece] = []
    for piece in pieces:
        if stretch and not _continues(stretch, piece):
            out.append(_stretch_text(stretch))
            stretch = []
        if piece.letterless:
            stretch.append(piece)
        else:
            out.append(piece.text)
    if stretch:
        out.append(_stretch_text(stretch))
    return "".join(out)


def _continues(stretch: list[Piece], piece: Piece) -> bool:
    last = stretch[-1]
    return (piece.letterless and last.y is not None and piece.y is not None
            and abs(piece.y - last.y) < _SAME_LINE)


def _stretch_text(stretch: list[Piece]) -> str:
    ordered = sorted(stretch, key=lambda p: p.x or 0.0)
    if ordered == stretch:
        return "".join(p.text for p in stretch)
    lead = " " if stretch[0].text[:1].isspace() else ""
    return lead + " ".join(p.text.strip() for p in ordered)


def annotation_text(page: Any) -> str:
    """What the page's first ANNOTATIONS_READ annotations show a reader, a line each: a free-text
    note's or a comment's words, a text field's value."""
    annotations = page.get("/Annots")
    annotations = annotations.get_object() if annotations is not None else None
    if not isinstance(annotations, list):
        return ""
    shown = []
    for reference in annotations[:ANNOTATIONS_READ]:
        annotation = reference.get_object()
        # A malformed annotation is skipped, not the document: its flags a number or none.
        flags = annotation.get("/F", 0) if isinstance(annotation, dict) else None
        if not isinstance(flags, int) or flags & _NOT_SHOWN:
            continue
        subtype = annotation.get("/Subtype")
        if subtype in ("/FreeText", "/Text"):
            text = annotation.get("/Contents")
        elif subtype == "/Widget" and _field(annotation, "/FT") == "/Tx":
            text = _field(annotation, "/V")
        else:
            continue
        if isinstance(text, str) and text.strip():
            shown.append(text.strip())
    return "\n".join(shown)


def _field(widget: Any, key: str) -> Any:
    """A form field's entry, on the widget or on the field it belongs to (one level up, as a
    field's widgets usually sit)."""
    if key in widget:
        return widget[key]
    parent = widget.get("/Parent")
    parent = parent.get_object() if parent is not None else None
    return parent.get(key) if isinstance(parent, dict) else None


def is_scanned(text: str) -> bool:
    """Whether a page whose own text is `text` is a scan: hardly a word of text, its words drawn."""
    return sum(c.isalnum() for c in text) <= SCANNED_TEXT_MAX


def page_pictures(page: Any, max_side: int, max_pixels: int) -> list[bytes]:
    """The page's first SCAN_PICTURES pictures as PNG files a picture reader opens, each no wider or
    taller than `max_side` and of at most `max_pixels` pixels by what it declares (checked before
    any is decoded); one pypdf cannot decode is skipped."""
    from pypdf.errors import PyPdfError

    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    objects = resources.get("/XObject") if isinstance(resources, dict) else None
    objects = objects.get_object() if objects is not None else None
    if not isinstance(objects, dict):
        return []
    pictures = []
    for reference in list(objects.values())[:SCAN_PICTURES * 4]:
        picture = reference.get_object()
        if len(pictures) >= SCAN_PICTURES or not isinstance(picture, dict) or picture.get("/Subtype") != "/Image":
            continue
        width, height = picture.get("/Width"), picture.get("/Height")
        if not (isinstance(width, int) and isinstance(height, int) and 0 < width <= max_side
                and 0 < height <= max_side and width * height <= max_pixels):
            continue
        try:
            out = io.BytesIO()
            picture.decode_as_image().save(out, "PNG")
        except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError,
                NotImplementedError, ZeroDivisionError):
            continue
        pictures.append(out.getvalue())
    return pictures
