"""What an embedded web font draws. HTML may carry its own font (`@font-face` with a `data:` URI)
whose glyphs for some letters are digits: the source says "teter ant sio", a reader sees a phone
number. The font's letters and digits (its cmap, read by fontTools) are drawn in it, one to a
line, as a picture the picture reader reads; where a line is read as another character than the
one drawn, the font draws one character for another.

The font's bytes are an attacker's: at most FONT_BYTES are handed to fontTools and to Pillow's
FreeType, at most SAMPLE_CHARS characters drawn, and nothing here raises on them.
"""

from __future__ import annotations

import io
import logging
import struct

from PIL import Image, ImageDraw, ImageFont

FONT_BYTES = 500_000  # a web font of a few glyphs is a few kilobytes; a whole family a few hundred
SAMPLE_CHARS = 62  # of a font's letters and digits drawn: all of ASCII's
# The size the sample is drawn at, well above what OCR needs; a character to a line (a misread
# line loses only itself), a line and a half apart: 62 lines stay within picture.MAX_SIDE.
SAMPLE_PIXELS = 40
LINE_PIXELS = 60
# A font swaps characters when it draws digits for at least this many letters that no font's
# design makes look like digits: OCR may read a plain font's "O", "l" or "S" as 0, 1 or 5.
MIN_SWAPPED = 3
# What a digit drawn alone may be read as, without the digits around it that tell OCR it is one.
_DIGIT_READ_AS = {"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1", "i": "1", "S": "5",
                  "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9", "q": "9", "G": "6", "T": "7"}

# fontTools logs what it finds wrong with a font as a warning; the font is an attacker's, so the
# service's log would be theirs to fill. Set once, at import, as parse.py does for pypdf.
logging.getLogger("fontTools").setLevel(logging.ERROR)

# What fontTools and FreeType raise on a broken or hostile font.
_UNREADABLE = (OSError, ValueError, KeyError, IndexError, TypeError, AssertionError, struct.error,
               AttributeError, EOFError, ZeroDivisionError, RecursionError, UnicodeDecodeError)


def font_sample(font: bytes) -> tuple[list[str], bytes] | None:
    """(the characters drawn, a PNG of them drawn in the font), the letters and digits the font's
    cmap holds, one to a line on white; None for a font that cannot be read."""
    if not font or len(font) > FONT_BYTES:
        return None
    # Imported lazily: a font in a message is rare, and fontTools' import is not free.
    from fontTools.ttLib import TTFont, TTLibError

    try:
        cmap = TTFont(io.BytesIO(font), lazy=True).getBestCmap() or {}
        chars = [chr(code) for code in sorted(cmap) if chr(code).isascii() and chr(code).isalnum()][:SAMPLE_CHARS]
        if not chars:
            return None
        drawn_in = ImageFont.truetype(io.BytesIO(font), SAMPLE_PIXELS)
        picture = Image.new("L", (4 * SAMPLE_PIXELS, len(chars) * LINE_PIXELS + 2 * SAMPLE_PIXELS), 255)
        pen = ImageDraw.Draw(picture)
        for row, char in enumerate(chars):
            pen.text((SAMPLE_PIXELS, SAMPLE_PIXELS + row * LINE_PIXELS), char, font=drawn_in, fill=0)
        png = io.BytesIO()
        picture.save(png, "PNG")
    except (TTLibError, *_UNREADABLE):
        return None
    return chars, png.getvalue()


def swapped(chars: list[str], read: str) -> dict[str, str]:
    """What each character drawn shows instead, from the words read off `font_sample`'s picture,
    a line each: only for a font that swaps characters (it draws digits for MIN_SWAPPED letters
    no design makes look like digits), and only where the lines read are the lines drawn. In
    such a font, a character read as a letter that looks like a digit is that digit."""
    seen = ["".join(line.split()) for line in read.splitlines() if line.strip()]
    if len(seen) != len(chars):
        return {}
    shows = {drawn: shown for drawn, shown in zip(chars, seen, strict=True)
             if len(shown) == 1 and shown.lower() != drawn.lower()}
    if sum(1 for drawn, shown in shows.items()
           if drawn.isalpha() and drawn not in _DIGIT_READ_AS and shown.isdigit()) < MIN_SWAPPED:
        return {}
    return {drawn: _DIGIT_READ_AS.get(shown, shown) for drawn, shown in shows.items()}
