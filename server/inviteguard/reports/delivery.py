"""Delivers stored reports to the SOC: its mailbox over SMTP and/or a signed webhook.

Each destination has its own consumer group on the report stream and its own thread, so a
destination that is down only queues its own work: the other keeps delivering. Delivery is at
least once: an entry is acknowledged in a destination's group only after that destination took
it, or after its last attempt failed. Before sending, a worker sets a per-report,
per-destination lease (SET NX) and re-reads the delivered marker, so several workers never send
one report twice to one destination unless one dies mid-send.

One report can never stop the others. A failure is either the destination's (it cannot be
reached: the whole destination pauses with exponential back-off, and its oldest report is tried
first when it is back) or the report's (anything else, including an exception nobody foresaw:
that report moves to the destination's retry set with its own back-off while the others go on,
and is parked as `failed` after INVITEGUARD_DELIVERY_MAX_ATTEMPTS). The thread catches every
error of a round, logs it and goes on; it never dies.

Destinations come from the settings with the console's overrides, reread every few seconds
(runtime.organisation.LiveSettings), so a SOC address or webhook saved in the console is used
without a restart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import os
import secrets
import signal
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import redis
from prometheus_client import CollectorRegistry, Counter, start_http_server

from ..runtime.config import ConfigError, Settings, settings_from
from ..runtime.organisation import LiveSettings
from ..runtime.redis_conn import RedisGate, redact
from .store import DeliveryState, ReportStore, StoredReport
from .text import crlf_line_ends, one_line, quoted_lines, without_surrogates

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-InviteGuard-Signature"
SUBJECT_LIMIT = 150
SUMMARY_FIELD_LIMIT = 500
COMMENT_LIMIT = 4000
ERROR_LIMIT = 300
WEBHOOK_ANSWER_LIMIT = 64 * 1024  # what we read of the receiver's answer; we only need its status
BATCH = 10
POLL_MS = 1000
DESTINATION_NAMES = ("smtp", "webhook")
Outcome = Literal["done", "busy", "retry", "down"]
# A send is a few timeout-bounded steps (connect, TLS, auth, data); a lease outlives all of them,
# so it only runs out when its worker died.
LEASE_TIMEOUTS = 3
NetworkList = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


class DeliveryError(Exception):
    """A destination did not take a report. `destination_down`: it could not be reached or used
    at all, so every report would fail now and the destination pauses; otherwise the failure is
    this report's. `permanent`: this report will never be taken (too large, refused content)."""

    def __init__(self, message: str, permanent: bool = False, destination_down: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.destination_down = destination_down


class Destination(Protocol):
    name: str
    timeout: float

    def send(self, report: StoredReport, eml: bytes | None) -> None: ...


# ------------------------------------------------------------------ what the SOC receives

def summary_text(report: StoredReport) -> str:
    """The SOC's first look: who reported what, and what InviteGuard said at the time. Every value
    is one line without controls, and the comment is quoted, so none can pose as another line."""
    data = report.data
    verdict = data.get("verdict") if isinstance(data.get("verdict"), dict) else {}

    def field(value: object) -> str:
        return one_line(str(value if value is not None else ""), SUMMARY_FIELD_LIMIT)

    verified = "verified" if data.get("reporter_verified") else "self-asserted, not verified"
    lines = [
        f"Reported by: {field(data.get('reporter'))} ({verified})",
        f"Category: {field(data.get('category'))}",
        f"Received: {datetime.fromtimestamp(report.received_at, UTC).isoformat(timespec='seconds')}",
        f"Report id: {field(report.id)}",
        f"Campaign: {field(data.get('fingerprint'))}",
        f"Subject: {field(data.get('subject'))}",
        f"From: {field(data.get('sender'))}",
        "",
        f"InviteGuard verdict when reported: {field(verdict.get('level')).upper()} "
        f"(score {field(verdict.get('score'))})",
    ]
    reasons = verdict.get("reasons") if isinstance(verdict.get("reasons"), list) else []
    lines += [f"  - {field(r.get('title'))}: {field(r.get('detail'))}" for r in reasons if isinstance(r, dict)]
    if data.get("comment"):
        lines += ["", "Reporter's comment:", *quoted_lines(str(data["comment"]), COMMENT_LIMIT)]
    if data.get("source") == "outlook":
        lines += ["", "The client could not send the raw message; the attachment was rebuilt from its "
                      "headers and body."]
    lines += ["", "The reported message is attached as message/rfc822."]
    return "\n".join(lines) + "\n"


def soc_email(report: StoredReport, eml: bytes | None, sender: str, recipients: Sequence[str]) -> bytes:
    """A new message to the SOC: the summary, and the original attached as message/rfc822 (what
    SOC tools and Microsoft's user-reported-message flow expect). Built by hand so the original
    goes out byte for byte, only its line ends made CRLF as SMTP requires."""
    verdict = report.data.get("verdict")
    level = one_line(str(verdict.get("level", "unknown") if isinstance(verdict, dict) else "unknown"), 20)
    head = EmailMessage(policy=SMTP)
    head["From"] = sender
    head["To"] = ", ".join(recipients)
    head["Subject"] = one_line(f"[InviteGuard] Reported ({level}): {report.data.get('subject', '')}", SUBJECT_LIMIT)
    head["Date"] = format_datetime(datetime.now(UTC))
    head["Message-ID"] = make_msgid("inviteguard-report")
    head["X-InviteGuard-Report-Id"] = one_line(report.id, 64)
    head["MIME-Version"] = "1.0"
    boundary = f"=_inviteguard_{secrets.token_hex(16)}"
    head["Content-Type"] = f'multipart/mixed; boundary="{boundary}"'
    summary = base64.encodebytes(summary_text(report).encode("utf-8")).replace(b"\n", b"\r\n")
    # Only the header block: EmailMessage would give a multipart header an empty body of its own.
    parts = [b"".join(SMTP.fold_binary(name, value) for name, value in head.items()) + b"\r\n",
             f"--{boundary}\r\n".encode(),
             b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n", summary]
    if eml:
        original = crlf_line_ends(eml)
        parts += [f"--{boundary}\r\n".encode(),
                  b"Content-Type: message/rfc822\r\n"
                  b'Content-Disposition: attachment; filename="reported-message.eml"\r\n\r\n',
                  original if original.endswith(b"\r\n") else original + b"\r\n"]
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


def _json_safe(value: Any) -> Any:
    """Stored report data with every string encodable as UTF-8 (reports stored before intake
    cleaned them may hold lone surrogates)."""
    if isinstance(value, str):
        return without_surrogates(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def webhook_body(report: StoredReport, eml: bytes | None) -> bytes:
    data = {key: value for key, value in report.data.items() if key != "eml_key"}
    return json.dumps(_json_safe({
        "report_id": report.id, **data,
        "eml_base64": base64.b64encode(eml).decode("ascii") if eml else None,
        "sent_at": time.time(),
    }), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


# ------------------------------------------------------------------ SMTP

SMTP_PHASES = {"connect": "connecting", "session": "starting the session", "send": "sending"}


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
        phase = "connect"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                phase = "session"
                if self.starttls:
                    # Refuses to go on in clear when the server offers no STARTTLS.
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                phase = "send"
                smtp.sendmail(self.sender, list(self.recipients), message)
                phase = "sent"
        except smtplib.SMTPDataError as exc:
            # A reply to DATA refuses this message (size, content); other reports may still go.
            raise DeliveryError(f"SMTP {exc.smtp_code} after DATA: {one_line(repr(exc.smtp_error), 200)}",
                                permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPRecipientsRefused) as exc:
            raise DeliveryError(f"SMTP refused the envelope ({type(exc).__name__})", destination_down=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            if phase == "sent":
                return  # only QUIT failed: the server had taken the message
            raise DeliveryError(f"SMTP {type(exc).__name__} while {SMTP_PHASES[phase]}",
                                destination_down=phase != "send") from exc


# ------------------------------------------------------------------ webhook

def networks_from(setting: str) -> NetworkList:
    """`"10.0.0.0/8, fd00::/8"` -> networks; a bad entry stops start-up naming it."""
    found = []
    for item in setting.replace(",", " ").split():
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"INVITEGUARD_REPORT_WEBHOOK_ALLOWED_NETWORKS: {item!r} is not a network") from None
    return tuple(found)


def address_allowed(address: str, allowed: NetworkList) -> bool:
    """A public address, or one inside a network the operator allowed (an internal SOAR)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed):
        return True
    return ip.is_global and not ip.is_multicast


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address we checked, not to whatever the name resolves to a moment later."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def _checked_addresses(host: str, port: int, allowed: NetworkList) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise DeliveryError("webhook: the host name does not resolve", destination_down=True) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    # Every address the name has, not only the one we would use: a name that also points inside
    # the network is refused whole.
    if not addresses or not all(address_allowed(a, allowed) for a in addresses):
        raise DeliveryError("webhook: the host resolves to an address that is not allowed (loopback, private or "
                            "link-local; see INVITEGUARD_REPORT_WEBHOOK_ALLOWED_NETWORKS)", destination_down=True)
    return addresses


def post_webhook(url: str, body: bytes, headers: Mapping[str, str], timeout: float, allowed: NetworkList) -> int:
    """POSTs `body` and returns the HTTP status. No redirect is followed (http.client never does)
    and errors say only what failed, never what the network looked like."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    if parts.scheme not in ("http", "https") or not parts.hostname or not port:
        raise DeliveryError("webhook: the URL is not an http(s) URL", destination_down=True)
    address = _checked_addresses(parts.hostname, port, allowed)[0]
    pinned = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    connection = pinned(parts.hostname, port, address, timeout)
    try:
        try:
            connection.connect()
        except OSError:
            raise DeliveryError("webhook: could not connect", destination_down=True) from None
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", target, body=body, headers=dict(headers))
            response = connection.getresponse()
            response.read(WEBHOOK_ANSWER_LIMIT)
        except (OSError, http.client.HTTPException):
            raise DeliveryError("webhook: no valid HTTP answer") from None
        return response.status
    finally:
        connection.close()


@dataclass(frozen=True)
class WebhookDestination:
    url: str
    secret: str
    timeout: float
    allowed_networks: NetworkList = ()
    name: str = "webhook"

    def send(self, report: StoredReport, eml: bytes | None) -> None:
        body = webhook_body(report, eml)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(self.secret, body),
                   "X-InviteGuard-Report-Id": one_line(report.id, 64), "User-Agent": "InviteGuard-report-webhook"}
        status = post_webhook(self.url, body, headers, self.timeout, self.allowed_networks)
        if 300 <= status < 400:
            raise DeliveryError(f"webhook HTTP {status}: redirects are not followed")
        if status >= 400:
            # 413/422: the receiver will never take this report; anything else may pass later.
            raise DeliveryError(f"webhook HTTP {status}", permanent=status in (413, 422))


def destinations_from(settings: Settings) -> list[Destination]:
    found: list[Destination] = []
    recipients = tuple(a.strip() for a in (settings.soc_smtp_to or "").split(",") if a.strip())
    if settings.soc_smtp_host and recipients:
        found.append(SmtpDestination(settings.soc_smtp_host, settings.soc_smtp_port, settings.soc_smtp_starttls,
                                     settings.soc_smtp_user, settings.soc_smtp_password, settings.soc_smtp_from,
                                     recipients, settings.soc_smtp_timeout_seconds))
    if settings.report_webhook_url:
        found.append(WebhookDestination(settings.report_webhook_url, settings.report_webhook_secret or "",
                                        settings.report_webhook_timeout_seconds,
                                        networks_from(settings.report_webhook_allowed_networks)))
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
        return min(self.max_seconds, self.first_seconds * 2 ** min(max(0, failures - 1), 60))


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.deliveries = Counter("inviteguard_report_deliveries", "Report delivery attempts by outcome",
                                  ["destination", "outcome"], registry=registry)
        self.round_errors = Counter("inviteguard_delivery_round_errors", "Unexpected errors of a delivery round "
                                    "(logged; the worker goes on)", ["destination"], registry=registry)


# ------------------------------------------------------------------ the worker

class DestinationWorker:
    """Delivers the report stream to one destination (by name); run one per destination per
    process. `current()` gives the destination as configured now, None while it is not."""

    def __init__(self, store: ReportStore, name: str, current: Callable[[], Destination | None], consumer: str,
                 backoff: Backoff, max_attempts: int, claim_idle_seconds: float, metrics: DeliveryMetrics,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.name = name
        self.current = current
        self.group = group_name(name)
        self.consumer = consumer
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.claim_idle_ms = int(claim_idle_seconds * 1000)
        self.metrics = metrics
        self.clock = clock
        self.failures = 0  # consecutive failures to reach the destination
        self.paused_until = 0.0
        self.group_ready = False
        self.busy: dict[str, float] = {}  # report id -> when to look at it again

    def _failed(self, report_id: str, destination: Destination, before: DeliveryState | None,
                exc: DeliveryError) -> Outcome:
        attempts = (before.attempts if before else 0) + 1
        failures = (before.failures if before else 0) + (0 if exc.destination_down else 1)
        error = one_line(str(exc), ERROR_LIMIT)
        log.warning("delivery of report %s to %s failed (attempt %d): %s", report_id, self.name, attempts, error)
        now = self.clock()
        if exc.permanent or failures >= self.max_attempts:
            self.store.finish_delivery(self.group, report_id, self.name,
                                       DeliveryState("failed", attempts, error, now, failures))
            self.metrics.deliveries.labels(self.name, "failed").inc()
            return "done"
        self.metrics.deliveries.labels(self.name, "retry").inc()
        if exc.destination_down:
            # Stays first in line: when the destination is back, the oldest report goes first.
            self.store.record_delivery(report_id, self.name, DeliveryState("retrying", attempts, error, now, failures))
            return "down"
        due = now + self.backoff.pause(failures)
        self.store.schedule_retry(self.group, report_id, self.name,
                                  DeliveryState("retrying", attempts, error, now, failures, due))
        return "retry"

    def deliver(self, report_id: str, report: StoredReport | None) -> Outcome:
        """Sends one entry unless it is done or another worker is sending it ("busy"); "retry":
        this report failed and waits for its own next attempt; "down": the destination cannot be
        reached and the caller pauses it."""
        destination = self.current()
        if destination is None:
            return "busy"
        if report is None:  # trimmed by retention before it could be delivered
            self.store.ack(self.group, report_id)
            return "done"
        lease_ms = int(LEASE_TIMEOUTS * destination.timeout * 1000)
        if not self.store.acquire_lease(report_id, self.name, self.consumer, lease_ms):
            return "busy"  # another worker is sending it right now and will acknowledge it
        try:
            before = self.store.delivery_state(report_id, self.name)
            if before is not None and before.final:
                self.store.ack(self.group, report_id)
                return "done"
            eml = self.store.eml(report)  # a Redis failure ends the round: the loop waits for Redis
            try:
                destination.send(report, eml)
            except DeliveryError as exc:
                return self._failed(report_id, destination, before, exc)
            except Exception as exc:  # whatever one report does, the others go on
                log.exception("report %s could not be prepared for %s", report_id, self.name)
                return self._failed(report_id, destination, before,
                                    DeliveryError(f"{self.name}: this report could not be sent ({type(exc).__name__})"))
            attempts = (before.attempts if before else 0) + 1
            self.store.finish_delivery(self.group, report_id, self.name,
                                       DeliveryState("delivered", attempts, "", self.clock()))
            self.metrics.deliveries.labels(self.name, "delivered").inc()
            return "done"
        finally:
            self.store.release_lease(report_id, self.name, self.consumer)

    def _not_busy(self, entries: list[tuple[str, StoredReport | None]]) -> list[tuple[str, StoredReport | None]]:
        return [(i, r) for i, r in entries if i not in self.busy][:BATCH]

    def _work(self, block_ms: int) -> list[tuple[str, StoredReport | None]]:
        """Own pending entries first (they wait for the destination; they keep their order), then
        reports whose own retry is due, a dead worker's entries, and new ones. Entries another
        worker is sending are skipped until their lease could have run out."""
        now = self.clock()
        self.busy = {i: until for i, until in self.busy.items() if until > now}
        extra = len(self.busy)
        pending = self._not_busy(self.store.read_group(self.group, self.consumer, pending=True, count=BATCH + extra))
        if pending:
            return pending
        batch = self._not_busy(self.store.due_retries(self.group, now, BATCH + extra))
        if not batch:
            batch = self.store.claim_stale(self.group, self.consumer, self.claim_idle_ms, BATCH)
        # New reports come in every round, so due retries never hold them back.
        return batch + self.store.read_group(self.group, self.consumer, pending=False, count=BATCH,
                                             block_ms=None if batch else block_ms)

    def run_once(self, block_ms: int = POLL_MS) -> int:
        """One round; returns how many entries it finished or tried. Raises RedisError when
        Redis is down."""
        destination = self.current()
        if destination is None or self.clock() < self.paused_until:
            return 0
        if not self.group_ready:
            self.store.ensure_group(self.group)
            self.group_ready = True
        handled = 0
        for report_id, report in self._work(block_ms):
            outcome = self.deliver(report_id, report)
            if outcome == "busy":
                self.busy[report_id] = self.clock() + LEASE_TIMEOUTS * destination.timeout
                continue
            handled += 1
            if outcome == "down":
                self.failures += 1
                self.paused_until = self.clock() + self.backoff.pause(self.failures)
                return handled
            self.failures = 0
        return handled


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class DeliveryWorker:
    """One thread per destination name; `stop()` ends them after their current round. A thread
    whose destination is not configured (yet) waits and looks again."""

    def __init__(self, workers: Sequence[DestinationWorker], redis_pause_seconds: float = 1.0) -> None:
        self.workers = list(workers)
        self.redis_pause_seconds = redis_pause_seconds
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def _round(self, worker: DestinationWorker) -> None:
        try:
            if worker.run_once() == 0:
                idle = worker.paused_until - worker.clock() if worker.current() is not None else POLL_MS / 1000
                if idle > 0:
                    self.stopping.wait(min(1.0, idle))
        except redis.RedisError as exc:
            worker.group_ready = False  # a restarted Redis without its data has no group
            log.warning("delivery to %s waits for Redis: %s", worker.name, one_line(str(exc), ERROR_LIMIT))
            self.stopping.wait(self.redis_pause_seconds)

    def _loop(self, worker: DestinationWorker) -> None:
        while not self.stopping.is_set():
            try:
                self._round(worker)
            except Exception:  # the thread must outlive any one round's error
                log.exception("delivery round for %s failed; going on", worker.name)
                worker.metrics.round_errors.labels(worker.name).inc()
                worker.group_ready = False
                self.stopping.wait(self.redis_pause_seconds)

    def start(self) -> None:
        for worker in self.workers:
            thread = threading.Thread(target=self._loop, args=(worker,), name=f"deliver-{worker.name}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def alive(self) -> bool:
        return bool(self.threads) and all(t.is_alive() for t in self.threads)

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


class ConfiguredDestinations:
    """The destinations the live settings describe now, rebuilt only when those settings change."""

    def __init__(self, settings: LiveSettings) -> None:
        self.settings = settings
        self._built: tuple[Settings, dict[str, Destination]] | None = None
        self._lock = threading.Lock()

    def named(self, name: str) -> Destination | None:
        current = self.settings.current()
        with self._lock:
            if self._built is None or self._built[0] != current:
                try:
                    self._built = (current, {d.name: d for d in destinations_from(current)})
                except ConfigError as exc:
                    log.error("report destinations not usable: %s", exc)
                    self._built = (current, {})
            return self._built[1].get(name)


def worker_from(settings: Settings, registry: CollectorRegistry | None = None) -> DeliveryWorker:
    """The delivery worker for these settings (and the console's overrides, reread as they change)."""
    gate = RedisGate(settings.redis_url, settings.report_redis_timeout_seconds + POLL_MS / 1000,
                     settings.redis_retry_after_seconds)
    live = LiveSettings(settings, gate.client, settings.settings_refresh_seconds)
    store = ReportStore(gate, gate, live)
    backoff = Backoff(settings.delivery_backoff_seconds, settings.delivery_backoff_max_seconds)
    metrics = DeliveryMetrics(registry)
    consumer = consumer_name()
    configured = ConfiguredDestinations(live)
    workers = [DestinationWorker(store, name, lambda name=name: configured.named(name), consumer, backoff,
                                 settings.delivery_max_attempts, settings.delivery_claim_idle_seconds, metrics)
               for name in DESTINATION_NAMES]
    return DeliveryWorker(workers, settings.redis_retry_after_seconds)


def run_worker(redis_url: str | None = None, metrics_port: int | None = None) -> int:
    """`inviteguard worker`: delivers reports until SIGTERM/SIGINT; 2 when it has no Redis."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = settings_from(os.environ, {"redis_url": redis_url} if redis_url else None)
        networks_from(settings.report_webhook_allowed_networks)
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    if settings.redis_url is None:
        log.error("the delivery worker needs REDIS_URL (or --redis-url): the Redis the service stores reports in")
        return 2
    worker = worker_from(settings)
    if metrics_port:
        start_http_server(metrics_port)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stopping.set())
    configured = [d.name for d in destinations_from(settings)]
    log.info("delivering reports from %s to %s", redact(settings.redis_url),
             ", ".join(configured) or "no destination yet (waiting for one from the environment or the console)")
    worker.run_forever()
    log.info("delivery worker stopped")
    return 0
