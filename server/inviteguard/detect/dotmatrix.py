"""Digits drawn as dot-matrix glyphs: a grid of marked and empty cells, as a table of coloured
cells or lines of block characters draws them ("0", five dots wide and seven high, no digit
written). A reader reads the digits; a filter that reads text sees empty cells or "█".

The glyphs are parted by empty columns and each is matched to the nearest digit of the common
fonts of the grid's height: seven rows, the five-by-seven fonts (the HD44780 LCD font and its
usual variants), within GLYPH_DISTANCE_MAX cells differing and clearly nearer than any other digit;
five rows, the three-by-five and five-by-five fonts of ASCII-art banners ("###" over "#.#"), whose
digits differ in a cell or two, within one cell and nearer than any other. A grid with any glyph
that is no digit draws something else, and reads as nothing. Linear in the grid's cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

GLYPH_ROWS = 7
GLYPH_COLUMNS = 5
GLYPH_DISTANCE_MAX = 4  # cells of 35 a drawn glyph may differ in from its digit
GLYPH_MARGIN = 2  # ... and by how many fewer than from any other digit
GROUP_GAP = 2  # empty columns between glyphs from which a space parts two groups of digits
GRID_COLUMNS_MAX = 600  # some eighty glyphs: a grid wider than any number

# Each digit's glyphs, rows top to bottom, "#" a marked dot.
_FONT = {
    "0": ((".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."),
          (".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###.")),
    "1": (("..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."),
          ("..#..", ".##..", "#.#..", "..#..", "..#..", "..#..", "#####"),
          ("..#..", ".##..", "..#..", "..#..", "..#..", "..#..", "..#..")),
    "2": ((".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"),
          (".###.", "#...#", "....#", ".###.", "#....", "#....", "#####")),
    "3": (("#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."),
          ("####.", "....#", "....#", ".###.", "....#", "....#", "####."),
          (".###.", "#...#", "....#", "..##.", "....#", "#...#", ".###.")),
    "4": (("...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."),
          ("#...#", "#...#", "#...#", "#####", "....#", "....#", "....#")),
    "5": (("#####", "#....", "####.", "....#", "....#", "#...#", ".###."),
          ("#####", "#....", "#....", "####.", "....#", "....#", "####.")),
    "6": (("..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."),
          (".###.", "#....", "#....", "####.", "#...#", "#...#", ".###.")),
    "7": (("#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."),
          ("#####", "....#", "...#.", "..#..", "..#..", "..#..", "..#..")),
    "8": ((".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."),),
    "9": ((".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."),
          (".###.", "#...#", "#...#", ".####", "....#", "....#", ".###.")),
    "+": ((".....", "..#..", "..#..", "#####", "..#..", "..#..", "....."),),  # before a country code
}


# Five rows: the three-wide font of hand-made banners (a "1" one or three wide) and the five-wide
# one; a dash parts groups as a space does.
_FONT_5 = {
    "0": (("###", "#.#", "#.#", "#.#", "###"), (".###.", "#...#", "#...#", "#...#", ".###.")),
    "1": ((".#.", "##.", ".#.", ".#.", "###"), ("#", "#", "#", "#", "#"), ("##.", ".#.", ".#.", ".#.", "###"),
          (".#", "##", ".#", ".#", ".#"), ("..#..", ".##..", "..#..", "..#..", ".###.")),
    "2": (("###", "..#", "###", "#..", "###"), (".###.", "#...#", "...#.", ".#...", "#####"),
          ("####.", "....#", ".###.", "#....", "#####")),
    "3": (("###", "..#", "###", "..#", "###"), ("###", "..#", ".##", "..#", "###"),
          ("####.", "....#", ".###.", "....#", "####.")),
    "4": (("#.#", "#.#", "###", "..#", "..#"), ("#...#", "#...#", "#####", "....#", "....#"),
          ("#..#.", "#..#.", "#####", "...#.", "...#.")),
    "5": (("###", "#..", "###", "..#", "###"), ("#####", "#....", "####.", "....#", "####.")),
    "6": (("###", "#..", "###", "#.#", "###"), (".###.", "#....", "####.", "#...#", ".###.")),
    "7": (("###", "..#", "..#", "..#", "..#"), ("#####", "...#.", "..#..", ".#...", ".#..."),
          ("#####", "....#", "...#.", "..#..", "..#..")),
    "8": (("###", "#.#", "###", "#.#", "###"), (".###.", "#...#", ".###.", "#...#", ".###.")),
    "9": (("###", "#.#", "###", "..#", "###"), (".###.", "#...#", ".####", "....#", ".###.")),
    "+": ((".#.", "###", ".#."), ("..#..", "..#..", "#####", "..#..", "..#..")),
    "-": (("###",),),
}


def _cells(rows: Sequence[str]) -> frozenset[tuple[int, int]]:
    return frozenset((y, x) for y, row in enumerate(rows) for x, char in enumerate(row) if char == "#")


def _trimmed(cells: frozenset[tuple[int, int]]) -> frozenset[tuple[int, int]]:
    """The cells moved to the top left: a glyph is compared by its shape, not its place."""
    if not cells:
        return cells
    top, left = min(y for y, _ in cells), min(x for _, x in cells)
    return frozenset((y - top, x - left) for y, x in cells)


@dataclass(frozen=True, eq=False)  # one object per font: hashed by identity, as _digit's key
class Font:
    glyphs: tuple[tuple[str, frozenset[tuple[int, int]]], ...]
    distance_max: int  # cells a drawn glyph may differ in from its digit
    margin: int  # ... and by how many fewer than from any other digit


def _font(glyphs: dict[str, tuple[tuple[str, ...], ...]], distance_max: int, margin: int) -> Font:
    return Font(tuple((digit, _trimmed(_cells(glyph))) for digit, variants in glyphs.items() for glyph in variants),
                distance_max, margin)


# By the grid's height in rows.
_FONTS = {GLYPH_ROWS: _font(_FONT, GLYPH_DISTANCE_MAX, GLYPH_MARGIN), 5: _font(_FONT_5, 1, 1)}
HEIGHTS = tuple(_FONTS)


@lru_cache(maxsize=4096)  # a drawing repeats a few shapes: each is matched against the font once
def _digit(glyph: frozenset[tuple[int, int]], font: Font) -> str | None:
    """The digit a glyph draws: the nearest of the font's, when near enough and clearly nearest."""
    shape = _trimmed(glyph)
    distances: dict[str, int] = {}
    for digit, cells in font.glyphs:
        distance = len(shape ^ cells)
        distances[digit] = min(distance, distances.get(digit, distance))
    ranked = sorted(distances.items(), key=lambda item: item[1])
    (best, nearest), (_, second) = ranked[0], ranked[1]
    return best if nearest <= font.distance_max and second - nearest >= font.margin else None


def digits_in_grid(rows: Sequence[str]) -> str:
    """The digits (and a "+", or a "-" between groups) a grid of "#" (marked) and other cells
    draws, groups parted by a space, or "" when it draws anything but digits of a font of its
    height (seven rows or five)."""
    marked = [y for y, row in enumerate(rows) if "#" in row]
    if not marked:
        return ""
    rows = rows[marked[0]:marked[-1] + 1]
    width = max(map(len, rows))
    font = _FONTS.get(len(rows))
    if font is None or width > GRID_COLUMNS_MAX:
        return ""
    filled = ["#" in column for column in zip(*(row.ljust(width, ".") for row in rows), strict=True)]
    glyphs: list[tuple[int, int, str]] = []  # (first column, past the last, what it draws)
    x = 0
    while x < width:
        if not filled[x]:
            x += 1
            continue
        start = x
        while x < width and filled[x]:
            x += 1
        if x - start > GLYPH_COLUMNS:
            return ""  # wider than a glyph: glyphs that touch, or no glyphs at all
        digit = _digit(_cells([row[start:x] for row in rows]), font)
        if digit is None:
            return ""
        glyphs.append((start, x, digit))
    return _grouped(glyphs)


def _grouped(glyphs: list[tuple[int, int, str]]) -> str:
    """The glyphs' digits, a space where the gap between two is a group's: GROUP_GAP columns wider
    than the tightest gap, not counting the room a glyph narrower than the widest leaves on its
    sides (a "1" stands in a cell as wide as an "8")."""
    if not glyphs:
        return ""
    widest = max(end - start for start, end, _ in glyphs)
    tightest = min((after[0] - before[1] for before, after in pairwise(glyphs)), default=0)
    out = [glyphs[0][2]]
    for before, after in pairwise(glyphs):
        room = (widest - (before[1] - before[0])) + (widest - (after[1] - after[0]))
        if after[0] - before[1] - room >= tightest + GROUP_GAP:
            out.append(" ")
        out.append(after[2])
    return "".join(out)
