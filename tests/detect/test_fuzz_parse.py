"""Property tests: mutated messages, calendars and header blocks go through parse and analyze (and
the HTTP API) without an exception escaping — InputError and 4xx are fine — and in bounded time.

The suite runs a bounded number of examples; bench/fuzz.py runs the same mutations for longer.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inviteguard import create_app
from inviteguard.detect.analyzer import analyze, campaign_fingerprint
from inviteguard.detect.engine import AnalyzerEngine
from inviteguard.detect.parse import InputError, parse_outlook, parse_raw
from inviteguard.runtime.redis_server import EmbeddedRedis

EMLS = Path(__file__).resolve().parents[1] / "data" / "emls"
SEEDS = [p.read_bytes() for p in sorted(EMLS.glob("*/*.eml"))[::9]][:24]
SECONDS_PER_MEGABYTE = 4.0  # far above what any seed needs; a blow-up (quadratic parse) exceeds it
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

# Bytes that matter to MIME, RFC 2047, iCalendar and the signals: boundaries, folding, encodings.
TOKENS = [b"\r\n", b"\n", b"\r\n ", b"--", b"boundary=", b"=?utf-8?b?", b"?=", b"=?x?q?", b"BEGIN:VEVENT\r\n",
          b"END:VEVENT\r\n", b"BEGIN:VCALENDAR\r\n", b"END:VCALENDAR\r\n", b"DESCRIPTION:", b";CN=", b"mailto:",
          b"Content-Type: multipart/mixed; boundary=\"x\"\r\n", b"Content-Transfer-Encoding: base64\r\n",
          b"+1 808 555 0199", b"\xff\xfe", b"\x00", "\u202e".encode(), b"=\r\n",
          b"Authentication-Results: spf=pass smtp.mailfrom=apple.com;", b"SRS0=abc=email.apple.com=noreply@"]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed message with a few splices: cut, duplicate, insert structural tokens or random bytes."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["token", "bytes", "cut", "repeat"]))
        if action == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif action == "bytes":
            data[at:at] = draw(st.binary(max_size=40))
        elif action == "cut":
            del data[at:at + draw(st.integers(1, 400))]
        else:
            data[at:at] = bytes(data[at:at + draw(st.integers(1, 200))]) * draw(st.integers(2, 30))
    return bytes(data)


@pytest.fixture(scope="module", autouse=True)
def warm_rules() -> None:
    """The time bound is for one message, not for compiling the rules, which the service does
    before its first message (6-7 s on a slow machine) and a test run alone would do inside it."""
    AnalyzerEngine().warm()


def judged_in_bounded_time(raw: bytes) -> None:
    started = time.perf_counter()
    try:
        result = analyze(parse_raw(raw))
    except InputError:
        return
    assert result.verdict.level in ("phishing", "suspicious", "clean")
    assert 0 <= result.verdict.score <= 100
    assert campaign_fingerprint(result.message) == result.fingerprint
    assert time.perf_counter() - started < 1.0 + SECONDS_PER_MEGABYTE * len(raw) / 1e6


@FUZZ
@given(raw=mutated(SEEDS))
def test_mutated_messages_never_crash_parse_or_analyze(raw: bytes) -> None:
    judged_in_bounded_time(raw)


ICS_SEED = (b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nPRODID:-//Apple Inc.//iCloud//EN\r\nBEGIN:VEVENT\r\n"
            b"SUMMARY:PayPal invoice\r\nORGANIZER;CN=\"PayPal\":mailto:noreply@email.apple.com\r\n"
            b"ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:all@contoso.com\r\nDTSTART:20251104T160000Z\r\n"
            b"DESCRIPTION:You paid $599. Not you? Call +1 808 555 0199\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@FUZZ
@given(raw=mutated([ICS_SEED]))
def test_mutated_calendars_never_crash(raw: bytes) -> None:
    judged_in_bounded_time(raw)


@FUZZ
@given(headers=mutated([s.split(b"\r\n\r\n")[0].split(b"\n\n")[0] for s in SEEDS]), body=st.text(max_size=300),
       body_type=st.sampled_from(["text", "html"]), ics=st.none() | mutated([ICS_SEED]))
def test_mutated_outlook_parts_never_crash(headers: bytes, body: str, body_type: str, ics: bytes | None) -> None:
    try:
        message = parse_outlook(headers.decode("utf-8", "replace"), body, body_type,
                                ics.decode("utf-8", "replace") if ics else None)
    except InputError:
        return
    assert analyze(message).verdict.level in ("phishing", "suspicious", "clean")


@pytest.fixture(scope="module")
def api(redis_server: EmbeddedRedis) -> FlaskClient:
    redis.Redis.from_url(redis_server.url).flushdb()
    return create_app({"REDIS_URL": redis_server.url, "REDIS_TIMEOUT_SECONDS": 1.0}).test_client()


@FUZZ
@given(raw=mutated([*SEEDS, ICS_SEED]))
def test_mutated_messages_through_the_api_get_200_or_4xx(api: FlaskClient, raw: bytes) -> None:
    response = api.post("/api/v1/analyze", data=raw, content_type="message/rfc822")
    assert response.status_code == 200 or 400 <= response.status_code < 500
    if response.status_code != 200:
        assert set(response.get_json()["error"]) == {"code", "message"}


@pytest.mark.parametrize(("dtstart", "start"), [(b"DTSTART:", ""),
                                               (b"DTSTART:20251104T160000Z\r\nDTSTART:20251105T160000Z",
                                                "2025-11-04T16:00:00+00:00"),
                                               # A zone is named, not worked out: its rules may be the invite's own.
                                               (b"DTSTART;TZID=Europe/Berlin:20251104T160000",
                                                "2025-11-04T16:00:00 Europe/Berlin")])
def test_dtstarts_found_by_fuzzing_are_read_not_a_500(api: FlaskClient, dtstart: bytes, start: str) -> None:
    broken = ICS_SEED.replace(b"DTSTART:20251104T160000Z", dtstart)
    assert parse_raw(broken).invites[0].start == start
    response = api.post("/api/v1/analyze", data=broken, content_type="message/rfc822")
    assert response.status_code == 200 and response.get_json()["verdict"] != "clean"


EIGHT_BIT_CASES = [
    # An encoded word whose charset name holds a non-ASCII byte: email.header raises CharsetError.
    b"From: a@b.c\r\nSubject: =?utf\xff8?q?Rechnung?=\r\n\r\nPlease call +1 808 555 0199\r\n",
    # An 8-bit Content-Disposition: compat32 returns a Header object instead of a string.
    b'From: a@b.c\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n'
    b'Content-Disposition: attachment; filename="R\xe4chnung.txt"\r\n\r\ncall +1 808 555 0199\r\n--B--\r\n',
]


@pytest.mark.parametrize("raw", EIGHT_BIT_CASES)
def test_eight_bit_headers_found_by_bench_fuzz_are_read_not_a_500(api: FlaskClient, raw: bytes) -> None:
    judged_in_bounded_time(raw)
    assert api.post("/api/v1/analyze", data=raw, content_type="message/rfc822").status_code == 200


def test_a_charset_name_with_nul_found_by_atheris_is_read(api: FlaskClient) -> None:
    raw = b'From: a@b.c\r\nContent-Type: text/html; charset="utf\x008"\r\n\r\n<p>Call +1 808 555 0199</p>\r\n'
    judged_in_bounded_time(raw)
    assert api.post("/api/v1/analyze", data=raw, content_type="message/rfc822").status_code == 200
