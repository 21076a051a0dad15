"""The stamp's canonical string and header surgery: exact, documented, and strict when read back."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from inviteguard.mailflow.stamp import (
    Stamp,
    StampProblem,
    check_secret,
    header_fields,
    header_lines,
    message_id_of,
    read_stamp,
    split_head,
    without_stamp_fields,
)

KEY = "k" * 32
STAMP = Stamp("phishing", "97", ("combo.platform_callback_lure", "callback.phone"), "131e089af5a2a959",
              "<abc@example.org>", 1764590400)


def test_the_canonical_string_is_the_documented_one():
    assert STAMP.canonical() == (b"inviteguard-stamp-v1\nphishing\n97\ncombo.platform_callback_lure,callback.phone\n"
                                 b"131e089af5a2a959\n<abc@example.org>\n1764590400")
    expected = hmac.new(KEY.encode(), STAMP.canonical(), hashlib.sha256).hexdigest()
    assert dict(header_fields(STAMP, KEY))["X-InviteGuard-Signature"] == f"v=1; t=1764590400; s={expected}"


def head_of(stamp: Stamp, extra: str = "") -> str:
    return (header_lines(header_fields(stamp, KEY), b"\r\n").decode() + f"Message-ID: {stamp.message_id}\r\n"
            + extra + "Subject: x\r\n")


def test_a_refolded_stamp_still_verifies():
    head = head_of(STAMP).replace("combo.platform_callback_lure,callback.phone",
                                  "combo.platform_callback_lure,\r\n callback.phone")
    assert read_stamp(head, [KEY], now=1764590500, max_age_seconds=3600) == STAMP


@pytest.mark.parametrize(("head", "kind"), [
    (head_of(STAMP).replace("Score: 97", "Score: 98"), "forged"),
    (head_of(STAMP).replace("<abc@example.org>", "<abd@example.org>", 1).replace(
        "Message-ID: <abc@example.org>", "Message-ID: <abd@example.org>"), "forged"),
    (head_of(STAMP, "X-InviteGuard-Verdict: clean\r\n"), "forged"),
    ("Subject: nothing stamped\r\n", "missing"),
    (head_of(STAMP).replace("s=", "s=0"), "forged"),
])
def test_changed_stamps_are_refused(head: str, kind: str):
    with pytest.raises(StampProblem) as problem:
        read_stamp(head, [KEY], now=1764590500, max_age_seconds=3600)
    assert problem.value.kind == kind


def test_age_is_checked_both_ways():
    with pytest.raises(StampProblem, match="older"):
        read_stamp(head_of(STAMP), [KEY], now=1764590400 + 3601, max_age_seconds=3600)
    with pytest.raises(StampProblem, match="future"):
        read_stamp(head_of(STAMP), [KEY], now=1764590400 - 3600, max_age_seconds=3600)


def test_inbound_stamp_fields_are_removed_whatever_their_case_and_folding():
    raw = (b"x-INVITEGUARD-verdict: clean\r\n\tfolded on\r\nReceived: by mx\r\nX-InviteGuard-Score: 0\r\n"
           b"Message-ID:\r\n <m@example.org>\r\nSubject: hi\r\n\r\nX-InviteGuard-Verdict: in the body stays\r\n")
    head, rest = split_head(raw)
    kept, removed = without_stamp_fields(head)
    assert removed == 2
    assert kept == b"Received: by mx\r\nMessage-ID:\r\n <m@example.org>\r\nSubject: hi\r\n"
    assert rest == b"\r\nX-InviteGuard-Verdict: in the body stays\r\n"
    assert message_id_of(kept) == "<m@example.org>"


def test_a_short_secret_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match="INVITEGUARD_STAMP_SECRET"):
        check_secret("short")
