"""Parsing: every input shape a client can send, and hostile input never escaping as a traceback."""

import base64
import email
from email import policy

import pytest
from asn1crypto import cms
from inviteguard.detect.analyzer import callback_numbers
from inviteguard.detect.evaluation import outlook_view
from inviteguard.detect.model import AttachedFile, OutlookItem
from inviteguard.detect.parse import (
    MAX_DOCUMENTS,
    MAX_TEXT_ATTACHMENTS,
    InputError,
    parse_auth_results,
    parse_outlook,
    parse_raw,
)
from inviteguard.detect.view import ELISION, HEAD_CHARS, TAIL_CHARS

from .conftest import fixture_bytes

ICS = (
    "BEGIN:VCALENDAR\r\nPRODID:-//Apple Inc.//iCloud 2.0//EN\r\nMETHOD:REQUEST\r\nVERSION:2.0\r\n"
    "BEGIN:VEVENT\r\nUID:1\r\nDTSTART:20261201T100000Z\r\nSUMMARY:Order update\r\n"
    "DESCRIPTION:PayPal: you paid $599.00\\nNot you? Call +1 808 555 0199\r\n"
    "ORGANIZER;CN=PayPal Billing:mailto:x@icloud.com\r\nATTENDEE;CN=All staff:mailto:all@contoso.com\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_google_calendar_invite_from_real_corpus(real_corpus):
    message = parse_raw((real_corpus / "phish/pp_sample-6118.eml").read_bytes())
    assert message.sender and message.sender.address == "calendar-notification@google.com"
    assert message.invites and message.invites[0].prodid.startswith("-//Google Inc//Google Calendar")
    # The inline text/calendar and the invite.ics attachment are one invite, read once per event.
    assert len({i.summary for i in message.invites}) == 1
    assert "Norton" in message.invites[0].description and "<p>" not in message.body
    assert ("dkim", "pass", "google.com") in {(a.method, a.result, a.domain) for a in message.auth}


def test_bare_ics_is_an_invite():
    message = parse_raw(ICS.encode())
    assert message.kind == "ics"
    invite = message.invites[0]
    assert invite.organizer and invite.organizer.name == "PayPal Billing"
    assert "Call +1 808 555 0199" in invite.description
    assert [a.address for a in invite.attendees] == ["all@contoso.com"]


def test_quoted_printable_and_rfc2047_subject():
    raw = (
        b"From: =?utf-8?q?Caf=C3=A9?= <a@example.org>\r\nSubject: =?utf-8?b?w5xiZXJ3ZWlzdW5n?=\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe, rufen Sie an\r\n"
    )
    message = parse_raw(raw)
    assert message.subject == "Überweisung"
    assert message.from_ and message.from_.name == "Café"
    assert message.body == "Grüße, rufen Sie an"


@pytest.mark.parametrize(("raw", "subject", "sender_name"), [
    # RFC 6532: UTF-8 written straight into the headers, as a Hebrew or Cyrillic sender's may be.
    ("From: \u05d7\u05e9\u05d1\u05d5\u05e0\u05d9\u05ea <a@b.example>\r\n"
     "Subject: \u041d\u043e\u0432\u0438\u0439\r\n\r\nhi\r\n".encode(),
     "\u041d\u043e\u0432\u0438\u0439", "\u05d7\u05e9\u05d1\u05d5\u05e0\u05d9\u05ea"),
    # A legacy client's Latin-1 bytes, which are no UTF-8.
    (b"From: Ren\xe9 <a@b.example>\r\nSubject: caf\xe9\r\n\r\nhi\r\n", "caf\u00e9", "Ren\u00e9"),
])
def test_headers_in_raw_eight_bit_text_read_as_written(raw, subject, sender_name):
    message = parse_raw(raw)
    assert (message.subject, message.from_.name) == (subject, sender_name)


@pytest.mark.parametrize(("sender", "shown"), [
    # parseaddr takes a bracketed part for a comment and moves it last: "Help Desk 555-0199 (+1 808)".
    ("Help Desk (+1 808) 555-0199 <billing.desk@gmail.com>", "Help Desk (+1 808) 555-0199"),
    ('"Card Centre (02) 2655-" <card.centre@gmail.com>', "Card Centre (02) 2655-"),
    ("=?UTF-8?B?5Y+w5paw6YqA6KGM?= (02)2655- <card.centre@gmail.com>", "\u53f0\u65b0\u9280\u884c (02)2655-"),
    ("Mary Smith <mary@b.example>", "Mary Smith"),
    ("mary@b.example (Mary Smith)", "Mary Smith"),  # a comment after a bare address is the name
])
def test_the_senders_name_reads_as_a_client_shows_it(sender, shown):
    message = parse_raw(f"From: {sender}\r\nSubject: hi\r\n\r\nhi\r\n".encode())
    assert message.from_.name == shown


def test_a_number_bracketed_in_the_senders_name_is_read_in_its_order():
    raw = (b"From: Refund Desk (+1 808) 555-0199 <refund.desk@gmail.com>\r\nSubject: Your $499 renewal\r\n\r\n"
           b"Your subscription renewed for $499.00. Not you? Call the number in my name to cancel.\r\n")
    assert "+18085550199" in callback_numbers(parse_raw(raw))


def test_html_only_body_is_read_as_text_without_script():
    raw = (
        b"From: a@example.org\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{}</style><script>alert(1)</script></head>"
        b"<body><p>Call <a href='tel:+18085550199'>us</a></p></body></html>"
    )
    message = parse_raw(raw)
    assert "alert" not in message.body and "p{}" not in message.body
    assert "+18085550199" in message.body


def _smime(content_type: str, der: bytes) -> bytes:
    return (b"From: treasurer@club.example\r\nSubject: Beitrag\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: " + content_type.encode() + b"; name=smime.p7m\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(der))


def _signed_data(inner: bytes) -> bytes:
    """CMS signed-data holding `inner`, as a signing client writes it (no signer: a reader's client
    shows the content whether or not the signature verifies, so none is needed to read it)."""
    signed = cms.SignedData({"version": "v1", "digest_algorithms": [], "certificates": [], "signer_infos": [],
                             "encap_content_info": {"content_type": "data", "content": inner}})
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def test_an_opaque_signed_message_is_read_as_its_reader_sees_it():
    """Opaque-signed S/MIME (b137): the whole message inside one application/pkcs7-mime part, as
    Outlook, Apple Mail and Thunderbird show it, attachments and all, signed once more within."""
    inner = (b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
             b"Bitte rufen Sie 030 5557 1234 an.\r\n--b\r\nContent-Type: text/plain; name=n.txt\r\n"
             b"Content-Disposition: attachment; filename=n.txt\r\n\r\nKonto 555\r\n--b--\r\n")
    twice = b"Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    for raw in (_smime("application/pkcs7-mime; smime-type=signed-data", _signed_data(inner)),
                _smime("application/x-pkcs7-mime", _signed_data(twice + base64.encodebytes(_signed_data(inner))))):
        message = parse_raw(raw)
        assert "030 5557 1234" in message.body and message.subject == "Beitrag"
        assert any("Konto 555" in block.text for block in message.texts if block.source == "attachment")
        assert not message.problems


def test_encrypted_smime_stays_unread_and_a_broken_one_is_said():
    enveloped = cms.ContentInfo({"content_type": "enveloped_data", "content": cms.EnvelopedData({
        "version": "v0", "recipient_infos": [], "encrypted_content_info": {
            "content_type": "data", "content_encryption_algorithm": {"algorithm": "aes128_cbc"}}})}).dump()
    assert not parse_raw(_smime("application/pkcs7-mime; smime-type=enveloped-data", enveloped)).problems
    assert parse_raw(_smime("application/pkcs7-mime", _signed_data(b"x")[:-5])).problems == (
        "an S/MIME signed part could not be read",)
    # Found by mangling blobs at random: an unknown content type whose content is tagged as an
    # ObjectDescriptor, which asn1crypto cannot give as a value.
    mangled = bytes.fromhex(
        "306806092a864886f70d010702a05b30590201013100304e06092a86ed86f70d010701a041073f436f6e74656efc2d5479"
        "70653a20746578742f706c89696e7e0a0d0a426974746520727538656e20536965203033302035353537203132333420"
        "616e2e0d0aa0003100")
    assert parse_raw(_smime("application/pkcs7-mime", mangled)).problems == ("an S/MIME signed part could not be read",)


def test_broken_charset_and_bad_base64_degrade_to_a_verdict():
    raw = (
        b"From: a@example.org\r\nSubject: =?x-unknown?b?!!!?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\nhello \xff\xfe world\r\n"
        b"--b\r\nContent-Type: text/calendar\r\nContent-Transfer-Encoding: base64\r\n\r\n@@not base64@@\r\n"
        b"--b--\r\n"
    )
    message = parse_raw(raw)
    assert "hello" in message.body
    assert message.problems  # what could not be read is said, not raised


@pytest.mark.parametrize("raw, code", [(b"", "empty_message"), (b"   \r\n", "empty_message"),
                                       (b"no headers here, just words", "not_a_message")])
def test_not_a_message_is_a_clear_error(raw, code):
    with pytest.raises(InputError) as error:
        parse_raw(raw)
    assert error.value.code == code


def test_invalid_ics_is_a_clear_error():
    with pytest.raises(InputError) as error:
        parse_raw(b"BEGIN:VCALENDAR\r\nthis is not:\r\nEND:VCALENDAR\r\n")
    assert error.value.code == "unreadable_calendar"


@pytest.mark.parametrize("mangle", [
    lambda raw: raw[: len(raw) // 2],                      # truncated MIME
    lambda raw: raw.replace(b"\r\n\r\n", b"\r\n\x00\r\n"),  # NUL bytes
    lambda raw: raw.replace(b"BEGIN:VEVENT", b"BEGIN:VEVENT\x00"),
    lambda raw: raw + b"\r\n--unterminated",
])
def test_mangled_fixture_still_parses(mangle):
    raw = fixture_bytes("icloud_direct/paypal_599_en.eml")
    message = parse_raw(mangle(raw))
    assert message.kind == "eml"


def test_five_megabytes_of_garbage_is_read_within_bounds():
    garbage = bytes(range(256)) * (5 * 1024 * 1024 // 256)
    message = parse_raw(b"Subject: x\r\n\r\n" + garbage)
    # The body is read, head and tail kept around a cut it says it made, rather than raising or
    # growing without limit.
    [body] = [b for b in message.texts if b.source == "body"]
    assert message.kind == "eml" and 0 < len(message.body) <= HEAD_CHARS + TAIL_CHARS + len(ELISION)
    assert body.truncated and ELISION in body.text


def test_microsoft_dialect_authentication_results():
    results = parse_auth_results(
        "spf=pass (sender IP is 17.58.63.179) smtp.mailfrom=email.apple.com; dkim=pass (signature was verified) "
        "header.d=email.apple.com;dmarc=pass action=none header.from=email.apple.com;compauth=pass reason=100",
        "authentication-results")
    assert [(r.method, r.result, r.domain) for r in results] == [
        ("spf", "pass", "email.apple.com"), ("dkim", "pass", "email.apple.com"),
        ("dmarc", "pass", "email.apple.com"), ("compauth", "pass", "email.apple.com")]


def test_forged_lower_authentication_results_are_ignored():
    raw = (
        b"Authentication-Results: mx.contoso.com; dmarc=fail header.from=paypal.com\r\n"
        b"Received: from evil\r\n"
        b"Authentication-Results: evil.example; dmarc=pass header.from=paypal.com\r\n"
        b"From: service@paypal.com\r\n\r\nhi\r\n"
    )
    message = parse_raw(raw)
    assert [(a.method, a.result) for a in message.auth] == [("dmarc", "fail")]


def test_outlook_parts_without_ics():
    message = parse_outlook(
        "From: Apple <noreply@email.apple.com>\r\nSubject: Invitation\r\n"
        "Return-Path: <SRS0=ab=Q3=email.apple.com=noreply@contoso.onmicrosoft.com>",
        "<p>PayPal: you paid $599</p>", "html", None,
        OutlookItem(item_class="IPM.Schedule.Meeting.Request", subject="Invitation", location="Call 808"))
    assert message.kind == "outlook" and message.is_invite
    assert message.body == "PayPal: you paid $599"
    assert message.return_path.startswith("srs0=")


def test_outlook_files_are_read_as_attachments_and_the_outlook_path_sends_them():
    # The number only inside the PDF: the add-in fetches its bytes with Mailbox 1.8, and the
    # evaluation's Outlook path sends what the add-in sends.
    raw = fixture_bytes("b7_direct_freemail/geeksquad_invoice_pdf_only.eml")
    whole = [b.text for b in parse_raw(raw).texts if b.source == "attachment"]
    assert whole and "+1 (888) 555-0112" in whole[0]
    assert [b.text for b in outlook_view(raw).texts if b.source == "attachment"] == whole
    pdf = next(p for p in email.message_from_bytes(raw, policy=policy.compat32).walk()
               if p.get_content_type() == "application/pdf")
    files = (AttachedFile(pdf.get_filename(), "", pdf.get_payload(decode=True)),  # known by its name
             AttachedFile("logo.png", "image/png", b"\x89PNG" + b"0" * 40))  # no kind the service reads
    message = parse_outlook("From: a@example.net\r\nSubject: x\r\n", "See the invoice", files=files)
    assert [(b.source, b.name, b.text) for b in message.attachments] == [("attachment", pdf.get_filename(), whole[0])]



FORWARDED_NOTICE = (
    b"From: Amy Lo <amy@supplier.example>\r\nTo: ap@example.com\r\nSubject: FW: bank notice\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n"
    b"--outer\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease handle the attached notice today.\r\n"
    b"--outer\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=notice.eml\r\n\r\n"
    b"From: Bank Alerts <alerts@bank.example>\r\nSubject: Outgoing transfer of $9,400 on hold\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b"<p>Not you? Call the transfer desk on <b>+1 866 555 0175</b> before noon.</p>\r\n"
    b"--outer--\r\n")


def test_an_attached_message_is_one_file_on_the_outlook_path_read_as_its_reader_sees_it():
    # Outlook's body is the forwarding note; the attached message is an item attachment that the
    # add-in fetches as .eml and sends as message/rfc822: its sender, subject and text are read.
    message = outlook_view(FORWARDED_NOTICE)
    assert message.body == "Please handle the attached notice today."
    [notice] = message.attachments
    assert notice.name == "notice.eml"
    assert notice.text.split("\n\n") == ["Outgoing transfer of $9,400 on hold", "Bank Alerts",
                                           "Not you? Call the transfer desk on +1 866 555 0175 before noon."]
    inner = FORWARDED_NOTICE.split(b"filename=notice.eml\r\n\r\n", 1)[1].rsplit(b"--outer--", 1)[0]
    sent = parse_outlook("From: amy@supplier.example\r\nSubject: FW\r\n", "Please handle it.",
                         files=(AttachedFile("notice", "message/rfc822", inner),))
    assert [b.text for b in sent.attachments] == [notice.text]


def test_attachments_past_the_bounds_are_left_unread_and_said_so():
    files = tuple(AttachedFile(f"doc{i}.pdf", "application/pdf", b"not a pdf") for i in range(MAX_DOCUMENTS + 2))
    notes = tuple(AttachedFile(f"note{i}.txt", "text/plain", f"note {i}".encode())
                  for i in range(MAX_TEXT_ATTACHMENTS + 1))
    message = parse_outlook("From: a@example.net\r\nSubject: x\r\n", "hi", files=files + notes)
    assert message.problems == ("a PDF attachment could not be read",
                                f"only the first {MAX_DOCUMENTS} PDF and office attachments were read",
                                f"only the first {MAX_TEXT_ATTACHMENTS} text attachments were read")
    assert [b.text for b in message.attachments] == [f"note {i}" for i in range(MAX_TEXT_ATTACHMENTS)]


def test_an_unreadable_pdf_is_said_once_and_logs_nothing(caplog, capfd):
    files = (AttachedFile("a.pdf", "application/pdf", b"%%PDF-1.4 stub"),
             AttachedFile("b.pdf", "application/pdf", b"%PDF-1.4\n%%EOF-less"))
    message = parse_outlook("From: a@example.net\r\nSubject: x\r\n", "hi", files=files)
    assert message.problems == ("a PDF attachment could not be read",)
    assert not caplog.records and not capfd.readouterr().err


def test_a_time_zone_longer_than_any_zone_name_leaves_the_event_readable():
    """icalendar opens a zoneinfo file per TZID; a name past the file-name limit raised OSError,
    which was a 500, and an unreadable calendar would hide the event's text."""
    tzid = "Romance Standard Time" * 20
    raw = ("From: a@b.example\r\nSubject: x\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n"
           "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Call +1 808 555 0199\r\n"
           f"DTSTART;TZID={tzid}:20251104T160000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    message = parse_raw(raw)
    assert [i.summary for i in message.invites] == ["Call +1 808 555 0199"]
