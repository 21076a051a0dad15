"""The one canonical view of what the reader sees.

Every signal, the campaign fingerprint and the banner's evidence read the texts made here, never
raw parts, so a trick that changes bytes but not what a person reads changes nothing:
- Unicode NFKC (full-width and mathematical letters and digits become plain ones), every other
  script's decimal digits and every style of circled digit folded to ASCII, and the characters a
  reader does not see removed: format characters (zero-width, bidi controls, soft hyphen, tags),
  combining grapheme joiner, variation selectors, keycap and other enclosing marks, Hangul
  fillers, and the combining marks written on a number's digits, signs and spaces;
- whitespace runs collapsed *before* any size cap, and a cap that keeps the head and the tail of
  a long text and says so (`truncated`), so padding cannot push a lure out of sight;
- HTML rendered the way a mail client shows it (lexbor, a real HTML5 parser, linear in its
  input): comments, `<style>`, `<script>` and hidden elements out; `tel:`/`mailto:` targets,
  image `alt` text and CSS `content` in.
`skeleton()` gives the UTS #39 confusable skeleton used to match brand names and phrase lists,
with the offset of every skeleton character in the canonical text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import islice
from urllib.parse import unquote

import tinycss2
import tinycss2.color3
from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from . import budget
from .dotmatrix import GLYPH_COLUMNS, GLYPH_ROWS, HEIGHTS, digits_in_grid
from .figlet import banner_digits, banner_heights

# A canonical block longer than this keeps its first HEAD_CHARS and last TAIL_CHARS characters.
HEAD_CHARS = 120_000
TAIL_CHARS = 60_000
# HTML beyond this is not parsed (the request limit is 10 MB; lexbor reads this much in ~50 ms).
MAX_HTML_CHARS = 4_000_000
MAX_STYLE_RULES = 300  # CSS rules read per document: hiding rules and `content` strings
# Deeper than this, elements are read as <span>: lexbor's tree builder checks scopes up the stack
# of open elements for block elements, which makes 100,000 nested <div>s quadratic. No mail
# nests this deep; the renamed elements keep their attributes, so hiding still hides.
MAX_DEPTH = 256
MAX_LINKS = 500
ANNOTATION_NODES = 16  # nodes of one ruby annotation read: a furigana is a few characters
ELISION = "\n…\n"
# Characters whose canonical form and skeleton are remembered: the common ones of every script in
# use, not all 1.1 million code points a hostile message could cycle through.
TABLE_ENTRIES = 40_000


# ---------------------------------------------------------------- characters

def _invisible(code: int) -> bool:
    char = chr(code)
    category = unicodedata.category(char)
    if category in ("Cf", "Me"):  # format characters; enclosing marks such as the keycap U+20E3
        return True
    return (code == 0x034F  # combining grapheme joiner
            or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF  # variation selectors
            or 0x180B <= code <= 0x180F  # Mongolian free variation selectors and vowel separator
            or code in (0x115F, 0x1160, 0x3164, 0xFFA0, 0x17B4, 0x17B5)  # fillers a font leaves blank
            # Arabic tatweel and N'Ko lajanyalan stretch a word to justify a line and spell nothing:
            # digits joined by them ("٠ـ١ـ٠") read as the number they are.
            or code in (0x0640, 0x07FA))


# Hyphens of other scripts read as the hyphen they are (NFKC leaves them): the Hebrew maqaf, the
# Armenian hyphen, the double and oblique hyphens. A number parted by one ("058\u05be412\u05be9730")
# is written with hyphens to its reader. Long dashes and the wave dashes of ranges stay themselves.
_SCRIPT_HYPHENS = frozenset((0x058A, 0x05BE, 0x1400, 0x2E17, 0x2E1A, 0x2E40, 0x2E5D, 0x30A0, 0x10EAD))


# Digits in a circle of any style: NFKC folds the plain circled ones ("①") but leaves the double,
# sans-serif and negative (white on black) ones ("⓵", "➀", "❶", "⓿") as symbols, which a reader
# dials as the digits they show. The Enclosed Alphanumerics and Dingbats blocks hold all 47 that
# Unicode has.
_CIRCLED_DIGITS = frozenset(char for char in map(chr, range(0x2460, 0x2800))
                            if unicodedata.digit(char, None) is not None and "CIRCLED" in unicodedata.name(char, ""))


class _Table(dict[int, "str | None"]):
    """What each character becomes in the canonical text, worked out the first time it is seen:
    a table of every code point would cost a second at start-up."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        category = unicodedata.category(char)
        value: str | None = char
        if code < 0x20 or code == 0x7F:
            value = char if char in "\t\n" else "\n" if char in "\r\v\f" else " "
        elif _invisible(code):
            value = None
        elif category == "Nd" or char in _CIRCLED_DIGITS:
            value = str(unicodedata.digit(char))
        elif code in _SCRIPT_HYPHENS:
            value = "\u2010"
        elif category in ("Zl", "Zp"):
            value = "\n"
        elif category == "Zs":
            value = " "
        if len(self) < TABLE_ENTRIES:
            self[code] = value
        return value


_TABLE = _Table()
_BLANK_LINES = re.compile(r"\n{3,}")


# Malayalam's chillu letters, written before Unicode 5.1 as consonant, virama and zero-width
# joiner, and since as one letter each (U+0D7A-U+0D7F). The joiner is removed with the other
# format characters, which would leave the older spelling a consonant with a virama: another
# word to a lexicon written in the newer one. NFKC maps neither to the other.
_VIRAMA_JOINER = "\u0d4d\u200d"
_CHILLUS = {f"{consonant}{_VIRAMA_JOINER}": chillu for consonant, chillu in
            zip("\u0d23\u0d28\u0d30\u0d32\u0d33\u0d15", "\u0d7a\u0d7b\u0d7c\u0d7d\u0d7e\u0d7f", strict=True)}


def _chillus(text: str) -> str:
    if _VIRAMA_JOINER not in text:
        return text
    for old, new in _CHILLUS.items():
        text = text.replace(old, new)
    return text


@cache
def _combining_class() -> str:
    """A regex character class of the nonspacing combining marks (Unicode `Mn`) of the Basic
    Multilingual Plane: re checks such a class with one table lookup, and one with a character
    beyond it range by range (a megabyte of text took 1.3 s instead of 40 ms)."""
    return "".join(re.escape(chr(code)) for code in range(0x300, 0x10000) if unicodedata.category(chr(code)) == "Mn")


@cache
def _marks_on_numbers() -> re.Pattern[str]:
    # Looked behind, and replaced with nothing: a group put back for each of a megabyte of marked
    # digits took 840 ms, this takes 150 ms.
    return re.compile(rf"(?<=[\d+()\-. ])[{_combining_class()}]+")


def _unmarked_numbers(text: str) -> str:
    """Digits, a number's signs ("+", brackets, dashes, dots) and spaces without the combining
    marks written over or under them: no script puts an accent on a digit or a space, but a low
    line or an overlay after each ("+\u03324\u03324\u0332 \u0332") underlines a number for its reader
    and parts it for a filter."""
    if text.isascii():
        return text
    return _marks_on_numbers().sub("", text)


def _fold(text: str) -> str:
    # Invisible characters go first, so NFKC can join what they split; then NFKC; then once more,
    # as NFKC can leave a format character of its own (U+2060 from U+FEFF variants).
    text = unicodedata.normalize("NFKC", _chillus(text).translate(_TABLE))
    return _unmarked_numbers(text.translate(_TABLE))


def _collapse(text: str) -> str:
    """Runs of spaces and tabs as one space, none at a line's ends, at most one blank line in a
    row. Line by line with str methods: three regex passes over a megabyte cost 150 ms."""
    lines = [" ".join(filter(None, line.replace("\t", " ").split(" "))) for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


_RLO, _PDF = "\u202e", "\u202c"
_PUSHES = frozenset("\u202a\u202b\u202d\u202e")  # LRE, RLE, LRO, RLO: each ends at a PDF


def _override_spans(text: str) -> list[tuple[int, int, int]]:
    """Each right-to-left override: where its U+202E stands, where its text ends (at its PDF,
    U+202C, or the line's end) and where the text after it resumes."""
    spans, at = [], 0
    while (start := text.find(_RLO, at)) != -1:
        depth, end = 0, start
        while end < len(text) and text[end] != "\n":
            char = text[end]
            depth += char in _PUSHES
            depth -= char == _PDF
            if depth == 0:
                break
            end += 1
        at = end + 1 if end < len(text) and text[end] == _PDF else end
        spans.append((start, end, at))
    return spans


def _overridden(text: str) -> str:
    """Text inside a right-to-left override in the order it is shown: reversed.
    "\u202e2910-555-834-1\u202c" shows, and dials, 1-438-555-0192; the controls themselves are
    removed with the other format characters afterwards."""
    if _RLO not in text:
        return text
    out, at = [], 0
    for start, end, resume in _override_spans(text):
        out += (text[at:start], text[start + 1:end][::-1])
        at = resume
    out.append(text[at:])
    return "".join(out)


# ---------------------------------------------------------------- disguised digits

DISGUISED_MAX = 20  # digit runs recorded per message
RUNS_PER_TEXT = 500  # digit runs looked at per raw text: a text of digits cannot make this loop long
DISGUISED_DIGITS_MIN = 7  # a phone number's digits at least
RUN_CHARS_MAX = 80  # a longer run of digits and separators is a table or padding, not one number
EAST_ASIAN_NEAR = 20  # characters either side of a run in which East Asian text makes full-width digits natural
_EAST_ASIAN = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC")
_FULL_WIDTH_DIGITS = frozenset(map(chr, range(0xFF10, 0xFF1A)))
_MATHEMATICAL_DIGITS = frozenset(map(chr, range(0x1D7CE, 0x1D800)))
# Digits no keyboard types, set to part a number from the digits a filter reads: mathematical and
# circled ones (enclosed alphanumerics and dingbats).
_SYMBOL_DIGITS = _MATHEMATICAL_DIGITS | _CIRCLED_DIGITS
_CIRCLED_DIGIT_CLASS = "".join(sorted(_CIRCLED_DIGITS))  # mathematical digits are \d already


def _digit_value(char: str) -> str:
    """The ASCII digit a decimal or circled digit shows; "" for a separator or mark."""
    return str(unicodedata.digit(char)) if char.isdecimal() or char in _SYMBOL_DIGITS else ""
# Where one number ends and another may begin inside a run of digits: a line break, an
# alternative ("021 555 0190 / 082 555 0143"), a bracketed aside ("(24/7)").
_NUMBER_BOUNDS = re.compile(r"[\n\r/()]")


@cache
def _invisible_class() -> str:
    """A regex character class of every character the canonical view removes as invisible."""
    codes = (*range(0x80, 0x10000), *range(0xE0000, 0xE01F0))
    return "".join(re.escape(chr(code)) for code in codes if _invisible(code))


@cache
def _digit_runs() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A run of digits of any script, separators, invisible characters and combining marks (one
    character class: 6 ms on a megabyte of digits, where a run of separated groups took 180 ms),
    and two digits with only invisible characters or marks between them. Built at the engine's
    warm-up (its first parse)."""
    hidden = _invisible_class() + _combining_class()
    digit = rf"[\d{_CIRCLED_DIGIT_CLASS}]"
    return (re.compile(rf"{digit}[\d{_CIRCLED_DIGIT_CLASS}\s.\-/()\u2010-\u2015{hidden}]*"),
            re.compile(rf"\d[{hidden}]+\d"))


def _east_asian_near(text: str, start: int, end: int) -> bool:
    near = text[max(0, start - EAST_ASIAN_NEAR):end + EAST_ASIAN_NEAR]
    return any(unicodedata.name(char, "").startswith(_EAST_ASIAN) for char in near if ord(char) >= 0x2E80)


def disguised_numbers(raw_texts: list[str]) -> tuple[str, ...]:
    """The digits (ASCII) of each number written to dodge a filter in ways the canonical view folds
    away, read from the texts as written: invisible characters or combining marks between its
    digits ("0\u200c8\u200c0\u200c0", "0\u03328\u03320\u03320"), full-width digits outside East Asian
    text, mathematical or circled digits, digits drawn in seven segments or dot-matrix glyphs. The
    view shows such a number as plain digits; that it was written so is evidence of its own."""
    found: list[str] = []
    for text in raw_texts:
        found += _drawn_numbers(text)
        if text.isascii():
            continue  # every disguise below is written with characters outside ASCII
        shown_reversed, disguised = _disguises_in(text)
        found += shown_reversed
        for digits in disguised:
            if len(found) >= DISGUISED_MAX:
                break
            found.append(digits)
    return tuple(dict.fromkeys(found))


# Kept for the last few texts as written, as _drawn_numbers is: a message's inputs share them.
@lru_cache(maxsize=16)
def _disguises_in(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The digits of the numbers a text shows reversed, and of those among its first RUNS_PER_TEXT
    runs of digits that are written in a disguise, in order."""
    run, hidden_between = _digit_runs()
    disguised: list[str] = []
    for count, match in enumerate(run.finditer(text)):
        if count >= RUNS_PER_TEXT:
            break
        written = match.group()
        if len(written) > RUN_CHARS_MAX or written.isascii():
            continue
        digits = "".join(map(_digit_value, written))
        if len(digits) < DISGUISED_DIGITS_MIN:
            continue
        wide = any(char in _FULL_WIDTH_DIGITS for char in written) \
            and not _east_asian_near(text, match.start(), match.end())
        if wide or hidden_between.search(written) or any(char in _SYMBOL_DIGITS for char in written) \
                or _mixes_digit_scripts(written):
            disguised.append(digits)
    return tuple(_shown_reversed_numbers(text, run)), tuple(disguised)


def _shown_reversed_numbers(text: str, run: re.Pattern[str]) -> list[str]:
    """The digits, as shown, of numbers stored backwards inside a right-to-left override
    ("\u202e1733 0849 60 93+\u202c" shows +39 06 9480 3371): text no filter reads in the order a
    reader dials it, which nothing but a disguise writes so."""
    found: list[str] = []
    for start, end, _ in _override_spans(text) if _RLO in text else ():
        for count, match in enumerate(run.finditer(text[start + 1:end][::-1])):
            if count >= RUNS_PER_TEXT or len(found) >= DISGUISED_MAX:
                return found
            digits = "".join(map(_digit_value, match.group()))
            if len(digits) >= DISGUISED_DIGITS_MIN and len(match.group()) <= RUN_CHARS_MAX:
                found.append(digits)
    return found


def _mixes_digit_scripts(written: str) -> bool:
    """Whether one number, within a line, mixes the digits of two scripts ("۰۹۱۲ ٣٤٥ ۶٧٨۹", Persian
    and Arabic-Indic; Arabic-Indic and ASCII): no keyboard types that, a writer sets it so to part the
    number from the digits a filter reads. Numbers side by side may each keep their own script."""
    for number in _NUMBER_BOUNDS.split(written):
        digits = [char for char in number if char.isdecimal()]
        if len(digits) >= DISGUISED_DIGITS_MIN and len({ord(char) - unicodedata.digit(char) for char in digits}) > 1:
            return True
    return False


# ---------------------------------------------------------------- digits drawn with characters

# Seven-segment digits drawn on three lines with underscores and bars, as a monospaced block shows
# them ("0917 664 2018" drawn, no digit written): each digit in a cell three columns wide, "1" with
# its bar on the right (or, CENTRED_ONE, in the middle).
CENTRED_ONE = ("   ", " | ", " | ")
SEVEN_SEGMENTS = {
    (" _ ", "| |", "|_|"): "0", ("   ", "  |", "  |"): "1",
    (" _ ", " _|", "|_ "): "2", (" _ ", " _|", " _|"): "3", ("   ", "|_|", "  |"): "4",
    (" _ ", "|_ ", " _|"): "5", (" _ ", "|_ ", "|_|"): "6", (" _ ", "  |", "  |"): "7",
    (" _ ", "|_|", "|_|"): "8", (" _ ", "|_|", " _|"): "9",
}
DRAWN_LINE_MAX = 400  # characters of one line of drawn digits: some twenty digits
_DRAWN_TOP = re.compile(r" *_[ _]*")
_DRAWN_ROW = re.compile(r"[ _|]*\|[ _|]*")


def _drawn_digits(rows: tuple[str, str, str]) -> str:
    """The digits three lines draw in seven segments, a wider gap between them a space ("0917 664
    2018"), or "" when the lines draw anything else."""
    width = max(map(len, rows))
    rows = (rows[0].ljust(width), rows[1].ljust(width), rows[2].ljust(width))
    digits: list[str] = []
    column = end = 0
    while column < width:
        if rows[0][column] == rows[1][column] == rows[2][column] == " ":
            column += 1
            continue
        # The first marked column is a cell's first, its second (a top bar) or its third (a "1"),
        # or the second of a centred "1" (the last tried: a right-aligned "1" keeps the cells'
        # pitch, so the gaps still tell the groups).
        for start, centred in ((column, False), (column - 1, False), (column - 2, False), (column - 1, True)):
            cell = (rows[0][start:start + 3].ljust(3), rows[1][start:start + 3].ljust(3),
                    rows[2][start:start + 3].ljust(3)) if start >= end else None
            digit = ("1" if cell == CENTRED_ONE else None) if centred else SEVEN_SEGMENTS.get(cell) if cell else None
            if digit is not None:
                break
        else:
            return ""
        if digits and start - end >= 2:
            digits.append(" ")
        digits.append(digit)
        column = end = start + 3
    return "".join(digits)


# Dot-matrix digits drawn with block characters on seven lines, a character a dot ("█   █").
DOT_MARKS = frozenset("█▓■◼⬛●#")
_DOT_LINE = re.compile(r"[ .·░█▓■◼⬛●#]*[█▓■◼⬛●#][ .·░█▓■◼⬛●#]*")


_AS_DOTS = str.maketrans({**{mark: "#" for mark in DOT_MARKS}, **{blank: "." for blank in " ·░"}})


def _dot_rows(lines: list[str], at: int, grid_lines: dict[int, str | None], height: int) -> list[str] | None:
    """The `height` lines from `at` as a grid ("#" a dot), when they are lines of dots and spaces;
    a dot drawn two characters wide ("██") counted once. `grid_lines` keeps each line's grid, so a
    line is read once however many windows hold it."""
    rows = []
    for index in range(at, at + height):
        if index not in grid_lines:
            line = lines[index].rstrip("\r") if index < len(lines) else ""
            grid_lines[index] = line.translate(_AS_DOTS) \
                if len(line) <= DRAWN_LINE_MAX and _DOT_LINE.fullmatch(line) else None
        if (row := grid_lines[index]) is None:
            return None
        rows.append(row)
    width = max(map(len, rows))
    grid = [row.ljust(width, ".") for row in rows]
    if width % 2 == 0 and all(row[::2] == row[1::2] for row in grid):
        grid = [row[::2] for row in grid]
    return grid


def _is_number(drawn: str) -> bool:
    """Whether a drawing's digits are as many as a phone number's at least."""
    return sum(char.isdigit() for char in drawn) >= DISGUISED_DIGITS_MIN


DRAWN_BLOCKS_MAX = 4  # blocks of glyphs, a blank line or two apart, read as one number


def _dot_drawing(lines: list[str], at: int, grid_lines: dict[int, str | None]) -> tuple[str, int]:
    """The digits the dot-matrix glyphs from line `at` draw and how many lines they take, or ("", 1).
    A number may be drawn in blocks a blank line or two apart ("0800" over "069 4471"), each too
    short to be a number alone: they are read together. The taller font is tried first."""
    for height in HEIGHTS:
        blocks: list[str] = []
        end = start = at
        while len(blocks) < DRAWN_BLOCKS_MAX:
            grid = _dot_rows(lines, start, grid_lines, height)
            read = digits_in_grid(grid) if grid is not None else ""
            if not any(char.isdigit() for char in read):
                break
            blocks.append(read)
            end = start + height
            start = end
            while start < min(len(lines), end + 2) and not lines[start].strip():
                start += 1
        drawn = " ".join(blocks)
        if _is_number(drawn):
            return drawn, end - at
    return "", 1


# A line of a FIGlet banner: strokes, bars, brackets and blocks, no letter or digit.
_BANNER_LINE = re.compile(r"[ _|/\\()'`.,:<>=~^#*-]*[_|/\\()#][ _|/\\()'`.,:<>=~^#*-]*")
BANNER_LINES_MAX = 8  # a FIGlet font's height at most
BANNER_LINES_MIN = 4  # ... and at least
BANNERS_READ = 3  # runs of banner lines read in one text


def _banner_drawing(lines: list[str], at: int, tried: list[int], banner_lines: dict[int, bool]) -> tuple[str, int]:
    """The digits a FIGlet banner starting at line `at` draws and how many lines it takes, or
    ("", 1): read once, from the first line of a run of banner lines, and the first BANNERS_READ
    runs of a text only (`tried` counts them): each read is a search over the fonts.
    `banner_lines` keeps whether each line is one, so a line is looked at once."""
    def is_banner(index: int) -> bool:
        if index not in banner_lines:
            banner_lines[index] = _is_banner_line(lines[index])
        return banner_lines[index]

    if not is_banner(at) or (at > 0 and is_banner(at - 1)):
        return "", 1
    run = 1
    while at + run < len(lines) and run < BANNER_LINES_MAX and is_banner(at + run):
        run += 1
    if run < BANNER_LINES_MIN or len(tried) >= BANNERS_READ:
        return "", 1
    tried.append(at)
    for height in sorted({h for h in banner_heights() if h <= run}, reverse=True):
        drawn = banner_digits(lines[at:at + height])
        if _is_number(drawn):
            return drawn, height
    return "", 1


def _is_banner_line(line: str) -> bool:
    """A line of strokes a FIGlet banner may draw; not a quoted reply's markers ("> ) > >")."""
    line = line.rstrip("\r")
    return (len(line) <= DRAWN_LINE_MAX and bool(_BANNER_LINE.fullmatch(line))
            and not line.lstrip().startswith(">") and len(line) - line.count(" ") >= 2)


def _drawings(text: str) -> tuple[str, list[str]]:
    """`text` with each drawing of digits replaced by the digits it draws, on one line (seven
    segments on three lines, dot-matrix glyphs of block characters on seven or five), and those digits.
    One pass over the lines."""
    seven_segments = "_|" in text or "|_" in text
    dots = any(mark in text for mark in DOT_MARKS)
    banners = "_" in text or "#" in text
    if not seven_segments and not dots and not banners:
        return text, []
    lines = text.split("\n")
    out: list[str] = []
    drawings: list[str] = []
    grid_lines: dict[int, str | None] = {}
    banners_tried: list[int] = []
    banner_lines: dict[int, bool] = {}
    at = 0
    while at < len(lines):
        drawn, taken = _dot_drawing(lines, at, grid_lines) if dots else ("", 1)
        if banners and not _is_number(drawn):
            drawn, taken = _banner_drawing(lines, at, banners_tried, banner_lines)
        if seven_segments and not _is_number(drawn):
            rows = tuple(line.rstrip("\r") for line in lines[at:at + 3])
            if len(rows) == 3 and all(len(row) <= DRAWN_LINE_MAX for row in rows) and _DRAWN_TOP.fullmatch(rows[0]) \
                    and _DRAWN_ROW.fullmatch(rows[1]) and _DRAWN_ROW.fullmatch(rows[2]):
                drawn, taken = _drawn_digits((rows[0], rows[1], rows[2])), 3
        if _is_number(drawn):
            out.append(drawn)
            drawings.append(drawn)
            at += taken
        else:
            out.append(lines[at])
            at += 1
    return "\n".join(out), drawings


# Written before the digits a table of coloured cells draws (render_html): they were drawn, not
# written, which disguised_numbers records. Invisible, so the canonical view drops it.
DRAWN_MARK = "\u2062"
_AFTER_DRAWN_MARK = re.compile(DRAWN_MARK + r"([0-9 ]{1,200})")


# The inputs of one message (read one after the other by the evaluation and `inviteguard fit`)
# hand over mostly the same texts as written: the last few texts' drawings are kept.
@lru_cache(maxsize=16)
def _drawn_numbers(text: str) -> tuple[str, ...]:
    """The digits of each number `text` draws: in seven segments, in dot-matrix glyphs, in a
    table's cells."""
    found = [digits.replace(" ", "") for digits in _AFTER_DRAWN_MARK.findall(text)] if DRAWN_MARK in text else []
    return (*found, *(drawn.replace(" ", "").replace("-", "") for drawn in _drawings(text)[1]))


def canonical(text: str) -> tuple[str, bool]:
    """`text` as the reader sees it, and whether its middle had to be left out."""
    text = _collapse(_fold(_drawings(_overridden(text))[0]))
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text, False
    return text[:HEAD_CHARS] + ELISION + text[-TAIL_CHARS:], True


def canonical_line(text: str) -> str:
    """A one-line field (subject, display name, location) in canonical form."""
    line = " ".join(text.split())
    if line.isascii() and line.isprintable() and len(line) <= HEAD_CHARS + TAIL_CHARS:
        return line  # what folding would give, without it: most header values are plain ASCII
    return " ".join(canonical(text)[0].split())


# ---------------------------------------------------------------- HTML

# Where the renderer left hidden content out, in the text as written (the canonical text drops it
# as invisible): digits either side of it are one number with a hidden piece inside
# ("1<span style="font-size:0">&#8203;</span>800", a decoy digit in a display:none span), a
# disguise of its own, which disguised_numbers reads as it reads a zero-width space between digits.
HIDDEN_MARK = "\u2063"


@dataclass(frozen=True)
class RenderedHTML:
    text: str  # canonical
    truncated: bool
    links: tuple[str, ...]  # http(s) targets, in document order
    written: str  # before the canonical view, with HIDDEN_MARK where hidden content was left out


# A messenger chat opened on a number ("https://wa.me/573155550148"): the reader is sent to a number
# as surely as by a tel: link, so the number is read as written there. A link's target is matched
# from its start; the same link written out in text (a location, a plain-text body), which a client
# makes a link of, is searched for, so every part is bounded.
_MESSENGER_NUMBER = re.compile(
    r"(?:https?://)?(?:\b(wa)\.me/|\b(?:api\.|www\.)?(whatsapp)\.com/send/?\?(?:[^#\s&]{0,200}&){0,10}phone="
    r"|\b(signal)\.me/#p/)(?:\+|%2B)?(\d{6,15})\b", re.IGNORECASE)
PRINTED_CHATS_READ = 20  # per text
# Link schemes whose target the reader's client dials, texts or writes to, whatever the link's
# text says.
_DIALLED_SCHEMES = ("tel:", "sms:", "callto:", "mailto:")


def link_target(href: str) -> str:
    """What a link sends the reader to when that is a number or an address, as the text shown
    beside the link ("(+61255501873)", "(WhatsApp +573155550148)"); nothing for a web page."""
    href = href.strip()
    if href[:7].lower().startswith(_DIALLED_SCHEMES):
        # A client dials the number percent-decoded (RFC 3966 lets any character be escaped):
        # "tel:%2B%33%35%31..." rings +351.
        return f" ({unquote(href.split(':', 1)[1].split('?', 1)[0])}) "
    messenger = _MESSENGER_NUMBER.match(unquote(href))
    if messenger:
        return f" ({'Signal' if messenger[3] else 'WhatsApp'} +{messenger[4]}) "
    return ""


def printed_chat_numbers(text: str) -> Iterator[str]:
    """The numbers of WhatsApp and Signal chat links written out in a text, with their country
    codes and no "+", the first PRINTED_CHATS_READ."""
    lowered = text.lower()
    if "wa.me" not in lowered and "whatsapp.com" not in lowered and "signal.me" not in lowered:
        return iter(())
    return (found[4] for found in islice(_MESSENGER_NUMBER.finditer(text), PRINTED_CHATS_READ))


# Form controls a mail client draws with their value in the box (or, when empty, the greyed
# placeholder): a read-only field can show a number that no text node holds. A checkbox's or
# radio button's value is never drawn.
_BOXED_INPUTS = frozenset({"", "text", "search", "tel", "url", "email", "number", "button", "submit", "reset"})


def _drawn_in_box(attributes: dict[str, str | None]) -> str:
    if (attributes.get("type") or "").strip().lower() not in _BOXED_INPUTS:
        return ""
    return (attributes.get("value") or "").strip() or (attributes.get("placeholder") or "").strip()


_SKIP = frozenset({"script", "style", "head", "title", "template", "iframe", "object", "meta", "link"})
# Drawings written inline in the HTML, shown by the clients that render HTML as a browser does
# (Apple Mail, iOS): SVG's text elements and MathML's tokens, read as their own lines.
_INLINE_DRAWINGS = frozenset({"svg", "math"})
_BLOCK = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article",
                    "header", "footer", "blockquote", "pre", "hr", "ul", "ol", "dl", "dt", "dd", "address",
                    "center", "form", "fieldset", "figure", "figcaption", "main", "nav", "aside", "details",
                    "summary", "caption", "tbody", "thead", "tfoot", "body"})
_CELL = frozenset({"td", "th"})
_ORDERING_DISPLAYS = frozenset({"flex", "inline-flex", "grid", "inline-grid"})
_CSS_INTEGER = re.compile(r"^[+-]?\d{1,6}$")
_ZERO = re.compile(r"^-?0*(?:\.0*)?(?:px|pt|em|rem|%|vh|vw)?$")
# A font a pixel or a point high (or less) is no text anyone reads: decoy digits hide in it.
_TINY = re.compile(r"^(?:0*\.\d+|0*1(?:\.0*)?)(?:px|pt)$")
_FAR_AWAY = re.compile(r"^-\d{3,}")
# CSS `zoom` and `transform: scale()` draw an element's text larger: "font-size:1px; zoom:1800%" shows
# an eighteen-pixel number that the one-pixel font alone would hide. A pixel-high font drawn at
# least this many times larger is read.
READABLE_SCALE = 6.0
MAX_DECLARATIONS = 100


Declarations = dict[str, str]  # property -> value, lower case, "!important" taken off


def _declared(style: str) -> tuple[Declarations, Declarations]:
    """A style's declarations, (normal, !important): an important one wins the cascade over every
    normal one, a style sheet's over an element's own style attribute."""
    normal: Declarations = {}
    important: Declarations = {}
    for declaration in style.lower().split(";")[:MAX_DECLARATIONS]:
        name, _, value = declaration.partition(":")
        (important if "!important" in value else normal)[name.strip()] = " ".join(
            value.replace("!important", "").split())
    return normal, important


def _declarations(style: str) -> Declarations:
    normal, important = _declared(style)
    return {**normal, **important}


# What a style does to an element's text. `removes`: the element and everything in it are gone,
# whatever its children say (display: none, opacity 0, clipped to nothing). The others inherit and
# a descendant can undo them: mail templates set `font-size: 0` on a table cell to close the gaps
# between inline blocks and give every child its own size again.
Visibility = tuple[bool, bool, bool]  # (no or a pixel-high font size, visibility hidden, no contrast)
VISIBLE: Visibility = (False, False, False)

# Colours as red, green, blue and alpha from 0 to 1. Text is read only where it stands out from
# what is behind it: white digits on a white page ("70 2<span style='color:#fff'>7</span>0 4...")
# are as hidden from the reader as a display:none span, though nothing hides them.
Colour = tuple[float, float, float, float]
BLACK: Colour = (0.0, 0.0, 0.0, 1.0)
WHITE: Colour = (1.0, 1.0, 1.0, 1.0)
# A picture or a gradient behind the text: whatever colour the text has, it may stand out.
UNKNOWN_BACKGROUND: Colour = (-1.0, -1.0, -1.0, 1.0)
Colours = tuple[Colour, Colour]  # (the text's colour, the background's)
MAIL_PAGE: Colours = (BLACK, WHITE)  # what a mail client shows text on, until the message says otherwise
# WCAG's contrast ratio below which text is not read: yellow on white is 1.07, #eee on white 1.16,
# the light grey of footers (#999) 2.85 and black on white 21.
MIN_CONTRAST = 1.3

# A filter's map of each colour channel c to factor * c + offset (then clamped to 0..1), composed
# down the tree: `invert(a)` is (1 - 2a, a), `brightness(b)` (b, 0), `contrast(k)` (k, (1 - k) / 2).
Tone = tuple[float, float]
NO_TONE: Tone = (1.0, 0.0)


def toned(colour: Colour, tone: Tone) -> Colour:
    """A colour as a filter draws it; a picture or gradient behind the text stays unknown."""
    if tone == NO_TONE or colour == UNKNOWN_BACKGROUND:
        return colour
    factor, offset = tone
    return (*(min(1.0, max(0.0, factor * c + offset)) for c in colour[:3]), colour[3])


def within(outer: Tone, inner: Tone | None) -> Tone:
    """The map of an element's own filter drawn inside its ancestors' filters."""
    if inner is None:
        return outer
    return (outer[0] * inner[0], outer[0] * inner[1] + outer[1])


@dataclass(frozen=True)
class StyleEffect:
    removes: bool = False
    zero_font: bool | None = None  # None: as the parent
    invisible: bool | None = None
    color: Colour | None = None  # None: as the parent
    background: Colour | None = None  # None: the parent's shows through
    # A flex box laid out in reverse (flex-direction: row-reverse or column-reverse) shows its
    # children last to first: "<span>2210</span><span>93847-</span><span>(11)</span>" reads
    # "(11) 93847-2210". Not inherited: it orders this element's own children.
    reverses: bool | None = None
    # A flex or grid box (display: flex, inline-flex, grid, inline-grid) lays its children out in
    # the order of their CSS `order`, not of the source: groups written "271 +420 905 737" with
    # orders 3, 1, 4, 2 read "+420 737 271 905". Neither is inherited.
    orders_children: bool | None = None
    order: int | None = None
    # A flex or grid box's gap between its items, or an item's own margin or padding beside it:
    # the reader sees items "call" and "09" apart, not "call09". Neither is inherited.
    gap: bool | None = None
    spaced: bool | None = None
    # `white-space: pre`, `pre-wrap`, `pre-line` or `break-spaces` (as `<pre>`): the text's own line
    # breaks are shown, so a number set a group to a line stays stacked (a Google invite's notes).
    keeps_breaks: bool | None = None
    # `unicode-bidi: bidi-override; direction: rtl`, inline or from a stylesheet's rule: a browser
    # shows the element's text right to left, character by character ("9945 27 008" reads
    # "800 72 5499"). Its text is marked as a right-to-left override, which canonical() turns round.
    overrides_rtl: bool | None = None
    # A text shadow or stroke draws every glyph again in its own colour: white text on white with
    # "text-shadow: 0 0 0 #222" reads as dark text. The first such colour; None: none of its own.
    outline: Colour | None = None
    # A CSS filter that maps each colour channel linearly (`invert`, `brightness`, `contrast`): white
    # text on white under "filter: invert(1)" is drawn black. Applies to the element and everything
    # in it, not to the background behind it; None: no filter of its own.
    tone: Tone | None = None
    # `float: right` lines boxes up from the right edge, the first rightmost: spans "0193", "555-",
    # "077-" each so floated show "077-555-0193". Not inherited: it places the element among its
    # siblings.
    floats_right: bool | None = None
    # The family `font-family` draws text in (font_family); inherited. A font the message carries
    # may draw digits for letters (detect/webfont.py).
    font: str | None = None
    # A list item's marker written as a string (`list-style-type: "+420 731 ... "`): a browser shows
    # it before the item as it shows a number. "" for a marker of any other kind; inherited.
    marker: str | None = None

    def applied(self, inherited: Visibility, colours: Colours, tone: Tone = NO_TONE) -> Visibility:
        """The visibility of this element's text, given what it inherits, its own colours (the text's
        as declared, the background's as drawn) and the filters over it."""
        zero_font, invisible, _ = inherited
        return (zero_font if self.zero_font is None else self.zero_font,
                invisible if self.invisible is None else self.invisible,
                not stands_out(toned(colours[0], tone), colours[1]))

    @property
    def hides(self) -> bool:
        return (self.removes or bool(self.zero_font) or bool(self.invisible)
                or (self.color is not None and self.color[3] == 0))

    @property
    def colours_matter(self) -> bool:
        return (self.color is not None or self.background is not None or self.outline is not None
                or self.tone is not None)


NO_EFFECT = StyleEffect()
_KEEPS_BREAKS = frozenset({"pre", "pre-wrap", "pre-line", "break-spaces"})


MAX_COLOUR_CHARS = 100  # "rgba(255, 255, 255, 0.5)" and kin; longer is no colour a browser reads


def parsed_colour(value: str) -> Colour | None:
    """A CSS or HTML colour ("#fff", "white", "rgba(0,0,0,.5)", an HTML attribute's bare "ffffff");
    None for what is no colour (currentColor, a typo): such a declaration changes nothing."""
    return _parsed_colour(value) if len(value) <= MAX_COLOUR_CHARS else None


@lru_cache(maxsize=4096)  # a template repeats a handful of colours on every element
def _parsed_colour(value: str) -> Colour | None:
    colour = tinycss2.color3.parse_color(value)
    if colour is None and len(value) in (3, 6) and all(c in "0123456789abcdefABCDEF" for c in value):
        colour = tinycss2.color3.parse_color(f"#{value}")
    return tuple(colour) if isinstance(colour, tinycss2.color3.RGBA) else None


_OUTLINES = ("text-shadow", "-webkit-text-stroke", "-webkit-text-stroke-color")


def _outline(css: dict[str, str]) -> Colour | None:
    """The colour a text shadow or stroke draws the glyphs in (a shadow's colour may stand first or
    last among its lengths, "0 0 0 #222" or "rgb(34,34,34) 1px 1px"), the first of several."""
    for name in _OUTLINES:
        value = css.get(name, "")
        if len(value) > MAX_COLOUR_CHARS * 4:
            continue
        for token in tinycss2.parse_component_value_list(value)[:MAX_DECLARATIONS]:
            colour = tinycss2.color3.parse_color(token)
            if isinstance(colour, tinycss2.color3.RGBA) and colour.alpha > 0:
                return tuple(colour)
    return None


def _background(css: dict[str, str]) -> Colour | None:
    """What a declaration block paints behind its text: a colour, UNKNOWN_BACKGROUND for a picture
    or a gradient, None for nothing of its own."""
    image = css.get("background-image", "")
    shorthand = css.get("background", "")
    if "url(" in image or "gradient" in image or "url(" in shorthand or "gradient" in shorthand:
        return UNKNOWN_BACKGROUND
    if "background-color" in css:
        return parsed_colour(css["background-color"])
    for word in shorthand.split()[:MAX_DECLARATIONS]:
        if (colour := parsed_colour(word)) is not None:
            return colour
    return None


def _over(colour: Colour, behind: Colour) -> Colour:
    """`colour` painted over `behind`, as its alpha lets `behind` show through."""
    if behind == UNKNOWN_BACKGROUND:
        return colour if colour[3] == 1 else UNKNOWN_BACKGROUND
    alpha = colour[3]
    return (*(alpha * c + (1 - alpha) * b for c, b in zip(colour[:3], behind[:3], strict=True)), 1.0)


def _luminance(colour: Colour) -> float:
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in colour[:3]]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@lru_cache(maxsize=4096)
def stands_out(text: Colour, background: Colour) -> bool:
    """Whether text of this colour can be read on this background (WCAG's contrast ratio)."""
    if background == UNKNOWN_BACKGROUND:
        return True
    lighter, darker = sorted((_luminance(_over(text, background)), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05) >= MIN_CONTRAST


# The HTML attributes that colour text or paint behind it, on the elements a browser honours them on
# (a `color` attribute on a <span> colours nothing, so it hides nothing either).
_TEXT_COLOUR_ATTRIBUTE = {"font": "color", "body": "text"}
_PAINTED_BY_ATTRIBUTES = frozenset({"body", "table", "tr", "td", "th"})


def _colours(inherited: Colours, tag: str, effect: StyleEffect, attributes: dict[str, str | None],
             tone: Tone = NO_TONE) -> Colours:
    """An element's text colour as declared (its children inherit it) and the background a reader
    sees behind it: its style's, else its HTML attributes' (bgcolor, background, a <font>'s color,
    <body text>), else what shows through from its parent; `tone`, the filters it is drawn
    through, its own included (they draw its own background too, not its parent's)."""
    text, behind = inherited
    legacy_text = attributes.get(_TEXT_COLOUR_ATTRIBUTE.get(tag, ""))
    colour = effect.color or (parsed_colour(legacy_text.strip()) if legacy_text else None)
    painted = effect.background
    if painted is None and tag in _PAINTED_BY_ATTRIBUTES:
        legacy_background = attributes.get("bgcolor")
        painted = (UNKNOWN_BACKGROUND if attributes.get("background")
                   else parsed_colour(legacy_background.strip()) if legacy_background else None)
    behind = behind if painted is None else _over(toned(painted, tone), behind)
    colour = colour or text
    # The glyphs drawn again by a shadow or stroke that can be read show the text, whatever its own
    # colour: the drawn colour is the one its children inherit too.
    if effect.outline is not None and not stands_out(toned(colour, tone), behind) and stands_out(
            toned(effect.outline, tone), behind):
        colour = effect.outline
    return (colour, behind)


_MAY_HIDE = re.compile(r"font-size\s*:\s*(?:-?0*(?:\.\d*)?|0*1(?:\.0*)?)[a-z%]*\s*[;\"'}]"
                       r"|visibility\s*:\s*(?:hidden|collapse)|transparent|display\s*:\s*none", re.IGNORECASE)


def _effect(style: str) -> StyleEffect:
    """What one element's declarations do to the reader's view of its text."""
    return _effect_of(_declarations(style)) if ":" in style else NO_EFFECT


def _effect_of(css: Declarations) -> StyleEffect:
    """What declarations, cascaded, do to the reader's view of an element's text."""
    if not css:
        return NO_EFFECT
    zero = {name for name, value in css.items() if _ZERO.match(value)}
    clipped = css.get("overflow") == "hidden" and bool(zero & {"height", "max-height", "width", "max-width"})
    removes = (css.get("display") == "none" or css.get("content-visibility") == "hidden" or "opacity" in zero
               or clipped or css.get("transform", "").startswith("scale(0)")
               or css.get("clip", "").startswith("rect(0")
               or any(_NO_OPACITY.search(css.get(name, "")) for name in _FILTERS)
               or any(_FAR_AWAY.match(css.get(name, "")) for name in ("text-indent", "left", "top")))
    size, visibility, color = css.get("font-size"), css.get("visibility"), css.get("color")
    direction = css.get("flex-direction", css.get("flex-flow"))
    display, order = css.get("display"), css.get("order")
    white_space = css.get("white-space")
    bidi = css.get("unicode-bidi")
    return StyleEffect(
        removes,
        zero_font=None if size is None else "font-size" in zero or (
            bool(_TINY.match(size)) and _scale(css) < READABLE_SCALE),
        invisible=None if visibility is None else visibility in ("hidden", "collapse"),
        color=None if color is None else parsed_colour(color),
        background=_background(css),
        reverses=(None if direction is None or css.get("display") not in ("flex", "inline-flex")
                  else "reverse" in direction),
        orders_children=None if display is None else display in _ORDERING_DISPLAYS,
        order=int(order) if order is not None and _CSS_INTEGER.match(order) else None,
        gap=_across(css, _GAPS, 1),
        spaced=_across(css, _SPACINGS, 3),
        keeps_breaks=None if white_space is None else white_space in _KEEPS_BREAKS,
        overrides_rtl=None if bidi is None else bidi == "bidi-override" and css.get("direction") == "rtl",
        outline=_outline(css) if any(name in css for name in _OUTLINES) else None,
        tone=_tone(next((css[name] for name in _FILTERS if name in css), "")),
        floats_right=None if "float" not in css else css["float"] == "right",
        font=font_family(css["font-family"]) if "font-family" in css else None,
        marker=_marker(css.get("list-style-type", css.get("list-style"))),
    )


def _marker(value: str | None) -> str | None:
    """The string a `list-style-type` or `list-style` declaration draws as the marker; "" for a
    marker of another kind (a disc, a number, none); None when nothing is declared."""
    if value is None:
        return None
    if len(value) > CSS_CONTENT_CHARS:
        return ""
    strings = [token.value for token in tinycss2.parse_component_value_list(value)[:MAX_DECLARATIONS]
               if token.type == "string"]
    return strings[0] if strings else ""


def _scale(css: Declarations) -> float:
    """How many times larger `zoom` and `transform`'s scales draw an element (the smaller of the
    two axes: a glyph stretched one way only stays unreadable the other), its steps read as
    `_turn` reads them."""
    zoom = css.get("zoom", "")
    factor = _length(zoom) / (100 if zoom.endswith("%") else 1) if zoom[:1].isdigit() or zoom[:1] == "." else 1.0
    across = down = 1.0
    for name, arguments in _TRANSFORM_STEP.findall(css.get("transform", "")):
        values = arguments.split(",")
        if name in ("scale", "scalex"):
            across *= abs(_length(values[0]))
        if name in ("scale", "scaley"):
            down *= abs(_length(values[-1]))
    return factor * min(across, down)


_FILTERS = ("filter", "-webkit-filter")
_NO_OPACITY = re.compile(r"opacity\(\s*-?0*(?:\.0*)?%?\s*\)")  # a filter that draws nothing at all
# A filter function's map of a channel, by its amount a: (factor, offset).
_TONES = {"invert": lambda a: (1 - 2 * min(a, 1.0), min(a, 1.0)),
          "brightness": lambda a: (a, 0.0),
          "contrast": lambda a: (a, (1 - a) / 2)}
MAX_FILTERS = 16


def _tone(value: str) -> Tone | None:
    """What a `filter` does to colours, its linear functions composed in order; None for no such
    function (a blur or a drop shadow changes no colour a reader can or cannot read)."""
    if not value or len(value) > MAX_COLOUR_CHARS * 4:
        return None
    tone: Tone | None = None
    for token in tinycss2.parse_component_value_list(value)[:MAX_FILTERS]:
        if token.type != "function" or token.lower_name not in _TONES:
            continue
        amounts = [a for a in token.arguments if a.type in ("number", "percentage")]
        amount = (amounts[0].value / 100 if amounts[0].type == "percentage" else amounts[0].value) if amounts else 1.0
        tone = within(_TONES[token.lower_name](max(0.0, float(amount))), tone)  # applied in order
    return tone


# What sets boxes apart across a line: by shorthand, the shorthand's value that holds the
# horizontal length ("margin: 0 5px", "gap: 8px 12px"), and the longhands that say it alone.
_GAPS = {"gap": "gap", "grid-gap": "gap", "column-gap": "", "grid-column-gap": ""}
_SPACINGS = {"margin": "margin", "padding": "padding", "margin-left": "", "margin-right": "", "padding-left": "",
             "padding-right": "", "margin-inline": "", "padding-inline": "", "margin-inline-start": "",
             "margin-inline-end": "", "padding-inline-start": "", "padding-inline-end": ""}


def _across(css: Declarations, properties: dict[str, str], last_side: int) -> bool | None:
    """Whether the declarations set a box apart across its line (a length that is not zero, or
    `auto`); None when they say nothing of it. A shorthand's horizontal lengths: its only value,
    its second, and for a four-sided one its fourth (`last_side`)."""
    said = None
    for name, shorthand in properties.items():
        if name not in css:
            continue
        values = css[name].split()
        horizontal = values if not shorthand or len(values) == 1 else values[1::max(1, last_side - 1)][:2]
        said = bool(said) or any(not _ZERO.match(value) for value in horizontal)
    return said


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_BRACE = re.compile(r"[{}]")
SELECTORS_CHARS = 2000  # of a rule's selectors, the last ones before its brace
DECLARATIONS_CHARS = 5000  # a rule's declarations longer than this are no style a template writes


@dataclass(frozen=True)
class _CSSRule:
    selectors: str
    declarations: str
    start: int  # where the selectors start in the style sheet
    declarations_start: int


def _css_rules(css: str) -> Iterator[_CSSRule]:
    """A style sheet's rules, `selectors { declarations }` with no brace in either (an at-rule's
    block gives the rules inside it), in one pass over its braces: a pattern searched from every
    position would read a long run without braces once for each of its characters."""
    after_brace, opened = 0, -1
    for brace in _BRACE.finditer(css):
        at = brace.start()
        if brace.group() == "{":
            opened, selectors_start = at, max(after_brace, at - SELECTORS_CHARS)
        elif opened >= 0 and at - opened - 1 <= DECLARATIONS_CHARS and opened > selectors_start:
            yield _CSSRule(css[selectors_start:opened], css[opened + 1:at], selectors_start, opened + 1)
            opened = -1
        else:
            opened = -1
        after_brace = at + 1
CSS_CONTENT_CHARS = 500  # of one ::before or ::after's generated text


def _generated_content(declarations: str) -> str:
    """What a ::before or ::after rule's `content` shows: its strings with CSS escapes decoded
    ("1\\2009 844" is "1 844" with a thin space), or "attr:NAME" for `attr(NAME)`; "" for none.
    tinycss2 reads the declarations as a browser does."""
    for declaration in tinycss2.parse_declaration_list(declarations, skip_comments=True, skip_whitespace=True):
        if declaration.type != "declaration" or declaration.lower_name != "content":
            continue
        shown = []
        for token in declaration.value:
            if token.type == "string":
                shown.append(token.value)
            elif token.type == "function" and token.lower_name == "attr":
                names = [a.value for a in token.arguments if a.type == "ident"]
                if names:
                    return "attr:" + names[0][:60]
        return "".join(shown)[:CSS_CONTENT_CHARS]
    return ""
# ::marker's content is drawn before a list item as ::before's is (a list item's own marker).
_PSEUDO = re.compile(r"::?(before|after|marker)\b", re.IGNORECASE)


StyleRule = tuple[str, StyleEffect, tuple[Declarations, Declarations]]  # selector, its effect, its declarations
# Properties by which a rule can show what another rule, or with !important the element's own
# style, hid: `display: block !important` over `style="display:none"`.
_REVEALING = frozenset({"display", "visibility", "opacity", "height", "max-height", "width", "max-width", "overflow",
                        "font-size", "color", "clip", "transform", "zoom", "text-indent", "left", "top",
                        "content-visibility"})
# What a media query's rule may show: not its colours, which go with a background the client
# paints for that query alone (dark mode's light text is on a dark page, not on the message's white).
_SHOWING = _REVEALING - {"color"}
_AT_RULE_OR_BRACE = re.compile(r"@media\b|[{}]", re.IGNORECASE)
_EVERY_SCREEN = re.compile(r"@media\s+(?:only\s+)?(?:screen|all)\s*$", re.IGNORECASE)


def _media_blocks(css: str) -> list[tuple[int, int]]:
    """The spans of a style sheet's @media blocks (the outermost ones) that apply to some screens
    only, in order: one pass. `@media screen` and `@media all` apply to every mail client's
    screen, so their rules are the page's own."""
    spans: list[tuple[int, int]] = []
    depth, opened_at, start, pending = 0, -1, 0, -1
    for token in _AT_RULE_OR_BRACE.finditer(css):
        mark = token.group()
        if mark == "{":
            depth += 1
            if pending >= 0 and opened_at < 0 and not _EVERY_SCREEN.match(css, pending, token.start()):
                opened_at, start = depth, pending
            pending = -1
        elif mark == "}":
            if depth == opened_at:
                spans.append((start, token.end()))
                opened_at = -1
            depth = max(0, depth - 1)
        elif opened_at < 0:
            pending = token.start()
    if opened_at >= 0:
        spans.append((start, len(css)))
    return spans


def _showing_only(declarations: str) -> str:
    """A media query's rule without what it hides: a rule for some screens (`@media (max-width:
    600px)`) hides text from those screens' readers alone, and the others still read it; what it
    shows (a block hidden inline and shown on phones) is read."""
    return ";".join(declaration for declaration in declarations.split(";")[:MAX_DECLARATIONS]
                    if declaration.partition(":")[0].strip().lower() in _SHOWING
                    and not (_effect(declaration).hides or _clips(declaration)))


def _clips(declaration: str) -> bool:
    """Half of a clip (`overflow: hidden` or a zero height or width), which hides with the other half."""
    name, _, value = declaration.lower().partition(":")
    name, value = name.strip(), " ".join(value.replace("!important", "").split())
    return (name == "overflow" and value == "hidden") or (
        name in ("height", "max-height", "width", "max-width") and bool(_ZERO.match(value)))


def _selectors_and_content(tree: LexborHTMLParser) -> tuple[list[StyleRule], list[tuple[str, str, str]]]:
    """([(selector, what its rule does to text, its declarations)], [(selector, before|after, text
    or attr:NAME)])."""
    hidden: list[StyleRule] = []
    content: list[tuple[str, str, str]] = []
    rules = 0
    for style in tree.css("style"):
        css = _CSS_COMMENT.sub(" ", style.text(deep=True))
        media = iter(_media_blocks(css))
        block = next(media, None)
        for rule in _css_rules(css):
            rules += 1
            if rules > MAX_STYLE_RULES:
                return hidden, content
            selectors, declarations = rule.selectors, rule.declarations
            while block is not None and block[1] <= rule.start:
                block = next(media, None)
            if block is not None and block[0] <= rule.declarations_start:
                declarations = _showing_only(declarations)
            for selector in selectors.split(","):
                selector = selector.strip()
                if not selector or selector.startswith("@"):
                    continue
                pseudo = _PSEUDO.search(selector)
                if pseudo:
                    value = _generated_content(declarations)
                    if value:
                        base = _PSEUDO.sub("", selector).strip() or "*"
                        content.append((base, "after" if pseudo.group(1).lower() == "after" else "before", value))
                else:
                    declared = _declared(declarations)
                    effect = _effect_of({**declared[0], **declared[1]}) if ":" in declarations else NO_EFFECT
                    if effect != NO_EFFECT or not (_REVEALING.isdisjoint(declared[0])
                                                   and _REVEALING.isdisjoint(declared[1])):
                        hidden.append((selector, effect, declared))
    return hidden, content


def _matching(tree: LexborHTMLParser, selector: str) -> list[LexborNode]:
    try:
        return list(tree.css(selector))
    except (ValueError, SyntaxError, TypeError, SelectolaxError):  # a selector lexbor cannot read hides nothing
        return []


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]{0,40})")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr"})
_RAW = frozenset({"script", "style", "template", "title", "textarea", "xmp", "noembed", "noframes", "iframe"})


def _shallow(html: str) -> str:
    """`html` with every element deeper than MAX_DEPTH renamed to span (one linear pass)."""
    if html.count("<") <= MAX_DEPTH:
        return html
    depth = 0

    def rename(tag: re.Match[str]) -> str:
        nonlocal depth
        closing, name = tag.group(1), tag.group(2).lower()
        if name in _VOID or name in _RAW:
            return tag.group(0)
        if closing:
            deep = depth > MAX_DEPTH
            depth = max(0, depth - 1)
            return "</span" if deep else tag.group(0)
        depth += 1
        return "<span" if depth > MAX_DEPTH else tag.group(0)

    return _TAG.sub(rename, html)


_CONDITIONAL = re.compile(r"<!--\[if ([^\]<>]{1,80})\]>", re.IGNORECASE)
_CONDITIONAL_END = "<![endif]-->"
# Conditions Outlook for Windows finds true: "mso", "gte mso 9", "(mso)|(IE)", "mso | IE". Not "!mso"
# (other clients' part, already outside any comment), nor "lt"/"lte mso N", which only Outlooks of
# twenty years ago meet.
_OUTLOOK_TRUE = re.compile(r"^(?:gte?\s+)?mso(?:\s+\d{1,3})?$|^\(mso\)\s*\|\s*\(ie\)$|^mso\s*\|\s*ie$", re.IGNORECASE)


def _without_style_sheets(markup: str) -> str:
    """`markup` without its <style> elements; one left open ends it (it would swallow the page)."""
    lowered = markup.lower()
    kept, at = [], 0
    while (start := lowered.find("<style", at)) >= 0:
        kept.append(markup[at:start])
        end = lowered.find("</style", start)
        if end < 0:
            return "".join(kept)
        closed = lowered.find(">", end)
        at = len(markup) if closed < 0 else closed + 1
    return "".join([*kept, markup[at:]])


def _with_outlook_conditionals(html: str) -> str:
    """`html` with what Outlook for Windows shows inside conditional comments (`<!--[if mso]>...
    <![endif]-->`) as markup of the page: every other reader takes it for a comment, but an Outlook
    user reads it, and a lure can keep its number there alone. Their style sheets stay out: an
    Outlook-only rule hiding text would hide it from the readers of every other client too. One
    pass, each block's end found once."""
    pieces: list[str] = []
    at = 0
    for opening in _CONDITIONAL.finditer(html):
        if opening.start() < at or not _OUTLOOK_TRUE.match(opening.group(1).strip()):
            continue
        end = html.find(_CONDITIONAL_END, opening.end())
        if end < 0:
            break
        pieces += [html[at:opening.start()], _without_style_sheets(html[opening.end():end])]
        at = end + len(_CONDITIONAL_END)
    return "".join([*pieces, html[at:]])


def _shown_reversed(tag: str, attributes: dict[str, str | None], effect: StyleEffect) -> bool:
    """An element whose text a browser shows right to left, character by character: <bdo dir=rtl>
    or one its styles override so (StyleEffect.overrides_rtl)."""
    if tag == "bdo":
        return (attributes.get("dir") or "").strip().lower() == "rtl"
    return bool(effect.overrides_rtl)


# Each element's declarations from the style sheets' rules that match it, (normal, !important),
# later rules over earlier ones, by the element's mem_id.
Cascade = dict[int, tuple[Declarations, Declarations]]
_NO_RULES: tuple[Declarations, Declarations] = ({}, {})
_ROW_REVERSED: Declarations = {"display": "flex", "flex-direction": "row-reverse"}


def _cascaded(node: LexborNode, styled: Cascade) -> StyleEffect:
    """What the style sheets' rules and the element's own style do to its text, as CSS cascades
    them: the style attribute over the sheets' normal declarations, the sheets' !important ones
    over it, and its own !important over all (a sheet's `display:block !important` shows what the
    attribute hid; `color:#222 !important` darkens white-on-white)."""
    style = node.attributes.get("style") or ""
    rules = styled.get(node.mem_id)
    if rules is None:
        return _effect(style)
    own_normal, own_important = _declared(style) if ":" in style else _NO_RULES
    return _effect_of({**rules[0], **own_normal, **rules[1], **own_important})


# A picture drawn within a line of text stands for a few of its characters: its words are read in
# its place ("+1 (888) 5" as text, "55-0177" drawn in the same font), when they are one short line.
IN_LINE_PICTURE_CHARS = 40


def _in_line(words: str) -> str:
    return words if words and "\n" not in words and len(words) <= IN_LINE_PICTURE_CHARS else ""


def _ends_a_line_of_text(parts: list[str]) -> bool:
    """Whether the text so far ends in a line's words: a picture after them is drawn within it."""
    last = next((part for part in reversed(parts) if part), "")
    return bool(last.strip()) and not last.endswith("\n")


# What the page itself gives the root and the text a rendering adds (closing marks, gaps): shown,
# line breaks collapsed, black on white, no filter, no font of the message's own.
_PAGE: tuple[Visibility, bool, Colours, Tone, str] = (VISIBLE, False, MAIL_PAGE, NO_TONE, "")


def render_html(html: str, drawn_words: Mapping[str, str] | None = None,
                fonts_drawing: Mapping[str, Mapping[str, str]] | None = None) -> RenderedHTML:
    """HTML as a mail client shows it, as canonical text, plus the web links it carries;
    `drawn_words`, the words read from the pictures it draws, by their `picture_key`;
    `fonts_drawing`, by family, what the fonts it carries draw instead of a character."""
    swaps = {family: str.maketrans(dict(shows)) for family, shows in (fonts_drawing or {}).items() if shows}
    html = _with_outlook_conditionals(html[:MAX_HTML_CHARS])
    tree = LexborHTMLParser(_shallow(html))
    _annotations_after_bases(tree)
    _list_markers(tree)
    _digits_for_cell_drawings(tree)
    styled_selectors, content_rules = _selectors_and_content(tree)
    floats = "float" in html.lower()  # most mail floats nothing: its children need no second look
    styled: Cascade = {}
    # A rule that only gives text a size, a colour, visibility or a display matters under something
    # that hid them; most templates hide nothing, and each selector is a walk of the tree.
    undoing_matters = any(effect.hides for _, effect, _ in styled_selectors) or bool(_MAY_HIDE.search(html))
    for selector, effect, (normal, important) in styled_selectors:
        if not (effect.hides or undoing_matters or effect.colours_matter or effect.reverses or effect.keeps_breaks
                or effect.orders_children or effect.order is not None
                or effect.overrides_rtl or effect.floats_right or effect.font in swaps or effect.marker is not None):
            continue
        for node in _matching(tree, selector):
            was_normal, was_important = styled.get(node.mem_id, _NO_RULES)
            styled[node.mem_id] = ({**was_normal, **normal}, {**was_important, **important})
    for row in _numbers_laid_out_right_to_left(tree, html):
        # Read as a browser lays out a flex row in reverse: its cells last to first.
        was_normal, was_important = styled.get(row.mem_id, _NO_RULES)
        styled[row.mem_id] = (was_normal, {**was_important, **_ROW_REVERSED})
    before: dict[int, list[str]] = {}
    after: dict[int, list[str]] = {}
    if "list-style" in html:
        for item, marker in _string_markers(tree, styled):
            before[item] = [f" {marker} "]
    for selector, where, value in content_rules:
        for node in _matching(tree, selector)[:MAX_LINKS]:
            text = (node.attributes.get(value[5:]) or "") if value.startswith("attr:") else value
            if text:
                (before if where == "before" else after).setdefault(node.mem_id, []).append(f" {text} ")
    parts: list[str] = []
    links: list[str] = []
    # Depth-first without recursion: attacker HTML may nest a hundred thousand levels deep.
    # Each entry carries the visibility its element inherits, whether its line breaks show, the
    # colours it inherits, the filters it is drawn through and the font family it is drawn in.
    stack: list[tuple[LexborNode | str, Visibility, bool, Colours, Tone, str]] = []
    if tree.root is not None:
        stack.append((tree.root, *_PAGE))
    visited = 0
    while stack:
        item, inherited, keeps_breaks, colours, tone, font = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        visited += 1
        if visited % 4096 == 0:
            budget.check()
        tag = item.tag
        if tag == "-text":
            text = item.text_content or ""
            if font in swaps:
                text = text.translate(swaps[font])
            if not any(inherited):
                parts.append(text if keeps_breaks else text.replace("\n", " "))
            elif text.strip():
                parts.append(HIDDEN_MARK)
            continue
        if tag in _SKIP or tag.startswith("-"):
            continue
        attributes = item.attributes
        effect = _cascaded(item, styled)
        if "hidden" in attributes or effect.removes:
            parts.append(HIDDEN_MARK)
            continue
        tone = within(tone, effect.tone)
        font = font if effect.font is None else effect.font
        colours = _colours(colours, tag, effect, attributes, tone)
        visibility = effect.applied(inherited, colours, tone)
        keeps_breaks = (tag == "pre" or keeps_breaks) if effect.keeps_breaks is None else effect.keeps_breaks
        if tag == "input" and (attributes.get("type") or "").lower() == "hidden":
            continue
        if tag in _INLINE_DRAWINGS:
            drawn = "" if any(visibility) else svg_text(item.html or "") if tag == "svg" else _math_text(item)
            if drawn:
                # Both stand in the line like a picture: one line of words reads within it.
                parts.append(f"\n{drawn}\n" if "\n" in drawn else f" {drawn} ")
            continue
        closing = [*after.get(item.mem_id, ())]
        if _shown_reversed(tag, attributes, effect):
            parts.append(_RLO)
            closing.insert(0, _PDF)
        if tag == "a":
            href = (attributes.get("href") or "").strip()
            if target := link_target(href):
                closing.append(target)
            if href[:4].lower() == "http" and len(links) < MAX_LINKS:
                links.append(href)
        elif tag == "img" and not any(visibility) and drawn_words and _ends_a_line_of_text(parts) and (
                drawn := _in_line(drawn_words.get(picture_key(attributes.get("src") or ""), ""))):
            parts.append(drawn)
        elif tag == "img" and attributes.get("alt") and not any(visibility):
            parts.append(f" {attributes['alt']} ")
        elif tag == "input" and not any(visibility) and (drawn := _drawn_in_box(attributes)):
            parts.append(f" {drawn} ")
        if tag in _BLOCK:
            parts.append("\n")
            closing.append("\n")
        elif tag in _CELL:
            parts.append(" ")
            closing.append(" ")
        shown = not any(visibility)
        stack.extend((text, *_PAGE) for text in reversed(closing) if shown or not text.strip())
        inside = [(child, visibility, keeps_breaks, colours, tone, font)
                  for child in _children_as_laid_out(item, effect, styled, floats)]
        if effect.orders_children:
            # A flex or grid box's items are boxes of their own, set apart by the box's gap or an
            # item's margin: spans "call" and "09" so laid out show as two words, not "call09".
            apart = (" ", *_PAGE)
            inside = [entry for child in inside
                      for entry in ((apart, child) if _set_apart(child[0], effect, styled) else (child,))]
        stack.extend(reversed(inside))
        if shown:
            parts.extend(before.get(item.mem_id, ()))
    written = "".join(parts)
    text, truncated = canonical(written)
    return RenderedHTML(text, truncated, tuple(links), written)


GRID_ROWS_MAX = 40  # rows of a table read as a drawing: a few glyphs high at most


def _node_children(node: LexborNode) -> list[LexborNode]:
    children = []
    child = node.child
    while child is not None:
        children.append(child)
        child = child.next
    return children


def _cell_drawing(table: LexborNode) -> list[str] | None:
    """A table of empty cells as a grid, "#" for a cell of a colour other than most cells', or
    None when the table holds text or anything but rows of plain cells. Direct children only:
    linear over all the tables of a document, however they nest."""
    rows: list[list[LexborNode]] = []
    for part in _node_children(table):
        for row in ([part] if part.tag == "tr" else _node_children(part) if part.tag in ("tbody", "thead", "tfoot")
                    else []):
            if row.tag != "tr":
                continue
            rows.append([cell for cell in _node_children(row) if cell.tag in ("td", "th")])
            if len(rows) > GRID_ROWS_MAX:
                return None
    colours: list[list[Colour]] = []
    for row in rows:
        colours.append([])
        for cell in row:
            inside = cell.child
            if inside is not None and (inside.next is not None or inside.tag != "-text"
                                       or (inside.text_content or "").strip()):
                return None  # a cell that holds something is no dot
            # The background a reader sees, as the renderer works it out ("#fff", "white" alike).
            painted = _colours(MAIL_PAGE, cell.tag, _effect(cell.attributes.get("style") or ""), cell.attributes)
            colours[-1].append(painted[1])
    cells = [colour for row in colours for colour in row]
    if len(rows) < GLYPH_ROWS or len(cells) < GLYPH_ROWS * GLYPH_COLUMNS * 2:
        return None
    blank = Counter(cells).most_common(1)[0][0]
    return ["".join("." if colour == blank else "#" for colour in row) for row in colours]


def _digits_for_cell_drawings(tree: LexborHTMLParser) -> None:
    """A table of coloured empty cells that draws digits as dot-matrix glyphs (a reader sees
    "028 3555 7190", the HTML holds no digit) is read as those digits."""
    for table in reversed(tree.css("table")):
        grid = _cell_drawing(table)
        drawn = digits_in_grid(grid) if grid else ""
        if _is_number(drawn):
            table.insert_after(f"\n{DRAWN_MARK}{drawn}\n")
            table.decompose()


RTL_ROWS_READ = 64  # rows of right-to-left tables looked at, each by its whole text


def _numbers_laid_out_right_to_left(tree: LexborHTMLParser, html: str) -> list[LexborNode]:
    """The rows of a table laid out right to left (`dir="rtl"` on it or its nearest ancestor that
    says) whose cells hold the digits of a number and no letter: a browser shows the first cell
    rightmost, and a number is read left to right whatever the script around it, so cells
    written "5678", "1234", "55", "+52" read "+52 55 1234 5678". Rows with words keep the
    source's order, the order a right-to-left reader reads them in."""
    if "rtl" not in html.lower():
        return []
    rows = []
    for row in tree.css("tr"):
        if len(rows) >= RTL_ROWS_READ:
            break
        cells = [cell for cell in _node_children(row) if cell.tag in _CELL]
        if len(cells) < 2 or _direction(row) != "rtl":
            continue
        texts = [cell.text(deep=True) or "" for cell in cells]
        if not any(c.isalpha() for text in texts for c in text) and sum(
                any(c.isdigit() for c in text) for text in texts) >= 2:
            rows.append(row)
    return rows


def _direction(node: LexborNode) -> str:
    """"rtl" or "ltr": the `dir` of the node or its nearest ancestor that has one."""
    ancestor: LexborNode | None = node
    for _ in range(MAX_DEPTH):  # _shallow() kept the tree this shallow
        if ancestor is None:
            break
        said = (ancestor.attributes.get("dir") or "").strip().lower()
        if said in ("rtl", "ltr"):
            return said
        ancestor = ancestor.parent
    return "ltr"


LIST_ITEMS_READ = 500  # list items whose markers are looked at


def _string_markers(tree: LexborHTMLParser, styled: Cascade) -> list[tuple[int, str]]:
    """(mem_id, marker) of the list items whose marker is a string, their own or their list's."""
    markers = []
    for item in tree.css("li")[:LIST_ITEMS_READ]:
        marker = _cascaded(item, styled).marker
        if marker is None and item.parent is not None:
            marker = _cascaded(item.parent, styled).marker
        if marker:
            markers.append((item.mem_id, marker))
    return markers


_LIST_START = re.compile(r"^\s*[+-]?\d{1,10}\s*$")


def _list_markers(tree: LexborHTMLParser) -> None:
    """The numbers a browser draws before the items of an ordered list that says where it starts:
    `<ol start="798765432"><li>` shows "798765432." before the item, digits the HTML's text never
    holds. Decimal markers only (`type` 1, as by default), counting down in a `reversed` list, an
    item's own `value` restarting the count; none where the list's style hides its markers.
    Lists without `start` keep their items unnumbered, as the text always read them."""
    for ol in tree.css("ol[start]"):
        attributes = ol.attributes
        start, kind = attributes.get("start") or "", (attributes.get("type") or "1").strip()
        style = (attributes.get("style") or "").lower()
        if not _LIST_START.match(start) or kind != "1" or ("list-style" in style and "none" in style):
            continue
        number, step = int(start), -1 if "reversed" in attributes else 1
        for item in _node_children(ol):
            if item.tag != "li":
                continue
            value = item.attributes.get("value") or ""
            number = int(value) if _LIST_START.match(value) else number
            marker = f"{number}. "
            if item.child is not None:
                item.child.insert_before(marker)
            else:
                item.insert_child(marker)
            number += step


def _annotations_after_bases(tree: LexborHTMLParser) -> None:
    """Ruby annotations (furigana) read after the text they stand above: a browser shows each
    <rt> over its base, so a reader reads the run of bases as one line and the run of annotations
    above it as another ("緊急窓口" with "0", "3", "5", "8" above it reads 0358); read in the
    source's order they would interleave, "緊0急3窓5口8". The fallback brackets (<rp>) a browser
    with ruby does not show go too."""
    runs: list[list[LexborNode]] = []
    for ruby in tree.css("ruby"):
        before = ruby.prev
        while before is not None and before.tag == "-text" and not (before.text_content or "").strip():
            before = before.prev
        if runs and before is not None and before.mem_id == runs[-1][-1].mem_id:
            runs[-1].append(ruby)
        else:
            runs.append([ruby])
    # Last run first: a run inside an annotation is read before that annotation is taken out of
    # the tree (and its nodes freed with it).
    for run in reversed(runs):
        shown = []
        for ruby in run:
            child = ruby.child
            while child is not None:
                after = child.next
                if child.tag in ("rt", "rp"):
                    hidden = "hidden" in child.attributes or _effect(child.attributes.get("style") or "").removes
                    if child.tag == "rt" and not hidden:
                        # A few nodes of it, not its whole subtree: rubies nested in annotations
                        # would otherwise read the deepest text once per level.
                        shown += [node.text_content or "" for node in islice(
                            child.traverse(include_text=True), ANNOTATION_NODES) if node.tag == "-text"]
                    child.decompose()
                child = after
        if "".join(shown).strip():
            run[-1].insert_after(f" {''.join(shown)} ")


def _children_as_laid_out(item: LexborNode, effect: StyleEffect, styled: Cascade, floats: bool) -> list[LexborNode]:
    """An element's children in the order a browser shows them: a flex or grid box's elements by
    their `order` (a stable sort: equal orders keep the source's; the text between them stays
    where it stands), a reversed flex box's last to first, and where the document floats
    anything, each run of siblings floated right last to first."""
    children = _node_children(item)
    if floats:
        children = _floated_right_as_shown(item, children, styled)
    if effect.orders_children:
        slots = [at for at, node in enumerate(children) if node.tag and not node.tag.startswith("-")]
        boxes = sorted((children[at] for at in slots), key=lambda node: _flex_order(node, styled))
        for at, box in zip(slots, boxes, strict=True):
            children[at] = box
    if effect.reverses:
        children.reverse()
    return children


def _floated_right_as_shown(item: LexborNode, children: list[LexborNode], styled: Cascade) -> list[LexborNode]:
    """Runs of sibling elements floated right (blank text between them ignored) as a reader sees
    them left to right: last to first. Under a right-to-left direction a run of words is read in
    the source's order, the order its reader reads it in, and only a run without letters (a
    number's pieces, read left to right in any script) is turned round."""
    runs: list[list[int]] = [[]]
    for at, node in enumerate(children):
        if (node.tag or "-").startswith("-") and not (node.tag == "-text" and (node.text_content or "").strip()):
            continue  # a comment or blank text between floats keeps them one run
        if node.tag and not node.tag.startswith("-") and _cascaded(node, styled).floats_right:
            runs[-1].append(at)
        elif runs[-1]:
            runs.append([])
    laid_out: list[LexborNode | None] = list(children)
    for run in runs:
        if len(run) < 2:
            continue
        if _direction(item) == "rtl" and any(
                c.isalpha() for at in run for c in (children[at].text(deep=True) or "")):
            continue
        for at in range(run[0], run[-1]):
            laid_out[at] = None  # the blank between floated boxes is on the line they left
        for at, source in zip(run, reversed(run), strict=True):
            laid_out[at] = children[source]
    return [node for node in laid_out if node is not None]


def _set_apart(item: LexborNode, box: StyleEffect, styled: Cascade) -> bool:
    """Whether a flex or grid box's item shows apart from its neighbours: the box has a gap or the
    item a margin or padding across the line."""
    return bool(item.tag) and not item.tag.startswith("-") and bool(box.gap or _cascaded(item, styled).spaced)


def _flex_order(node: LexborNode, styled: Cascade) -> int:
    return _cascaded(node, styled).order or 0


MAX_SVG_TEXTS = 2_000  # <text> elements read from one picture
# An SVG element's attributes that keep it from being drawn ("display", "visibility" and the
# opacities may be attributes as well as style declarations).
_SVG_HIDING = (("display", "none"), ("visibility", "hidden"), ("visibility", "collapse"))
_SVG_OPACITIES = ("opacity", "fill-opacity")


MAX_MATH_TOKENS = 2_000  # of one MathML formula
_MATH_TOKENS = "mi, mn, mo, mtext, ms"
_MATH_UNSHOWN = frozenset({"annotation", "annotation-xml"})  # a formula's source or other forms of it


def _math_text(formula: LexborNode) -> str:
    """A MathML formula's tokens as a browser draws them, in order, its annotations left out."""
    shown = []
    for token in formula.css(_MATH_TOKENS)[:MAX_MATH_TOKENS]:
        ancestor, hidden = token.parent, False
        for _ in range(MAX_DEPTH):
            if ancestor is None or ancestor.mem_id == formula.mem_id:
                break
            hidden = hidden or ancestor.tag in _MATH_UNSHOWN
            ancestor = ancestor.parent
        if not hidden:
            shown.append(token.text(deep=True) or "")
    return " ".join(" ".join(shown).split())


def svg_text(svg: str) -> str:
    """An SVG picture's words as its viewer draws them: each `<text>` element's text (its `<tspan>`s
    run together) on a line of its own, in document order. Text not drawn (display none,
    visibility hidden, zero opacity, on the element or an ancestor) is left out, as are `<title>`
    and `<desc>`, which no one sees. Parsed by lexbor, which reads SVG as a browser's HTML parser
    does: no entities expanded, nothing fetched."""
    tree = LexborHTMLParser(_shallow(svg[:MAX_HTML_CHARS]))
    lines = []
    for node in tree.css("text")[:MAX_SVG_TEXTS]:
        if not _svg_hidden(node):
            lines.append(" ".join((node.text(deep=True) or "").split()))
    return "\n".join(line for line in lines if line)


def _svg_hidden(node: LexborNode) -> bool:
    ancestor: LexborNode | None = node
    for _ in range(MAX_DEPTH):  # _shallow() kept the tree this shallow
        if ancestor is None or ancestor.tag in ("svg", "html"):
            return False
        attributes = ancestor.attributes
        if (_effect(attributes.get("style") or "").hides
                or any((attributes.get(name) or "").strip().lower() == value for name, value in _SVG_HIDING)
                or any(_ZERO.match((attributes.get(name) or "x").strip()) for name in _SVG_OPACITIES)):
            return True
        ancestor = ancestor.parent
    return False


def picture_key(source: str) -> str:
    """How a picture drawn in the message is known by its `src`: the Content-ID a `cid:` names, a
    `data:` URI itself ("" for any other source: a web picture is not fetched)."""
    source = source.strip()
    if source[:4].lower() == "cid:":
        return source[4:]
    return source if source[:11].lower() == "data:image/" else ""


# A picture carried in the HTML itself (`<img src="data:image/png;base64,...">`), as Apple Mail,
# Thunderbird and Outlook show it: its bytes within a picture attachment's bound, base64-encoded.
_DATA_PICTURE = re.compile(r"""<img\b[^>]{0,2000}?\bsrc\s*=\s*["']?(data:image/(?:png|jpe?g|gif|webp);base64,"""
                           r"""[A-Za-z0-9+/=\s]{16,2700000})""", re.IGNORECASE)
DATA_PICTURES_READ = 8  # looked at in one body; the message's bound on pictures read applies after


def data_pictures(html: str) -> list[str]:
    """The `data:` URIs of the pictures an HTML body carries, the first DATA_PICTURES_READ."""
    return [found.group(1) for _, found in zip(range(DATA_PICTURES_READ),
                                               _DATA_PICTURE.finditer(html[:MAX_HTML_CHARS]), strict=False)]


# A font the HTML carries itself: `@font-face { font-family: "K"; src: url(data:font/ttf;base64,...) }`.
_FONT_FACE = re.compile(r"@font-face\s*\{([^{}]{0,3000000})\}", re.IGNORECASE)
_FONT_FAMILY = re.compile(r"font-family\s*:\s*([^;}]{1,200})", re.IGNORECASE)
_FONT_SOURCE = re.compile(r"""url\(\s*["']?(data:[^"')\s]{1,2700000})""", re.IGNORECASE)
EMBEDDED_FONTS_READ = 4


def font_family(value: str) -> str:
    """The family a `font-family` list draws text in: its first, unquoted and in lower case (a
    font the message carries has its glyphs, and the list's fallbacks never draw)."""
    return value.split(",")[0].strip().strip("'\"").strip().lower()


def embedded_fonts(html: str) -> list[tuple[str, str]]:
    """(family, its `data:` URI) of the fonts an HTML body carries, the first EMBEDDED_FONTS_READ."""
    fonts = []
    for rule in _FONT_FACE.finditer(html[:MAX_HTML_CHARS]):
        family, source = _FONT_FAMILY.search(rule.group(1)), _FONT_SOURCE.search(rule.group(1))
        if family and source and font_family(family.group(1)):
            fonts.append((font_family(family.group(1)), source.group(1)))
            if len(fonts) == EMBEDDED_FONTS_READ:
                break
    return fonts


# A picture's own transform, in its style attribute: a lure can carry a number's picture mirrored
# and have the client flip it back (`transform: scaleX(-1)`).
_PICTURE_TAG = re.compile(r"""<img\b[^>]{0,2000}>""", re.IGNORECASE)
_SOURCE = re.compile(r"""\bsrc\s*=\s*["']?([^"'\s>]{1,2700000})""", re.IGNORECASE)
_STYLE = re.compile(r"""\bstyle\s*=\s*(?:"([^"]{0,2000})"|'([^']{0,2000})')""", re.IGNORECASE)
_TRANSFORM_STEP = re.compile(r"([a-z]{5,9}[xyz]?)\(([^()]{0,200})\)")
_ANGLE_UNITS = {"deg": 1.0, "turn": 360.0, "rad": 57.29577951308232, "grad": 0.9}
TURNED_PICTURES_READ = 16  # pictures of one body whose transforms are looked at


@dataclass(frozen=True)
class Turn:
    """How a transform shows a picture: mirrored left to right, upside down, and turned clockwise
    by a number of quarter turns (0 to 3), in that order."""

    mirrored: bool = False
    upside_down: bool = False
    quarters: int = 0


def _length(value: str) -> float:
    try:
        return float(value.strip().rstrip("%"))
    except ValueError:
        return 1.0


_ANGLE = re.compile(r"\s*(-?(?:[0-9]{1,9}(?:\.[0-9]{0,9})?|\.[0-9]{1,9}))\s*(deg|turn|rad|grad)\s*")


def _degrees(value: str) -> float:
    found = _ANGLE.fullmatch(value)
    return float(found.group(1)) * _ANGLE_UNITS[found.group(2)] if found else 0.0


def _turn(transform: str) -> Turn:
    """What a CSS `transform` does to a picture's orientation: flips by negative scales (scale,
    scaleX, scaleY) and half turns about an axis (rotateX, rotateY), turns by rotate or rotateZ
    to the nearest quarter."""
    mirrored = upside_down = False
    degrees = 0.0
    for name, arguments in _TRANSFORM_STEP.findall(transform.lower()):
        values = arguments.split(",")
        if name == "scale":
            mirrored ^= _length(values[0]) < 0
            upside_down ^= _length(values[-1]) < 0
        elif name == "scalex":
            mirrored ^= _length(values[0]) < 0
        elif name == "scaley":
            upside_down ^= _length(values[0]) < 0
        elif name == "rotatey":
            mirrored ^= round(_degrees(values[0]) / 180) % 2 == 1
        elif name == "rotatex":
            upside_down ^= round(_degrees(values[0]) / 180) % 2 == 1
        elif name in ("rotate", "rotatez"):
            degrees += _degrees(values[-1])
    return Turn(mirrored, upside_down, round(degrees / 90) % 4)


def turned_pictures(html: str) -> dict[str, Turn]:
    """The pictures an HTML body shows turned or mirrored by their own transform, by how the
    message knows each (picture_key), the first TURNED_PICTURES_READ that say a transform."""
    turned: dict[str, Turn] = {}
    looked_at = 0
    for tag in _PICTURE_TAG.finditer(html[:MAX_HTML_CHARS]):
        style, source = _STYLE.search(tag.group()), _SOURCE.search(tag.group())
        if not style or not source or "transform" not in tag.group().lower():
            continue
        looked_at += 1
        if looked_at > TURNED_PICTURES_READ:
            break
        turn = _turn(_declarations(style.group(1) or style.group(2) or "").get("transform", ""))
        if turn != Turn() and (key := picture_key(source.group(1))):
            turned[key] = turn
    return turned


_CID_PICTURE = re.compile(r"""<img\b[^>]{0,2000}?\bsrc\s*=\s*["']?cid:([^"'\s>]{1,200})[^>]{0,2000}>""", re.IGNORECASE)
_TAG_OR_SPACE = re.compile(r"(?:<[^>]{0,2000}>|\s|&nbsp;)*")
# Between two pictures, what starts a new line: a break, or a block's or a table row's edge.
_NEW_LINE = re.compile(
    r"<(?:br|/?(?:p|div|tr|table|tbody|li|ul|ol|h[1-6]|center|blockquote|section|header|footer|hr))\b", re.IGNORECASE)
_CELL_EDGE = re.compile(r"</?t[dh]\b", re.IGNORECASE)
_SHOWN_AS_BLOCK = re.compile(r"display\s*:\s*block", re.IGNORECASE)
PICTURE_ROW_MIN = 3  # pictures drawn together that are read as one
PICTURE_ROWS_MAX = 4


def _on_a_new_line(between: str, before: str, picture: str) -> bool:
    """Whether a picture stands under the one before it (`between` them only tags and space): a
    break or a block's edge between them, or either shown as a block in the same cell (a line of
    text cut across into strips, each a picture, stacks them so). Pictures in one table row's
    cells stand side by side, each shown as a block or not."""
    if _NEW_LINE.search(between):
        return True
    return not _CELL_EDGE.search(between) and bool(_SHOWN_AS_BLOCK.search(before) or _SHOWN_AS_BLOCK.search(picture))


def pictures_together(html: str) -> list[tuple[tuple[str, ...], ...]]:
    """The content ids of pictures an HTML body draws together, PICTURE_ROW_MIN or more with no
    text between them, as the lines they stand on: side by side within a line (a number drawn a
    digit to a picture, `<img src="cid:d1"><img src="cid:d2">...`), one line under another where
    `_on_a_new_line` says (a line cut into strips); the first PICTURE_ROWS_MAX such groups."""
    groups: list[tuple[tuple[str, ...], ...]] = []
    lines: list[list[str]] = []
    last: re.Match[str] | None = None
    for found in _CID_PICTURE.finditer(html[:MAX_HTML_CHARS]):
        between = html[last.end():found.start()] if last else ""
        if last and _TAG_OR_SPACE.fullmatch(between):
            if _on_a_new_line(between, last.group(), found.group()):
                lines.append([found.group(1)])
            else:
                lines[-1].append(found.group(1))
        else:
            if sum(map(len, lines)) >= PICTURE_ROW_MIN:
                groups.append(tuple(map(tuple, lines)))
            lines = [[found.group(1)]]
        last = found
        if len(groups) >= PICTURE_ROWS_MAX:
            break
    if sum(map(len, lines)) >= PICTURE_ROW_MIN and len(groups) < PICTURE_ROWS_MAX:
        groups.append(tuple(map(tuple, lines)))
    return groups


_URL = re.compile(r"https?://[^\s<>\"')\]]{1,500}", re.IGNORECASE)


def plain_links(text: str) -> tuple[str, ...]:
    """Web links written out in plain text."""
    return tuple(m.group() for m in _URL.finditer(text))[:MAX_LINKS]


# ---------------------------------------------------------------- skeletons

@cache
def _prototypes() -> dict[str, str]:
    """Character -> its UTS #39 prototype, where the prototype is ASCII letters or digits.

    From the confusables data Unicode publishes (packaged by confusable-homoglyphs)."""
    import confusable_homoglyphs  # the data file ships inside it

    data = json.loads(resources.files(confusable_homoglyphs).joinpath("confusables.json").read_text("utf-8"))
    table: dict[str, str] = {}
    for char, homoglyphs in data.items():
        if len(char) != 1 or char.isascii():
            continue
        prototypes = [h["c"] for h in homoglyphs if h["c"].isascii() and h["c"].isalnum() and len(h["c"]) <= 3]
        if prototypes:
            table[char] = prototypes[0]
    return table


def digit_lookalikes() -> dict[str, str]:
    """Letters of other alphabets that UTS #39 finds confusable with a digit -> the digit: the
    Cyrillic ze (U+0417) for 3 and be (U+0431) for 6, the Greek and Cyrillic capital o for 0 and
    the Cyrillic i (U+0406) for 1. Decimal digits of other scripts are left out: U+09EA is a
    Bengali four, not the eight it looks like."""
    as_digit = {"O": "0", "o": "0", "I": "1", "l": "1"}
    listed = {char: as_digit.get(prototype, prototype) for char, prototype in _prototypes().items()
              if unicodedata.category(char).startswith("L") and (prototype.isdigit() or prototype in as_digit)}
    # The other case of a letter listed as a digit itself (not as o or l, which Greek sigma is),
    # when Unicode lists no look-alike of its own: the Cyrillic capital be (U+0411) is written for
    # 6 as its small letter is.
    other_case = {other: digit for char, digit in listed.items() if _prototypes()[char].isdigit()
                  for other in {char.upper(), char.lower()}
                  if len(other) == 1 and other != char and other not in _prototypes() and other not in listed}
    return {**other_case, **listed}


# Plain ASCII keeps rules of its own: the letters and digits scammers swap fold together (0 for o;
# 1, | and I for l, so i too, as lower case cannot tell I from i; rn for m), quotes and dashes of
# every kind are one. An underscore stays itself: read as a space (round 52) it let the words of
# hams' shared file names ("Rapprochement_bancaire_octobre.xlsx") count as much as a lure's, and
# cross-validated recall fell (0.894 without, 0.881 with, 0.888 with only file names' underscores
# read so; the phishing threshold rose from 91 to 95). An attachment's own name still reads its
# underscores as spaces (parse.py), and numbers are read across underscores either way.
_ASCII_SKELETON = {"0": "o", "1": "l", "|": "l", "i": "l", "m": "rn", "\u2018": "'", "\u2019": "'", "\u02bc": "'",
                   "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"}


_CASED_SCRIPTS = ("CYRILLIC", "GREEK")


class _SkeletonTable(dict[str, str]):
    """Character -> its skeleton: lower case, confusable prototype, accents and other combining
    marks dropped (so "Ş", "ș" and "s" agree, and a combining mark cannot split a word). Worked out
    the first time a character is seen."""

    def __missing__(self, char: str) -> str:
        out = []
        # The prototype of the character as written first: some scripts' lower case (Cherokee)
        # has no entry of its own. A Cyrillic or Greek letter takes its capital's prototype when
        # the capital has one, so a word is one skeleton in any case: the Cyrillic capital em
        # (U+041C) is a Latin "M" but its small letter looked like nothing, so a capitalised word
        # missed its phrase ("митници").
        upper = char.upper()
        if len(upper) == 1 and upper in _prototypes() and unicodedata.name(char, "").startswith(_CASED_SCRIPTS):
            char = upper
        for part in unicodedata.normalize("NFD", _prototypes().get(char) or char.lower()):
            if unicodedata.category(part) != "Mn":
                mapped = _prototypes().get(part, part).lower()
                out.append("".join(_ASCII_SKELETON.get(c, c) for c in mapped))
        skeleton_of_char = "".join(out)
        if len(self) < TABLE_ENTRIES:
            self[char] = skeleton_of_char
        return skeleton_of_char


_SKELETON = _SkeletonTable()


@dataclass(frozen=True)
class Skeleton:
    text: str  # lower-case skeleton
    # Where a character's skeleton is not one character long ("m" -> "rn", a dropped accent):
    # (its offset in the canonical text, its offset in the skeleton, its skeleton's length).
    breaks: tuple[tuple[int, int, int], ...] = ()
    starts: tuple[int, ...] = ()  # each break's skeleton offset, for bisecting without a key function

    def _origin(self, index: int) -> int:
        found = bisect_right(self.starts, index) - 1
        if found < 0:
            return index
        original, start, length = self.breaks[found]
        if index < start + length:
            return original
        return original + 1 + (index - start - length)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The canonical-text span that skeleton[start:end] came from."""
        return self._origin(start), self._origin(max(start, end - 1)) + 1


def skeleton(text: str) -> Skeleton:
    """The confusable skeleton of canonical text, lower-cased, with offsets back into it.

    The text is translated in one pass over a table of its distinct characters; only characters
    whose skeleton is not one character long are located, to map offsets back."""
    distinct = set(text)
    table = {ord(c): _SKELETON[c] for c in distinct}
    odd = sorted(c for c in distinct if len(_SKELETON[c]) != 1)
    breaks: list[tuple[int, int, int]] = []
    if odd:
        shift = 0
        for found in re.finditer("[" + "".join(re.escape(c) for c in odd) + "]", text):
            length = len(_SKELETON[found.group()])
            breaks.append((found.start(), found.start() + shift, length))
            shift += length - 1
    return Skeleton(text.translate(table), tuple(breaks), tuple(b[1] for b in breaks))


def skeleton_text(text: str) -> str:
    """`skeleton(text).text` without the offsets back, which our own lists' words never need:
    locating the odd characters compiled a pattern for each of 66,000 phrases."""
    return text.translate({ord(c): _SKELETON[c] for c in set(text)})


def skeleton_of(phrase: str) -> str:
    """A phrase from our own lists in the form skeletons are compared in."""
    return skeleton_text(canonical_line(phrase))


def skeleton_texts(texts: Iterable[str]) -> dict[str, str]:
    """`skeleton_text` of each distinct text, translated over one table of all their characters:
    a table a text made a third of a process's first message out of our own lists' phrases."""
    distinct = set(texts)
    table = {ord(c): _SKELETON[c] for c in set().union(*distinct)}
    return {text: text.translate(table) for text in distinct}


def skeletons_of(phrases: Iterable[str]) -> dict[str, str]:
    """`skeleton_of` each distinct phrase from our own lists, as `skeleton_texts` makes them."""
    lines = {phrase: canonical_line(phrase) for phrase in set(phrases)}
    skeletons = skeleton_texts(lines.values())
    return {phrase: skeletons[line] for phrase, line in lines.items()}
