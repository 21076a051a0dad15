"""POST/GET /api/v1/reports against a real Redis: durable 202s, idempotency, simulations, triage
behind the admin login, 503 when Redis cannot store. The trust model and what reports do to
verdicts: test_reports_trust.py."""

from __future__ import annotations

import base64
import email
import re
import time
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
import redis
from conftest import CountingEngine
from flask import Flask
from flask.testing import FlaskClient
from inviteguard import create_app
from inviteguard.admin.sessions import start_session
from inviteguard.admin.users import create_user
from inviteguard.reports.store import STREAM, ReportStore, reporters_key
from inviteguard.runtime.config import Settings
from inviteguard.runtime.organisation import LiveSettings
from inviteguard.runtime.redis_conn import RedisGate
from inviteguard.runtime.redis_server import EmbeddedRedis
from process_helpers import free_port

EMLS = Path(__file__).parents[1] / "data" / "emls"
FRIEND_INVITE = EMLS / "icloud_friend" / "book_club_en.eml"  # clean on its own, has a phone
LIST_INVITE = EMLS / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"
SIMULATION_HEADER = "X-PhishTest"
SIMULATION_SECRET = "tenant-7f3a9c"


def list_copy(raw: bytes, n: int) -> bytes:
    """Copy n of one invite as a list delivers it: its own To and Message-ID, the same campaign."""
    raw = re.sub(rb"(?m)^To: .*$", f"To: employee{n}@contoso.com".encode(), raw, count=1)
    return re.sub(rb"(?m)^Message-ID: .*$", f"Message-ID: <copy{n}@email.apple.com>".encode(), raw, count=1)


def simulated(raw: bytes, value: str = f"KnowBe4 {SIMULATION_SECRET}") -> bytes:
    return f"{SIMULATION_HEADER}: {value}\n".encode() + raw


@pytest.fixture
def app(redis_server: EmbeddedRedis, redis_client: redis.Redis, engine: CountingEngine) -> Flask:
    return create_app({"REDIS_URL": redis_server.url, "TESTING": True, "ENGINE": engine,
                       "REDIS_TIMEOUT_SECONDS": 1.0, "ADMIN_COOKIE_SECURE": False,
                       "SIMULATION_HEADERS": f"{SIMULATION_HEADER}: {SIMULATION_SECRET}",
                       "SOC_SMTP_HOST": "127.0.0.1", "SOC_SMTP_TO": "soc@contoso.com",
                       "REPORT_WEBHOOK_URL": "http://127.0.0.1:9/hook", "REPORT_WEBHOOK_SECRET": "s"})


def report(client: FlaskClient, raw: bytes, reporter: str, headers: dict[str, str] | None = None,
           **params: str) -> dict:
    response = client.post("/api/v1/reports", data=raw, content_type="message/rfc822",
                           query_string={"reporter": reporter, **params}, headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def analyze(client: FlaskClient, raw: bytes) -> dict:
    response = client.post("/api/v1/analyze", data=raw, content_type="message/rfc822")
    assert response.status_code == 200
    return response.get_json()


def login(client: FlaskClient, redis_client: redis.Redis, role: str) -> None:
    create_user(redis_client, f"{role}-user", "correct horse battery staple", [role])
    token, _ = start_session(redis_client, f"{role}-user", "local", 600)
    client.set_cookie("ig_admin", token)


def test_a_report_is_in_the_stream_before_the_202(client: FlaskClient, redis_client: redis.Redis) -> None:
    raw = FRIEND_INVITE.read_bytes()
    body = report(client, raw, "alice@contoso.com", category="phishing", comment="asks me to call",
                  client_name="thunderbird", client_version="1.0")
    assert body == {"report_id": body["report_id"], "duplicate": False, "verdict": "clean", "reporter_verified": False}
    [(entry_id, fields)] = redis_client.xrange(STREAM)
    assert entry_id.decode() == body["report_id"]
    assert b'"reporter":"alice@contoso.com","reporter_verified":false' in fields[b"report"]
    assert b'"comment":"asks me to call"' in fields[b"report"]
    assert b'"client":{"name":"thunderbird","version":"1.0"}' in fields[b"report"]


def test_the_same_reporter_twice_is_one_report(client: FlaskClient, redis_client: redis.Redis) -> None:
    raw = FRIEND_INVITE.read_bytes()
    first = report(client, raw, "alice@contoso.com")
    # Another copy of the same campaign, sent by the other add-in as base64 JSON: still the same report.
    again = client.post("/api/v1/reports", json={"eml": base64.b64encode(raw).decode(),
                                                 "reporter": "Alice@Contoso.com"})
    assert again.status_code == 202
    assert again.get_json()["report_id"] == first["report_id"] and again.get_json()["duplicate"] is True
    other = report(client, raw, "bob@contoso.com")
    assert other["duplicate"] is False and other["report_id"] != first["report_id"]
    assert redis_client.xlen(STREAM) == 2


def test_anonymous_reports_count_the_client_address_once(client: FlaskClient) -> None:
    raw = FRIEND_INVITE.read_bytes()
    first = client.post("/api/v1/reports", data=raw, content_type="message/rfc822").get_json()
    second = client.post("/api/v1/reports", data=raw, content_type="message/rfc822").get_json()
    assert second == {**first, "duplicate": True}


def test_outlook_parts_are_stored_as_a_rebuilt_message(client: FlaskClient, redis_client: redis.Redis) -> None:
    login(client, redis_client, "analyst")
    response = client.post("/api/v1/reports", json={
        "headers": "From: PayPal <service@paypal-billing.example>\r\nSubject: Invoice\r\n"
                   "Content-Type: multipart/alternative;\r\n boundary=\"b1\"\r\nMIME-Version: 1.0\r\n",
        "body": "You paid $599. Not you? Call +1 808 555 0199.", "reporter": "alice@contoso.com",
        "category": "spam", "client": {"name": "outlook", "version": "1.2"}})
    assert response.status_code == 202
    report_id = response.get_json()["report_id"]
    eml = client.get(f"/api/v1/reports/{report_id}/eml").get_data()
    assert eml.startswith(b"From: PayPal <service@paypal-billing.example>\r\nSubject: Invoice\r\n")
    assert b"boundary=\"b1\"" not in eml and b"X-InviteGuard-Rebuilt:" in eml
    assert b"You paid $599." in eml
    listed = client.get("/api/v1/reports").get_json()["reports"][0]
    assert listed["source"] == "outlook" and listed["category"] == "spam"


def test_the_attachments_outlook_gave_go_with_the_rebuilt_message(client: FlaskClient,
                                                                   redis_client: redis.Redis) -> None:
    login(client, redis_client, "analyst")
    pdf = b"%PDF-1.4 Refund desk +1 866 555 0177"
    response = client.post("/api/v1/reports", json={
        "headers": "From: Billing <billing@example.net>\r\nSubject: Invoice\r\n", "body": "See the invoice.",
        "files": [{"name": "Invoice 4471.pdf", "content_type": "application/pdf",
                   "content": base64.b64encode(pdf).decode()},
                  {"name": "notes.txt", "content_type": "text/plain/evil",
                   "content": base64.b64encode(b"hi").decode()},
                  {"name": "a\r\nX-Injected: yes.txt", "content_type": "text/plain\r\nX-Injected: yes",
                   "content": base64.b64encode(b"ho").decode()}]})
    assert response.status_code == 202
    eml = client.get(f"/api/v1/reports/{response.get_json()['report_id']}/eml").get_data()
    stored = email.message_from_bytes(eml, policy=policy.compat32)
    attached = [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in stored.walk()
                if p.get_filename()]
    assert attached == [("Invoice 4471.pdf", "application/pdf", pdf), ("notes.txt", "application/octet-stream", b"hi"),
                        ("a X-Injected: yes.txt", "application/octet-stream", b"ho")]
    assert b"\r\nX-Injected" not in eml


def test_bad_report_fields_are_400(client: FlaskClient) -> None:
    raw = base64.b64encode(FRIEND_INVITE.read_bytes()).decode()
    for extra in ({"category": "lottery"}, {"comment": 5}, {"reporter": ["a"]}):
        response = client.post("/api/v1/reports", json={"eml": raw, **extra})
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "invalid_field"
    assert client.post("/api/v1/reports", data=b"x", content_type="text/plain").status_code == 415


def test_a_simulation_is_recognised_counted_apart_and_not_queued(client: FlaskClient,
                                                                 redis_client: redis.Redis) -> None:
    raw = simulated(LIST_INVITE.read_bytes())
    body = report(client, raw, "alice@contoso.com")
    assert body["simulation"] is True and body["duplicate"] is False
    assert report(client, raw, "alice@contoso.com")["duplicate"] is True
    report(client, raw, "bob@contoso.com")
    assert redis_client.exists(STREAM) == 0
    fingerprint = analyze(client, raw)["fingerprint"]
    assert redis_client.scard(reporters_key(fingerprint)) == 0  # drills never raise real verdicts
    login(client, redis_client, "analyst")
    triage = client.get("/api/v1/reports").get_json()
    assert triage["simulation_reports"] == 2 and triage["reports"] == []
    # A header without the tenant's secret is what an attacker could copy: a real report.
    forged = report(client, simulated(LIST_INVITE.read_bytes(), "KnowBe4"), "carol@contoso.com")
    assert "simulation" not in forged and redis_client.xlen(STREAM) == 1


def test_a_simulation_sender_domain_needs_dmarc_pass(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    app = create_app({"REDIS_URL": redis_server.url, "TESTING": True, "REDIS_TIMEOUT_SECONDS": 1.0,
                      "SIMULATION_SENDER_DOMAINS": "email.apple.com"})
    client = app.test_client()
    # The fixture's receiving server saw dmarc=pass header.from=email.apple.com.
    assert report(client, LIST_INVITE.read_bytes(), "alice@contoso.com")["simulation"] is True
    unauthenticated = (b"From: Apple <noreply@email.apple.com>\r\nTo: bob@contoso.com\r\nSubject: hi\r\n\r\n"
                       b"Call +1 808 555 0199\r\n")
    assert "simulation" not in report(client, unauthenticated, "alice@contoso.com")


def test_triage_needs_an_analyst_login(client: FlaskClient, redis_client: redis.Redis) -> None:
    report_id = report(client, FRIEND_INVITE.read_bytes(), "alice@contoso.com")["report_id"]
    anonymous = client.get("/api/v1/reports")
    assert anonymous.status_code == 401 and "reports" not in anonymous.get_json()
    assert client.get(f"/api/v1/reports/{report_id}/eml").status_code == 401
    login(client, redis_client, "editor")
    assert client.get("/api/v1/reports").status_code == 403


def test_triage_lists_newest_first_by_campaign_with_filters(client: FlaskClient, redis_client: redis.Redis) -> None:
    friend, scam = FRIEND_INVITE.read_bytes(), LIST_INVITE.read_bytes()
    first = report(client, friend, "alice@contoso.com")["report_id"]
    second = report(client, scam, "alice@contoso.com")["report_id"]
    third = report(client, friend, "bob@contoso.com")["report_id"]
    login(client, redis_client, "analyst")
    body = client.get("/api/v1/reports").get_json()
    assert [r["report_id"] for r in body["reports"]] == [third, second, first]
    assert body["destinations"] == ["smtp", "webhook"]
    assert body["reports"][0]["deliveries"] == {"smtp": {"state": "pending"}, "webhook": {"state": "pending"}}
    assert body["reports"][0]["status"] == "pending"
    campaigns = body["campaigns"]
    assert [[r["report_id"] for r in c["reports"]] for c in campaigns] == [[third, first], [second]]
    assert campaigns[0]["reports_total"] == 2 and campaigns[0]["reporters_total"] == 2
    phishing = client.get("/api/v1/reports", query_string={"verdict": "phishing"}).get_json()["reports"]
    assert [r["report_id"] for r in phishing] == [second]
    assert client.get("/api/v1/reports", query_string={"status": "delivered"}).get_json()["reports"] == []
    page = client.get("/api/v1/reports", query_string={"limit": 1}).get_json()
    assert [r["report_id"] for r in page["reports"]] == [third] and page["next_before"] == third
    rest = client.get("/api/v1/reports", query_string={"before": third}).get_json()["reports"]
    assert [r["report_id"] for r in rest] == [second, first]
    future = client.get("/api/v1/reports", query_string={"since": "2999-01-01"}).get_json()["reports"]
    past = client.get("/api/v1/reports", query_string={"until": "2000-01-01T00:00:00+00:00"}).get_json()["reports"]
    assert future == [] and past == []
    assert client.get("/api/v1/reports", query_string={"since": "yesterday"}).status_code == 400


def test_the_original_downloads_byte_for_byte(client: FlaskClient, redis_client: redis.Redis) -> None:
    raw = FRIEND_INVITE.read_bytes()
    report_id = report(client, raw, "alice@contoso.com")["report_id"]
    login(client, redis_client, "analyst")
    response = client.get(f"/api/v1/reports/{report_id}/eml")
    assert response.status_code == 200 and response.mimetype == "message/rfc822"
    assert response.get_data() == raw
    assert f'filename="report-{report_id}.eml"' in response.headers["Content-Disposition"]
    assert client.get("/api/v1/reports/1-0/eml").status_code == 404
    assert client.get("/api/v1/reports/not-an-id/eml").status_code == 404
    # Past 64 bits Redis refuses the id: that was a 503 that also kept reports out for seconds.
    assert client.get("/api/v1/reports/99999999999999999999-1/eml").status_code == 404
    assert client.get("/api/v1/reports", query_string={"before": "18446744073709551616-0"}).status_code == 400
    assert report(client, LIST_INVITE.read_bytes(), "bob@contoso.com")["duplicate"] is False


def test_retention_deletes_the_message_bytes(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    app = create_app({"REDIS_URL": redis_server.url, "TESTING": True, "REDIS_TIMEOUT_SECONDS": 1.0,
                      "ADMIN_COOKIE_SECURE": False, "REPORT_RETENTION_DAYS": 1 / 86_400})  # one second
    client = app.test_client()
    report_id = report(client, FRIEND_INVITE.read_bytes(), "alice@contoso.com")["report_id"]
    login(client, redis_client, "analyst")
    assert client.get(f"/api/v1/reports/{report_id}/eml").status_code == 200
    time.sleep(1.2)
    assert client.get(f"/api/v1/reports/{report_id}/eml").status_code == 410
    # The next report trims stream entries older than the retention period.
    report(client, LIST_INVITE.read_bytes(), "bob@contoso.com")
    assert report_id not in [e[0].decode() for e in redis_client.xrange(STREAM)]


@pytest.fixture
def dead_redis_url() -> Iterator[str]:
    """A Redis URL nobody answers at: a port we bound and closed."""
    yield f"redis://127.0.0.1:{free_port()}/0"


def test_steady_reports_do_not_keep_redis_skipped(dead_redis_url: str) -> None:
    # Found by the chaos test: each refused report re-opened the gate's failure window, so while
    # reports kept coming faster than INVITEGUARD_REDIS_RETRY_AFTER_SECONDS, Redis was never tried again.
    gate = RedisGate(dead_redis_url, 0.05, retry_after=0.2)
    store = ReportStore(gate, gate, LiveSettings(Settings(), gate.client, 60.0))
    tried_for_real = 0
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        try:
            store.simulation_reports()
        except redis.RedisError as exc:
            tried_for_real += "not retrying yet" not in str(exc)
        time.sleep(0.01)
    assert tried_for_real >= 3  # once per window of 0.2 s, not only the first time


def test_redis_down_is_503_with_retry_after_never_202(dead_redis_url: str) -> None:
    app = create_app({"REDIS_URL": dead_redis_url, "TESTING": True, "REDIS_RETRY_AFTER_SECONDS": 3,
                      "ADMIN_COOKIE_SECURE": False})
    client = app.test_client()
    for _ in range(2):  # the first fails connecting, the second inside the gate's retry window
        response = client.post("/api/v1/reports", data=FRIEND_INVITE.read_bytes(), content_type="message/rfc822")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "3"
        assert response.get_json()["error"]["code"] == "report_store_unavailable"
    client.set_cookie("ig_admin", "a-session-token")
    triage = client.get("/api/v1/reports")  # looking the session up needs Redis
    assert triage.status_code == 503 and triage.headers["Retry-After"] == "3"
    # Analysis keeps answering without Redis.
    analyzed = client.post("/api/v1/analyze", data=FRIEND_INVITE.read_bytes(), content_type="message/rfc822")
    assert analyzed.status_code == 200 and analyzed.get_json()["degraded"] is True
