"""Lures built from parts, and evasion techniques that change the bytes but not what a person reads.

An attacker who has read rules/ (the project is open source) rewrites a lure so that filters see
something else: invisible characters inside words and digits, look-alike letters from other
scripts, a plain-text decoy with the lure only in the HTML, padding that pushes the lure past a
size cap, the number in CSS or a `tel:` link, hidden digits, dial-in camouflage, a lure split over
the title and the notes. Each technique here is a function Lure -> Lure; the lure is then built
into a real MIME message of its channel (an iCloud invite, a Google Calendar invite, an
Outlook.com invite, a PayPal invoice).
"""

from __future__ import annotations

import base64
import html
import quopri
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import icalendar

PHONE = "+1 (808) 555-0199"


@dataclass(frozen=True)
class Lure:
    channel: str  # icloud | gcal | outlook_com | paypal
    summary: str  # the event's title or the invoice's subject line
    notes: str  # the notes / seller note, as plain text
    location: str = ""
    organizer_name: str = "PayPal Billing"
    html_notes: str | None = None  # the notes as HTML, when they differ from the plain text
    plain_notes: str | None = None  # what the text/plain alternative shows, when it differs
    alt_desc_only: bool = False  # the notes only in the calendar's X-ALT-DESC (HTML), DESCRIPTION a decoy
    base64_calendar: bool = False
    guests: tuple[str, ...] = ()  # more attendees' addresses, beside the reader's
    event_link: str = ""  # the event's URL property, which a calendar shows as a link


def _html_of(text: str) -> str:
    return "<p>" + "<br>".join(html.escape(line) for line in text.split("\n")) + "</p>"


# ---------------------------------------------------------------- channels

_ICLOUD_HEADERS = """Received: from qs19p00im-qukt84722619.me.com (17.58.38.194) by
 SN1PEPF0000BCA5.mail.protection.outlook.com (10.167.87.33) with Microsoft SMTP Server; Tue, 04 Nov
 2025 17:42:14 +0000
Authentication-Results: spf=pass (sender IP is 17.58.38.194) smtp.mailfrom=email.apple.com;
 dkim=pass (signature was verified) header.d=email.apple.com;dmarc=pass action=none
 header.from=email.apple.com;compauth=pass reason=100
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=email.apple.com; s=email0517;
 bh=3YO/jUhcq1VE2Mvm+3BVAvfxQLWGt5WQGZlVd1gEw2o=; b=KTz5W+SEu7etfdiobMmSpiwivNjMj4JPFj7pHjGH0gTL
From: {organizer} <noreply@email.apple.com>
To: j.morgan@contoso.com
Subject: {subject}
Date: Tue, 04 Nov 2025 17:42:11 +0000
Message-ID: <4961689549.2473280756839.1762278131000.JavaMail.email@email.apple.com>
Return-Path: <noreply@email.apple.com>
MIME-Version: 1.0
"""

_GCAL_HEADERS = """Received: from mail-sor-f41.google.com (209.85.220.41) by
 CO1PEPF000044F7.mail.protection.outlook.com with Microsoft SMTP Server; Fri, 13 Feb 2026 18:11:02
 +0000
Authentication-Results: spf=pass (sender IP is 209.85.220.41)
 smtp.mailfrom=calendar-server.bounces.google.com; dkim=pass (signature was verified)
 header.d=google.com;dmarc=pass action=none header.from=gmail.com;compauth=pass reason=100
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com; s=20230601; b=aGVsbG8=
From: {organizer} <billing.desk.2026@gmail.com>
Sender: Google Calendar <calendar-notification@google.com>
To: j.morgan@contoso.com
Subject: {subject}
Date: Fri, 13 Feb 2026 18:11:00 +0000
Message-ID: <calendar-8a1c2f3e-3b4d-4f5a-9c6d-7e8f9a0b1c2d@google.com>
Return-Path: <3Xu8abc-calendar-server@calendar-server.bounces.google.com>
MIME-Version: 1.0
"""

_OUTLOOK_HEADERS = """Received: from EUR05-DB8-obe.outbound.protection.outlook.com (52.101.73.1) by
 AM4PEPF00027A5F.mail.protection.outlook.com with Microsoft SMTP Server; Mon, 10 Nov 2025 09:12:44
 +0000
Authentication-Results: spf=pass (sender IP is 52.101.73.1) smtp.mailfrom=outlook.com; dkim=pass
 (signature was verified) header.d=outlook.com;dmarc=pass action=none
 header.from=outlook.com;compauth=pass reason=100
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=outlook.com; s=selector1; b=b2s=
From: {organizer} <billing.support.team44@outlook.com>
To: j.morgan@contoso.com
Subject: {subject}
Date: Mon, 10 Nov 2025 09:12:40 +0000
Message-ID: <DB9PR10MB4487ABCDEF@DB9PR10MB4487.eurprd10.prod.outlook.com>
Return-Path: <billing.support.team44@outlook.com>
MIME-Version: 1.0
"""

_PAYPAL_HEADERS = """Received: from mx0.slc.paypal.com (173.0.84.225) by BN8NAM11FT062.mail.protection.outlook.com with
 Microsoft SMTP Server; Wed, 12 Nov 2025 14:02:09 +0000
Authentication-Results: spf=pass (sender IP is 173.0.84.225) smtp.mailfrom=paypal.com; dkim=pass
 (signature was verified) header.d=paypal.com;dmarc=pass action=none
 header.from=paypal.com;compauth=pass reason=100
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=paypal.com; s=pp-dkim1; b=cHA=
From: "service@paypal.com" <service@paypal.com>
To: j.morgan@contoso.com
Subject: {subject}
Date: Wed, 12 Nov 2025 14:02:05 +0000
Message-ID: <01.2D.12345.ABCDEF12@ccg13mail01>
Return-Path: <service@paypal.com>
MIME-Version: 1.0
"""

_CHANNELS = {"icloud": (_ICLOUD_HEADERS, "-//Apple Inc.//iCloud 2.0//EN", "{organizer} invited you to “{summary}”"),
             "gcal": (_GCAL_HEADERS, "-//Google Inc//Google Calendar 70.9054//EN", "Invitation: {summary}"),
             "outlook_com": (_OUTLOOK_HEADERS, "Microsoft Exchange Server 2010", "{summary}")}


def _calendar(lure: Lure, prodid: str, organizer: str) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", prodid)
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = icalendar.Event()
    event.add("uid", "3C7B1E2A-9F4D-4B6C-8E2F-1A5D7C9E0B3F")
    event.add("dtstamp", datetime(2025, 11, 4, 17, 42, tzinfo=UTC))
    event.add("dtstart", datetime(2025, 11, 5, 15, 0, tzinfo=UTC))
    event.add("dtend", datetime(2025, 11, 5, 15, 30, tzinfo=UTC))
    event.add("summary", lure.summary)
    if lure.alt_desc_only:
        event.add("description", "Quarterly planning sync. Agenda to follow.")
        event.add("x-alt-desc", lure.html_notes or _html_of(lure.notes), parameters={"FMTTYPE": "text/html"})
    else:
        event.add("description", lure.notes)
    if lure.location:
        event.add("location", lure.location)
    if lure.event_link:
        event.add("url", lure.event_link, parameters={"VALUE": "URI"})
    event.add("organizer", f"mailto:{organizer}", parameters={"CN": lure.organizer_name})
    for guest in ("j.morgan@contoso.com", *lure.guests):
        event.add("attendee", f"mailto:{guest}", parameters={"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION"})
    calendar.add_component(event)
    return calendar.to_ical()


def _part(content_type: str, data: bytes, encoding: str) -> str:
    if encoding == "base64":
        body = base64.encodebytes(data).decode("ascii")
    else:
        body = quopri.encodestring(data).decode("ascii")
    return f"Content-Type: {content_type}\nContent-Transfer-Encoding: {encoding}\n\n{body}\n"


def build(lure: Lure) -> bytes:
    """The lure as a real message of its channel (LF line ends; the parser accepts both)."""
    notes_plain = lure.plain_notes if lure.plain_notes is not None else lure.notes
    notes_html = lure.html_notes if lure.html_notes is not None else _html_of(lure.notes)
    if lure.channel == "paypal":
        headers = _PAYPAL_HEADERS.format(subject=f"Invoice from {lure.organizer_name} ({lure.summary})")
        plain = f"{lure.organizer_name} sent you an invoice\n\nNote from seller:\n{notes_plain}\n\nView and pay invoice"
        page = (f"<html><body><h2>{html.escape(lure.organizer_name)} sent you an invoice</h2><p>Note from seller:</p>"
                f"{notes_html}<p><a href='https://www.paypal.com/invoice/p/#INV2-ABCD'>View and pay invoice</a></p>"
                "</body></html>")
        return (headers + 'Content-Type: multipart/alternative; boundary="alt"\n\n--alt\n'
                + _part("text/plain; charset=utf-8", plain.encode(), "quoted-printable") + "--alt\n"
                + _part("text/html; charset=utf-8", page.encode(), "quoted-printable") + "--alt--\n").encode()
    template, prodid, subject = _CHANNELS[lure.channel]
    organizer = {"icloud": "2_hfb7a@imip.me.com", "gcal": "billing.desk.2026@gmail.com",
                 "outlook_com": "billing.support.team44@outlook.com"}[lure.channel]
    subject_text = subject.format(organizer=lure.organizer_name, summary=lure.summary)
    headers = template.format(organizer=_header_phrase(lure.organizer_name), subject=_encoded(subject_text))
    plain = f"{subject_text}\n\n{notes_plain}\n\nAccept  Decline  Maybe"
    page = (f"<html><body><h3>{html.escape(subject_text)}</h3>{notes_html}"
            "<p><a href='https://www.icloud.com/calendar/eventreply/?reply=accept'>Accept</a></p></body></html>")
    calendar = _calendar(lure, prodid, organizer)
    return (headers + 'Content-Type: multipart/mixed; boundary="mix"\n\n--mix\n'
            'Content-Type: multipart/alternative; boundary="alt"\n\n--alt\n'
            + _part("text/plain; charset=utf-8", plain.encode(), "quoted-printable") + "--alt\n"
            + _part("text/html; charset=utf-8", page.encode(), "quoted-printable") + "--alt\n"
            + _part("text/calendar; charset=utf-8; method=REQUEST", calendar,
                    "base64" if lure.base64_calendar else "quoted-printable")
            + "--alt--\n--mix--\n").encode()


def _encoded(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


def _header_phrase(name: str) -> str:
    return _encoded(name) if not name.isascii() else f'"{name}"'


# ---------------------------------------------------------------- the lures

LURES = {
    "icloud_paypal": Lure("icloud", "PayPal Payment Notification",
                          "Hello Customer,\nYou have successfully paid $599.00 USD to PayPal Inc. "
                          "for a Bitcoin purchase.\n"
                          f"Not you? Call PayPal Billing at {PHONE} to cancel and get a full refund within 24 hours."),
    "gcal_norton": Lure("gcal", "Norton 360 Renewal Confirmation",
                        "Dear Member,\nYour Norton 360 Total Protection subscription has been renewed automatically "
                        f"and $349.99 has been charged to your card.\nIf you did not authorize this charge, call our "
                        f"billing department at {PHONE} within 24 hours to cancel.",
                        organizer_name="Norton Billing Team"),
    "outlook_coinbase": Lure("outlook_com", "Coinbase Security Alert",
                             "Unusual activity: a withdrawal of 0.0482 BTC ($3,150.00) was approved from your Coinbase "
                             f"account.\nIf this wasn't you, call Coinbase support at {PHONE} immediately "
                             "to lock your account.",
                             organizer_name="Coinbase Support"),
    "paypal_geeksquad": Lure("paypal", "Geek Squad Protection Plan",
                             "Your Geek Squad Total Tech Support plan was renewed and $499.99 was charged to your "
                             f"account. Not you? To cancel and get a refund, call {PHONE}.",
                             organizer_name="Geek Squad Billing"),
}


# ---------------------------------------------------------------- evasions

Technique = Callable[[Lure], Lure]


def _in_notes(change: Callable[[str], str]) -> Technique:
    def apply(lure: Lure) -> Lure:
        return replace(lure, notes=change(lure.notes), summary=change(lure.summary))
    return apply


def _between_letters(char: str) -> Callable[[str], str]:
    """`char` after every letter of every word: what the reader sees does not change."""
    def change(text: str) -> str:
        return "".join(c + char if c.isalpha() else c for c in text)
    return change


def _between_digits(char: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        return "".join(c + char if c.isdigit() else c for c in text)
    return change


def _swap(table: dict[str, str]) -> Callable[[str], str]:
    return lambda text: text.translate(str.maketrans(table))


def _phone(change: Callable[[str], str]) -> Technique:
    def apply(lure: Lure) -> Lure:
        return replace(lure, notes=lure.notes.replace(PHONE, change(PHONE)))
    return apply


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


def _math_bold(text: str) -> str:
    def bold(c: str) -> str:
        if "A" <= c <= "Z":
            return chr(0x1D400 + ord(c) - ord("A"))
        if "a" <= c <= "z":
            return chr(0x1D41A + ord(c) - ord("a"))
        return c
    return "".join(bold(c) for c in text)


def _html_notes(make: Callable[[Lure], str]) -> Technique:
    return lambda lure: replace(lure, html_notes=make(lure))


def _decoy_plain(lure: Lure) -> Lure:
    """The text/plain alternative is harmless; the lure is only in the HTML the reader is shown."""
    return replace(lure, plain_notes="Looking forward to our meeting. Agenda attached.", notes="Quarterly sync",
                   html_notes=_html_of(lure.notes), summary=lure.summary)


def _padded(padding: str) -> Technique:
    return lambda lure: replace(lure, notes=padding + lure.notes)


def _hidden_digit(lure: Lure) -> Lure:
    page = html.escape(lure.notes).replace("\n", "<br>")
    digits = html.escape(PHONE)
    hidden = digits.replace("555", "55<span style='display:none'>7</span>5", 1)
    return replace(lure, html_notes=f"<p>{page.replace(digits, hidden)}</p>",
                   plain_notes=lure.notes.replace(PHONE, "our billing line"))


def _css_content(lure: Lure) -> Lure:
    page = html.escape(lure.notes.replace(PHONE, "")).replace("\n", "<br>")
    return replace(lure, plain_notes=lure.notes.replace(PHONE, "the number below"),
                   html_notes=(f"<style>.n::after {{content: '{PHONE}'}}</style><p>{page}</p>"
                               "<p>Billing: <span class='n'></span></p>"))



def _css_escaped_content(lure: Lure) -> Lure:
    """The generated number written in CSS escapes: thin spaces and a non-breaking hyphen by code."""
    escaped = PHONE.replace(" ", "\\2009 ", 1).replace(" ", "\\2011 ")
    page = html.escape(lure.notes.replace(PHONE, "")).replace("\n", "<br>")
    return replace(lure, plain_notes=lure.notes.replace(PHONE, "the number below"),
                   html_notes=(f'<style>.n::after {{content: "{escaped}"}}</style><p>{page}</p>'
                               "<p>Billing: <span class='n'></span></p>"))

def _reversed_flex(lure: Lure) -> Lure:
    """The number's groups written last to first in a flex box laid out row-reverse: the source
    reads "0199 555 808 1+", the reader sees the number."""
    groups = "".join(f"<span>{html.escape(group)}&nbsp;</span>" for group in reversed(PHONE.split(" ")))
    page = html.escape(lure.notes.replace(PHONE, "")).replace("\n", "<br>")
    return replace(lure, plain_notes=lure.notes.replace(PHONE, "the number below"),
                   html_notes=(f"<p>{page}</p><div style='display: flex; flex-direction: row-reverse;"
                               f" justify-content: flex-end'>{groups}</div>"))


def _stored_reversed(lure: Lure) -> Lure:
    """The number stored last character first, shown the right way round by a right-to-left override
    in the text and <bdo dir=rtl> in the HTML (round 98, from b105): the source reads "9910-555 )808(
    1+", the reader sees and dials the number."""
    backwards = PHONE[::-1]
    page = html.escape(lure.notes).replace(html.escape(PHONE), f'<bdo dir="rtl">{html.escape(backwards)}</bdo>')
    return replace(lure, plain_notes=lure.notes.replace(PHONE, f"\u202e{backwards}\u202c"), html_notes=f"<p>{page}</p>")


def _tel_link_only(lure: Lure) -> Lure:
    link = f"<a href='tel:{PHONE.replace(' ', '')}'>our hotline</a>"
    page = html.escape(lure.notes).replace(html.escape(PHONE), link)
    return replace(lure, plain_notes=lure.notes.replace(PHONE, "our hotline"), html_notes=f"<p>{page}</p>")


def _image_alt(lure: Lure) -> Lure:
    page = html.escape(lure.notes).replace(html.escape(PHONE), f"<img src='cid:n1' alt='{PHONE}'>")
    return replace(lure, plain_notes=lure.notes.replace(PHONE, "the number in the image"), html_notes=f"<p>{page}</p>")


def _entities(lure: Lure) -> Lure:
    encoded = "".join(f"&#{ord(c)};" for c in PHONE)
    page = html.escape(lure.notes).replace(html.escape(PHONE), encoded)
    return replace(lure, plain_notes=lure.notes.replace(PHONE, "our billing line"), html_notes=f"<p>{page}</p>")


def _split_lines(lure: Lure) -> Lure:
    return replace(lure, notes=lure.notes.replace(PHONE, "+1 (808)\n555-0199"))


def _dialin_camouflage(lure: Lure) -> Lure:
    block = (f"\nJoin by phone\n{PHONE},,84512739#\nPIN: 845 127 39#\nMeeting ID: 845 127 39\n"
             "https://zoom.us/j/84512739\n")
    return replace(lure, notes=lure.notes.replace(PHONE, "the number below") + block)


def _awareness_decoy(lure: Lure) -> Lure:
    return replace(lure, notes=lure.notes + "\nBeware of scammers: never call a number you do not trust. "
                                            "Fraudsters send fake invoices.")


def _hidden_awareness(lure: Lure) -> Lure:
    hidden = "<div style='display:none'>This is a scam awareness notice from IT. Scammers send fake invoices.</div>"
    return replace(lure, html_notes=_html_of(lure.notes) + hidden)


def _split_title_notes(lure: Lure) -> Lure:
    # The claim in the title, the number alone in the notes.
    return replace(lure, summary=lure.summary + " - $599.00 charged to your card, not you?",
                   notes=f"Billing helpdesk: {PHONE}")


def _location_only(lure: Lure) -> Lure:
    return replace(lure, notes=lure.notes.replace(PHONE, "the number in the location"), location=f"Call {PHONE}")


def _organizer_name_number(lure: Lure) -> Lure:
    return replace(lure, notes=lure.notes.replace(PHONE, "the number shown above"),
                   organizer_name=f"{lure.organizer_name} {PHONE}")


def _whatsapp_guest(lure: Lure) -> Lure:
    # WhatsApp's contact address for the number ("<digits>@s.whatsapp.net") among the guests.
    digits = "".join(c for c in PHONE if c.isdigit())
    return replace(lure, notes=lure.notes.replace(PHONE, "our WhatsApp contact in this event's guest list"),
                   guests=(f"{digits}@s.whatsapp.net",))


def _event_link_only(lure: Lure) -> Lure:
    # The number only as the event's link, which a phone's calendar dials when it is tapped.
    digits = "".join(c for c in PHONE if c.isdigit())
    return replace(lure, notes=lure.notes.replace(PHONE, "the event link (tap it on your phone)"),
                   event_link=f"tel:+{digits}")


def _amount_in_words(lure: Lure) -> Lure:
    words = {"$599.00 USD": "five hundred ninety-nine dollars", "$349.99": "three hundred forty-nine dollars",
             "$3,150.00": "three thousand one hundred fifty dollars", "$499.99": "four hundred ninety-nine dollars"}
    notes = lure.notes
    for digits, spelled in words.items():
        notes = notes.replace(digits, spelled)
    return replace(lure, notes=notes)


def _semicolon(lure: Lure) -> Lure:
    return replace(lure, notes=lure.notes.replace(PHONE, PHONE.replace(" ", "") + ";"))


def _lookalike_digits(lure: Lure) -> Lure:
    return replace(lure, notes=lure.notes.replace(PHONE, "+1 (8O8) 555-O l99"))


def _padded_separators(lure: Lure) -> Lure:
    return replace(lure, notes=lure.notes.replace(PHONE, "+1 . 808 . 555 . 0199"))


def _bracketed_asides(lure: Lure) -> Lure:
    """Words in brackets between the number's groups, which a reader skips and a digit scan stops at."""
    return replace(lure, notes=lure.notes.replace(PHONE, "+1 808 (toll free) 555 (any time) 0199"))


def _keycap_digits(lure: Lure) -> Lure:
    keycaps = "".join(c + "\ufe0f\u20e3" if c.isdigit() else c for c in PHONE)
    return replace(lure, notes=lure.notes.replace(PHONE, keycaps))


def _alt_desc(lure: Lure) -> Lure:
    return replace(lure, alt_desc_only=True, plain_notes="Quarterly planning sync. Agenda to follow.",
                   html_notes=_html_of(lure.notes))


def _base64_calendar(lure: Lure) -> Lure:
    return replace(lure, base64_calendar=True)


_CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "y": "у", "x": "х", "P": "Р", "C": "С", "T": "Т",
             "H": "Н", "B": "В", "M": "М", "K": "К", "A": "А", "E": "Е", "O": "О"}
_GREEK = {"o": "ο", "v": "ν", "A": "Α", "B": "Β", "E": "Ε", "N": "Ν", "O": "Ο", "P": "Ρ", "T": "Τ", "Y": "Υ", "i": "ι"}
_LISU = {"P": "ꓑ", "B": "ꓐ", "C": "ꓚ", "D": "ꓓ", "E": "ꓰ", "G": "ꓖ", "N": "ꓠ", "S": "ꓢ", "T": "ꓔ", "A": "ꓮ"}
_CHEROKEE = {"P": "Ꮲ", "A": "Ꭺ", "B": "Ᏼ", "C": "Ꮯ", "E": "Ꭼ", "G": "Ꮐ", "S": "Ꮪ", "T": "Ꭲ"}

TECHNIQUES: dict[str, Technique] = {
    "zero_width_space_in_words": _in_notes(_between_letters("\u200b")),
    "zero_width_joiner_in_words": _in_notes(_between_letters("\u200d")),
    "zero_width_non_joiner_in_digits": _phone(_between_digits("\u200c")),
    "left_to_right_mark_in_words": _in_notes(_between_letters("\u200e")),
    "right_to_left_mark_in_digits": _phone(_between_digits("\u200f")),
    "bidi_isolates_around_words": _in_notes(lambda t: "\u2066" + t.replace(" ", "\u2069 \u2066") + "\u2069"),
    "bidi_embedding_in_words": _in_notes(_between_letters("\u202a")),
    "combining_grapheme_joiner_in_words": _in_notes(_between_letters("\u034f")),
    "variation_selector_in_words": _in_notes(_between_letters("\ufe0f")),
    "soft_hyphen_in_words": _in_notes(_between_letters("\u00ad")),
    "word_joiner_in_digits": _phone(_between_digits("\u2060")),
    "combining_low_line_under_digits": _phone(lambda number: "".join(c + "\u0332" for c in number)),
    "tag_characters_in_words": _in_notes(_between_letters("\U000e0020")),
    "cyrillic_lookalikes": _in_notes(_swap(_CYRILLIC)),
    "greek_lookalikes": _in_notes(_swap(_GREEK)),
    "lisu_lookalikes": _in_notes(_swap(_LISU)),
    "cherokee_lookalikes": _in_notes(_swap(_CHEROKEE)),
    "fullwidth_letters": _in_notes(_fullwidth),
    "mathematical_bold_letters": _in_notes(_math_bold),
    "fullwidth_digits_in_number": _phone(_fullwidth),
    "arabic_indic_digits_in_number": _phone(_swap({str(d): chr(0x0660 + d) for d in range(10)})),
    "devanagari_digits_in_number": _phone(_swap({str(d): chr(0x0966 + d) for d in range(10)})),
    "letters_for_digits": _lookalike_digits,
    "padded_separators": _padded_separators,
    "keycap_digits": _keycap_digits,
    "words_in_brackets_between_groups": _bracketed_asides,
    "non_breaking_hyphens_and_spaces": _phone(_swap({"-": "\u2011", " ": "\u00a0"})),
    "ethiopic_wordspace_between_groups": _phone(_swap({" ": "\u1361", "-": "\u1361"})),
    "number_split_over_two_lines": _split_lines,
    "semicolon_after_number": _semicolon,
    "plain_text_decoy_lure_in_html": _decoy_plain,
    "two_hundred_thousand_spaces_before": _padded(" " * 200_000),
    "long_padding_paragraphs_before": _padded(("Thank you for being a valued customer. " * 40 + "\n\n") * 150),
    # Ordinary meeting words before the lure, to pull the wording model towards a colleague's invite.
    "meeting_agenda_before": _padded(3 * ("Agenda for Thursday: quarterly review of the project timeline, the design "
                                          "team's update on the office layout, the facilities budget and parking, "
                                          "lunch in room 4B. Please bring your notes and the draft minutes.\n\n")),
    "html_comment_800k_before": _html_notes(lambda lure: "<!--" + "x" * 800_000 + "-->" + _html_of(lure.notes)),
    "hidden_digit_inside_number": _hidden_digit,
    "number_in_css_content": _css_content,
    "number_in_css_escapes": _css_escaped_content,
    "number_groups_reversed_by_flex": _reversed_flex,
    "number_stored_reversed_in_an_override": _stored_reversed,
    "number_only_in_tel_link": _tel_link_only,
    "number_only_in_image_alt": _image_alt,
    "number_as_html_entities": _entities,
    "dial_in_camouflage": _dialin_camouflage,
    "scam_awareness_sentence_in_notes": _awareness_decoy,
    "hidden_scam_awareness_html": _hidden_awareness,
    "lure_split_title_and_notes": _split_title_notes,
    "number_only_in_location": _location_only,
    "number_in_organizer_name": _organizer_name_number,
    "number_only_as_a_whatsapp_guest": _whatsapp_guest,
    "number_only_in_the_events_link": _event_link_only,
    "amount_in_words": _amount_in_words,
    "notes_only_in_x_alt_desc": _alt_desc,
    "base64_encoded_calendar": _base64_calendar,
}
