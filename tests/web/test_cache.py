"""The verdict cache: one analysis per campaign, invalidated by rules and banner-text versions."""

from __future__ import annotations

import random
import string
from pathlib import Path

import redis
from conftest import CountingEngine
from flask.testing import FlaskClient
from inviteguard.detect.model import Reason, Verdict
from inviteguard.web.cache import KEY_PREFIX, cache_key, verdict_from_json, verdict_to_json

INVITE = Path(__file__).parents[1] / "data" / "emls" / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"
PER_RECIPIENT = ("to", "message-id", "received", "date", "return-path", "delivered-to")


def _token(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=n))


def list_copy(template: bytes, n: int, rng: random.Random) -> bytes:
    """Copy n of one list invite: the per-recipient headers are new, the campaign is the same."""
    head, sep, body = template.partition(b"\n\n")
    kept = []
    for line in head.split(b"\n"):
        name = line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
        if line[:1] in (b" ", b"\t"):
            if kept and kept[-1] is not None:
                kept.append(line)
            continue
        kept.append(None if name in PER_RECIPIENT else line)
    lines = [line for line in kept if line is not None]
    srs_hash = _token(rng, 4)
    fresh = [
        f"Received: from relay{n}.example.net (10.{n % 250}.{n % 7}.1) by mx.contoso.com; "
        f"Tue, 04 Nov 2025 16:{n % 60:02d}:{n % 59:02d} +0000",
        f"Return-Path: <SRS0={srs_hash}={_token(rng, 2)}=email.apple.com=noreply@contoso.onmicrosoft.com>",
        f"To: employee{n}@contoso.com",
        f"Message-ID: <{_token(rng, 24)}@email.apple.com>",
        f"Date: Tue, 04 Nov 2025 16:{n % 60:02d}:{n % 59:02d} +0000",
    ]
    return "\n".join(fresh).encode() + b"\n" + b"\n".join(lines) + sep + body


def test_5000_list_copies_cost_one_analysis(client: FlaskClient, engine: CountingEngine) -> None:
    template = INVITE.read_bytes()
    rng = random.Random(5000)
    fingerprints = set()
    cached = []
    for n in range(5000):
        response = client.post("/api/v1/analyze", data=list_copy(template, n, rng), content_type="message/rfc822")
        assert response.status_code == 200
        body = response.get_json()
        fingerprints.add(body["fingerprint"])
        cached.append(body["cached"])
        assert body["verdict"] == "phishing"
    assert engine.judged == 1
    assert len(fingerprints) == 1
    assert cached[0] is False and all(cached[1:])


def test_copies_really_differ_in_per_recipient_headers() -> None:
    rng = random.Random(1)
    template = INVITE.read_bytes()
    first, second = list_copy(template, 1, rng), list_copy(template, 2, rng)
    assert first != second
    assert b"employee1@contoso.com" in first and b"employee2@contoso.com" in second


def test_a_different_campaign_is_judged_again(client: FlaskClient, engine: CountingEngine) -> None:
    template = INVITE.read_bytes()
    client.post("/api/v1/analyze", data=template, content_type="message/rfc822")
    other = (INVITE.parent.parent / "icloud_direct" / "paypal_599_en.eml").read_bytes()
    response = client.post("/api/v1/analyze", data=other, content_type="message/rfc822")
    assert response.get_json()["cached"] is False
    assert engine.judged == 2


def test_entries_expire(client: FlaskClient, redis_client: redis.Redis) -> None:
    client.post("/api/v1/analyze", data=INVITE.read_bytes(), content_type="message/rfc822")
    keys = list(redis_client.scan_iter(f"{KEY_PREFIX}*"))
    assert len(keys) == 1
    assert 0 < redis_client.ttl(keys[0]) <= 3600


def test_a_banner_text_edit_changes_the_key(client: FlaskClient, app, engine: CountingEngine) -> None:
    client.post("/api/v1/analyze", data=INVITE.read_bytes(), content_type="message/rfc822")
    app.extensions["inviteguard"].texts.save(
        {"en": {"banner": {"phishing": {"title": "Edited: stop, do not call"}}}}, author="test")
    body = client.post("/api/v1/analyze", data=INVITE.read_bytes(), content_type="message/rfc822").get_json()
    assert body["cached"] is False and engine.judged == 2
    assert body["banner"]["title"] == "Edited: stop, do not call"


def test_key_depends_on_every_part() -> None:
    base = cache_key("fp", "rules-1", "0.abc")
    assert base.startswith(KEY_PREFIX)
    assert len({base, cache_key("fp2", "rules-1", "0.abc"), cache_key("fp", "rules-2", "0.abc"),
                cache_key("fp", "rules-1", "1.abc")}) == 4


def test_verdicts_survive_the_round_trip() -> None:
    verdict = Verdict("phishing", 97, (
        Reason("combo.platform_callback_lure", 60, {"phone": "+1 808 555 0199", "authenticated": True,
                                                   "numbers": ("+18085550199", "+18085550142"), "score": 1.5}),
        Reason("forward.srs", 3, {}),
    ), "2026.11.23-1")
    assert verdict_from_json(verdict_to_json(verdict)) == verdict


LURE = (b"From: PayPal Billing <billing@paypa1-secure.example>\r\nTo: all-staff@contoso.com\r\n"
        b"Subject: Receipt for your payment\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")


def test_a_look_alike_copy_posted_first_cannot_answer_for_the_campaign(client: FlaskClient,
                                                                        engine: CountingEngine) -> None:
    """The review's poisoning: a full-width copy (folded into the campaign's fingerprint, but read
    as something else and scored clean) posted first made every reader of the real lure get
    "clean, cached". Now the key is the canonical view the signals read: the copy reads as the
    lure it imitates, so whichever comes first, both are phishing. Full-width digits are a disguise
    of their own (an obfuscated number, view.disguised_numbers), so a copy that writes its number so
    is judged under a key of its own, and is phishing too."""
    text = "You paid $599.00 to PayPal. Not you? Call +1 808 555 0199 to cancel."
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and not c.isdigit() else c for c in text)
    first = client.post("/api/v1/analyze", data=LURE + wide.encode(), content_type="message/rfc822").get_json()
    real = client.post("/api/v1/analyze", data=LURE + text.encode(), content_type="message/rfc822").get_json()
    assert first["verdict"] == real["verdict"] == "phishing"
    assert real["cached"] is True and engine.judged == 1  # the same canonical view: one analysis
    wide_digits = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    disguised = client.post("/api/v1/analyze", data=LURE + wide_digits.encode(),
                            content_type="message/rfc822").get_json()
    assert disguised["verdict"] == "phishing" and disguised["cached"] is False and engine.judged == 2
    assert "callback.obfuscated_phone" in {r["id"] for r in disguised["reasons"]}


def test_the_item_class_a_client_sends_is_part_of_the_key(client: FlaskClient, engine: CountingEngine) -> None:
    parts = {"headers": "From: a@example.org\r\nSubject: Lunch\r\n", "body": "See you at noon", "body_type": "text"}
    for item_class in ("IPM.Schedule.Meeting.Request", "IPM.Note"):
        body = {**parts, "item": {"item_class": item_class, "subject": "Lunch"}}
        assert client.post("/api/v1/analyze", json=body).get_json()["cached"] is False
    assert engine.judged == 2
