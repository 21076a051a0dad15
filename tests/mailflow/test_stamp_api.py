"""POST /api/v1/stamp: a stamp the relay wrote renders the same verdict analyze gives, without the message;
missing, forged, stale and unchecked stamps answer 409 stamp_invalid."""

from __future__ import annotations

import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from inviteguard.mailflow.stamp import SIGNATURE, VERDICT, split_head

from .conftest import LURE, SECRET, mailflow_app, stamper_of


@pytest.fixture
def stamp_app(redis_server, redis_client, engine) -> Flask:
    return mailflow_app(redis_server, engine)


def stamped_head(app: Flask, raw: bytes) -> str:
    stamped = stamper_of(app).stamp(raw)
    return split_head(stamped.raw)[0].decode("utf-8", "surrogateescape")


def ask(client: FlaskClient, headers: str, locale: str | None = "en"):
    return client.post("/api/v1/stamp", json={"headers": headers, "locale": locale})


def test_a_relay_stamp_renders_the_verdict_analyze_gives(stamp_app: Flask, engine):
    client = stamp_app.test_client()
    head = stamped_head(stamp_app, LURE.read_bytes())
    judged = engine.judged
    answer = ask(client, head, "de")
    assert answer.status_code == 200, answer.json
    body = answer.json
    analyzed = client.post("/api/v1/analyze?locale=de", data=LURE.read_bytes(),
                           content_type="message/rfc822").json
    assert body["stamped"] is True and body["cached"] is True
    assert analyzed["cached"] is True, "the relay's analysis filled the cache the HTTP service reads"
    for field in ("verdict", "score", "reasons", "banner", "fingerprint", "rules_version"):
        assert body[field] == analyzed[field], field
    assert body["banner"]["level"] == "danger" and "808" in body["banner"]["notification"]
    assert engine.judged == judged, "the stamp check must not analyse anything"


@pytest.mark.parametrize(("change", "why"), [
    (lambda head: head.replace("X-InviteGuard-Verdict: phishing", "X-InviteGuard-Verdict: clean"), "forged"),
    (lambda head: re.sub("(?im)^message-id:", "Message-ID: <other@example.org>\r\nX-Old-Message-ID:", head, count=1),
     "forged"),
    (lambda head: "\r\n".join(line for line in head.split("\r\n")
                              if not line.startswith(("X-InviteGuard-", "\t"))), "missing"),
    (lambda head: head + "X-InviteGuard-Verdict: clean\r\n", "forged"),
])
def test_changed_or_missing_stamps_are_refused(stamp_app: Flask, change, why):
    head = stamped_head(stamp_app, LURE.read_bytes())
    answer = ask(stamp_app.test_client(), change(head))
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "stamp_invalid"


def test_a_stale_stamp_is_refused(redis_server, redis_client, engine):
    app = mailflow_app(redis_server, engine, STAMP_MAX_AGE_DAYS=1)
    stamper = stamper_of(app)
    stamper.clock = lambda: time.time() - 2 * 86400
    head = split_head(stamper.stamp(LURE.read_bytes()).raw)[0].decode()
    answer = ask(app.test_client(), head)
    assert answer.status_code == 409 and "older" in answer.json["error"]["message"]


def test_a_stamp_whose_verdict_is_gone_is_refused(stamp_app: Flask, redis_client):
    head = stamped_head(stamp_app, LURE.read_bytes())
    for key in redis_client.scan_iter("ig:stamp:*"):
        redis_client.delete(key)
    answer = ask(stamp_app.test_client(), head)
    assert answer.status_code == 409 and "no longer kept" in answer.json["error"]["message"]


def test_a_service_with_another_secret_trusts_no_stamp(stamp_app: Flask, redis_server, engine):
    head = stamped_head(stamp_app, LURE.read_bytes())
    other = mailflow_app(redis_server, engine, STAMP_SECRET="another-secret-" + "x" * 32)
    assert ask(other.test_client(), head).status_code == 409
    rotated = mailflow_app(redis_server, engine, STAMP_SECRET="another-secret-" + "x" * 32,
                           STAMP_SECRET_PREVIOUS=SECRET)
    assert ask(rotated.test_client(), head).status_code == 200


def test_an_unchecked_stamp_is_refused(stamp_app: Flask):
    stamper = stamper_of(stamp_app)
    stamped = stamper.stamp(b"Subject: x\r\nMessage-ID: <a@b>\r\n\r\n" + b"x" * 100, oversize=True)
    head = split_head(stamped.raw)[0].decode()
    assert f"{VERDICT}: unchecked" in head and SIGNATURE in head
    answer = ask(stamp_app.test_client(), head)
    assert answer.status_code == 409


@pytest.mark.parametrize(("body", "code"), [
    ({"headers": 5}, "invalid_field"), ({}, "invalid_field"), ([1], "invalid_json"),
    ({"headers": "Subject: x\r\n", "locale": 3}, "invalid_field"),
])
def test_bad_requests_get_400(stamp_app: Flask, body, code):
    answer = stamp_app.test_client().post("/api/v1/stamp", json=body)
    assert answer.status_code == 400 and answer.json["error"]["code"] == code


def test_stamp_takes_the_same_client_auth_and_browser_rules_as_analyze(redis_server, redis_client, engine):
    app = mailflow_app(redis_server, engine, API_AUTH_REQUIRED=True, CORS_ORIGINS="https://pages.example.test")
    client = app.test_client()
    head = stamped_head(app, LURE.read_bytes())
    refused = client.post("/api/v1/stamp", json={"headers": head})
    assert refused.status_code == 401 and refused.json["error"]["code"] == "unauthenticated"
    preflight = client.options("/api/v1/stamp", headers={"Origin": "https://pages.example.test",
                                                         "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://pages.example.test"
