"""The answer cache (web/cache.py AnswerCache): an exact copy already answered gets the same answer
without being parsed again; anything that would change the answer makes the next one fresh."""

from __future__ import annotations

import email
import threading
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest
import redis
import requests
from conftest import CountingEngine
from flask import Flask
from flask.testing import FlaskClient
from inviteguard import create_app
from inviteguard.runtime.redis_server import EmbeddedRedis
from inviteguard.web import api
from inviteguard.web.cache import ANSWER_PREFIX
from werkzeug.serving import make_server

INVITE = Path(__file__).parents[1] / "data" / "emls" / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many raw messages analyze parsed."""
    counted: list[int] = []
    real = api.parse_raw

    def counting(*args, **kwargs):
        counted.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "parse_raw", counting)
    return counted


def analyze(client: FlaskClient, raw: bytes, **headers: str) -> dict:
    response = client.post("/api/v1/analyze", data=raw, content_type="message/rfc822", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def trace_copy(raw: bytes, n: int) -> bytes:
    """Copy n as the servers deliver it to one recipient: its own trace fields, nothing else new."""
    return (f"Delivered-To: employee{n}@contoso.com\r\n"
            f"Received: from mbx{n}.contoso.com by mx.contoso.com; Tue, 4 Nov 2025 16:00:{n % 60:02d} +0000\r\n"
            ).encode() + raw


def test_an_exact_copy_is_answered_without_parsing(client: FlaskClient, engine: CountingEngine,
                                                   parses: list[int]) -> None:
    raw = INVITE.read_bytes()
    first = analyze(client, raw)
    answers = [analyze(client, trace_copy(raw, n)) for n in range(20)] + [analyze(client, raw)]
    assert first["verdict"] == "phishing" and first["cached"] is False
    assert len(parses) == 1 and engine.judged == 1
    assert all(answer == {**first, "cached": True} for answer in answers)


def test_another_language_gets_its_own_answer(client: FlaskClient, parses: list[int]) -> None:
    raw = INVITE.read_bytes()
    english = analyze(client, raw)
    german = analyze(client, raw, **{"Accept-Language": "de-DE,de;q=0.9"})
    assert len(parses) == 2 and german["banner"]["title"] != english["banner"]["title"]
    assert analyze(client, raw, **{"Accept-Language": "de-DE,de;q=0.9"}) == {**german, "cached": True}
    assert len(parses) == 2


def test_a_text_edit_reaches_the_next_exact_copy(client: FlaskClient, app: Flask, parses: list[int]) -> None:
    raw = INVITE.read_bytes()
    analyze(client, raw)
    analyze(client, raw)
    app.extensions["inviteguard"].texts.save(
        {"en": {"banner": {"phishing": {"title": "Edited: stop, do not call"}}}}, author="test")
    assert analyze(client, raw)["banner"]["title"] == "Edited: stop, do not call"
    assert len(parses) == 2


def test_answers_are_kept_for_the_cache_lifetime(client: FlaskClient, redis_client: redis.Redis) -> None:
    analyze(client, INVITE.read_bytes())
    [key] = redis_client.scan_iter(f"{ANSWER_PREFIX}*")
    assert 0 < redis_client.ttl(key) <= 3600


def test_a_rules_change_is_never_answered_from_an_old_answer(client: FlaskClient, engine: CountingEngine,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    raw = INVITE.read_bytes()
    analyze(client, raw)
    monkeypatch.setattr(engine, "rules_version", lambda: "a later rules version")
    assert analyze(client, raw)["cached"] is False


def test_without_redis_the_copy_is_judged_and_answered(redis_server: EmbeddedRedis, engine: CountingEngine) -> None:
    client = create_app({"REDIS_URL": "redis://127.0.0.1:1/0", "TESTING": True, "ENGINE": engine}).test_client()
    raw = INVITE.read_bytes()
    answers = [analyze(client, raw) for _ in range(2)]
    assert all(a["verdict"] == "phishing" and a.get("degraded") is True for a in answers)
    assert engine.judged == 2


def test_a_chunked_body_cut_at_the_limit_is_refused_though_its_prefix_was_answered(redis_server: EmbeddedRedis,
                                                                                  redis_client: redis.Redis) -> None:
    """The first 2,048 bytes of a longer body must not be answered as the message they begin."""
    raw = INVITE.read_bytes()
    app = create_app({"REDIS_URL": redis_server.url, "MAX_BODY_BYTES": len(raw)})
    assert analyze(app.test_client(), raw)["verdict"] == "phishing"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        chunks = (raw[i:i + 1024] for i in range(0, len(raw) + 1024, 1024))  # chunked: no Content-Length
        longer = (c if c else b"X" * 1024 for c in chunks)
        response = requests.post(f"http://127.0.0.1:{server.server_port}/api/v1/analyze", data=longer,
                                 headers={"Content-Type": "message/rfc822"}, timeout=10)
    finally:
        server.shutdown()
        thread.join(timeout=5)
    assert response.status_code == 413, response.text


def with_hostile_attachment(raw: bytes, size: int) -> bytes:
    """The invite with an HTML attachment that never closes an attribute (the security review's
    quadratic case for the old parser): multipart/mixed of the original parts and the attachment."""
    original = email.message_from_bytes(raw)
    outer = MIMEMultipart("mixed")
    for name, value in original.items():
        if name.lower() not in ("content-type", "mime-version", "content-transfer-encoding"):
            outer[name] = value
    parts = email.message_from_bytes(raw)
    for name in [n for n in parts.keys() if n.lower() not in ("content-type", "content-transfer-encoding")]:
        del parts[name]
    outer.attach(parts)
    attachment = MIMEText('<html><body><a href="' + "x" * size, "html")
    attachment.add_header("Content-Disposition", "attachment", filename="statement.html")
    outer.attach(attachment)
    return outer.as_bytes()


def test_a_lure_with_a_hostile_attachment_is_warned_about_on_every_open(client: FlaskClient,
                                                                        parses: list[int]) -> None:
    """Issue 13, finding 4: it got 422 ("could not check") on every open. Now the first open is
    judged (a linear parser) and every later one is answered before any parsing."""
    hostile = with_hostile_attachment(INVITE.read_bytes(), 2_000_000)
    answers = [analyze(client, hostile) for _ in range(3)]
    assert [a["verdict"] for a in answers] == ["phishing"] * 3
    assert [a["cached"] for a in answers] == [False, True, True] and len(parses) == 1
