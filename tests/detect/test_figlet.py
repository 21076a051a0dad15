"""Digits drawn as FIGlet banners are read as the digits they draw."""

import pyfiglet
import pytest
from inviteguard.detect.figlet import FONTS, banner_digits
from inviteguard.detect.view import canonical, disguised_numbers


@pytest.mark.parametrize("font", FONTS)
@pytest.mark.parametrize("number", ["+1 808 555 0143", "0800-069-4471", "0522 49 17 83"])
def test_a_banner_in_each_font_reads_as_its_number(font, number):
    drawn = pyfiglet.Figlet(font=font, width=400).renderText(number)
    assert banner_digits(drawn.split("\n")).replace(" ", "") == number.replace(" ", "")


# b132's lure: 0522 49 17 83 in the "standard" font as another FIGlet version kerns it (no glyph
# merged with the next), copied into the message's text part.
HAND_COPIED = r"""
  ___  ____ ____  ____    _  _    ___    _ _____  ___  _____
 / _ \| ___|___ \|___ \  | || |  / _ \  / |___  |( _ )|___ /
| | | |___ \ __) | __) | | || |_| (_) | | |  / / / _ \  |_ \
| |_| |___) / __/ / __/  |__   _|\__, | | | / / | (_) |___) |
 \___/|____/_____|_____|    |_|    /_/  |_|/_/   \___/|____/
"""


def test_a_banner_in_a_message_is_read_and_recorded_as_a_disguise():
    text = f"Pour le remboursement, appelez le service :{HAND_COPIED}Merci."
    assert canonical(text)[0] == "Pour le remboursement, appelez le service :\n0522491783\nMerci."
    assert disguised_numbers([text]) == ("0522491783",)


@pytest.mark.parametrize("art", [
    # A table's frame, a signature's rule, a shrug: strokes that draw no digits.
    "+-----+-----+\n|  _  |  _  |\n| |_| | |_| |\n|_____|_____|\n+-----+-----+",
    "____________________\n|                  |\n|  \\__/    \\__/    |\n|__________________|",
    pyfiglet.Figlet(font="standard").renderText("HELLO"),
    "> ) > >\n> ) > >\n> ) >\n> ) >\n> ) >",  # a quoted reply's markers, read as no banner at all
])
def test_strokes_that_draw_no_digits_stay_as_written(art):
    assert disguised_numbers([art]) == ()
    assert banner_digits(art.split("\n")) == ""


def test_a_text_of_many_banners_reads_only_the_first_few():
    """Each banner is a search over the fonts: a text of thousands costs as much as a few."""
    figlet = pyfiglet.Figlet(font="standard", width=400)
    text = "\n".join(figlet.renderText(f"+1 808 555 {number}") for number in range(1000, 1400))
    assert disguised_numbers([text]) == ("+18085551000", "+18085551001", "+18085551002")
