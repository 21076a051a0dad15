"""The relay with real SMTP on both sides: aiosmtpd as the next hop, smtplib as the sender."""

from __future__ import annotations

import smtplib

import pytest
from inviteguard.mailflow.stamp import read_stamp

from .conftest import DIRECT_LURE, LURE, SECRET, RunningRelay, Sink


def send(relay: RunningRelay, raw: bytes, recipients: tuple[str, ...] = ("alice@contoso.com",),
         sender: str = "noreply@email.apple.com") -> dict:
    with smtplib.SMTP(relay.address.host, relay.address.port, timeout=60) as client:
        return client.sendmail(sender, list(recipients), raw)


def stamp_of(content: bytes):
    head = content.split(b"\r\n\r\n", 1)[0].decode("utf-8", "surrogateescape")
    return read_stamp(head, [SECRET], now=__import__("time").time(), max_age_seconds=3600)


def test_a_lure_arrives_stamped_phishing(relay: RunningRelay, sink: Sink):
    send(relay, LURE.read_bytes())
    [delivered] = sink.wait_for(1)
    assert delivered.content.startswith(b"X-InviteGuard-Verdict: phishing\r\n")
    stamp = stamp_of(delivered.content)
    assert stamp.verdict == "phishing" and int(stamp.score) >= 50 and stamp.reasons
    assert delivered.recipients == ["alice@contoso.com"]


def test_a_forged_clean_stamp_is_replaced(relay: RunningRelay, sink: Sink):
    forged = (b"X-InviteGuard-Verdict: clean\r\nX-InviteGuard-Score: 0\r\n"
              b"X-InviteGuard-Signature: v=1; t=1; s=" + b"0" * 64 + b"\r\n" + DIRECT_LURE.read_bytes())
    send(relay, forged)
    [delivered] = sink.wait_for(1)
    head = delivered.content.split(b"\r\n\r\n", 1)[0]
    assert head.lower().count(b"x-inviteguard-verdict:") == 1
    assert stamp_of(delivered.content).verdict == "phishing"


def test_next_hop_refusal_reaches_the_sender(relay: RunningRelay, sink: Sink):
    sink.answer = "554 5.7.1 Content refused"
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(relay, LURE.read_bytes())
    assert refused.value.smtp_code == 554
