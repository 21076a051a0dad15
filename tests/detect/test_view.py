"""The canonical view: what a reader sees, made once, used by every signal."""

import random
import string
import time

import pytest
from inviteguard.detect import budget
from inviteguard.detect.parse import parse_outlook, parse_raw
from inviteguard.detect.signals import Reading, phone
from inviteguard.detect.view import (
    ELISION,
    HEAD_CHARS,
    TAIL_CHARS,
    Turn,
    canonical,
    canonical_line,
    disguised_numbers,
    render_html,
    skeleton,
    skeleton_of,
    turned_pictures,
)


@pytest.mark.parametrize(("written", "seen"), [
    ("Pay\u200bPal", "PayPal"),  # zero-width space
    ("Pay\u00adPal", "PayPal"),  # soft hyphen
    ("Pay\u2060Pal", "PayPal"),  # word joiner
    ("Pay\u034fPal", "PayPal"),  # combining grapheme joiner
    ("Pay\ufe0fPal", "PayPal"),  # variation selector
    ("\u2066PayPal\u2069", "PayPal"),  # bidi isolate
    ("Pay\u200ePal", "PayPal"),  # left-to-right mark
    ("Pay\U000e0020Pal", "PayPal"),  # tag character
    ("\uff30\uff41\uff59\uff30\uff41\uff4c", "PayPal"),  # full-width letters
    ("\U0001d40f\U0001d41a\U0001d432", "Pay"),  # mathematical bold
    ("\uff18\uff10\uff10", "800"),  # full-width digits
    ("\u0668\u0660\u0660", "800"),  # Arabic-Indic digits
    ("\u0660\u0640\u0661\u0640\u0660", "010"),  # ... joined by tatweel, which stretches and spells nothing (b138)
    ("\u0645\u0640\u0640\u062d\u0645\u062f", "\u0645\u062d\u0645\u062f"),  # a word stretched by it
    ("\u096e\u0966\u0966", "800"),  # Devanagari digits
    ("8\ufe0f\u20e30\ufe0f\u20e3", "80"),  # keycap digits
    # Circled digits of every style (round 122, from b129): NFKC folds only the plain ones.
    ("\u2467\u24ea\u24ea", "800"),  # circled
    ("\u277d\u24ff\u24ff", "800"),  # negative (white on black) circled
    ("\u2787\u278a\u24f9", "815"),  # sans-serif, negative sans-serif and double circled
    ("\u2474 \u2469", "(1) 10"),  # a parenthesised digit and a circled ten are no single digits
    ("+\u03324\u03324\u0332 \u03322\u03320\u0332", "+44 20"),  # a low line under each digit, sign and space
    ("1\u03368\u0336-0\u0305", "18-0"),  # a stroke or an overline over a digit
    ("cafe\u0301 \u0915\u093f", "caf\u00e9 \u0915\u093f"),  # a letter keeps its marks
    ("058\u05be412\u05be9730", "058\u2010412\u20109730"),  # the Hebrew maqaf is a hyphen
    ("\u0540\u0561\u0575\u0561\u057d\u057f\u0561\u0576\u058a\u0540\u0561\u0575",
     "\u0540\u0561\u0575\u0561\u057d\u057f\u0561\u0576\u2010\u0540\u0561\u0575"),  # so is the Armenian
    ("10:00\u301c11:00", "10:00\u301c11:00"),  # a wave dash of a range stays itself
    ("a\u00a0b\u2003c\u3000d", "a b c d"),  # every space is a space
    ("a    b\t\tc", "a b c"),
    # Malayalam's older chillu (consonant, virama, joiner): "if not paid", as the lexicon spells it
    ("\u0d05\u0d1f\u0d1a\u0d4d\u0d1a\u0d3f\u0d32\u0d4d\u0d32\u0d46\u0d19\u0d4d\u0d15\u0d3f\u0d32\u0d4d\u200d",
     "\u0d05\u0d1f\u0d1a\u0d4d\u0d1a\u0d3f\u0d32\u0d4d\u0d32\u0d46\u0d19\u0d4d\u0d15\u0d3f\u0d7d"),
])
def test_canonical_text_is_what_the_reader_sees(written, seen):
    assert canonical(written) == (seen, False)


@pytest.mark.parametrize(("written", "seen"), [
    ("call \u202e2910-555-834-1\u202c now", "call 1-438-555-0192 now"),  # a right-to-left override
    ("call \u202e2910-555-834-1\nnext", "call 1-438-555-0192\nnext"),  # ends at the line's end
    ("\u202e\u202eab\u202ccd\u202c!", "dcba!"),  # nested, to its own PDF
])
def test_text_under_a_right_to_left_override_is_read_as_shown(written, seen):
    assert canonical(written) == (seen, False)


@pytest.mark.parametrize("html", [
    '<p>Call <span style="unicode-bidi: bidi-override; direction: rtl">2910-555-834-1</span> now</p>',
    '<p>Call <bdo dir="rtl">2910-555-834-1</bdo> now</p>',
    # From a stylesheet's rule (round 94, from b102's toll lure: "9945 27 008" shown "800 72 5499").
    '<style>.n{unicode-bidi:bidi-override;direction:rtl;font-weight:bold}</style>'
    '<p>Call <span class="n">2910-555-834-1</span> now</p>',
])
def test_html_shown_right_to_left_is_read_as_shown(html):
    assert render_html(html).text == "Call 1-438-555-0192 now"


@pytest.mark.parametrize("html", [
    # The inline style undoes the stylesheet's override; a direction alone reorders no characters.
    '<style>.n{unicode-bidi:bidi-override;direction:rtl}</style>'
    '<p>Call <span class="n" style="unicode-bidi:normal">2910-555-834-1</span> now</p>',
    '<style>.n{direction:rtl}</style><p>Call <span class="n">2910-555-834-1</span> now</p>',
])
def test_html_not_overridden_right_to_left_is_read_as_written(html):
    assert render_html(html).text == "Call 2910-555-834-1 now"


def test_whitespace_is_collapsed_before_the_cap():
    text, truncated = canonical("head " + " " * 500_000 + "\n" * 50_000 + "call +1 808 555 0199")
    assert text == "head\n\ncall +1 808 555 0199" and not truncated


def test_a_long_text_keeps_its_head_and_its_tail_and_says_so():
    text, truncated = canonical("lure at the start. " + "filler words " * 30_000 + "call +1 808 555 0199 at the end")
    assert truncated and ELISION in text and len(text) <= HEAD_CHARS + TAIL_CHARS + len(ELISION)
    assert text.startswith("lure at the start.") and text.endswith("call +1 808 555 0199 at the end")


@pytest.mark.parametrize(("html", "seen", "hidden"), [
    ("<p>Call +1 808 55<span style='display:none'>7</span>5 0199</p>", "Call +1 808 555 0199", "7"),
    ("<p>a<span style='visibility: hidden'>X</span>b</p>", "ab", "X"),
    ("<p>a<span style='font-size:0px'>X</span>b</p>", "ab", "X"),
    ("<p>a<span style='font-size:1px'>X</span>b</p>", "ab", "X"),  # a pixel high: decoy digits hide there
    ("<style>.d{font-size:0.5pt}</style><p>a<span class=d>X</span>b</p>", "ab", "X"),
    # Drawn larger, but not enough to read, or from nothing: zero times any zoom is zero.
    ("<p>a<span style='font-size:1px;zoom:3'>X</span>b<i style='font-size:0;zoom:50'>Y</i></p>", "ab", "X"),
    ("<p>a<span style='opacity:0'>X</span>b</p>", "ab", "X"),
    ("<p>a<span style='filter:blur(1px) opacity(0%)'>X</span>b</p>", "ab", "X"),
    ("<p>a<span style='max-height:0;overflow:hidden'>X</span>b</p>", "ab", "X"),
    ("<p>a<span hidden>X</span>b</p>", "ab", "X"),
    ("<style>.h{display:none}</style><p>a<span class=h>X</span>b</p>", "ab", "X"),
    ("<style>@media screen{#z{display:none!important}}</style><p>a<b id=z>X</b>b</p>", "ab", "X"),
    ("<p>a<!-- X -->b</p>", "ab", "X"),
    ("<script>X()</script><p>ab</p>", "ab", "X"),
])
def test_html_hidden_parts_are_left_out(html, seen, hidden):
    text = render_html(html).text
    assert text == seen and hidden not in text


@pytest.mark.parametrize("html", [
    # A pixel-high number drawn eighteen times larger by `zoom` or `transform: scale()` (b138), in
    # the element's own style or a style sheet's rule: a reader sees an eighteen-pixel number.
    "<p>Call <span style='font-size:1px;zoom:1800%'>0542 771 03 58</span></p>",
    "<style>.n{font-size:1px}.n{zoom:18}</style><p>Call <span class=n>0542 771 03 58</span></p>",
    "<p>Call <span style='font-size:1px;transform:scale(20, 18)'>0542 771 03 58</span></p>",
])
def test_a_tiny_font_drawn_large_is_read(html):
    assert render_html(html).text == "Call 0542 771 03 58"


@pytest.mark.parametrize(("html", "seen"), [
    # Pieces floated right line up from the right edge, the first rightmost (b138), by their own
    # style or a style sheet's, a comment or blank text between them; text between ends a run.
    ('<div><span style="float:right">0193</span> <span style="float:right">555-</span>'
     '<!-- x --><span style="float:right">077-</span></div>', "077-555-0193"),
    ('<style>.p{float:right}</style><div>Call <b class=p>0193</b><b class=p>555-</b></div>', "Call 555-0193"),
    ('<div><i style="float:right">a</i><i style="float:right">b</i>c<i style="float:right">d</i></div>', "bacd"),
    # Under a right-to-left direction words keep the source's order; a number's pieces are turned.
    ('<div dir="rtl"><span style="float:right">\u05e9\u05dc\u05d5\u05dd</span>'
     '<span style="float:right">\u05e2\u05d5\u05dc\u05dd</span></div>',
     "\u05e9\u05dc\u05d5\u05dd\u05e2\u05d5\u05dc\u05dd"),
    ('<div dir="rtl"><span style="float:right">0193</span><span style="float:right">-555</span></div>', "-5550193"),
    ('<div><span style="float:left">077-</span><span style="float:left">555</span></div>', "077-555"),
])
def test_boxes_floated_right_are_read_as_laid_out(html, seen):
    assert render_html(html).text == seen


@pytest.mark.parametrize(("html", "seen"), [
    # SVG and MathML written inline in the HTML are drawn by the clients that render HTML as a
    # browser does: SVG's text elements (not its title, nor text it hides) and MathML's tokens (not
    # its annotations), within the line when they are one line of words.
    ('<p>Call <svg width="200"><title>logo</title><text x="0" y="10">0800 555</text>'
     '<text style="display:none">7</text></svg> 0199</p>', "Call 0800 555 0199"),
    ("<p>Call <math><mn>0800</mn><mn>555</mn><semantics><mn>0199</mn><annotation>1 2</annotation></semantics>"
     "</math> today</p>", "Call 0800 555 0199 today"),
    ("<p>a<svg><text>b</text><text>c</text></svg>d</p>", "a\nb\nc\nd"),
    ("<div style='display:none'><svg><text>0800</text></svg><math><mn>555</mn></math></div>ok", "ok"),
])
def test_inline_svg_and_mathml_are_read_as_drawn(html, seen):
    assert render_html(html).text == seen


@pytest.mark.parametrize(("html", "seen"), [
    # A list item's marker written as a string is drawn before it (b139), from the item's style or
    # its list's, inline or from a style sheet; an item's own marker of another kind wins.
    ("<ul><li style=\"list-style-type:'+420 731 582 604 \u2014 '\">linka pro storno</li></ul>",
     "+420 731 582 604 \u2014 linka pro storno"),
    ('<style>ul.x{list-style:"0800 555 0199 " inside} .d{list-style-type:disc}</style>'
     '<ul class=x><li>a</li><li class=d>b</li></ul>', "0800 555 0199 a\n\nb"),
    ("<ol style='list-style-type:none'><li>n</li></ol><ul><li>plain</li></ul>", "n\n\nplain"),
    ("<style>li::marker{content:'0800 555 0199 '}</style><ul><li>line</li></ul>", "0800 555 0199 line"),
])
def test_a_list_items_string_marker_is_read_before_it(html, seen):
    assert render_html(html).text == seen


def test_html_gives_tel_targets_alt_text_css_content_and_links():
    rendered = render_html("<style>.n::after{content:'+1 808 555 0199'}</style>"
                           "<p><a href='tel:+18085550123'>Call us</a> <img alt='Norton support'>"
                           "<span class=n></span> <a href='https://zoom.us/j/123'>join</a></p>")
    assert "Call us (+18085550123)" in rendered.text and "Norton support" in rendered.text
    assert "+1 808 555 0199" in rendered.text and rendered.links == ("https://zoom.us/j/123",)


def test_a_percent_encoded_tel_link_reads_as_the_number_it_dials():
    """A phone dials "tel:%2B%33%35%31..." as +351... (RFC 3966 lets any character be escaped)."""
    rendered = render_html("<p><a href='tel:%2B%33%35%31%32%31%39%30%35%34%31%38%36'>Ligar agora</a></p>")
    assert "Ligar agora (+351219054186)" in rendered.text



@pytest.mark.parametrize(("html", "seen"), [
    ("<p>Call the Prime desk: <input type='text' readonly value='+1 808 555 0163'></p>", "+1 808 555 0163"),
    ("<p>Hotline <input readonly placeholder='0120-557-218'></p>", "0120-557-218"),  # no type: a text box
    ("<form><input type=submit value='Cancel the renewal'></form>", "Cancel the renewal"),
])
def test_a_form_field_shows_its_value_as_the_reader_sees_it(html, seen):
    assert seen in render_html(html).text


@pytest.mark.parametrize("html", ["<input type=checkbox value='+1 808 555 0163'>",
                                  "<input type=hidden value='+1 808 555 0163'>",
                                  "<input style='display:none' value='+1 808 555 0163'>"])
def test_a_value_no_box_draws_is_not_read(html):
    assert "555" not in render_html(html).text


def test_css_generated_content_is_read_with_its_escapes_decoded():
    rendered = render_html('<style>.n::after{content:"1\\2009 844\\2009 555\\2011 0107" "!"}'
                           ".a::before{content: attr(data-tel)}</style>"
                           "<p><span class=n></span> <b class=a data-tel='+41 44 507 33 91'></b></p>")
    assert "1 844 555\u20100107!" in rendered.text and "+41 44 507 33 91" in rendered.text


GROUPS_LAST_TO_FIRST = "<b>2210</b><b>93847-</b><b>(11) </b>"


@pytest.mark.parametrize("html", [
    f"<div style='display:flex;flex-direction:row-reverse'>{GROUPS_LAST_TO_FIRST}</div>",
    f"<style>.r{{display:inline-flex;flex-flow:row-reverse wrap}}</style><p class=r>{GROUPS_LAST_TO_FIRST}</p>",
    f"<div style='display:flex;flex-direction:column-reverse'>{GROUPS_LAST_TO_FIRST}</div>",
])
def test_a_flex_box_laid_out_in_reverse_is_read_as_shown(html):
    assert "(11) 93847-2210" in render_html(html).text


@pytest.mark.parametrize("html", [
    "<div style='white-space:pre-wrap'>Call us\n+7 916\n402\n77 19</div>",
    "<pre>Call us\n+7 916\n402\n77 19</pre>",
    "<style>.notes{white-space: pre-line}</style><div class=notes>Call us\n+7 916\n402\n77 19</div>",
])
def test_preformatted_text_keeps_the_line_breaks_a_reader_sees(html):
    # A Google invite's notes stand in such a block: a number set a group to a line stays stacked.
    assert render_html(html).text == "Call us\n+7 916\n402\n77 19"


@pytest.mark.parametrize("html", ["<div>Call us\n+7 916\n402</div>",
                                  "<pre style='white-space:normal'>Call us\n+7 916\n402</pre>"])
def test_ordinary_text_runs_its_source_line_breaks_together(html):
    assert render_html(html).text == "Call us +7 916 402"


def test_a_flex_direction_without_a_flex_box_keeps_the_order():
    assert render_html("<div style='flex-direction:row-reverse'><b>a</b><b>b</b></div>").text == "ab"


# Round 122, from b129: a number's groups written out of order and put back in order by CSS.
GROUPS_BY_ORDER = "<span style='order:3'>271</span> <span style='order:1'>+420</span> " \
                  "<span style='order:4'>905</span> <span style='order:2'>737</span>"


@pytest.mark.parametrize("html", [
    f"<span style='display:inline-flex;gap:6px'>{GROUPS_BY_ORDER}</span>",
    f"<div style='display:grid'>{GROUPS_BY_ORDER}</div>",
    # The groups abut, each carrying its own space.
    "<span style='display:inline-flex;gap:6px'><span style='order:3'>271 </span><span style='order:1'>+420 </span>"
    "<span style='order:4'>905</span><span style='order:2'>737 </span></span>",
    "<style>.n{display:flex} .a{order:1} .b{order:2} .c{order:3}</style>"
    "<p class=n><b class=c>905</b> <b class=b>271</b> <b>+420</b> <b class=a>737</b></p>",
    # Reversed after ordering, as a browser does.
    "<div style='display:flex;flex-direction:row-reverse'><b style='order:-1'>905</b> <b>271</b> "
    "<b style='order:2'>+420</b> <b style='order:1'>737</b></div>",
])
def test_a_flex_or_grid_box_shows_its_items_in_their_css_order(html):
    assert " ".join(render_html(html).text.split()) == "+420 737 271 905"


def test_a_flex_boxs_items_show_as_words_of_their_own():
    """b136: words and a number's groups in flex items written with no space between them, set
    apart by their margins, shuffled and put in order by `order`."""
    html = ("<div style='display:flex;flex-wrap:wrap'><span style='order:4;margin-right:5px'>0129</span>"
            "<span style='order:2;margin-right:5px'>call</span><span style='order:3;margin-right:5px'>09 555</span>"
            "<span style='order:1;margin-right:5px'>Please</span></div>")
    assert " ".join(render_html(html).text.split()) == "Please call 09 555 0129"
    # Set apart by the box's gap, or by a margin across the line; a margin above and below parts nothing.
    gapped = "<p style='display:flex;gap:0 4px'><b style='order:2'>0129</b><b style='order:1'>call</b></p>"
    assert render_html(gapped).text == "call 0129"
    stacked = "<p style='display:flex'><b style='order:2;margin:6px 0'>0129</b><b style='order:1'>-555-</b></p>"
    assert render_html(stacked).text == "-555-0129"


@pytest.mark.parametrize("html", [
    f"<p>{GROUPS_BY_ORDER}</p>",  # `order` outside a flex or grid box does nothing
    "<div style='display:flex'><b style='order:huge'>271</b> <b>905</b></div>",  # nor a value no browser reads
])
def test_css_order_without_a_flex_box_keeps_the_source_order(html):
    assert " ".join(render_html(html).text.split()).startswith("271")


# Round 123, from b130: a number drawn in seven segments with underscores and bars, no digit written.
SEVEN_SEGMENT_DRAWING = (" _   _       _      _   _          _   _       _  \r\n"
                         "| | |_|   |   |    |_  |_  |_|     _| | |   | |_| \r\n"
                         "|_|  _|   |   |    |_| |_|   |    |_  |_|   | |_| \r\n")


def test_digits_drawn_in_seven_segments_are_read_as_the_digits_they_draw():
    text = "Tumawag sa numerong ito:\r\n\r\n" + SEVEN_SEGMENT_DRAWING + "\r\nHuwag nang pumunta."
    assert canonical(text)[0] == "Tumawag sa numerong ito:\n\n0917 664 2018\n\nHuwag nang pumunta."
    assert disguised_numbers([text]) == ("09176642018",)
    # Cells that abut, as the classic drawing has them, read too.
    abutting = "    _  _     _  _  _  _  _ \n  | _| _||_||_ |_   ||_||_|\n  ||_  _|  | _||_|  ||_| _|\n"
    assert canonical(abutting)[0] == "123456789"


@pytest.mark.parametrize("text", [
    "| Name | Amount |\n|______|________|\n| Ana  | 12,00  |",  # a table drawn with bars
    " ___ \n|_ _|\n|___|",  # a box
    " _   _ \n|_| |_|\n|_| |_|",  # two digits are no number
])
def test_lines_of_bars_and_underscores_that_draw_no_number_stay_as_written(text):
    assert canonical(text)[0] == canonical(text.replace("_", "-"))[0].replace("-", "_")
    assert disguised_numbers([text]) == ()


def test_drawn_digits_are_read_in_linear_time():
    started = time.process_time()
    canonical(SEVEN_SEGMENT_DRAWING * 20_000)
    canonical(("|_" * 199 + "\n") * 5_000)
    assert time.process_time() - started < 30  # a bound, not a timing


# Round 123, from b130: a number written only as ruby annotations, a digit above each kanji.
FURIGANA_DIGITS = "".join(f"<ruby>{base}<rt>{digit}</rt></ruby>"
                          for base, digit in zip("緊急窓口直通電話番号", "0358432197", strict=True))


@pytest.mark.parametrize(("html", "shown"), [
    (f"<p>☎ {FURIGANA_DIGITS}</p>", "☎ 緊急窓口直通電話番号 0358432197"),
    ("<ruby>漢<rp>(</rp><rt>かん</rt><rp>)</rp>字<rp>(</rp><rt>じ</rt><rp>)</rp></ruby>を読む", "漢字 かんじ を読む"),
    # A space between rubies keeps them one run; markup inside an annotation is read.
    ("<ruby>番<rt>0</rt></ruby> <ruby>号<rt><b>3</b></rt></ruby>です", "番 号 03 です"),
    ("<ruby>番<rt style='display:none'>9</rt></ruby>号", "番号"),  # a hidden annotation is not read
])
def test_ruby_annotations_are_read_as_a_line_after_their_bases(html, shown):
    assert " ".join(render_html(html).text.split()) == " ".join(shown.split())


def test_rubies_nested_in_annotations_are_read_in_linear_time():
    started = time.process_time()
    render_html("<ruby>a<rt>" * 200 + "9" * 3_000_000)
    render_html("<ruby>a<rt>1</rt></ruby>" * 200_000)
    assert time.process_time() - started < 30  # a bound, not a timing


@pytest.mark.parametrize(("href", "app"), [("https://wa.me/573155550148?text=Hola", "WhatsApp"),
                                           ("https://api.whatsapp.com/send?phone=573155550148", "WhatsApp"),
                                           ("https://www.whatsapp.com/send/?text=x&phone=+573155550148", "WhatsApp"),
                                           ("https://signal.me/#p/+573155550148", "Signal")])
def test_a_messenger_link_gives_its_number(href, app):
    rendered = render_html(f"<p>Si no reconoce el cargo, <a href='{href}'>escríbanos</a> hoy.</p>")
    assert f"escríbanos ({app} +573155550148)" in rendered.text and rendered.links == (href,)


def test_an_ordinary_link_gives_no_number():
    assert "(" not in render_html("<a href='https://example.org/order/573155550148'>order</a>").text


@pytest.mark.parametrize(("html", "seen"), [
    # Mail templates zero a cell's font size to close gaps between blocks; each child sets its own.
    ("<table><tr><td style='font-size:0'> <div style='font-size:14px'>Helpline 808</div></td></tr></table>",
     "Helpline 808"),
    ("<style>.c{font-size:0}.t{font-size:13px}</style><div class=c>gap<p class=t>visible</p></div>", "visible"),
    ("<div style='visibility:hidden'>no<span style='visibility:visible'>yes</span></div>", "yes"),
    ("<div style='color:transparent'>no<b style='color:#222'>yes</b></div>", "yes"),
])
def test_inherited_hiding_is_undone_by_a_child_that_says_so(html, seen):
    assert render_html(html).text == seen


def test_digits_the_colour_of_the_page_are_hidden_inside_the_number_they_break():
    """White decoy digits on a white page read "70 270 411 89" to a text search and "70 20 41 89"
    to the reader: they are left out as hidden, and the number shows it was disguised."""
    rendered = render_html('<body bgcolor="#ffffff"><p><b>70 2<span style="color:#ffffff">7</span>0 4'
                           '<span style="color:#fefefe">1</span>1 89</b></p></body>')
    assert rendered.text == "70 20 41 89"
    assert rendered.written.strip() == "70 2\u20630 4\u20631 89"


@pytest.mark.parametrize(("html", "seen"), [
    # Text the colour of what is behind it, or nearly: white on white, yellow on white, a faint
    # alpha, black on a dark table cell; a <font> colour as much as a style's.
    ("<p>a<span style='color:#FFF'>b</span><span style='color:rgba(0,0,0,.05)'>c</span>"
     "<font color=yellow>d</font><font color=ffffff>e</font></p>", "a"),
    ("<table><tr><td bgcolor=#111 style='color:#eee'>x<span style='color:#000'>y</span></td></tr></table>", "x"),
    ("<style>.page{background-color:#fff}.fine{color:#fdfdfd}</style><div class=page>a<i class=fine>b</i></div>", "a"),
    # A filter draws the element's own background as it draws its text (black on black after
    # inverting white on white); inverting twice, or by too little, changes nothing a reader sees.
    ("<p>a<span style='background:#fff;color:#fff;filter:invert(1)'>b</span>"
     "<span style='filter:invert(1)'><i style='color:#fff;filter:invert(1)'>c</i></span>"
     "<span style='color:#fff;filter:invert(0.05) blur(1px)'>d</span></p>", "a"),
    # A shadow that cannot be read either (white, or transparent) shows nothing.
    ("<p>a<span style='color:#fff;text-shadow:0 0 2px #fefefe'>b</span>"
     "<span style='color:#fff;text-shadow:0 0 0 transparent'>c</span></p>", "a"),
])
def test_text_that_does_not_stand_out_from_its_background_is_not_read(html, seen):
    assert render_html(html).text == seen


@pytest.mark.parametrize(("html", "seen"), [
    # A white button label on a coloured cell, from an attribute, an inline style or a stylesheet;
    # white text on a picture or gradient; the light grey of a footer; a dark page's white text;
    # colours a browser ignores.
    ("<table><tr><td bgcolor='#0070ba'><a style='color:#ffffff' href=x>Pay now</a></td></tr></table>", "Pay now"),
    ("<style>.btn{background:#0070ba none}</style><a class=btn style='color:#fff'>Pay now</a>", "Pay now"),
    ("<div style='background:url(hero.png) #fff'><h1 style='color:#fff'>Sale</h1></div>", "Sale"),
    ("<div style='background-image:linear-gradient(#000,#333)'><p style='color:white'>Hi</p></div>", "Hi"),
    ("<p style='color:#999999'>Unsubscribe</p>", "Unsubscribe"),
    ("<body bgcolor=black text=white>Dark</body>", "Dark"),
    ("<p style='color:currentColor'>plain</p>", "plain"),
    ("<p>a <span color='#ffffff'>b</span></p>", "a b"),  # no browser colours a <span> by its attribute
    # White on white drawn again by a dark shadow or stroke (b132), inline or from a stylesheet, the
    # shadow's colour first or last, inherited by the text inside.
    ("<p style='color:#fff;text-shadow:0 0 0 #1a1a1a'>+41 79 876 54 32</p>", "+41 79 876 54 32"),
    ("<style>.n{color:#ffffff;text-shadow:rgb(30, 30, 30) 0px 0px}</style><p class=n><b>0800</b> 555</p>",
     "0800 555"),
    ("<p style='color:white;-webkit-text-stroke:1px black'>Call</p>", "Call"),
    # White on white drawn dark by a colour filter over it (b138): invert, inline or from a style
    # sheet, on the text's element or an ancestor's, whatever colour the text inside declares;
    # brightness(0) draws any colour black.
    ("<td style='background:#fff'><span style='color:#ffffff;filter:invert(1)'>050 555 0187</span></td>",
     "050 555 0187"),
    ("<style>.x{-webkit-filter:invert(100%)}</style><div class=x><b style='color:#fff'>Call</b></div>", "Call"),
    ("<p style='color:#fefefe;filter:brightness(0)'>0800 555</p>", "0800 555"),
])
def test_text_that_stands_out_from_its_background_is_read(html, seen):
    assert render_html(html).text == seen


def test_a_selector_lexbor_cannot_read_is_ignored():
    html = ("<style>u + .body .x{color:#000} [x-apple-data-detectors]{color:inherit} a:::b{display:none}</style>"
            "<p>ok</p>")
    assert render_html(html).text == "ok"


def test_what_no_child_can_undo_stays_hidden():
    html = ("<div style='display:none'><p style='display:block;font-size:14px'>X</p></div>"
            "<div style='opacity:0'><p style='opacity:1'>Y</p></div><p>seen</p>")
    assert render_html(html).text == "seen"


def test_visible_styles_stay_visible():
    html = ("<div style='background-color: transparent; border-top: 0px solid transparent; height: 100%'>"
            "<p style='min-width:0;overflow:hidden'>visible text</p></div>")
    assert render_html(html).text == "visible text"


def test_html_is_read_in_linear_time_even_deeply_nested_or_unterminated():
    nested = "<div>" * 100_000 + "lure" + "</div>" * 100_000
    started = time.process_time()
    assert render_html(nested).text == "lure"
    unterminated = '<a href="' + "x" * 1_000_000
    render_html(unterminated)
    assert time.process_time() - started < 30  # a bound, not a timing: html.parser took an hour here


@pytest.mark.parametrize(("html", "seen"), [
    # Outlook for Windows shows a conditional comment it finds true; other readers see the rest.
    ("<p>Call billing:</p><!--[if mso]><p>011 2 459 318</p><![endif]-->"
     "<!--[if !mso]><!--><p>(open in Outlook)</p><!--<![endif]-->",
     "Call billing:\n\n011 2 459 318\n\n(open in Outlook)"),
    ("<!--[if gte mso 9]><b>A</b><![endif]--><!--[if (mso)|(IE)]><b>B</b><![endif]-->"
     "<!--[IF MSO | IE]><b>C</b><![endif]-->", "ABC"),
    # What no Outlook of today shows stays a comment: "lte mso 11", "!mso" alone, an unclosed block.
    ("<!--[if lte mso 11]><b>old</b><![endif]--><!--[if !mso]><b>none</b><![endif]--><p>x</p><!--[if mso]><b>open",
     "x"),
    # An Outlook-only style sheet hides nothing from the other clients' readers.
    ("<!--[if mso]><style>.n{display:none}</style><p>Hi</p><![endif]--><p class=n>Call 0808 157 0318</p>",
     "Hi\n\nCall 0808 157 0318"),
    ("<!--[if mso]><p>Hi</p><style>p{display:none}<![endif]--><p>Call 0808 157 0318</p>", "Hi\n\nCall 0808 157 0318"),
])
def test_what_outlook_shows_inside_conditional_comments_is_read(html, seen):
    assert render_html(html).text == seen


@pytest.mark.parametrize(("html", "seen"), [
    # A style sheet's !important declaration wins over the element's own style; its normal one does not.
    ("<style>.ph{color:#111 !important}</style><p>Call <span class=ph style='color:#fff'>01-4527318</span></p>",
     "Call 01-4527318"),
    ("<style>.ph{color:#111}</style><p>Call <span class=ph style='color:#fff'>01-4527318</span></p>", "Call"),
    ("<style>.n{display:block !important}</style><p>x</p><p class=n style='display:none'>Call 0808 157 0318</p>",
     "x\n\nCall 0808 157 0318"),
    ("<style>.n{display:block}</style><p>x</p><p class=n style='display:none'>Call 0808 157 0318</p>", "x"),
    # ... and the element's own !important over the sheet's.
    ("<style>.n{display:block !important}</style><p>x</p><p class=n style='display:none !important'>0808 157</p>", "x"),
    # A later rule shows what an earlier one hid.
    ("<style>.n{display:none} p.n{display:block}</style><p class=n>Call 0808 157 0318</p>", "Call 0808 157 0318"),
    # A media query shows what the page hid on some screens, and hides from some screens only.
    ("<style>@media only screen and (max-width:620px){ .mob{display:block !important;max-height:none !important;"
     "overflow:visible !important} .desk{display:none !important} }</style><div class=desk>Open on a phone</div>"
     "<div class=mob style='display:none;max-height:0;overflow:hidden;mso-hide:all'>Call +91 90149 62270</div>",
     "Open on a phone\n\nCall +91 90149 62270"),
    ("<style>@media (max-width:1px){ .n{display:none !important; font-size:0} .m{max-height:0;overflow:hidden} }"
     "</style><p class=n>Call 0808 157 0318</p><p class=m>now</p>", "Call 0808 157 0318\n\nnow"),
    # Dark mode's light text is shown on the dark page the client paints, not on the message's white.
    ("<style>@media (prefers-color-scheme: dark){ .t{color:#e8eaed !important} }</style><p class=t>Hello</p>",
     "Hello"),
])
def test_style_sheets_cascade_as_a_browser_cascades_them(html, seen):
    assert render_html(html).text == seen


def test_style_sheets_are_read_in_linear_time():
    """A style sheet's rules are found in one pass over its braces: a run of two megabytes without
    a brace (an embedded font's base64) once took a search from each of its characters."""
    for sheet in (".n{color:red}" + "A" * 2_000_000, "{" * 1_000_000, "a{" * 500_000, "}a" * 500_000,
                  ".n{" + "x" * 2_000_000 + "}"):
        started = time.process_time()
        assert render_html(f"<style>{sheet}</style><p class=n>Call 0808 157 0318</p>").text == "Call 0808 157 0318"
        assert time.process_time() - started < 30  # a bound, not a timing: a superlinear reader takes hours


def test_conditional_comments_are_read_in_linear_time():
    started = time.process_time()
    render_html("<!--[if mso]>" * 100_000)
    render_html("<!--[if mso]><style>" * 50_000 + "<![endif]-->")
    render_html("<!--[if mso]><style></style>x<![endif]-->" * 20_000)
    assert time.process_time() - started < 30  # a bound, not a timing


@pytest.mark.parametrize(("written", "brand"), [
    ("PayPaI", "paypal"), ("Nort0n", "norton"), ("Рaypal", "paypal"), ("ꓑayPal", "paypal"),
    ("ᏢayPal", "paypal"), ("ＰａｙＰａｌ", "paypal"), ("Arnazon", "amazon"),
])
def test_skeletons_fold_lookalikes_from_any_script(written, brand):
    from inviteguard.detect.view import canonical_line

    assert skeleton(canonical_line(written)).text == skeleton_of(brand)


@pytest.mark.parametrize("word", ["митници", "вашата карта", "ελλάδα", "τράπεζα"])
def test_a_cyrillic_or_greek_word_has_one_skeleton_in_any_case(word):
    # Capitals such as em and te (U+041C, U+0422) look Latin, their small letters do not: a phrase
    # of the lexicon must still find the word at a sentence's start, in a title and in capitals.
    assert skeleton(word.capitalize()).text == skeleton(word.title()).text == skeleton(word.upper()).text \
        == skeleton_of(word)


def test_skeleton_offsets_point_back_into_the_canonical_text():
    text = "Call Аmazon now"  # Cyrillic A
    skel = skeleton(text)
    start = skel.text.index(skeleton_of("amazon"))
    begin, end = skel.span(start, start + len(skeleton_of("amazon")))
    assert text[begin:end] == "Аmazon"


def test_every_alternative_is_read_a_decoy_plain_part_does_not_hide_the_html():
    raw = (b"From: a@b.example\r\nSubject: hi\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n"
           b"--x\r\nContent-Type: text/plain\r\n\r\nSee you at lunch on Friday, all fine here.\r\n"
           b"--x\r\nContent-Type: text/html\r\n\r\n<p>You paid $599. Not you? Call +1 808 555 0199</p>\r\n--x--\r\n")
    texts = [b.text for b in parse_raw(raw).texts if b.source == "body"]
    assert len(texts) == 2 and any("+1 808 555 0199" in t for t in texts)


def test_the_same_words_in_both_alternatives_are_one_block():
    raw = (b"From: a@b.example\r\nSubject: hi\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n"
           b"--x\r\nContent-Type: text/plain\r\n\r\nLunch on Friday?\r\n"
           b"--x\r\nContent-Type: text/html\r\n\r\n<p><b>Lunch</b> on Friday?</p>\r\n--x--\r\n")
    assert [b.name for b in parse_raw(raw).texts if b.source == "body"] == ["text/plain"]


def test_calendar_html_notes_are_read():
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART:20260101T100000Z\r\n"
           "SUMMARY:Sync\r\nDESCRIPTION:Agenda to follow\r\n"
           "X-ALT-DESC;FMTTYPE=text/html:<p>You paid $599. Call +1 808 555 0199</p>\r\n"
           "END:VEVENT\r\nEND:VCALENDAR\r\n")
    message = parse_outlook("", "", "text", ics)
    assert any("+1 808 555 0199" in b.text for b in message.texts if b.source == "description")


def test_calendar_html_notes_have_their_escapes_undone():
    """X-ALT-DESC is TEXT: Outlook shows "\\," as a comma and "\\n" as a line break."""
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART:20260101T100000Z\r\n"
           "SUMMARY:Sync\r\nDESCRIPTION:Agenda to follow\r\n"
           "X-ALT-DESC;FMTTYPE=text/html:<p>Dear client\\, you paid AED 3\\,250\\; call us</p>\r\n"
           "END:VEVENT\r\nEND:VCALENDAR\r\n")
    notes = [b.text for b in parse_outlook("", "", "text", ics).texts if b.source == "description"]
    assert "Dear client, you paid AED 3,250; call us" in notes


def test_parsing_stops_at_the_budget():
    raw = (b"From: a@b.example\r\nSubject: hi\r\nContent-Type: text/html\r\n\r\n"
           + b"<div><p>x</p></div>" * 200_000)
    with budget.limit(0.0), pytest.raises(budget.BudgetExceeded):
        parse_raw(raw)


def test_the_plain_ascii_shortcut_of_a_line_is_what_folding_gives():
    """canonical_line skips folding for printable ASCII; it must give the same line."""
    rng = random.Random(7)
    alphabet = string.printable + "\x00\x01\x1c\x1f\x7f\u00a0\u200b\u2028"
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert canonical_line(text) == " ".join(canonical(text)[0].split()), repr(text)


def test_a_digit_look_alikes_other_case_reads_as_the_digit_only_when_it_looks_like_one():
    from inviteguard.detect.view import digit_lookalikes

    found = digit_lookalikes()
    # The Cyrillic be is listed as 6 in small letters; its capital, unlisted, is written for 6 too.
    assert found["\u0431"] == found["\u0411"] == "6"
    # The Greek small sigma is listed as an "o"; its capital looks like no digit.
    assert "\u03a3" not in found


@pytest.mark.parametrize(("written", "digits"), [
    ("call 0\u200c8\u200c8\u200c8 301 446 now", ("0888301446",)),  # zero-width non-joiners between digits
    ("call +1 (8\u200b0\u200b0) 555-0199", ("18005550199",)),  # zero-width spaces
    ("letsetsa \uff10\uff18\uff16\uff11 \uff17\uff17\uff18 \uff12\uff10\uff14 pele", ("0861778204",)),  # full-width
    ("\U0001d7ce\U0001d7d6\U0001d7ce\U0001d7ce 555 0199", ("08005550199",)),  # mathematical digits
    ("\u24ff\u277d\u24ff\u24ff 555 0199", ("08005550199",)),  # negative circled digits (round 122)
    ("call +\u2781 \u2460\u2461\u2462 \u2783\u2784\u2785 \u2786\u2787\u2788\u2460", ("21234567891",)),
    ("\u2460 Open the app \u2461 Tap Pay \u2462 Done", ()),  # circled list markers are no number
    ("letsetsa 0861 778 204 pele", ()),  # plain digits
    ("お電話は０１２０－５５５－０１９まで", ()),  # full-width digits are how Japanese text writes them
    ("\u05e9\u05dc\u05d5\u05dd \u200e03-555-0199\u200e", ()),  # bidi marks around a number, not inside it
    ("PIN 1\u200b2\u200b3", ()),  # fewer digits than a phone number's
    # Persian and Arabic-Indic digits in one number ("۰۹۱۲ ٣٤٥ ۶٧٨۹"), Arabic-Indic and ASCII
    ("\u06f0\u06f9\u06f1\u06f2 \u0663\u0664\u0665 \u06f6\u0667\u0668\u06f9", ("09123456789",)),
    ("\u0669\u0667\u0661 4 3\u06690 17\u06656", ("97143901756",)),
    ("\u06f0\u06f9\u06f1\u06f2 \u06f3\u06f4\u06f5 \u06f6\u06f7\u06f8\u06f9", ()),  # Persian digits alone
    # two numbers side by side, each in its own script: a Khmer landline and its ASCII mobile
    ("\u17e0\u17e2\u17e3 \u17e2\u17e1\u17e8 \u17e4\u17e4\u17e7 / 012 555 318", ()),
    ("\u09e7\u09e6 (01819-555014)", ()),  # a Bengali count before an ASCII number
    ("call 0\u03328\u03320\u03320\u0332 555 0199", ("08005550199",)),  # a mark under each digit
    # Stored backwards inside a right-to-left override, recorded as shown (round 98, from b105).
    ("risponde al \u202e1733 0849 60 93+\u202c dal lunedì", ("390694803371",)),
    ("call \u202e9910-555-008-1", ("18005550199",)),  # an override the line's end closes
    ("\u202eolleh\u202c 555 0199 and 2024-11-05", ()),  # a word overridden, the number plain
    ("\u202e12 34\u202c", ()),  # too few digits overridden to be a number
])
def test_numbers_written_in_disguise_are_recorded_as_written(written, digits):
    assert disguised_numbers([written]) == digits
    assert any(c.isdigit() for c in canonical(written)[0])  # the reader still sees digits


@pytest.mark.parametrize("number", [
    # Round 108, from b115: a zero-width space in a zero-size span after every digit, in the HTML
    # alone, which is all the Outlook add-in reads.
    "".join(f'{d}<span style="font-size:0">&#8203;</span>' for d in "1-800-206-118"),
    # A decoy digit no reader sees, in a display:none span and under a hidden attribute.
    '1-800-<span style="display:none">7</span>206-1<b hidden>4</b>18',
])
def test_a_number_pieced_around_hidden_html_is_written_in_disguise(number):
    headers = "From: Partner <billing.partner@gmail.com>\r\nSubject: Double charge\r\n"
    message = parse_outlook(headers, f"<p>A double charge of 289 ILS. Call billing: {number}</p>", "html")
    assert message.disguised_numbers == ("1800206118",)
    assert [m.obfuscated for m in phone.mentions(Reading(message))] == [True]


def test_hidden_html_beside_a_number_is_no_disguise():
    # A preheader no reader sees, after a number a space sets apart: nothing hides inside it.
    html = ('<p>Questions? Call 0800 123 4567 <span style="display:none">Your October statement</span></p>'
            '<div hidden>2024</div>')
    assert parse_outlook("From: Bank <news@bank.example>\r\nSubject: Statement\r\n", html, "html"
                         ).disguised_numbers == ()


def test_a_number_disguised_with_invisible_characters_is_an_obfuscated_phone():
    number = "\u200c".join("0861778204")
    html = f"<p>Your account is blocked. Call &#8204;{number[:4]}&#8204; {number[4:]} today.</p>"
    raw = ("From: Bank <alerts@bank-alerts.example>\r\nSubject: Blocked\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/html; charset=utf-8\r\n\r\n" + html).encode()
    message = parse_raw(raw)
    assert message.disguised_numbers == ("0861778204",)
    assert "0861778204" in message.body.replace(" ", "")
    assert [m.obfuscated for m in phone.mentions(Reading(message))] == [True]


def test_an_ordered_lists_start_is_drawn_as_its_items_numbers():
    """b132: "+41" in the text and the rest of the number only as `<ol start>`, which a client
    draws as the list marker. Counting down in a reversed list, an item's `value` restarting the
    count; letters, hidden markers and lists without `start` draw no digits."""
    assert render_html("<p>Appelez le +41</p><ol start='798765432'><li></li></ol>").text == \
        "Appelez le +41\n\n798765432."
    assert render_html("<ol start=3 reversed><li>a<li value=10>b<li>c</ol>").text == "3. a\n\n10. b\n\n9. c"
    assert render_html("<ol start=5 type=a><li>q</ol><ol start=7 style='list-style: none'><li>r</ol>"
                       "<ol><li>s</ol><ol start=x9><li>t</ol>").text == "q\n\nr\n\ns\n\nt"


def test_a_numbers_cells_in_a_right_to_left_table_read_left_to_right():
    """b131: a number's groups in the cells of a `dir=rtl` table, written last group first, which
    a browser shows first group leftmost. Rows with words keep the source's order (a right-to-left
    reader's), as do tables a nearer `dir=ltr` lays out left to right."""
    html = ("<p>Llame al</p><table dir=rtl><tr><td>5678</td><td>1234</td><td><b>55</b></td><td>+52</td></tr>"
            "<tr><td>مرحبا</td><td>1</td></tr></table><table><tr><td>1</td><td>2</td></tr></table>")
    assert render_html(html).text == "Llame al\n\n+52 55 1234 5678\n\nمرحبا 1\n\n1 2"
    assert render_html("<div dir=rtl><table dir=ltr><tr><td>5678</td><td>1234</td></tr></table></div>").text == \
        "5678 1234"
    assert render_html("<html dir=RTL><table><tr><td>5678</td><td>1234</td></tr></table>").text == "1234 5678"


@pytest.mark.parametrize(("style", "turn"), [
    ("transform: scaleX(-1)", Turn(mirrored=True)),
    ("transform: scale(-1)", Turn(mirrored=True, upside_down=True)),
    ("transform: rotate(.25turn) scaleX(-1) scaleX(-1)", Turn(quarters=1)),
    ("transform: rotate(.deg) scale(x)", None),  # no number a browser reads: as it is
    ("transform: translateX(4px)", None),
])
def test_a_pictures_own_transform_says_how_it_is_shown(style, turn):
    html = f'<p>x</p><img src="cid:a@b" style="{style}"><img src="https://example.com/t.png" style="{style}">'
    assert turned_pictures(html) == ({"a@b": turn} if turn else {})
