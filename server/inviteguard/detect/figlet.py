"""Digits drawn in FIGlet's fonts: a banner of slashes, bars and underscores a reader reads as
"0522 49 17 83", whose text holds no digit of it.

FIGlet lets each glyph overlap its neighbour and merges the characters where they meet
("smushing"), so a banner cannot be cut into glyphs at blank columns. It is read with the fonts'
own renderer (pyfiglet, which ships the font files): how each character is drawn after each other
character is rendered once per font, and the banner is read left to right as the string whose
rendering differs least from its columns, one character at a time with the one before it in mind.
A banner is read when that string's rendering differs from it in a small share of its marked cells
(a hand-copied banner, another FIGlet version's smushing). Linear in the banner's columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from . import budget

FONTS = ("standard", "big", "small", "slant", "doom", "banner")
CHARACTERS = "0123456789+- "
BANNER_COLUMNS_MAX = 300
MISMATCH_SHARE_MAX = 0.12  # of the banner's marked cells, what its reading may differ in
RIGHT_MARGIN = 4  # blank columns a glyph may end with past the banner's last marked column


# FIGlet's layouts: the font's own (most smush), kerning (glyphs touch, nothing merges: figlet
# -k) and full width (figlet -W). Each pair of characters may be drawn in any of them.
_LAYOUTS = (None, 64, 0)

Columns = tuple[str, ...]


@dataclass(frozen=True)
class Font:
    rows: tuple[int, ...]  # the rows any of CHARACTERS draws on
    alone: dict[str, Columns]  # a character's columns, rendered first
    after: dict[tuple[str, str], tuple[tuple[Columns, Columns], ...]]  # (before, char): _pair, per layout


@cache
def _font(name: str) -> Font:
    """How a FIGlet font draws each of CHARACTERS first and after each other one, in each layout."""
    import pyfiglet  # its fonts are loaded the first time a banner is read

    texts = [*CHARACTERS, *(a + b for a in CHARACTERS for b in CHARACTERS)]
    renders = []
    for layout in _LAYOUTS:
        figlet = pyfiglet.Figlet(font=name, width=10_000)
        if layout is not None:
            figlet.Font.smushMode = layout
        renders.append({text: figlet.renderText(text).split("\n") for text in texts})
    height = max(len(lines) for drawn in renders for lines in drawn.values())
    rows = tuple(y for y in range(height) if any(y < len(r) and r[y].strip() for r in renders[0].values()))

    def columns(drawn: list[str]) -> Columns:
        lines = [drawn[y] if y < len(drawn) else "" for y in rows]
        width = max(map(len, lines))
        return tuple("".join(line.ljust(width)[x] for line in lines) for x in range(width))

    alone = {char: columns(renders[0][char]) for char in CHARACTERS}
    after = {(a, b): tuple(dict.fromkeys(_pair(columns(drawn[a]), columns(drawn[a + b])) for drawn in renders))
             for a in CHARACTERS for b in CHARACTERS}
    return Font(rows, alone, after)


def banner_heights() -> tuple[int, ...]:
    """The heights in lines of FONTS' banners of CHARACTERS."""
    return tuple(len(_font(name).rows) for name in FONTS)


def _pair(first: Columns, both: Columns) -> tuple[Columns, Columns]:
    """What drawing a character after another does to the other's columns (the last ones it merged
    with, as they become) and the columns it adds."""
    kept = len(first)
    while kept > 0 and (kept > len(both) or both[kept - 1] != first[kept - 1]):
        kept -= 1
    return both[kept:len(first)], both[len(first):]


def _cell_cost(drawn: str, wanted: str) -> float:
    """How far a drawn column is from a rendered one: a cell marked in one and blank in the other
    costs 1, a cell both mark with different characters a half."""
    return sum(1.0 if (a == " ") != (b == " ") else 0.5 if a != b else 0.0
               for a, b in zip(drawn, wanted.ljust(len(drawn)), strict=False))


def banner_digits(lines: Sequence[str]) -> str:
    """The digits (and "+", "-", spaces between groups) a banner of lines draws in one of FONTS,
    or "" when none draws it closely enough."""
    return _banner_digits(tuple(line.rstrip() for line in lines))


# A message's text is read more than once (the view, its record of disguises; a message's inputs):
# its last banners' readings are kept. Bounded, as the readings are small.
@lru_cache(maxsize=64)
def _banner_digits(lines: tuple[str, ...]) -> str:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    if not lines or max(map(len, lines)) > BANNER_COLUMNS_MAX:
        return ""
    for name in FONTS:
        font = _font(name)
        if len(font.rows) == len(lines):
            read = _read(lines, font)
            if read.strip(" -+"):
                return read
    return ""


def _read(lines: tuple[str, ...], font: Font) -> str:
    width = max(map(len, lines))
    columns = ["".join(line.ljust(width)[x] for line in lines) for x in range(width)]
    first = next(x for x, column in enumerate(columns) if column.strip())
    columns = columns[first:]
    width = len(columns)
    marked = sum(len(column) - column.count(" ") for column in columns)
    costs: dict[tuple[str, str], float] = {}

    def cost(at: int, wanted: tuple[str, ...]) -> float:
        total = 0.0
        for offset, column in enumerate(wanted):
            drawn = columns[at + offset] if 0 <= at + offset < width else " " * len(column)
            key = (drawn, column)
            if key not in costs:
                costs[key] = _cell_cost(drawn, column)
            total += costs[key]
        return total

    def leading_blank(wanted: tuple[str, ...]) -> int:
        return next((x for x, column in enumerate(wanted) if column.strip()), len(wanted))

    # states[x][char]: the least cost of reading columns [0, x) as a string ending in char, and
    # the state before it (a back pointer).
    room = width + RIGHT_MARGIN
    states: list[dict[str, tuple[float, int, str]]] = [{} for _ in range(room + 1)]
    for char in CHARACTERS.strip():
        glyph = font.alone[char][leading_blank(font.alone[char]):]
        if len(glyph) <= room:
            states[len(glyph)][char] = (cost(0, glyph), -1, "")
    for x in range(room + 1):
        if x % 32 == 0:
            budget.check()
        for before, (spent, _, _) in list(states[x].items()):
            for char in CHARACTERS:
                for merged, added in font.after[(before, char)]:
                    end = x + len(added)
                    if end > room or end == x:
                        continue
                    # The columns the new character merged with were paid for as drawn alone.
                    mended = cost(x - len(merged), merged) \
                        - cost(x - len(merged), font.alone[before][-len(merged):]) if merged else 0.0
                    total = spent + mended + cost(x, added)
                    if char not in states[end] or total < states[end][char][0]:
                        states[end][char] = (total, x, before)
    # A reading ends at or past the last marked column (columns were trimmed to start marked).
    last = max(x for x, column in enumerate(columns) if column.strip()) + 1
    ends = [(spent, x, char) for x in range(last, room + 1) for char, (spent, _, _) in states[x].items()]
    if not ends:
        return ""
    spent, x, char = min(ends)
    if spent > MISMATCH_SHARE_MAX * marked:
        return ""
    read = []
    while x > 0 and char:
        read.append(char)
        _, x, char = states[x][char]
    return " ".join("".join(reversed(read)).split())
