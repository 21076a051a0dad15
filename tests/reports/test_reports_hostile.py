"""Hostile reports cannot stop delivery or bend the SOC's mail (issue 13, points 3, 11, 16, 17):
reports with controls, U+2028/2029, lone surrogates, 10 MB, empty fields and a bare CR before a
dot go through the real API, a real Redis, a real SMTP server (aiosmtpd) and a webhook that first
answers garbage; every report arrives, each in one piece, and the worker's threads live on. The
webhook follows no redirect and reaches no internal address unless allowed, and says so plainly."""

from __future__ import annotations

import base64
import email
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Iterator
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import redis
from flask import Flask
from inviteguard.reports import delivery as delivery_module
from inviteguard.reports.delivery import DeliveryError, address_allowed, post_webhook, soc_email, summary_text
from inviteguard.reports.store import StoredReport
from inviteguard.runtime.redis_server import EmbeddedRedis
from process_helpers import free_port
from prometheus_client import CollectorRegistry
from test_reports_delivery import (
    INVITE,
    SmtpServer,
    Webhook,
    counter,
    service,
    settings_for,
    state_of,
    worker,
)

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
MAX_BODY_BYTES = 10 * 1024 * 1024


class GarbageWebhook:
    """A TCP server that answers every request with bytes that are not HTTP, until `fixed`; then
    it hands the connection to a real webhook behind it."""

    def __init__(self, behind: Webhook) -> None:
        self.behind = behind
        self.fixed = threading.Event()
        self.garbage_answers = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            if not self.fixed.is_set():
                conn.recv(65536)
                conn.sendall(b"\x00\xffNOT HTTP AT ALL\r\n\r\n")
                self.garbage_answers += 1
                return
            with socket.create_connection(("127.0.0.1", self.behind.server.server_port)) as upstream:
                conn.settimeout(5)
                upstream.settimeout(5)
                pump = threading.Thread(target=_copy, args=(upstream, conn), daemon=True)
                pump.start()
                _copy(conn, upstream)
                pump.join(10)

    def close(self) -> None:
        self.server.close()


def _copy(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        return
    try:
        target.shutdown(socket.SHUT_WR)
    except OSError:
        return


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


def hostile_reports(app: Flask) -> list[str]:
    """Report ids of hostile reports, all accepted (202) by the API."""
    client = app.test_client()
    filler = (MAX_BODY_BYTES - len(INVITE.read_bytes()) - 4096) // 1000
    big = INVITE.read_bytes().replace(b"\r\n\r\n", b"\r\n\r\n" + (b"A" * 998 + b"\r\n") * filler, 1)
    assert 10_000_000 < len(big) <= MAX_BODY_BYTES
    smuggler = (b"From: Mallory <m@evil.example>\r\nSubject: smuggle\r\n\r\nfirst line\r.\r\n"
                b"MAIL FROM:<ceo@contoso.com>\r\nRCPT TO:<everyone@contoso.com>\r\nDATA\r\nhello\r\n")
    bodies: list[dict[str, Any]] = [
        {"headers": "From: Eve <eve@evil.example>\r\nSubject: Invoice\u2028Bcc: everyone@contoso.com\u2029x",
         "body": "Call +1 808 555 0199", "reporter": "eve@contoso.com\r\nBcc: everyone@contoso.com",
         "comment": "line one\r\nReported by: ceo@contoso.com\u2028Category: spam\x1b[31m\x00"},
        {"headers": "From: a@b.example\r\nSubject: \ud800 lone \udfff", "body": "x", "comment": "\udc80\udcff",
         "reporter": "\ud83d@contoso.com", "client": {"name": "thunderbird\u2028", "version": "\x07"}},
        {"eml": base64.b64encode(big).decode(), "reporter": "big@contoso.com"},
        {"eml": base64.b64encode(smuggler).decode(), "reporter": "dot@contoso.com", "comment": ""},
        {"headers": "From: a@b.example", "body": "", "ics": "", "reporter": "", "comment": "", "category": ""},
    ]
    ids = []
    for body in bodies:
        answer = client.post("/api/v1/reports", data=json.dumps(body, ensure_ascii=True),
                             content_type="application/json")
        assert answer.status_code == 202, answer.get_data(as_text=True)
        ids.append(answer.get_json()["report_id"])
    return ids


def test_hostile_reports_reach_the_soc_and_a_garbage_webhook_never_stops_the_worker(
        redis_server: EmbeddedRedis, redis_client: redis.Redis, smtp: SmtpServer, webhook: Webhook) -> None:
    smtp.start()
    garbage = GarbageWebhook(webhook)
    config = settings_for(redis_server.url, smtp, None, REPORT_WEBHOOK_URL=garbage.url, REPORT_WEBHOOK_SECRET="s",
                          REPORT_WEBHOOK_TIMEOUT_SECONDS=5.0, REPORT_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
                          SOC_SMTP_TIMEOUT_SECONDS=30.0, DELIVERY_MAX_ATTEMPTS=1_000_000)
    app = service(config)
    report_ids = hostile_reports(app)
    registry = CollectorRegistry()
    delivery = worker(config, registry)
    delivery.start()
    try:
        deadline = time.monotonic() + 60
        while (len(smtp.inbox.messages) < len(report_ids) or garbage.garbage_answers < 3) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(smtp.inbox.messages) == len(report_ids)
        assert garbage.garbage_answers >= 3 and delivery.alive()
        states = {r: state_of(redis_server.url, r).get("webhook", {}) for r in report_ids}
        assert all(s.get("state") in ("retrying", None) for s in states.values()), states
        assert any(s.get("last_error") == "webhook: no valid HTTP answer" for s in states.values()), states
        garbage.fixed.set()  # the receiver is repaired: every report arrives after all
        deadline = time.monotonic() + 60
        # The worker counts a delivery once the receiver's answer is back, a moment after the
        # receiver has the report: wait for both.
        while (sorted(webhook.report_ids()) != sorted(report_ids)
               or counter(registry, "webhook", "delivered") != len(report_ids)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sorted(webhook.report_ids()) == sorted(report_ids)
        assert delivery.alive() and counter(registry, "webhook", "delivered") == len(report_ids)
    finally:
        delivery.stop()
        garbage.close()
    assert registry.get_sample_value("inviteguard_delivery_round_errors_total", {"destination": "webhook"}) is None

    for envelope in smtp.inbox.messages:
        outer = email.message_from_bytes(envelope.content, policy=default_policy)
        assert "Bcc" not in outer and outer["To"] == "soc@contoso.com"
        summary = next(outer.iter_parts())
        lines = summary.get_content().splitlines()
        assert sum(line.startswith("Reported by:") for line in lines) == 1
        assert sum(line.startswith("Category:") for line in lines) == 1
        assert not any(c in summary.get_content() for c in "\u2028\u2029\x1b\x00\ufeff")
        assert envelope.content.endswith(b"--\r\n")  # the whole message arrived, nothing after DATA ended early
    smuggled = next(e for e in smtp.inbox.messages if b"smuggle" in e.content)
    assert b"first line\r\n.\r\nMAIL FROM:<ceo@contoso.com>" in smuggled.content  # inside the attachment, as text
    big = next(e for e in smtp.inbox.messages if len(e.content) > 10_000_000)
    assert big.content.count(b"\r\n") > 10_000


def test_a_report_that_cannot_be_sent_fails_alone_and_the_next_goes(
        redis_server: EmbeddedRedis, redis_client: redis.Redis, webhook: Webhook,
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = settings_for(redis_server.url, None, webhook, DELIVERY_MAX_ATTEMPTS=3)
    app = service(config)
    client = app.test_client()
    poison = client.post("/api/v1/reports", json={"headers": "From: a@b.example\r\nSubject: poison", "body": "x",
                                                  "reporter": "p@contoso.com"}).get_json()["report_id"]
    fine = client.post("/api/v1/reports", json={"headers": "From: a@b.example\r\nSubject: fine", "body": "x",
                                                "reporter": "f@contoso.com"}).get_json()["report_id"]
    real_body = delivery_module.webhook_body

    def explode_on_poison(report: StoredReport, eml: bytes | None) -> bytes:
        if report.id == poison:
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "a bug nobody foresaw")
        return real_body(report, eml)

    monkeypatch.setattr("inviteguard.reports.delivery.webhook_body", explode_on_poison)
    delivery = worker(config)
    delivery.start()
    try:
        deadline = time.monotonic() + 30
        while state_of(redis_server.url, poison).get("webhook", {}).get("state") != "failed" \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert webhook.report_ids() == [fine]  # behind the poison, and not held up by it
        failed = state_of(redis_server.url, poison)["webhook"]
        assert failed["state"] == "failed" and failed["failures"] == 3
        assert failed["last_error"] == "webhook: this report could not be sent (UnicodeEncodeError)"
        assert delivery.alive()
    finally:
        delivery.stop()


# ------------------------------------------------------------------ what the SOC reads

def test_summary_values_are_one_line_and_the_comment_is_quoted() -> None:
    report = StoredReport("1-0", {
        "reporter": "eve@contoso.com\r\nReported by: ceo@contoso.com", "category": "phishing\u2028x",
        "subject": "Invoice\rBcc: x", "sender": "a\x85b", "comment": "ok\nReported by: ceo@contoso.com\u2029y",
        "verdict": {"level": "clean\r\nX: y", "score": 0, "reasons": [{"title": "t\r\nu", "detail": "d\u2028e"}]}})
    lines = summary_text(report).splitlines()
    assert [line for line in lines if line.startswith("Reported by:")] == [
        "Reported by: eve@contoso.com Reported by: ceo@contoso.com (self-asserted, not verified)"]
    assert "> Reported by: ceo@contoso.com" in lines and "> y" in lines
    sent = soc_email(report, b"a\rb\r.\r\nc\n.\nd", "ig@contoso.com", ["soc@contoso.com"])
    assert b"\r" not in sent.replace(b"\r\n", b"")  # no bare CR anywhere, so none before a dot
    assert b"a\r\nb\r\n.\r\nc\r\n.\r\nd\r\n" in sent


# ------------------------------------------------------------------ the webhook's reach

class Redirector(BaseHTTPRequestHandler):
    target = ""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(302)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_the_webhook_follows_no_redirect(webhook: Webhook) -> None:
    Redirector.target = webhook.url  # "internal": the request must never arrive there
    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        status = post_webhook(f"http://127.0.0.1:{server.server_port}/hook", b"{}", {}, 2.0, LOOPBACK)
    finally:
        server.shutdown()
        server.server_close()
    assert status == 302 and webhook.received == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://localhost:9/hook", "http://[::1]:9/hook",
                                 "http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data",
                                 "http://[::ffff:127.0.0.1]:9/hook"])
def test_internal_addresses_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(DeliveryError, match="not allowed") as refused:
        post_webhook(url, b"{}", {}, 1.0, ())
    assert refused.value.destination_down


def test_connection_errors_say_nothing_about_the_port() -> None:
    messages = set()
    for port in (free_port(), free_port()):
        with pytest.raises(DeliveryError) as failed:
            post_webhook(f"http://127.0.0.1:{port}/hook", b"{}", {}, 1.0, LOOPBACK)
        messages.add(str(failed.value))
    assert messages == {"webhook: could not connect"}


def test_public_and_allowed_addresses() -> None:
    internal = (ipaddress.ip_network("10.20.0.0/16"),)
    assert address_allowed("93.184.215.14", ())
    assert not address_allowed("10.20.1.2", ()) and address_allowed("10.20.1.2", internal)
    assert not address_allowed("10.21.1.2", internal) and not address_allowed("224.0.0.1", ())
    assert not address_allowed("::ffff:10.20.1.2", ()) and address_allowed("::ffff:10.20.1.2", internal)


def test_the_console_test_report_cannot_probe_the_internal_network(
        redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    from admin_helpers import account, admin_app, log_in

    app = admin_app(redis_server.url)
    account(redis_client, "ed", "editor")
    web = app.test_client()
    headers = log_in(web, "ed")
    assert web.put("/admin/api/org", json={"report_webhook_url": "http://localhost:6379/"},
                   headers=headers).status_code == 200
    result = web.post("/admin/api/org/test-report", headers=headers).get_json()
    assert result["results"]["webhook"].startswith("failed: webhook: the host resolves to an address that is not "
                                                   "allowed")
