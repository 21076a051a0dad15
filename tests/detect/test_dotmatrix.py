"""Digits drawn as dot-matrix glyphs: by table cells of a colour, by block characters."""

import time

import pytest
from inviteguard.detect.dotmatrix import digits_in_grid
from inviteguard.detect.parse import parse_raw
from inviteguard.detect.view import canonical, disguised_numbers, render_html

# 028 3555 7190 in the five-by-seven LCD font (its "3" a common variant), as b130's lure drew it.
GRID = """\
.###...###...###......####..#####.#####.#####.....#####...#....###...###..
#...#.#...#.#...#.........#.#.....#.....#.............#..##...#...#.#...#.
#..##.....#.#...#.........#.####..####..####.........#....#...#...#.#..##.
#.#.#....#...###.......###......#.....#.....#.......#.....#....####.#.#.#.
##..#...#...#...#.........#.....#.....#.....#......#......#.......#.##..#.
#...#..#....#...#.........#.#...#.#...#.#...#......#......#......#..#...#.
.###..#####..###......####...###...###...###.......#.....###...##....###..""".split("\n")


def test_a_grid_reads_as_the_digits_its_glyphs_draw_in_groups():
    assert digits_in_grid(GRID) == "028 3555 7190"
    # A dot off in a glyph still reads as its digit; blank rows around the glyphs do not count.
    smudged = [GRID[0].replace(".###.", ".##..", 1), *GRID[1:]]
    assert digits_in_grid(["." * 74, *smudged, "." * 74]) == "028 3555 7190"


@pytest.mark.parametrize("grid", [
    GRID[:6],  # six rows: no glyph of the font
    [row.replace("#", ".", 1) + "#" for row in GRID],  # a stroke along the right edge: a glyph that is no digit
    ["#" * 40] * 7,  # a block
    [],
])
def test_a_grid_that_draws_anything_else_reads_as_nothing(grid):
    assert digits_in_grid(grid) == ""


def _cell_table(grid: list[str], on: str = "#b00020") -> str:
    cell = '<td width="7" height="7" bgcolor="{}" style="width:7px;height:7px;font-size:1px">&nbsp;</td>'
    return ('<table cellpadding="0" cellspacing="0"><tbody>'
            + "".join("<tr>" + "".join(cell.format(on if dot == "#" else "#ffffff") for dot in row) + "</tr>"
                      for row in grid) + "</tbody></table>")


def test_a_table_of_coloured_cells_is_read_as_the_digits_it_draws():
    html = f"<p>Vui lòng gọi ngay số dưới đây:</p>{_cell_table(GRID)}<p>Trân trọng</p>"
    rendered = render_html(html)
    assert "028 3555 7190" in rendered.text
    assert disguised_numbers([rendered.written]) == ("02835557190",)
    # Colours by style rather than by attribute read the same.
    styled = _cell_table(GRID).replace('bgcolor="#b00020" style="', 'style="background-color:#b00020;')
    assert "028 3555 7190" in render_html(styled).text
    # One colour however it is spelled: "white" and "#ffffff" are both the blank cells.
    mixed = _cell_table(GRID).replace('bgcolor="#ffffff"', 'bgcolor="white"', 60)
    assert "028 3555 7190" in render_html(mixed).text


@pytest.mark.parametrize("html", [
    "<table><tr><td>Mon</td><td>Tue</td></tr><tr><td>9:00</td><td>10:00</td></tr></table>",  # a table of text
    _cell_table(["#." * 20] * 7),  # a chequered banner
    _cell_table(GRID).replace("&nbsp;", "x"),  # cells that hold text are no dots
])
def test_tables_that_draw_no_digits_read_as_written(html):
    rendered = render_html(html)
    assert rendered.text == render_html(html.replace("bgcolor", "data-colour")).text


BLOCK_ART = "\n".join(row.replace("#", "█").replace(".", " ") for row in GRID)


@pytest.mark.parametrize("text", [
    f"Hívja az alábbi számot:\n\n{BLOCK_ART}\n\nKöszönjük",
    f"Hívja az alábbi számot:\n\n{BLOCK_ART.replace('█', '██').replace(' ', '  ')}\n\nKöszönjük",  # dots two wide
])
def test_block_characters_drawing_digits_are_read_as_those_digits(text):
    assert canonical(text)[0] == "Hívja az alábbi számot:\n\n028 3555 7190\n\nKöszönjük"
    assert disguised_numbers([text]) == ("02835557190",)


def test_a_drawn_number_in_a_message_is_read_as_a_disguised_number():
    raw = (f"From: a@example.org\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           f"<p>Call now:</p>{_cell_table(GRID)}").encode()
    assert parse_raw(raw).disguised_numbers == ("02835557190",)


def test_drawings_are_read_in_linear_time():
    started = time.process_time()
    render_html(_cell_table(GRID) * 200)
    render_html("<table><tr><td>" * 2_000 + "x")
    canonical((BLOCK_ART + "\n") * 2_000)
    canonical(("█ " * 190 + "\n") * 20_000)
    disguised_numbers(["█\n" + "\n".join(str(n) for n in range(10**9, 10**9 + 200_000))])  # lines of digits
    assert time.process_time() - started < 60  # a bound, not a timing


# Five-row ASCII-art banners as b111's, b124's and b125's lures drew their numbers: the three-wide
# font with each dot two characters wide, the same font in full blocks, and the five-wide font in
# two blocks a blank line apart ("0800" over "069 4471").
BANNERS = [
    ("""\
        ##          ######  ######  ######          ######      ##  ######
        ##          ##  ##      ##      ##          ##  ##      ##      ##
        ##  ######  ######  ######  ######  ######  ##  ##      ##  ######
        ##          ##  ##      ##      ##          ##  ##      ##  ##
        ##          ######  ######  ######          ######      ##  ######""", "1-833-012"),
    ("""\
███  ███   █        ███  ███  ███       █ █  █ █  ███  ███
  █  █    ██          █  █ █    █       █ █  █ █  █ █  █ █
███  ███   █        ███  █ █    █       ███  ███  ███  ███
  █    █   █        █    █ █    █         █    █  █ █    █
███  ███  ███       ███  ███    █         █    █  ███  ███""", "351 207 4489"),
    ("""\
 ###    ###    ###    ###
#   #  #   #  #   #  #   #
#   #   ###   #   #  #   #
#   #  #   #  #   #  #   #
 ###    ###    ###    ###

 ###    ###    ###       #  #   #  #   #####    #
#   #  #      #   #      #  #   #  #      #    ##
#   #  ####    ####      #####  #####    #      #
#   #  #   #      #         #      #    #       #
 ###    ###    ###          #      #    #      ###""", "0800 069 4471"),
]


@pytest.mark.parametrize(("art", "digits"), BANNERS)
def test_a_five_row_ascii_art_banner_reads_as_its_digits(art, digits):
    text = f"Call the support line:\n{art}\nThanks"
    assert canonical(text)[0] == f"Call the support line:\n{digits}\nThanks"
    assert disguised_numbers([text]) == (digits.replace(" ", "").replace("-", ""),)


@pytest.mark.parametrize("art", [
    "#####\n#   #\n#   #\n#   #\n#####",  # a box
    "# Title\n## Section\n### Part\n#### Item\n##### Note",  # headings
    "█ █ █\n█ █ █\n█ █ █\n█ █ █\n█ █ █",  # bars, no digits of a font
])
def test_five_lines_of_marks_that_draw_no_digits_stay_as_written(art):
    assert disguised_numbers([art]) == ()
    assert canonical(art)[0].split("\n") == [" ".join(line.split()) for line in art.split("\n")]
