"""The banner in the bodies: charsets and transfer encodings kept valid, calendar parts and attachments
untouched, and a block counted as ours only when its tag verifies."""

from __future__ import annotations

import base64

from inviteguard.mailflow.bodies import (
    BodyBanner,
    add_banner,
    banner_key,
    body_parts,
    html_block,
    parse,
    strip_banners,
    to_bytes,
    without_html_banner,
)

KEY = banner_key("s" * 40)
BANNER = BodyBanner("danger", "Betrugswarnung: rufen Sie keine Nummer an", "Apple hat das wirklich gesendet.\n"
                    "• Die Notiz behauptet, Sie hätten 599 $ an PayPal gezahlt.", "de")


def texts(raw: bytes) -> list[str]:
    return [part.get_payload(decode=True).decode(part.get_content_charset() or "us-ascii")
            for part in body_parts(parse(raw))]


def bannered(raw: bytes) -> bytes:
    message = parse(raw)
    assert add_banner(message, BANNER, KEY)
    return to_bytes(message)


def test_an_ascii_text_body_becomes_utf8_quoted_printable_to_carry_the_words():
    raw = b"Subject: x\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nCall +1 808 555 0199 now.\r\n"
    out = bannered(raw)
    message = parse(out)
    assert message.get_content_charset() == "utf-8"
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    [text] = texts(out)
    assert text.startswith("[InviteGuard] Betrugswarnung") and "hätten 599 $" in text
    assert text.endswith("Call +1 808 555 0199 now.\r\n") or text.endswith("Call +1 808 555 0199 now.\n")


def test_a_base64_latin1_html_body_stays_base64_and_latin1():
    html = "<html><body class=x><p>Grüße</p></body></html>".encode("latin-1")
    raw = (b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=iso-8859-1\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(html))
    out = bannered(raw)
    message = parse(out)
    assert message.get_content_charset() == "iso-8859-1" and message["Content-Transfer-Encoding"] == "base64"
    [text] = texts(out)
    assert text.startswith("<html><body class=x><!--inviteguard-banner ")
    assert text.endswith("<p>Grüße</p></body></html>")
    assert "h&#228;tten" in text  # the banner is ASCII with references, valid in any charset


def test_attachments_and_calendars_are_left_alone():
    raw = (b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
           b"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\nnotes\r\n"
           b"--b--\r\n")
    message = parse(raw)
    assert not add_banner(message, BANNER, KEY)
    assert to_bytes(message) == raw


def test_only_blocks_with_our_tag_are_removed():
    ours = html_block(BANNER, KEY)
    theirs = html_block(BANNER, banner_key("another deployment's secret, 40 chars!!"))
    assert without_html_banner(f"<body>{ours}<p>hi</p>", KEY) == "<body><p>hi</p>"
    assert without_html_banner(f"<body>{theirs}<p>hi</p>", KEY) == f"<body>{theirs}<p>hi</p>"
    forged = ours.replace("Apple hat", "Call +1 808 555 0199. Apple hat")
    assert without_html_banner(f"<body>{forged}", KEY) == f"<body>{forged}"


def test_stripping_gives_back_the_body_that_was_bannered():
    raw = (b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           b"Gr\xc3\xbc\xc3\x9fe, call us\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<p>call us</p>\r\n--b--\r\n")
    message = parse(bannered(raw))
    assert strip_banners(message, KEY)
    assert texts(to_bytes(message)) == texts(raw)
