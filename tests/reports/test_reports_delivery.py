"""Report delivery end to end: a real Redis, a real SMTP server (aiosmtpd) and a real webhook
receiver. Reports arrive as message/rfc822 and as signed JSON, survive destinations that are
down for a while, a worker killed mid-send and a Redis killed after the 202, and several
workers deliver each report once."""

from __future__ import annotations

import base64
import email
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask
from inviteguard import create_app
from inviteguard.reports.delivery import DeliveryWorker, soc_email, worker_from
from inviteguard.reports.store import STREAM, StoredReport
from inviteguard.runtime.config import settings_from
from inviteguard.runtime.organisation import save_org_settings
from inviteguard.runtime.redis_server import EmbeddedRedis
from process_helpers import free_port
from prometheus_client import CollectorRegistry
from test_reports_api import login

EMLS = Path(__file__).parents[1] / "data" / "emls"
INVITE = EMLS / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"
OTHER_INVITES = sorted((EMLS / "icloud_direct").glob("*.eml"))
SECRET = "webhook-secret-42"
SMTP_USER, SMTP_PASSWORD = "inviteguard", "smtp-password-9"
REPO = Path(__file__).resolve().parents[2]



# ------------------------------------------------------------------ SOC mailbox

class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []  # aiosmtpd envelopes

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not session.authenticated:
            return "530 Authentication required"
        self.messages.append(envelope)
        return "250 OK"


def _check_password(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(), SMTP_PASSWORD.encode())
    return AuthResult(success=ok)


class SmtpServer:
    """A local submission server that takes mail only after AUTH; started and stopped by the test.
    (Plain-text AUTH: the test has no certificate for STARTTLS, and aiosmtpd warns about
    *requiring* AUTH without TLS, so the handler refuses unauthenticated DATA itself.)"""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, authenticator=_check_password,
                                     auth_require_tls=False)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    yield server
    server.stop()


# ------------------------------------------------------------------ webhook

class Webhook:
    """Records every POST; answers `status`; with `hold` set, keeps the first request waiting."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []  # (lower-case header names, body)
        self.status = 200
        self.hold: threading.Event | None = None
        self.held = threading.Event()
        self.lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.hold is not None and not hook.held.is_set():
                    hook.held.set()
                    hook.hold.wait(30)
                    return  # the worker that sent this is dead by now: no answer
                with hook.lock:
                    status = hook.status
                    if status == 200:
                        hook.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook", daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/inviteguard"

    def report_ids(self) -> list[str]:
        with self.lock:
            return [json.loads(body)["report_id"] for _, body in self.received]

    def close(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


# ------------------------------------------------------------------ service and worker

def settings_for(redis_url: str, smtp: SmtpServer | None, webhook: Webhook | None, **extra: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"REDIS_URL": redis_url, "REDIS_TIMEOUT_SECONDS": 1.0, "REDIS_RETRY_AFTER_SECONDS": 0.1,
                              "DELIVERY_BACKOFF_SECONDS": 0.05, "DELIVERY_BACKOFF_MAX_SECONDS": 0.2,
                              "ADMIN_COOKIE_SECURE": False}
    if smtp is not None:
        config.update({"SOC_SMTP_HOST": "127.0.0.1", "SOC_SMTP_PORT": smtp.port, "SOC_SMTP_STARTTLS": False,
                       "SOC_SMTP_USER": SMTP_USER, "SOC_SMTP_PASSWORD": SMTP_PASSWORD,
                       "SOC_SMTP_FROM": "inviteguard@contoso.com", "SOC_SMTP_TO": "soc@contoso.com",
                       "SOC_SMTP_TIMEOUT_SECONDS": 2.0})
    if webhook is not None:
        # The test receiver listens on loopback, which a webhook may reach only when allowed.
        config.update({"REPORT_WEBHOOK_URL": webhook.url, "REPORT_WEBHOOK_SECRET": SECRET,
                       "REPORT_WEBHOOK_TIMEOUT_SECONDS": 2.0, "REPORT_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"})
    return {**config, **extra}


def service(config: dict[str, Any]) -> Flask:
    return create_app({**config, "TESTING": True})


def worker(config: dict[str, Any], registry: CollectorRegistry | None = None) -> DeliveryWorker:
    return worker_from(settings_from({}, config), registry or CollectorRegistry())


def submit(app: Flask, raw: bytes, reporter: str) -> str:
    response = app.test_client().post("/api/v1/reports", data=raw, content_type="message/rfc822",
                                      query_string={"reporter": reporter, "comment": "Not me! Call?\r\nBcc: x"})
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["report_id"]


def run_until(delivery: DeliveryWorker, done: Callable[[], bool], timeout: float = 15.0) -> None:
    """Drives every destination's worker round by round, like the threads do, until `done()`."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "delivery did not finish in time"
        for destination_worker in delivery.workers:
            try:
                destination_worker.run_once(block_ms=20)
            except redis.RedisError:
                destination_worker.group_ready = False
                time.sleep(0.05)
        time.sleep(0.01)


def state_of(redis_url: str, report_id: str) -> dict[str, dict[str, Any]]:
    raw = redis.Redis.from_url(redis_url).hgetall(f"ig:{{reports}}:delivery:{report_id}")
    return {k.decode(): json.loads(v) for k, v in raw.items()}


def counter(registry: CollectorRegistry, destination: str, outcome: str) -> float:
    value = registry.get_sample_value("inviteguard_report_deliveries_total",
                                      {"destination": destination, "outcome": outcome})
    return value or 0.0


def attached_original(smtp_data: bytes) -> EmailMessage:
    outer = email.message_from_bytes(smtp_data, policy=default_policy)
    assert outer.get_content_type() == "multipart/mixed"
    summary, attachment = outer.iter_parts()
    assert summary.get_content_type() == "text/plain"
    assert attachment.get_content_type() == "message/rfc822"
    return attachment.get_content()


def webhook_json(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-inviteguard-signature"], expected)
    return json.loads(body)


# ------------------------------------------------------------------ tests

def test_a_report_reaches_the_soc_mailbox_as_rfc822_and_the_webhook_signed(
        redis_server: EmbeddedRedis, redis_client: redis.Redis, smtp: SmtpServer, webhook: Webhook) -> None:
    smtp.start()
    config = settings_for(redis_server.url, smtp, webhook)
    app = service(config)
    raw = INVITE.read_bytes()
    report_id = submit(app, raw, "alice@contoso.com")
    registry = CollectorRegistry()
    run_until(worker(config, registry), lambda: len(smtp.inbox.messages) == 1 and len(webhook.received) == 1)

    envelope = smtp.inbox.messages[0]
    assert envelope.mail_from == "inviteguard@contoso.com" and envelope.rcpt_tos == ["soc@contoso.com"]
    original = attached_original(envelope.content)
    assert original["Subject"] == email.message_from_bytes(raw, policy=default_policy)["Subject"]
    assert raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n").rstrip() in envelope.content  # byte for byte
    outer = email.message_from_bytes(envelope.content, policy=default_policy)
    summary = next(outer.iter_parts()).get_content()
    assert "Reported by: alice@contoso.com" in summary and "verdict when reported: PHISHING" in summary
    assert "  - " in summary  # the reasons, each on its own line
    assert outer["X-InviteGuard-Report-Id"] == report_id
    assert "Bcc" not in outer  # the reporter's comment cannot add headers

    headers, body = webhook.received[0]
    data = webhook_json(headers, body)
    assert data["report_id"] == report_id and data["reporter"] == "alice@contoso.com"
    assert data["verdict"]["level"] == "phishing" and data["verdict"]["reasons"]
    assert base64.b64decode(data["eml_base64"]) == raw
    assert headers["x-inviteguard-report-id"] == report_id

    states = state_of(redis_server.url, report_id)
    assert {k: v["state"] for k, v in states.items()} == {"smtp": "delivered", "webhook": "delivered"}
    assert counter(registry, "smtp", "delivered") == 1 and counter(registry, "webhook", "delivered") == 1
    assert redis_client.xpending(STREAM, "deliver:smtp")["pending"] == 0


def test_a_destination_that_is_down_gets_the_report_once_back_and_never_blocks_the_other(
        redis_server: EmbeddedRedis, redis_client: redis.Redis, smtp: SmtpServer,
        webhook: Webhook) -> None:
    config = settings_for(redis_server.url, smtp, webhook)  # SMTP not started yet: connection refused
    app = service(config)
    first = submit(app, INVITE.read_bytes(), "alice@contoso.com")
    second = submit(app, OTHER_INVITES[0].read_bytes(), "bob@contoso.com")
    registry = CollectorRegistry()
    delivery = worker(config, registry)
    run_until(delivery, lambda: sorted(webhook.report_ids()) == sorted([first, second]))
    run_until(delivery, lambda: counter(registry, "smtp", "retry") >= 3)  # backing off and retrying
    assert smtp.inbox.messages == []
    states = state_of(redis_server.url, first)
    assert states["webhook"]["state"] == "delivered"
    assert states["smtp"]["state"] == "retrying" and "SMTP" in states["smtp"]["last_error"]
    client = app.test_client()
    login(client, redis.Redis.from_url(redis_server.url), "analyst")
    listed = client.get("/api/v1/reports").get_json()["reports"]
    # Retries go in order: the first report is retried, the one behind it waits its turn.
    assert {r["report_id"]: r["status"] for r in listed} == {first: "retrying", second: "pending"}
    assert listed[1]["deliveries"]["smtp"]["attempts"] >= 3
    assert listed[1]["deliveries"]["webhook"]["state"] == "delivered"

    smtp.start()
    run_until(delivery, lambda: len(smtp.inbox.messages) == 2)
    time.sleep(0.3)
    for destination_worker in delivery.workers:
        destination_worker.run_once(block_ms=20)
    assert len(smtp.inbox.messages) == 2 and len(webhook.received) == 2  # once each, no repeats
    assert [m.content.count(b"X-InviteGuard-Report-Id: ") for m in smtp.inbox.messages] == [1, 1]
    assert {r["status"] for r in client.get("/api/v1/reports").get_json()["reports"]} == {"delivered"}


def test_a_webhook_answering_500_gets_the_report_when_it_recovers(
        redis_server: EmbeddedRedis, redis_client: redis.Redis, webhook: Webhook) -> None:
    config = settings_for(redis_server.url, None, webhook)
    app = service(config)
    report_id = submit(app, INVITE.read_bytes(), "alice@contoso.com")
    webhook.status = 500
    registry = CollectorRegistry()
    delivery = worker(config, registry)
    run_until(delivery, lambda: counter(registry, "webhook", "retry") >= 2)
    assert state_of(redis_server.url, report_id)["webhook"]["last_error"] == "webhook HTTP 500"
    webhook.status = 200
    run_until(delivery, lambda: webhook.report_ids() == [report_id])
    assert state_of(redis_server.url, report_id)["webhook"]["state"] == "delivered"


def test_a_report_the_receiver_refuses_for_good_does_not_hold_up_the_next(
        redis_server: EmbeddedRedis, redis_client: redis.Redis, webhook: Webhook) -> None:
    config = settings_for(redis_server.url, None, webhook)
    app = service(config)
    refused = submit(app, INVITE.read_bytes(), "alice@contoso.com")
    webhook.status = 413
    delivery = worker(config)
    run_until(delivery, lambda: state_of(redis_server.url, refused).get("webhook", {}).get("state") == "failed")
    webhook.status = 200
    taken = submit(app, OTHER_INVITES[1].read_bytes(), "alice@contoso.com")
    run_until(delivery, lambda: webhook.report_ids() == [taken])


def test_several_workers_deliver_each_report_once(redis_server: EmbeddedRedis, redis_client: redis.Redis,
                                                  webhook: Webhook) -> None:
    config = settings_for(redis_server.url, None, webhook)
    app = service(config)
    report_ids = [submit(app, path.read_bytes(), reporter) for path in OTHER_INVITES
                  for reporter in ("alice@contoso.com", "bob@contoso.com")]
    workers = [worker(config) for _ in range(3)]
    for delivery in workers:
        delivery.start()
    try:
        deadline = time.monotonic() + 20
        while len(webhook.received) < len(report_ids) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # room for any duplicate to arrive
    finally:
        for delivery in workers:
            delivery.stop()
    assert sorted(webhook.report_ids()) == sorted(report_ids)  # every report, none twice


def _worker_process(config: dict[str, Any]) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVITEGUARD_") and k != "REDIS_URL"}
    env.update({("REDIS_URL" if k == "REDIS_URL" else f"INVITEGUARD_{k}"): str(v) for k, v in config.items()})
    return subprocess.Popen([sys.executable, "-m", "inviteguard.cli", "worker"], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_killing_the_worker_mid_send_loses_no_report(redis_server: EmbeddedRedis, redis_client: redis.Redis,
                                                     webhook: Webhook) -> None:
    config = settings_for(redis_server.url, None, webhook, REPORT_WEBHOOK_TIMEOUT_SECONDS=1.0,
                          DELIVERY_CLAIM_IDLE_SECONDS=0.5)
    app = service(config)
    webhook.hold = threading.Event()
    report_id = submit(app, INVITE.read_bytes(), "alice@contoso.com")
    doomed = _worker_process(config)
    try:
        assert webhook.held.wait(20), "the worker never started sending"
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
    webhook.hold.set()
    assert webhook.received == []
    # A new worker takes the dead one's entry over once its lease (3 x the 1 s timeout) ran out.
    run_until(worker(config), lambda: webhook.report_ids() == [report_id], timeout=20)
    assert state_of(redis_server.url, report_id)["webhook"]["state"] == "delivered"


def test_inviteguard_worker_refuses_to_run_without_redis() -> None:
    finished = _worker_process({})
    assert finished.wait(30) == 2


def test_a_worker_with_nowhere_to_deliver_waits_for_a_webhook_saved_in_the_console(
        redis_server: EmbeddedRedis, redis_client: redis.Redis, webhook: Webhook) -> None:
    config = settings_for(redis_server.url, None, None, REPORT_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
                          SETTINGS_REFRESH_SECONDS=0.2)
    report_id = submit(service(config), INVITE.read_bytes(), "alice@contoso.com")
    waiting = _worker_process(config)  # nothing in its environment to deliver to
    try:
        save_org_settings(redis_client, {"report_webhook_url": webhook.url}, "editor")  # the console's save
        deadline = time.monotonic() + 30
        while not webhook.received and time.monotonic() < deadline and waiting.poll() is None:
            time.sleep(0.05)
        assert webhook.report_ids() == [report_id]
    finally:
        waiting.send_signal(signal.SIGTERM)
        stopped = waiting.wait(30)
    assert stopped == 0


@pytest.fixture
def own_redis() -> Iterator[Path]:
    """A directory for a redis-server with append-only persistence that the test kills itself."""
    directory = Path(tempfile.mkdtemp(prefix="ig-kill-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def test_killing_redis_after_the_202_loses_no_report(own_redis: Path, webhook: Webhook) -> None:
    server = EmbeddedRedis(own_redis)
    url = server.start()
    try:
        config = settings_for(url, None, webhook)
        app = service(config)
        report_ids = [submit(app, path.read_bytes(), "alice@contoso.com") for path in OTHER_INVITES[:3]]
        assert server.process is not None
        server.process.kill()  # SIGKILL: no shutdown, no final save; only what the AOF holds survives
        server.process.wait()
        response = app.test_client().post("/api/v1/reports", data=INVITE.read_bytes(),
                                          content_type="message/rfc822")
        assert response.status_code == 503  # while it is down, no false 202
        server = EmbeddedRedis(own_redis)
        server.start()
        run_until(worker(config), lambda: sorted(webhook.report_ids()) == sorted(report_ids))
        time.sleep(0.15)  # past the gate's retry window
        assert submit(app, INVITE.read_bytes(), "bob@contoso.com") not in report_ids
    finally:
        server.stop()


def test_a_redis_shutdown_and_restart_keeps_undelivered_reports(own_redis: Path, smtp: SmtpServer) -> None:
    server = EmbeddedRedis(own_redis)
    url = server.start()
    try:
        config = settings_for(url, smtp, None)
        app = service(config)
        report_id = submit(app, INVITE.read_bytes(), "alice@contoso.com")
        delivery = worker(config)
        run_until(delivery, lambda: state_of(url, report_id).get("smtp", {}).get("state") == "retrying")
        redis.Redis.from_url(url).shutdown(nosave=True)  # appendonly: the AOF, not a snapshot, keeps it
        server.process.wait()  # type: ignore[union-attr]
        server = EmbeddedRedis(own_redis)
        server.start()
        smtp.start()
        run_until(delivery, lambda: len(smtp.inbox.messages) == 1)
        assert attached_original(smtp.inbox.messages[0].content)["Subject"]
    finally:
        server.stop()


def test_hostile_subjects_cannot_add_headers_to_the_soc_message() -> None:
    report = StoredReport("1-0", {"subject": "Invoice\r\nBcc: attacker@evil.example", "reporter": "a@b.c",
                                  "verdict": {"level": "phishing", "score": 90, "reasons": []}})
    sent = soc_email(report, b"Subject: x\nFrom: y@z\n\nbody\n", "ig@contoso.com", ["soc@contoso.com"])
    outer = email.message_from_bytes(sent, policy=default_policy)
    assert "Bcc" not in outer
    assert outer["Subject"] == "[InviteGuard] Reported (phishing): Invoice Bcc: attacker@evil.example"
    assert b"Subject: x\r\nFrom: y@z\r\n\r\nbody\r\n" in sent  # line ends made CRLF for SMTP, nothing else
