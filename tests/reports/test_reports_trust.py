"""The trust model of reports (issue 13, point 2): a self-asserted reporter changes nobody's
verdict; verified reporters (a sign-in token) raise a campaign to "suspicious" at most, never for
the organisation's own authenticated mail; "phishing" and the reputation of phone numbers come
only from an analyst's decision in triage, which can also clear a campaign; every change reaches
the next reader at once (the verdict cache is not reused)."""

from __future__ import annotations

import time

import pytest
import redis
from conftest import CountingEngine
from flask import Flask
from flask.testing import FlaskClient
from inviteguard import create_app
from inviteguard.detect.analyzer import Feedback, judge
from inviteguard.detect.parse import parse_raw
from inviteguard.detect.rules import load_rules
from inviteguard.reports.store import PHONES
from inviteguard.runtime.organisation import save_org_settings
from inviteguard.runtime.redis_server import EmbeddedRedis
from inviteguard.web.reporter_tokens import TOKEN_HEADER, ReporterTokenStore
from test_reports_api import EMLS, FRIEND_INVITE, analyze, list_copy, login, report

SCAM = EMLS / "icloud_direct" / "paypal_599_en.eml"  # asks to call +1 808 555 0199
FRESH = (b"From: Dana <dana@fabrikam.example>\r\nTo: bob@contoso.com\r\nSubject: quick question\r\n"
         b"Message-ID: <a1@fabrikam.example>\r\nDate: Tue, 04 Nov 2025 10:00:00 +0000\r\n\r\n"
         b"Hi Bob, please call me back at +1 808 555 0199 when you have a minute.\r\n")
OWN_INVITE = (b"From: HR <hr@contoso.com>\r\nTo: all@contoso.com\r\nSubject: Benefits enrolment call\r\n"
              b"Authentication-Results: mx.contoso.com; spf=pass smtp.mailfrom=contoso.com; "
              b"dkim=pass header.d=contoso.com; dmarc=pass header.from=contoso.com\r\n"
              b"Message-ID: <hr1@contoso.com>\r\nDate: Tue, 04 Nov 2025 10:00:00 +0000\r\n\r\n"
              b"Questions about your benefits? Call HR at +1 808 555 0142 before Friday.\r\n")


@pytest.fixture
def app(redis_server: EmbeddedRedis, redis_client: redis.Redis, engine: CountingEngine) -> Flask:
    return create_app({"REDIS_URL": redis_server.url, "TESTING": True, "ENGINE": engine,
                       "REDIS_TIMEOUT_SECONDS": 1.0, "ADMIN_COOKIE_SECURE": False})


def signed_in(redis_client: redis.Redis, address: str) -> dict[str, str]:
    """The header of a reporter who signed in at /reporter/sign-in (a verified reporter)."""
    token, _ = ReporterTokenStore(redis_client).issue("https://login.contoso.example", f"subject-{address}", address)
    return {TOKEN_HEADER: token}


def verified_report(client: FlaskClient, redis_client: redis.Redis, raw: bytes, address: str) -> dict:
    # The body claims someone else: a signed-in reporter is who the token says.
    body = report(client, raw, "someone-else@contoso.com", headers=signed_in(redis_client, address))
    assert body["reporter_verified"] is True
    return body


def decide(client: FlaskClient, fingerprint: str, action: str) -> dict:
    csrf = client.get("/admin/api/session").get_json()["csrf_token"]
    response = client.post(f"/api/v1/reports/campaigns/{fingerprint}/{action}", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_self_asserted_reporters_change_nobodys_verdict(client: FlaskClient, redis_client: redis.Redis) -> None:
    # The attack of issue 13: made-up ?reporter= values on a genuine invite, and on a message with HR's number.
    template = FRIEND_INVITE.read_bytes()
    for n, name in enumerate(("ceo@contoso.com", "cfo@contoso.com", "hr@contoso.com")):
        assert report(client, list_copy(template, n), name)["reporter_verified"] is False
        report(client, SCAM.read_bytes(), name)
    after = analyze(client, list_copy(template, 9))
    assert after["verdict"] == "clean" and not any(r["id"].startswith("feedback.") for r in after["reasons"])
    assert analyze(client, FRESH)["verdict"] == "clean" and redis_client.zcard(PHONES) == 0
    login(client, redis_client, "analyst")
    campaign = next(c for c in client.get("/api/v1/reports").get_json()["campaigns"]
                    if c["fingerprint"] == after["fingerprint"])
    assert campaign["reporters_total"] == 3 and campaign["verified_reporters"] == 0  # triaged all the same


def test_second_verified_reporter_makes_every_other_copy_suspicious_never_phishing(
        client: FlaskClient, redis_client: redis.Redis, engine: CountingEngine) -> None:
    template = FRIEND_INVITE.read_bytes()
    before = analyze(client, list_copy(template, 1))
    assert before["verdict"] == "clean"
    verified_report(client, redis_client, list_copy(template, 2), "alice@contoso.com")
    one_reporter = analyze(client, list_copy(template, 3))
    assert one_reporter["verdict"] == "clean" and one_reporter["cached"] is True  # below the threshold
    verified_report(client, redis_client, list_copy(template, 4), "bob@contoso.com")
    judged = engine.judged
    after = analyze(client, list_copy(template, 5))  # a copy nobody reported: other To, Message-ID
    assert after["fingerprint"] == before["fingerprint"]
    assert after["cached"] is False and engine.judged == judged + 1  # the cached verdict was not reused
    assert after["verdict"] == "suspicious"
    reason = next(r for r in after["reasons"] if r["id"] == "feedback.campaign_reported")
    assert reason["detail"] == "2 colleagues reported this invite as a scam."
    for name in ("carol@contoso.com", "dave@contoso.com", "erin@contoso.com"):
        verified_report(client, redis_client, list_copy(template, 6), name)
    many = analyze(client, list_copy(template, 7))
    assert "5 colleagues" in next(r for r in many["reasons"] if r["id"] == "feedback.campaign_reported")["detail"]
    assert many["verdict"] == "suspicious"  # however many, never "phishing" without an analyst


def test_reports_raise_a_nearly_suspicious_message_to_suspicious_not_phishing() -> None:
    message = parse_raw(SCAM.read_bytes())
    alone = judge(message)
    assert alone.level == "phishing"  # the detector's own finding stays
    assert judge(message, Feedback(campaign_reporters=3, reporters_needed=2)).level == "phishing"
    # Clean alone; however many colleagues report it, it is raised to suspicious, never phishing.
    lure = parse_raw(FRESH.split(b"\r\n\r\n")[0] + b"\r\n\r\nYour payment of $599 was received. "
                                                     b"Call +1 808 555 0199.\r\n")
    base = judge(lure)
    raised = judge(lure, Feedback(campaign_reporters=9, reporters_needed=2))
    assert base.level == "clean" and raised.level == "suspicious"
    assert base.score < raised.score < load_rules().phishing_threshold
    assert judge(lure, Feedback(campaign_confirmed=True)).level == "phishing"


def test_a_self_asserted_name_cannot_pre_empt_the_verified_colleague(client: FlaskClient,
                                                                     redis_client: redis.Redis) -> None:
    raw = FRIEND_INVITE.read_bytes()
    squatted = report(client, raw, "alice@contoso.com")  # someone claims to be Alice first
    real = verified_report(client, redis_client, raw, "alice@contoso.com")
    assert real["duplicate"] is False and real["report_id"] != squatted["report_id"]
    assert verified_report(client, redis_client, raw, "alice@contoso.com")["duplicate"] is True


def test_a_revoked_reporter_token_is_refused(client: FlaskClient, redis_client: redis.Redis) -> None:
    store = ReporterTokenStore(redis_client)
    token, identity = store.issue("https://login.contoso.example", "subject-1", "Alice@Contoso.com")
    assert identity.address == "alice@contoso.com"
    assert [t.token_id for t in store.listing()] == [identity.token_id]
    assert store.revoke(identity.token_id) and store.listing() == []
    refused = client.post("/api/v1/reports", data=FRIEND_INVITE.read_bytes(), content_type="message/rfc822",
                          headers={TOKEN_HEADER: token})
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "invalid_token"


def test_the_reporter_threshold_saved_in_the_console_applies_within_seconds(redis_server: EmbeddedRedis,
                                                                           redis_client: redis.Redis) -> None:
    client = create_app({"REDIS_URL": redis_server.url, "TESTING": True, "REDIS_TIMEOUT_SECONDS": 1.0,
                         "SETTINGS_REFRESH_SECONDS": 0.2}).test_client()
    raw = FRIEND_INVITE.read_bytes()
    verified_report(client, redis_client, raw, "alice@contoso.com")
    assert analyze(client, list_copy(raw, 1))["verdict"] == "clean"  # the environment's threshold: 2
    save_org_settings(redis_client, {"report_reporters_needed": 1}, "editor")
    deadline = time.monotonic() + 10
    while analyze(client, list_copy(raw, 2))["verdict"] != "suspicious":
        assert time.monotonic() < deadline, "the console's threshold never reached the worker"
        time.sleep(0.1)


@pytest.mark.parametrize(("own_domains", "escalated"), [("contoso.com", False), ("", True)])
def test_reports_alone_never_escalate_the_organisations_own_authenticated_mail(
        redis_server: EmbeddedRedis, redis_client: redis.Redis, own_domains: str, escalated: bool) -> None:
    client = create_app({"REDIS_URL": redis_server.url, "TESTING": True, "REDIS_TIMEOUT_SECONDS": 1.0,
                         "OWN_DOMAINS": own_domains}).test_client()
    assert analyze(client, OWN_INVITE)["verdict"] == "clean"
    for name in ("alice@contoso.com", "bob@contoso.com", "carol@contoso.com"):
        verified_report(client, redis_client, OWN_INVITE, name)
    assert (analyze(client, OWN_INVITE)["verdict"] == "suspicious") is escalated
    # Mail that only claims to be ours is not protected. (Asked of the store: which verdict a cached
    # entry holds for the pair depends on the verdict-cache key keeping authentication results apart.)
    store = client.application.extensions["inviteguard.reports"]
    standing = store.standing(analyze(client, OWN_INVITE)["fingerprint"])
    forged = parse_raw(OWN_INVITE.replace(b"dmarc=pass", b"dmarc=fail"))
    assert store.feedback(forged, standing).campaign_reporters == 3
    assert store.feedback(parse_raw(OWN_INVITE), standing).campaign_reporters == (3 if escalated else 0)


def test_an_analyst_confirms_a_campaign_and_its_numbers_then_clears_them(client: FlaskClient,
                                                                        redis_client: redis.Redis) -> None:
    assert analyze(client, FRESH)["verdict"] == "clean"
    for name in ("alice@contoso.com", "bob@contoso.com", "carol@contoso.com"):
        verified_report(client, redis_client, SCAM.read_bytes(), name)
    assert redis_client.zscore(PHONES, "+18085550199") is None  # reports alone flag no number
    assert analyze(client, FRESH)["verdict"] == "clean"

    friend = FRIEND_INVITE.read_bytes()  # clean, and no number of reports makes it phishing
    fingerprint = analyze(client, friend)["fingerprint"]
    login(client, redis_client, "analyst")
    decided = decide(client, fingerprint, "confirm")
    assert decided["decision"] == "confirmed" and decided["decided_by"] == "analyst-user"
    confirmed = analyze(client, list_copy(friend, 3))
    assert confirmed["verdict"] == "phishing" and confirmed["cached"] is False
    assert any(r["id"] == "feedback.campaign_confirmed" for r in confirmed["reasons"])

    scam_fingerprint = analyze(client, SCAM.read_bytes())["fingerprint"]
    decide(client, scam_fingerprint, "confirm")
    assert redis_client.zscore(PHONES, "+18085550199") is not None
    flagged = analyze(client, FRESH)
    assert flagged["cached"] is False and flagged["verdict"] in ("suspicious", "phishing")
    reason = next(r for r in flagged["reasons"] if r["id"] == "feedback.reported_phone")
    assert reason["detail"] == "Your security team confirmed +18085550199 as a scam number."

    decide(client, scam_fingerprint, "clear")
    assert redis_client.zscore(PHONES, "+18085550199") is None
    assert analyze(client, FRESH)["verdict"] == "clean"
    decide(client, fingerprint, "clear")
    assert analyze(client, list_copy(friend, 4))["verdict"] == "clean"
    report(client, friend, "alice@contoso.com")
    campaigns = {c["fingerprint"]: c for c in client.get("/api/v1/reports").get_json()["campaigns"]}
    assert campaigns[fingerprint]["decision"] == "cleared"


def test_a_number_of_a_campaign_reported_after_its_confirmation_is_flagged_too(client: FlaskClient,
                                                                              redis_client: redis.Redis) -> None:
    login(client, redis_client, "analyst")
    decide(client, analyze(client, SCAM.read_bytes())["fingerprint"], "confirm")  # confirmed before any report
    assert redis_client.zscore(PHONES, "+18085550199") is None
    report(client, SCAM.read_bytes(), "alice@contoso.com")
    assert redis_client.zscore(PHONES, "+18085550199") is not None
    assert analyze(client, FRESH)["verdict"] in ("suspicious", "phishing")


def test_a_cleared_campaign_is_no_longer_raised_by_verified_reports(client: FlaskClient,
                                                                   redis_client: redis.Redis) -> None:
    raw = FRIEND_INVITE.read_bytes()
    for name in ("alice@contoso.com", "bob@contoso.com"):
        verified_report(client, redis_client, raw, name)
    assert analyze(client, raw)["verdict"] == "suspicious"
    login(client, redis_client, "analyst")
    decide(client, analyze(client, raw)["fingerprint"], "clear")
    assert analyze(client, list_copy(raw, 2))["verdict"] == "clean"
    verified_report(client, redis_client, raw, "carol@contoso.com")
    assert analyze(client, list_copy(raw, 3))["verdict"] == "clean"


def test_deciding_needs_an_analyst_and_the_csrf_token(client: FlaskClient, redis_client: redis.Redis) -> None:
    fingerprint = analyze(client, FRIEND_INVITE.read_bytes())["fingerprint"]
    assert client.post(f"/api/v1/reports/campaigns/{fingerprint}/confirm").status_code == 401
    login(client, redis_client, "editor")
    assert client.post(f"/api/v1/reports/campaigns/{fingerprint}/confirm").status_code == 403
    login(client, redis_client, "analyst")
    assert client.post(f"/api/v1/reports/campaigns/{fingerprint}/confirm").status_code == 403  # no CSRF token
    assert analyze(client, FRIEND_INVITE.read_bytes())["verdict"] == "clean"
    csrf = {"X-CSRF-Token": client.get("/admin/api/session").get_json()["csrf_token"]}
    assert client.post(f"/api/v1/reports/campaigns/{fingerprint}/promote", headers=csrf).status_code == 404
    assert client.post("/api/v1/reports/campaigns/not%20a%20fingerprint/confirm", headers=csrf).status_code == 404


def test_the_same_copy_asked_again_follows_reports_and_decisions(client: FlaskClient,
                                                                 redis_client: redis.Redis) -> None:
    """Exact copies are answered from the stored answer (web/cache.py AnswerCache) without parsing;
    a verified report that reaches the threshold, and an analyst's decision, still reach them."""
    raw = FRIEND_INVITE.read_bytes()
    assert [analyze(client, raw)["cached"] for _ in range(3)] == [False, True, True]
    verified_report(client, redis_client, list_copy(raw, 1), "alice@contoso.com")
    assert analyze(client, raw)["verdict"] == "clean"
    verified_report(client, redis_client, list_copy(raw, 2), "bob@contoso.com")
    raised = analyze(client, raw)
    assert raised["verdict"] == "suspicious" and raised["cached"] is False
    login(client, redis_client, "analyst")
    decide(client, raised["fingerprint"], "confirm")
    assert analyze(client, raw)["verdict"] == "phishing"
    decide(client, raised["fingerprint"], "clear")
    assert analyze(client, raw)["verdict"] == "clean"
    assert analyze(client, raw)["cached"] is True
