"""The exact-copy key (detect/copies.py): copies that differ only in per-recipient trace fields
share it, anything else the parser reads changes it, and equal keys always mean equal verdicts.

The service answers a message whose exact-copy key it has seen without parsing it, so a key that
two differently-read messages share would let one decide the other's verdict (issue 13, finding 1;
issue 14). Hypothesis inserts, removes and garbles trace fields around every kind of header line,
including the line breaks only the stdlib parser honours.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inviteguard.detect.analyzer import verdict_key
from inviteguard.detect.copies import TRACE_FIELDS, exact_copy_key
from inviteguard.detect.parse import InputError, parse_raw
from inviteguard.detect.signals import forwarding

from .conftest import fixture_bytes

FIXTURES = (
    "icloud_list_srs/paypal_599_allstaff_srs0_en.eml", "icloud_direct/paypal_599_en.eml",
    "b4_bank_fraud_alert/bank_en_chase_walmart.eml", "b5_meet_dialin/fi-7dfda3.eml",
    "b6_paypal_invoice/pp06_ko_invoice_htmlonly.eml", "b4_venmo_request/venmo_en_coinbase_btc.eml",
)
EMLS = Path(__file__).resolve().parents[1] / "data" / "emls"


@cache
def raw(name: str) -> bytes:
    return fixture_bytes(name)


def header_lines(message: bytes) -> tuple[list[bytes], bytes]:
    """The header block's lines (each with its line end) and the rest, split at the first blank line."""
    head, sep, body = message.partition(b"\r\n\r\n") if b"\r\n\r\n" in message else message.partition(b"\n\n")
    newline = b"\r\n" if sep == b"\r\n\r\n" else b"\n"
    return [line + newline for line in head.split(newline)], newline + body


def verdict_of(message: bytes) -> str:
    return verdict_key(parse_raw(message))


def outcome(message: bytes) -> str:
    """What the service answers: the verdict key, or the refusal when the parser cannot read it."""
    try:
        return verdict_of(message)
    except InputError as refused:
        return f"refused: {refused.code}"


def test_no_signal_reads_a_trace_field():
    assert not [name for name in TRACE_FIELDS if forwarding.reads_header(name.decode())]


def test_every_fixture_keeps_its_key_and_verdict_when_the_servers_add_trace_fields():
    """Each recipient's copy gains its own Received and Delivered-To fields: one key, one verdict."""
    checked = 0
    for path in sorted(EMLS.rglob("*.eml"))[::25]:
        original = path.read_bytes()
        lines, rest = header_lines(original)
        newline = b"\r\n" if lines[0].endswith(b"\r\n") else b"\n"
        copy = (b"Delivered-To: jane.doe@contoso.com" + newline
                + b"Received: from mx.contoso.com by mbx.contoso.com;" + newline + b"\tTue, 1 Dec 2026" + newline
                + b"".join(lines) + b"X-Original-To: jane.doe@contoso.com" + newline + rest)
        assert exact_copy_key(copy) == exact_copy_key(original), path
        assert verdict_of(copy) == verdict_of(original), path
        checked += 1
    assert checked > 40


@pytest.mark.parametrize("change", [
    lambda m: m.replace(b"\nSubject: ", b"\nSubject: Re: ", 1),
    lambda m: b"X-Extra: 1\r\n" + m,
    lambda m: m + b" ",
    lambda m: m.replace(b"Received:", b"Received :", 1),  # no longer a field name: a different parse
])
def test_a_change_outside_trace_fields_changes_the_key(change):
    original = raw(FIXTURES[0])
    changed = change(original)
    assert changed != original
    assert exact_copy_key(changed) != exact_copy_key(original)


def test_a_line_the_parser_splits_is_never_left_out():
    """'Received: x\\rSubject: ...' is two fields to the parser: dropping the line would drop the
    Subject from the key. The scan stops at any line a line-splitting parser could cut in two (the
    stdlib's cuts at CR; str.splitlines also at VT, FF, FS, GS, RS) and keeps every byte."""
    lines, rest = header_lines(raw(FIXTURES[0]))
    split_by_the_parser = b"".join(lines).replace(b"\nSubject:", b"\nReceived: x\rSubject: A\nX-Was:", 1) + rest
    assert verdict_of(split_by_the_parser) != verdict_of(split_by_the_parser.replace(b"Subject: A", b"Subject: B"))
    for separator in (b"\r", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e"):
        one = b"".join(lines).replace(b"\nSubject:", b"\nReceived: x" + separator + b"Subject: A\nX-Was:", 1) + rest
        other = one.replace(b"Subject: A", b"Subject: B", 1)
        assert exact_copy_key(one) != exact_copy_key(other), separator


def test_a_continuation_after_a_trace_field_is_not_read_as_continuing_the_field_before():
    lines, rest = header_lines(raw(FIXTURES[0]))
    head = b"".join(lines).replace(b"\nSubject:", b"\nX-Note: a\nSubject:", 1)
    with_trace = head.replace(b"X-Note: a\n", b"X-Note: a\nReceived: r\n c\x0cd\n", 1) + rest
    without = head.replace(b"X-Note: a\n", b"X-Note: a\n c\x0cd\n", 1) + rest
    assert exact_copy_key(with_trace) != exact_copy_key(without)


TRACE = st.sampled_from([b"Received", b"received", b"X-Received", b"Delivered-To", b"X-Original-To",
                         b"Envelope-To", b"X-Delivered-To"])
VALUE = st.lists(st.sampled_from([b"a", b"b", b" ", b"\t", b"\r", b"\x0c", b"\x1c", b":", b"Subject: evil",
                                  b"\r\n", b"\n", b"\n ", b"\n\t", b"From x", b"\n\n", b"x@y"]),
                 max_size=6).map(b"".join)
OTHER = st.sampled_from([b"Subject: You paid $599", b"Subject: Team lunch", b"X-Note: hi", b" folded",
                         b"\tfolded", b"From sender", b"not a header", b":", b"Subject : spaced", b""])


class Pair:
    """Two messages; shown by their header blocks only (the fixtures' bodies are long)."""

    def __init__(self, one: bytes, other: bytes) -> None:
        self.one, self.other = one, other

    def __repr__(self) -> str:
        return f"Pair({header_lines(self.one)[0]!r}, {header_lines(self.other)[0]!r})"


@st.composite
def variants(draw: st.DrawFn) -> Pair:
    """Two messages from one fixture with the same random edits of the header block, except that
    the trace fields inserted differ in value or are left out of the second: pairs that should
    share a key, and pairs where a trace value hides a line the parser reads."""
    lines, rest = header_lines(raw(draw(st.sampled_from(FIXTURES))))
    one, other = list(lines), list(lines)
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(one)))
        newline = draw(st.sampled_from([b"\n", b"\r\n"]))
        if draw(st.booleans()):
            name = draw(TRACE)
            one.insert(at, name + b": " + draw(VALUE) + newline)
            if draw(st.booleans()):
                other.insert(at, name + b": " + draw(VALUE) + newline)
            else:
                other.insert(at, b"")
        else:
            line = draw(OTHER) + newline
            one.insert(at, line)
            other.insert(at, line)
    return Pair(b"".join(one) + rest, b"".join(other) + rest)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variants())
def test_equal_keys_mean_equal_verdicts(pair: Pair):
    if exact_copy_key(pair.one) == exact_copy_key(pair.other):
        assert outcome(pair.one) == outcome(pair.other)

