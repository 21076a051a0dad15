"""JSON bodies (issue 13, points 5 and 17): a body of a million tiny values is refused by a scan
before any object is built; a body is parsed once, and for analyze inside the time budget; the
size limit admits a base64 message of INVITEGUARD_MAX_BODY_BYTES and then holds the decoded
message to it; lone surrogates and other odd strings get an answer, never a 500."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from inviteguard import create_app
from inviteguard.reports.store import STREAM
from inviteguard.runtime.config import Settings
from inviteguard.runtime.redis_server import EmbeddedRedis
from inviteguard.web import limits
from inviteguard.web.limits import Guard, InputLimits, LimitError, json_shape
from security_helpers import SIMPLE_MESSAGE

ANALYZE = "/api/v1/analyze"
REPORTS = "/api/v1/reports"
LIMITS = InputLimits.from_settings(Settings())


def make_app(redis_server: EmbeddedRedis, **config: Any) -> Flask:
    return create_app({"REDIS_URL": redis_server.url, "REDIS_TIMEOUT_SECONDS": 1.0, **config})


@pytest.fixture
def client(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> FlaskClient:
    return make_app(redis_server).test_client()


def error_of(response: Any) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


@pytest.mark.parametrize("body", [
    b'{"eml": "x", "padding": [' + b"1," * 500_000 + b'1]}',
    b'{"headers": "From: a@b.c", "client": {"x": [' + b'"",' * 300_000 + b'""]}}',
    b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"a": {' + b'"k": {},' * 200_000 + b'"k": {}}}',
])
@pytest.mark.parametrize("path", [ANALYZE, REPORTS])
def test_a_body_of_many_tiny_values_is_refused_before_it_is_parsed(client: FlaskClient, body: bytes, path: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[int] = []
    real = json.loads

    def spying(raw: Any, **kwargs: Any) -> Any:
        parsed.append(len(raw))
        return real(raw, **kwargs)

    monkeypatch.setattr(limits.json, "loads", spying)  # the stdlib's: the test client reads answers with it too
    response = client.post(path, data=body, content_type="application/json")
    assert error_of(response) == (400, "invalid_json")
    assert "more than 1000 values" in response.get_json()["error"]["message"] or "nested deeper" in \
        response.get_json()["error"]["message"]
    assert max(parsed) < 1000  # refused by the scan: json.loads only ever read the small answer


def test_the_scan_skips_strings_whatever_they_hold() -> None:
    json_shape(json.dumps({"eml": "[{,:}]" * 100_000, "quote": '\\"' * 1000}).encode(), LIMITS)
    json_shape(b'"\\\\"' + b'"' + b"\\\\" * 10, LIMITS)  # escaped backslashes end a string where JSON says
    with pytest.raises(LimitError, match="nested deeper"):
        json_shape(b'{"a":' + b"[" * 11 + b"]" * 11 + b"}", LIMITS)
    json_shape(b'{"a":' + b"[" * 9 + b"]" * 9 + b"}", LIMITS)
    json_shape(b'"unterminated' + b'\\"' * 50_000, LIMITS)  # left to json.loads, which refuses it
    with pytest.raises(LimitError, match="more than 1000 values"):
        json_shape(b'[' + b'"a\\"",' * 1001 + b'""]', LIMITS)  # strings count, escaped quotes and all


@pytest.mark.parametrize("path", [ANALYZE, REPORTS])
def test_a_body_is_parsed_once(client: FlaskClient, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    budgeted: list[bool] = []  # whether analyze's time budget is running: shared, whatever thread reads it
    calls: list[bool] = []
    real_loads, real_budget = json.loads, Guard.within_budget

    def counting(raw: Any, **kwargs: Any) -> Any:
        if isinstance(raw, bytes) and b'"reporter"' in raw:  # the request body, not an answer
            calls.append(bool(budgeted))
        return real_loads(raw, **kwargs)

    def timing(self: Guard, view: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        budgeted.append(True)
        try:
            return real_budget(self, view, *args, **kwargs)
        finally:
            budgeted.pop()

    monkeypatch.setattr(limits.json, "loads", counting)
    monkeypatch.setattr(Guard, "within_budget", timing)
    response = client.post(path, json={"eml": base64.b64encode(SIMPLE_MESSAGE).decode(), "reporter": "a@b.example"})
    assert response.status_code in (200, 202)
    assert calls == [path == ANALYZE]  # once; for analyze inside its time budget


def test_the_limit_admits_a_base64_message_of_the_maximum_size_then_holds_it_to_it(
        redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    client = make_app(redis_server, MAX_BODY_BYTES=100_000).test_client()
    filler = b"x" * 76 + b"\r\n"

    def message(size: int) -> bytes:
        return SIMPLE_MESSAGE + filler * ((size - len(SIMPLE_MESSAGE)) // len(filler))

    fits = message(99_000)
    wrapped = base64.encodebytes(fits).decode()  # with line breaks, as many clients send it
    assert len(wrapped) > 100_000
    for path in (ANALYZE, REPORTS):
        assert client.post(path, json={"eml": wrapped}).status_code in (200, 202)
        too_big = client.post(path, json={"eml": base64.b64encode(message(101_000)).decode()})
        assert error_of(too_big) == (413, "too_large")
    parts = client.post(ANALYZE, json={"headers": "From: a@b.c", "body": "y" * 100_001})
    assert error_of(parts) == (413, "too_large")
    assert error_of(client.post(ANALYZE, data=fits + b"x" * 2000, content_type="message/rfc822")) == (413, "too_large")


@pytest.mark.parametrize("body", [
    {"headers": "From: a@b.c\r\nSubject: \ud800 lone", "body": "\udfff", "item": {"subject": "\ud83d"}},
    {"headers": "From: \udc80@b.c", "body": "x", "comment": "\ud800", "reporter": "\udcff", "locale": "\ud800"},
    {"headers": "Subject: x\u2028y\u2029z\x00\x1b", "body": "\u202e\u2066", "client": {"name": "\ud800"}},
])
@pytest.mark.parametrize("path", [ANALYZE, REPORTS])
def test_lone_surrogates_and_controls_get_an_answer_never_a_500(client: FlaskClient, redis_client: redis.Redis,
                                                                path: str, body: dict[str, Any]) -> None:
    response = client.post(path, data=json.dumps(body, ensure_ascii=True), content_type="application/json")
    assert response.status_code in (200, 202), response.get_data(as_text=True)
    if path == REPORTS:
        [(_, fields)] = redis_client.xrevrange(STREAM, count=1)
        stored = json.loads(fields[b"report"].decode("utf-8"))  # valid UTF-8: every lone surrogate replaced
        if "comment" in body:
            assert stored["comment"] == "\ufffd"
