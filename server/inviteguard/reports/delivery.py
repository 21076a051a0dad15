"""Delivers stored reports to the SOC: its mailbox over SMTP and/or a signed webhook.

Each destination has its own consumer group on the report stream and its own thread, so a
destination that is down only queues its own work: the other keeps delivering. Delivery is at
least once: an entry is acknowledged in a destination's group only after that destination took
it; a failing destination pauses with exponential back-off and then retries its pending entries
in order; entries a dead worker held are taken over with XAUTOCLAIM. Before sending, a worker
sets a per-report, per-destination lease (SET NX) and re-reads the delivered marker, so several
workers never send one report twice to one destination unless one dies mid-send.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import signal
import smtplib
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Literal, Protocol

import redis
from prometheus_client import CollectorRegistry, Counter, start_http_server

from ..runtime.config import Settings, settings_from
from ..runtime.redis_conn import RedisGate, redact
from .store import DeliveryState, ReportStore, StoredReport

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-InviteGuard-Signature"
SUBJECT_LIMIT = 150
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_LINE_END = re.compile(rb"\r?\n")
BATCH = 10
POLL_MS = 1000
Outcome = Literal["done", "busy", "failed"]
# A send is a few timeout-bounded steps (connect, TLS, auth, data); a lease outlives all of them,
# so it only runs out when its worker died.
LEASE_TIMEOUTS = 3


class DeliveryError(Exception):
    """A destination did not take a report. `permanent`: this report will never be taken
    (too large, refused content), so retrying it is pointless; otherwise the destination is down."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Destination(Protocol):
    name: str
    timeout: float

    def send(self, report: StoredReport, eml: bytes | None) -> None: ...


def one_line(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """Attacker text for a header or a log line: no CR/LF or other controls, bounded."""
    return _CONTROL.sub(" ", text)[:limit].strip()


def summary_text(report: StoredReport) -> str:
    """The SOC's first look: who reported what, and what InviteGuard said at the time."""
    data = report.data
    verdict = data.get("verdict", {})
    lines = [
        f"Reported by: {data.get('reporter', '')}",
        f"Category: {data.get('category', '')}",
        f"Received: {datetime.fromtimestamp(report.received_at, UTC).isoformat(timespec='seconds')}",
        f"Report id: {report.id}",
        f"Campaign: {data.get('fingerprint', '')}",
        f"Subject: {one_line(str(data.get('subject', '')), 500)}",
        f"From: {one_line(str(data.get('sender', '')), 500)}",
        "",
        f"InviteGuard verdict when reported: {str(verdict.get('level', '')).upper()} "
        f"(score {verdict.get('score', '')})",
    ]
    lines += [f"  - {r.get('title', '')}: {r.get('detail', '')}" for r in verdict.get("reasons", [])]
    if data.get("comment"):
        lines += ["", "Reporter's comment:", str(data["comment"])]
    if data.get("source") == "outlook":
        lines += ["", "The client could not send the raw message; the attachment was rebuilt from its "
                      "headers and body."]
    lines += ["", "The reported message is attached as message/rfc822."]
    return "\n".join(lines) + "\n"


def soc_email(report: StoredReport, eml: bytes | None, sender: str, recipients: Sequence[str]) -> bytes:
    """A new message to the SOC: the summary, and the original attached as message/rfc822 (what
    SOC tools and Microsoft's user-reported-message flow expect). Built by hand so the original
    goes out byte for byte, only its line ends made CRLF as SMTP requires."""
    level = str(report.data.get("verdict", {}).get("level", "unknown"))
    head = EmailMessage(policy=SMTP)
    head["From"] = sender
    head["To"] = ", ".join(recipients)
    head["Subject"] = one_line(f"[InviteGuard] Reported ({level}): {report.data.get('subject', '')}")
    head["Date"] = format_datetime(datetime.now(UTC))
    head["Message-ID"] = make_msgid("inviteguard-report")
    head["X-InviteGuard-Report-Id"] = report.id
    head["MIME-Version"] = "1.0"
    boundary = f"=_inviteguard_{secrets.token_hex(16)}"
    head["Content-Type"] = f'multipart/mixed; boundary="{boundary}"'
    summary = base64.encodebytes(summary_text(report).encode("utf-8")).replace(b"\n", b"\r\n")
    # Only the header block: EmailMessage would give a multipart header an empty body of its own.
    parts = [b"".join(SMTP.fold_binary(name, value) for name, value in head.items()) + b"\r\n",
             f"--{boundary}\r\n".encode(),
             b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n", summary]
    if eml:
        original = _LINE_END.sub(b"\r\n", eml)
        parts += [f"--{boundary}\r\n".encode(),
                  b"Content-Type: message/rfc822\r\n"
                  b'Content-Disposition: attachment; filename="reported-message.eml"\r\n\r\n',
                  original if original.endswith(b"\r\n") else original + b"\r\n"]
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


def webhook_body(report: StoredReport, eml: bytes | None) -> bytes:
    data = {key: value for key, value in report.data.items() if key != "eml_key"}
    return json.dumps({
        "report_id": report.id, **data,
        "eml_base64": base64.b64encode(eml).decode("ascii") if eml else None,
        "sent_at": time.time(),
    }, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SmtpDestination:
    host: str
    port: int
    starttls: bool
    user: str | None
    password: str | None
    sender: str
    recipients: tuple[str, ...]
    timeout: float
    name: str = "smtp"

    def send(self, report: StoredReport, eml: bytes | None) -> None:
        message = soc_email(report, eml, self.sender, self.recipients)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    # Refuses to go on in clear when the server offers no STARTTLS.
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.sendmail(self.sender, list(self.recipients), message)
        except smtplib.SMTPDataError as exc:
            # A 5xx after DATA refuses this message (size, content); other reports may still go.
            raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class WebhookDestination:
    url: str
    secret: str
    timeout: float
    name: str = "webhook"

    def send(self, report: StoredReport, eml: bytes | None) -> None:
        body = webhook_body(report, eml)
        request = urllib.request.Request(self.url, data=body, method="POST", headers={  # noqa: S310 configured URL
            "Content-Type": "application/json", SIGNATURE_HEADER: signature(self.secret, body),
            "X-InviteGuard-Report-Id": report.id, "User-Agent": "InviteGuard-report-webhook"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as exc:
            exc.close()
            # 413/422: the receiver will never take this report; anything else may pass later.
            raise DeliveryError(f"webhook HTTP {exc.code}", permanent=exc.code in (413, 422)) from exc
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"webhook {type(exc).__name__}: {exc}") from exc


def destinations_from(settings: Settings) -> list[Destination]:
    found: list[Destination] = []
    recipients = tuple(a.strip() for a in (settings.soc_smtp_to or "").split(",") if a.strip())
    if settings.soc_smtp_host and recipients:
        found.append(SmtpDestination(settings.soc_smtp_host, settings.soc_smtp_port, settings.soc_smtp_starttls,
                                     settings.soc_smtp_user, settings.soc_smtp_password, settings.soc_smtp_from,
                                     recipients, settings.soc_smtp_timeout_seconds))
    if settings.report_webhook_url:
        found.append(WebhookDestination(settings.report_webhook_url, settings.report_webhook_secret or "",
                                        settings.report_webhook_timeout_seconds))
    return found


def destination_names(settings: Settings) -> list[str]:
    return [d.name for d in destinations_from(settings)]


def group_name(destination: str) -> str:
    return f"deliver:{destination}"


@dataclass(frozen=True)
class Backoff:
    first_seconds: float
    max_seconds: float

    def pause(self, failures: int) -> float:
        """Seconds to wait after `failures` consecutive failures (1, 2, ...)."""
        return min(self.max_seconds, self.first_seconds * 2 ** max(0, failures - 1))


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.deliveries = Counter("inviteguard_report_deliveries", "Report delivery attempts by outcome",
                                  ["destination", "outcome"], registry=registry)


class DestinationWorker:
    """Delivers the report stream to one destination; run one per destination per process."""

    def __init__(self, store: ReportStore, destination: Destination, consumer: str, backoff: Backoff,
                 max_attempts: int, claim_idle_seconds: float, lease_seconds: float, metrics: DeliveryMetrics,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.destination = destination
        self.group = group_name(destination.name)
        self.consumer = consumer
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.claim_idle_ms = int(claim_idle_seconds * 1000)
        self.lease_ms = int(lease_seconds * 1000)
        self.metrics = metrics
        self.clock = clock
        self.failures = 0  # consecutive failures of the destination
        self.paused_until = 0.0
        self.group_ready = False
        self.busy: dict[str, float] = {}  # report id -> when to look at it again

    def _record(self, report_id: str, state: DeliveryState, outcome: str) -> None:
        self.store.record_delivery(report_id, self.destination.name, state)
        self.metrics.deliveries.labels(self.destination.name, outcome).inc()

    def deliver(self, report_id: str, report: StoredReport | None) -> Outcome:
        """Sends one entry unless it is done or another worker is sending it ("busy");
        "failed" means the destination is down and the caller pauses it."""
        if report is None:  # trimmed by retention before it could be delivered
            self.store.ack(self.group, report_id)
            return "done"
        name = self.destination.name
        if not self.store.acquire_lease(report_id, name, self.consumer, self.lease_ms):
            return "busy"  # another worker is sending it right now and will acknowledge it
        try:
            before = self.store.delivery_state(report_id, name)
            if before is not None and before.final:
                self.store.ack(self.group, report_id)
                return "done"
            attempts = (before.attempts if before else 0) + 1
            try:
                self.destination.send(report, self.store.eml(report))
            except DeliveryError as exc:
                error = one_line(str(exc), 300)
                log.warning("delivery of report %s to %s failed (attempt %d): %s", report_id, name, attempts, error)
                if exc.permanent or attempts >= self.max_attempts:
                    self._record(report_id, DeliveryState("failed", attempts, error, self.clock()), "failed")
                    self.store.ack(self.group, report_id)
                    return "done" if exc.permanent else "failed"
                self._record(report_id, DeliveryState("retrying", attempts, error, self.clock()), "retry")
                return "failed"
            self._record(report_id, DeliveryState("delivered", attempts, "", self.clock()), "delivered")
            self.store.ack(self.group, report_id)
            return "done"
        finally:
            self.store.release_lease(report_id, name, self.consumer)

    def _work(self, block_ms: int) -> list[tuple[str, StoredReport | None]]:
        """Own pending entries first (retries keep their order), then a dead worker's, then new.
        Entries another worker is sending wait in our pending list until it acknowledges them;
        they are skipped until their lease could have run out, so they never starve new ones."""
        now = self.clock()
        self.busy = {i: until for i, until in self.busy.items() if until > now}
        pending = self.store.read_group(self.group, self.consumer, pending=True, count=BATCH + len(self.busy))
        batch = [(i, r) for i, r in pending if i not in self.busy][:BATCH]
        if not batch:
            batch = self.store.claim_stale(self.group, self.consumer, self.claim_idle_ms, BATCH)
        if not batch:
            batch = self.store.read_group(self.group, self.consumer, pending=False, count=BATCH, block_ms=block_ms)
        return batch

    def run_once(self, block_ms: int = POLL_MS) -> int:
        """One round; returns how many entries it finished or tried. Raises RedisError when
        Redis is down."""
        if self.clock() < self.paused_until:
            return 0
        if not self.group_ready:
            self.store.ensure_group(self.group)
            self.group_ready = True
        handled = 0
        for report_id, report in self._work(block_ms):
            outcome = self.deliver(report_id, report)
            if outcome == "busy":
                self.busy[report_id] = self.clock() + self.lease_ms / 1000
                continue
            handled += 1
            if outcome == "failed":
                self.failures += 1
                self.paused_until = self.clock() + self.backoff.pause(self.failures)
                return handled
            self.failures = 0
        return handled


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class DeliveryWorker:
    """One thread per destination; `stop()` ends them after their current round."""

    def __init__(self, workers: Sequence[DestinationWorker], redis_pause_seconds: float = 1.0) -> None:
        self.workers = list(workers)
        self.redis_pause_seconds = redis_pause_seconds
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def _loop(self, worker: DestinationWorker) -> None:
        while not self.stopping.is_set():
            try:
                if worker.run_once() == 0 and worker.clock() < worker.paused_until:
                    self.stopping.wait(min(1.0, worker.paused_until - worker.clock()))
            except redis.RedisError as exc:
                worker.group_ready = False  # a restarted Redis without its data has no group
                log.warning("delivery to %s waits for Redis: %s", worker.destination.name, one_line(str(exc), 300))
                self.stopping.wait(self.redis_pause_seconds)

    def start(self) -> None:
        for worker in self.workers:
            thread = threading.Thread(target=self._loop, args=(worker,), name=f"deliver-{worker.destination.name}",
                                      daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout)

    def run_forever(self) -> None:
        self.start()
        try:
            while any(t.is_alive() for t in self.threads):
                self.stopping.wait(1.0)
        finally:
            self.stop()


def worker_from(settings: Settings, registry: CollectorRegistry | None = None) -> DeliveryWorker:
    """The delivery worker for these settings: one DestinationWorker per configured destination."""
    gate = RedisGate(settings.redis_url, settings.report_redis_timeout_seconds + POLL_MS / 1000,
                     settings.redis_retry_after_seconds)
    store = ReportStore(gate, gate, settings.report_retention_days, settings.report_reporters_needed)
    backoff = Backoff(settings.delivery_backoff_seconds, settings.delivery_backoff_max_seconds)
    metrics = DeliveryMetrics(registry)
    consumer = consumer_name()
    workers = [DestinationWorker(store, destination, consumer, backoff, settings.delivery_max_attempts,
                                 settings.delivery_claim_idle_seconds, LEASE_TIMEOUTS * destination.timeout, metrics)
               for destination in destinations_from(settings)]
    return DeliveryWorker(workers, settings.redis_retry_after_seconds)


def run_worker(redis_url: str | None = None, metrics_port: int | None = None) -> int:
    """`inviteguard worker`: delivers reports until SIGTERM/SIGINT; 2 when there is nothing to do."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from(os.environ, {"redis_url": redis_url} if redis_url else None)
    if settings.redis_url is None:
        log.error("the delivery worker needs REDIS_URL (or --redis-url): the Redis the service stores reports in")
        return 2
    worker = worker_from(settings)
    if not worker.workers:
        log.error("no report destination configured: set INVITEGUARD_SOC_SMTP_HOST and INVITEGUARD_SOC_SMTP_TO "
                  "and/or INVITEGUARD_REPORT_WEBHOOK_URL")
        return 2
    if metrics_port:
        start_http_server(metrics_port)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stopping.set())
    log.info("delivering reports from %s to %s", redact(settings.redis_url),
             ", ".join(w.destination.name for w in worker.workers))
    worker.run_forever()
    log.info("delivery worker stopped")
    return 0
