"""Digits drawn as dot-matrix glyphs: a grid of marked and empty cells, as a table of coloured
cells or lines of block characters draws them ("0", five dots wide and seven high, no digit
written). A reader reads the digits; a filter that reads text sees empty cells or "█".

The glyphs are parted by empty columns and each is matched to the nearest digit of the common
five-by-seven fonts (the HD44780 LCD font and its usual variants), within GLYPH_DISTANCE_MAX cells
differing and clearly nearer than any other digit. A grid with any glyph that is no digit draws
something else, and reads as nothing. Linear in the grid's cells.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def _cells(rows: Sequence[str]) -> frozenset[tuple[int, int]]:
    return frozenset((y, x) for y, row in enumerate(rows) for x, char in enumerate(row) if char == "#")


def _trimmed(cells: frozenset[tuple[int, int]]) -> frozenset[tuple[int, int]]:
    """The cells moved to the top left: a glyph is compared by its shape, not its place."""
    if not cells:
        return cells
    top, left = min(y for y, _ in cells), min(x for _, x in cells)
    return frozenset((y - top, x - left) for y, x in cells)


_GLYPHS = tuple((digit, _trimmed(_cells(glyph))) for digit, glyphs in _FONT.items() for glyph in glyphs)


def _digit(glyph: frozenset[tuple[int, int]]) -> str | None:
    """The digit a glyph draws: the nearest of the font's, when near enough and clearly nearest."""
    shape = _trimmed(glyph)
    distances: dict[str, int] = {}
    for digit, cells in _GLYPHS:
        distance = len(shape ^ cells)
        distances[digit] = min(distance, distances.get(digit, distance))
    ranked = sorted(distances.items(), key=lambda item: item[1])
    (best, nearest), (_, second) = ranked[0], ranked[1]
    return best if nearest <= GLYPH_DISTANCE_MAX and second - nearest >= GLYPH_MARGIN else None


def digits_in_grid(rows: Sequence[str]) -> str:
    """The digits (and a "+") a grid of "#" (marked) and other cells draws, groups parted by a
    space, or "" when it draws anything but seven-row digits."""
    marked = [y for y, row in enumerate(rows) if "#" in row]
    if not marked:
        return ""
    rows = rows[marked[0]:marked[-1] + 1]
    width = max(map(len, rows))
    if len(rows) != GLYPH_ROWS or width > GRID_COLUMNS_MAX:
        return ""
    filled = ["#" in column for column in zip(*(row.ljust(width, ".") for row in rows), strict=True)]
    digits: list[str] = []
    x, last_end = 0, None
    while x < width:
        if not filled[x]:
            x += 1
            continue
        start = x
        while x < width and filled[x]:
            x += 1
        if x - start > GLYPH_COLUMNS:
            return ""  # wider than a glyph: glyphs that touch, or no glyphs at all
        digit = _digit(_cells([row[start:x] for row in rows]))
        if digit is None:
            return ""
        if last_end is not None and start - last_end >= GROUP_GAP + 1:
            digits.append(" ")
        digits.append(digit)
        last_end = x
    return "".join(digits)
