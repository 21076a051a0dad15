"""Abuse resistance of analyze and reports: rate limits per caller on the shared Redis (429 with
Retry-After), and each size, shape and time limit answered with its own clear 4xx."""

from __future__ import annotations

import base64
import dataclasses
import time
from typing import Any

import pytest
import redis
from conftest import CountingEngine
from flask import Flask
from flask.testing import FlaskClient
from inviteguard import create_app
from inviteguard.detect import budget
from inviteguard.detect.analyzer import NO_FEEDBACK, Feedback
from inviteguard.detect.model import ParsedMessage, Verdict
from inviteguard.reports.api import report_store
from inviteguard.runtime.config import Settings
from inviteguard.runtime.redis_server import EmbeddedRedis
from inviteguard.web.client_auth import KEY_HEADER, KeyStore
from inviteguard.web.limits import InputLimits, check_mime, header_field_count
from security_helpers import APP_ID, LIST_INVITE, SIMPLE_MESSAGE, TENANT, FakeEntra, bearer, mint

ANALYZE = "/api/v1/analyze"
REPORTS = "/api/v1/reports"


def make_app(redis_server: EmbeddedRedis, **config: Any) -> Flask:
    return create_app({"REDIS_URL": redis_server.url, "REDIS_TIMEOUT_SECONDS": 1.0, **config})


@pytest.fixture
def client(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> FlaskClient:
    return make_app(redis_server).test_client()


def analyze(client: FlaskClient, data: bytes = SIMPLE_MESSAGE, **kwargs: Any) -> Any:
    return client.post(ANALYZE, data=data, content_type="message/rfc822", **kwargs)


def error_of(response: Any) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


# ------------------------------------------------------------------ rate limits

def assert_rate_limited(response: Any) -> None:
    assert error_of(response) == (429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 61  # the one-minute window, rounded up


def test_per_address_limit_gives_429_with_retry_after(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    client = make_app(redis_server, ANALYZE_RATE_LIMIT_PER_ADDRESS="3/minute").test_client()
    assert [analyze(client).status_code for _ in range(3)] == [200, 200, 200]
    assert_rate_limited(analyze(client))
    # Counted on the service's Redis, so every worker sees the same count.
    assert redis_client.keys("*ratelimit*")
    other_address = analyze(client, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other_address.status_code == 200
    report = client.post(REPORTS, data=LIST_INVITE.read_bytes(), content_type="message/rfc822")
    assert report.status_code == 202  # reports have their own limit


def test_report_limit_is_separate_from_analyze(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    client = make_app(redis_server, REPORT_RATE_LIMIT_PER_ADDRESS="2/minute").test_client()
    statuses = [client.post(REPORTS, data=LIST_INVITE.read_bytes(), content_type="message/rfc822",
                            query_string={"reporter": f"u{n}@contoso.com"}).status_code for n in range(3)]
    assert statuses == [202, 202, 429]
    assert analyze(client).status_code == 200


def test_each_client_key_and_address_has_its_own_bucket(redis_server: EmbeddedRedis,
                                                        redis_client: redis.Redis) -> None:
    store = KeyStore(redis_client)
    first, second = store.create("thunderbird"), store.create("scripts")
    client = make_app(redis_server, ANALYZE_RATE_LIMIT_PER_ADDRESS="2/minute").test_client()
    assert [analyze(client, headers={KEY_HEADER: first}).status_code for _ in range(2)] == [200, 200]
    assert_rate_limited(analyze(client, headers={KEY_HEADER: first}))
    assert analyze(client, headers={KEY_HEADER: second}).status_code == 200


def test_signed_in_users_are_limited_per_user(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    with FakeEntra().running() as entra:
        client = make_app(redis_server, ENTRA_CLIENT_ID=APP_ID, ENTRA_TENANT_IDS=TENANT,
                          ENTRA_JWKS_URL=entra.jwks_url, ANALYZE_RATE_LIMIT="2/minute").test_client()
        alice, bob = mint(entra.keys[0], oid="alice"), mint(entra.keys[0], oid="bob")
        assert [analyze(client, headers=bearer(alice)).status_code for _ in range(2)] == [200, 200]
        assert_rate_limited(analyze(client, headers=bearer(alice)))
        assert analyze(client, headers=bearer(bob)).status_code == 200


def test_a_bad_rate_limit_setting_stops_start_up(redis_server: EmbeddedRedis) -> None:
    with pytest.raises(ValueError, match="INVITEGUARD_ANALYZE_RATE_LIMIT"):
        make_app(redis_server, ANALYZE_RATE_LIMIT="lots")


# ------------------------------------------------------------------ request headers and body size

def test_too_many_request_headers_is_431(client: FlaskClient) -> None:
    headers = {f"X-Filler-{n}": "x" for n in range(120)}
    assert error_of(analyze(client, headers=headers)) == (431, "request_headers_too_large")


def test_oversized_request_headers_are_431(client: FlaskClient) -> None:
    assert error_of(analyze(client, headers={"X-Filler": "x" * 40_000})) == (431, "request_headers_too_large")


def test_a_body_over_the_size_limit_is_413(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    client = make_app(redis_server, MAX_BODY_BYTES=1000).test_client()
    assert error_of(analyze(client, data=SIMPLE_MESSAGE + b"x" * 2000)) == (413, "too_large")


# ------------------------------------------------------------------ JSON and message shape

def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


def test_json_nested_past_the_limit_is_400(client: FlaskClient) -> None:
    response = client.post(ANALYZE, json={"headers": "From: a@b.c", "client": {"extra": nested(12)}})
    assert error_of(response) == (400, "invalid_json")
    assert "nested deeper than 10" in response.get_json()["error"]["message"]
    shallow = client.post(ANALYZE, json={"headers": "From: a@b.c", "body": "hi", "client": {"name": "tb"}})
    assert shallow.status_code == 200


def many_headers(count: int) -> bytes:
    return b"".join(b"X-Trace-%d: hop\r\n" % n for n in range(count)) + b"From: a@b.c\r\n\r\nhi\r\n"


def test_message_header_limits_are_422(client: FlaskClient) -> None:
    assert error_of(analyze(client, data=many_headers(1001))) == (422, "too_many_header_fields")
    assert analyze(client, data=many_headers(900)).status_code == 200
    huge = b"From: a@b.c\r\nSubject: " + b"A" * 600_000 + b"\r\n\r\nhi"
    assert error_of(analyze(client, data=huge)) == (422, "header_block_too_large")
    outlook = client.post(ANALYZE, json={"headers": many_headers(1001).decode(), "body": "hi"})
    assert error_of(outlook) == (422, "too_many_header_fields")


def multipart(parts: int) -> bytes:
    body = b"".join(b"--B\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % n for n in range(parts))
    return b'From: a@b.c\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n' + body + b"--B--\r\n"


def nested_multipart(depth: int) -> bytes:
    head = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (n, n) for n in range(depth))
    tail = b"".join(b"\r\n--b%d--\r\n" % n for n in reversed(range(depth)))
    return b"From: a@b.c\r\n" + head + b"Content-Type: text/plain\r\n\r\nhi" + tail


def test_mime_part_and_nesting_limits_are_422(client: FlaskClient) -> None:
    assert error_of(analyze(client, data=multipart(1001))) == (422, "too_many_mime_parts")
    assert analyze(client, data=multipart(300)).status_code == 200
    assert error_of(analyze(client, data=nested_multipart(41))) == (422, "mime_too_deep")
    assert error_of(analyze(client, data=nested_multipart(5000))) == (422, "mime_too_deep")
    assert analyze(client, data=nested_multipart(30)).status_code == 200
    wrapped = client.post(ANALYZE, json={"eml": base64.b64encode(nested_multipart(100)).decode()})
    assert error_of(wrapped) == (422, "mime_too_deep")


def test_dash_lines_in_text_are_not_mime_parts() -> None:
    limits = dataclasses.replace(InputLimits.from_settings(Settings()), mime_parts=3, mime_depth=2)
    text = b"From: a@b.c\r\n\r\n" + b"----------\r\n-- \r\n--B\r\n" * 100
    check_mime(text, limits)  # no boundary declared: these are only lines of text
    assert header_field_count(b"A: 1\r\n folded\r\nB: 2") == 2


def calendar(events: int, extra_lines: int = 0) -> bytes:
    event = b"BEGIN:VEVENT\r\nSUMMARY:Invoice\r\nDESCRIPTION:call +1 808 555 0199\r\nEND:VEVENT\r\n"
    filler = b"".join(b"X-FILLER-%d:x\r\n" % n for n in range(extra_lines))
    return b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + event * events + filler + b"END:VCALENDAR\r\n"


def test_calendar_limits_are_422(client: FlaskClient) -> None:
    assert error_of(analyze(client, data=calendar(600))) == (422, "calendar_too_large")
    assert error_of(analyze(client, data=calendar(1, extra_lines=20_001))) == (422, "calendar_too_large")
    assert analyze(client, data=calendar(3)).status_code == 200
    as_part = (b'From: a@b.c\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
               b"Content-Type: text/calendar\r\n\r\n" + calendar(600) + b"--B--\r\n")
    assert error_of(analyze(client, data=as_part)) == (422, "calendar_too_large")
    outlook = client.post(ANALYZE, json={"headers": "From: a@b.c", "body": "hi", "ics": calendar(600).decode()})
    assert error_of(outlook) == (422, "calendar_too_large")


# ------------------------------------------------------------------ time budget

class SlowEngine(CountingEngine):
    """Work that would take a second, checking the budget as every loop over input does."""

    finished = 0

    def judge(self, message: ParsedMessage, feedback: Feedback = NO_FEEDBACK) -> Verdict:
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            budget.check()
        SlowEngine.finished += 1
        return super().judge(message, feedback)


@pytest.fixture
def slow_client(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> FlaskClient:
    return make_app(redis_server, ENGINE=SlowEngine(), ANALYSIS_TIME_BUDGET_SECONDS=0.2).test_client()


def test_an_analysis_over_its_time_budget_is_422_and_stops(slow_client: FlaskClient) -> None:
    response = analyze(slow_client)
    assert error_of(response) == (422, "analysis_time_budget")
    assert SlowEngine.finished == 0  # the work stopped at the budget; no thread burns on


def test_a_report_over_the_time_budget_is_stored_unchecked(slow_client: FlaskClient) -> None:
    """Reports have the analysis budget too: the work stops, and the report is still stored and
    acknowledged (the SOC wants a message built to be slow most of all), marked unchecked."""
    response = slow_client.post("/api/v1/reports", data=LIST_INVITE.read_bytes(), content_type="message/rfc822")
    assert response.status_code == 202 and response.get_json()["verdict"] == "unchecked"
    assert SlowEngine.finished == 0
    with slow_client.application.app_context():
        stored = report_store().get(response.get_json()["report_id"])
    assert stored is not None and stored.data["verdict"]["level"] == "unchecked"
    assert stored.data["subject"] and stored.data["fingerprint"].startswith("unchecked:")


def test_a_calendar_hidden_in_base64_meets_the_same_limits_once_decoded(client: FlaskClient) -> None:
    # base64 hides the calendar from the byte scans before parsing; parsing counts it again.
    ics = base64.encodebytes(calendar(20_000))
    raw = (b'From: a@b.c\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
           b"Content-Type: text/calendar\r\nContent-Transfer-Encoding: base64\r\n\r\n" + ics + b"--B--\r\n")
    assert error_of(analyze(client, data=raw)) == (422, "calendar_too_large")
    small = raw.replace(ics, base64.encodebytes(calendar(3)))
    assert analyze(client, data=small).status_code == 200
