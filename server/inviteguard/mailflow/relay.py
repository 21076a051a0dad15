"""`inviteguard relay`: an SMTP gateway (aiosmtpd in, smtplib out) that stamps every message.

It sits where Exchange Online's outbound connector, or Postfix as content filter or smarthost,
sends mail, and passes each message to the next hop. It never loses or blocks mail:

- The next hop answers for it. MAIL and each RCPT are passed on at once and the sender gets the next
  hop's own answer (so a recipient it refuses is refused to the sender, by name); the message is
  accepted (250) only after the next hop accepted it. Next hop down or gone mid-way: 451, and the
  sending MTA keeps the message queued and retries.
- An analysis error, a timeout, Redis down or a message too large to analyse: the message goes on
  unchanged, stamped `unchecked` (stamping.py).
- Only INVITEGUARD_RELAY_ALLOWED_CLIENTS may relay (default loopback); anyone else gets 554 at MAIL.
  STARTTLS with INVITEGUARD_RELAY_TLS_CERT/KEY; towards the next hop per INVITEGUARD_RELAY_NEXT_HOP_TLS.

One asyncio loop takes the SMTP sessions; next-hop calls and the analysis run on threads, so a
slow next hop or analysis never holds up another session.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, TypeVar

from aiosmtpd.smtp import SMTP, Envelope, Session

from ..runtime.config import ConfigError, Settings
from ..web.api import log_safe
from .metrics import MailflowMetrics
from .stamping import Stamper

log = logging.getLogger(__name__)
T = TypeVar("T")

NEXT_HOP_DOWN = "451 4.4.1 Next hop unavailable; try again later"
LINE_LIMIT = 1 << 18  # longer lines than RFC 5321's 1000 arrive in real mail; refusing them would bounce it
SESSION_TIMEOUT_SECONDS = 300.0
DRAIN_SECONDS = 30.0  # on SIGTERM, how long messages in flight may take to finish
NEXT_HOP_TLS = ("none", "may", "verify")
IO_THREADS = 64


@dataclass(frozen=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def host_port(text: str, what: str) -> HostPort:
    """'host:port' or '[v6]:port'."""
    host, colon, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{what} must be HOST:PORT, not {text!r}")
    return HostPort(host, int(port))


def allowed_networks(setting: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(item.strip(), strict=False)
                     for item in setting.replace(";", ",").split(",") if item.strip())
    except ValueError as exc:
        raise ConfigError(f"INVITEGUARD_RELAY_ALLOWED_CLIENTS: {exc}") from None


def may_relay(peer: Any, networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        address = ipaddress.ip_address(str(peer[0]).split("%")[0])
    except (ValueError, TypeError, IndexError):
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def received_field(session: Session, hostname: str, now: float) -> bytes:
    """The trace field every relay adds (RFC 5321 4.4): who handed the message over, and when. It lets
    the next hop count hops, so a routing loop ends in a bounce instead of going round for ever."""
    helo = "".join(c for c in str(session.host_name or "unknown")[:255] if 32 < ord(c) < 127) or "unknown"
    protocol = "ESMTPS" if session.ssl else "ESMTP"
    return (f"Received: from {helo} ([{session.peer[0]}])\r\n\tby {hostname} (InviteGuard relay) with {protocol};"
            f" {formatdate(now)}\r\n").encode("ascii", "replace")


def reply(code: int, text: bytes | str) -> str:
    """One SMTP reply line from smtplib's (code, text); the first line of a multi-line text."""
    line = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    line = line.splitlines()[0] if line else ""
    return f"{code} {line}".strip()


# ------------------------------------------------------------------ the next hop (blocking; runs on threads)

class NextHop:
    """One SMTP client connection to the next hop, kept for a session's transactions."""

    def __init__(self, address: HostPort, tls: str, timeout: float, local_hostname: str) -> None:
        self.address = address
        self.tls = tls
        self.timeout = timeout
        self.local_hostname = local_hostname
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        smtp = smtplib.SMTP(self.address.host, self.address.port, local_hostname=self.local_hostname,
                            timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.tls != "none" and smtp.has_extn("starttls"):
                context = ssl.create_default_context()
                if self.tls == "may":  # opportunistic, like Postfix's "may": encrypt, do not authenticate
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                smtp.starttls(context=context)
                smtp.ehlo()
            elif self.tls == "verify":
                raise smtplib.SMTPNotSupportedError("the next hop offers no STARTTLS")
        except BaseException:
            smtp.close()
            raise
        self.smtp = smtp

    def mail(self, sender: str, options: list[str]) -> tuple[int, bytes]:
        if self.smtp is None:
            self.open()
        assert self.smtp is not None
        wanted = [o for o in options if (o == "SMTPUTF8" and self.smtp.has_extn("smtputf8"))
                  or (o == "BODY=8BITMIME" and self.smtp.has_extn("8bitmime"))]
        return self.smtp.mail(sender, wanted)

    def rcpt(self, recipient: str) -> tuple[int, bytes]:
        assert self.smtp is not None
        return self.smtp.rcpt(recipient)

    def data(self, message: bytes) -> tuple[int, bytes]:
        assert self.smtp is not None
        return self.smtp.data(message)

    def rset(self) -> None:
        if self.smtp is not None:
            self.smtp.rset()

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


# ------------------------------------------------------------------ the SMTP side (asyncio)

class RelaySMTP(SMTP):
    line_length_limit = LINE_LIMIT

    def connection_lost(self, error: Exception | None) -> None:
        hop = getattr(self.session, "next_hop", None)
        if hop is not None:
            self.session.next_hop = None  # type: ignore[union-attr]
            self.loop.run_in_executor(self.event_handler.io, hop.close)
        super().connection_lost(error)


class RelayHandler:
    """aiosmtpd hooks. `session.next_hop` is the session's next-hop connection; `envelope.hop_failed`
    marks a transaction the next hop can no longer take."""

    def __init__(self, stamper: Stamper, new_hop: Callable[[], NextHop], networks: tuple[Any, ...],
                 metrics: MailflowMetrics, io: ThreadPoolExecutor, hostname: str) -> None:
        self.stamper = stamper
        self.hostname = hostname
        self.new_hop = new_hop
        self.networks = networks
        self.metrics = metrics
        self.io = io
        self.in_flight = 0

    async def _on_hop(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.io, call, *args)

    async def _drop_hop(self, session: Session) -> None:
        hop = getattr(session, "next_hop", None)
        session.next_hop = None  # type: ignore[attr-defined]
        if hop is not None:
            await self._on_hop(hop.close)

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        if not may_relay(session.peer, self.networks):
            log.warning("refused to relay for %s: not in INVITEGUARD_RELAY_ALLOWED_CLIENTS", session.peer[0])
            self.metrics.relayed.labels("rejected").inc()
            return "554 5.7.1 Relay access denied"
        for attempt in (1, 2):  # a kept connection the next hop has since closed gets one fresh try
            hop = getattr(session, "next_hop", None) or self.new_hop()
            session.next_hop = hop  # type: ignore[attr-defined]
            try:
                code, text = await self._on_hop(hop.mail, address, mail_options)
                break
            except (OSError, smtplib.SMTPException) as exc:
                await self._drop_hop(session)
                if attempt == 2 or isinstance(exc, smtplib.SMTPNotSupportedError):
                    log.warning("next hop %s unavailable: %s", hop.address, log_safe(str(exc)))
                    self.metrics.relayed.labels("deferred").inc()
                    return NEXT_HOP_DOWN
        if 200 <= code < 300:
            envelope.mail_from = address
            envelope.mail_options.extend(mail_options)
        return reply(code, text)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        hop = getattr(session, "next_hop", None)
        if hop is None or getattr(envelope, "hop_failed", False):
            return NEXT_HOP_DOWN
        try:
            code, text = await self._on_hop(hop.rcpt, address)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("next hop %s failed during RCPT: %s", hop.address, log_safe(str(exc)))
            envelope.hop_failed = True  # type: ignore[attr-defined]
            await self._drop_hop(session)
            return NEXT_HOP_DOWN
        if 200 <= code < 300:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return reply(code, text)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        hop = getattr(session, "next_hop", None)
        if hop is None or getattr(envelope, "hop_failed", False):
            self.metrics.relayed.labels("deferred").inc()
            return NEXT_HOP_DOWN
        self.in_flight += 1
        started = time.perf_counter()
        try:
            try:
                stamped = await self._on_hop(self.stamper.stamp, envelope.original_content or b"")
            except Exception:
                await self._drop_hop(session)  # its transaction is half done; the next one starts afresh
                raise
            try:
                trace = received_field(session, self.hostname, time.time())
                code, text = await self._on_hop(hop.data, trace + stamped.raw)
            except smtplib.SMTPResponseException as exc:  # the next hop refused DATA itself: its answer stands
                code, text = exc.smtp_code, exc.smtp_error
            except (OSError, smtplib.SMTPException) as exc:
                log.warning("next hop %s failed during DATA: %s", hop.address, log_safe(str(exc)))
                await self._drop_hop(session)
                self.metrics.relayed.labels("deferred").inc()
                return NEXT_HOP_DOWN
        finally:
            self.in_flight -= 1
        outcome = "accepted" if 200 <= code < 300 else "deferred" if 400 <= code < 500 else "rejected"
        self.metrics.relayed.labels(outcome).inc()
        log.info("message %s from %s: stamped %s%s, %d recipients, next hop answered %d (%.0f ms)",
                 log_safe(stamped.message_id), session.peer[0], stamped.outcome.verdict,
                 f" ({stamped.outcome.unchecked_because})" if stamped.outcome.unchecked_because else "",
                 len(envelope.rcpt_tos), code, (time.perf_counter() - started) * 1000)
        return reply(code, text)

    async def handle_RSET(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        hop = getattr(session, "next_hop", None)
        if hop is not None:
            try:
                await self._on_hop(hop.rset)
            except (OSError, smtplib.SMTPException):
                await self._drop_hop(session)
        return "250 OK"

    async def handle_exception(self, error: Exception) -> str:
        """aiosmtpd answers 500 for an error of ours, and a sender bounces mail on a 5xx: never let it."""
        log.error("relay error, the sender is told to retry: %s", log_safe(repr(error)))
        self.metrics.relayed.labels("deferred").inc()
        return "451 4.3.0 Temporary relay failure; try again later"

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await self._drop_hop(session)
        return "221 Bye"


# ------------------------------------------------------------------ running it

def tls_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.relay_tls_cert and not settings.relay_tls_key:
        return None
    if not (settings.relay_tls_cert and settings.relay_tls_key):
        raise ConfigError("INVITEGUARD_RELAY_TLS_CERT and INVITEGUARD_RELAY_TLS_KEY go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.relay_tls_cert, settings.relay_tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"INVITEGUARD_RELAY_TLS_CERT/KEY cannot be used: {exc}") from None
    return context


@dataclass
class Relay:
    """The relay's parts, built from the settings; `serve` runs it on a loop."""

    handler: RelayHandler
    settings: Settings
    hostname: str
    tls: ssl.SSLContext | None

    def protocol(self, loop: asyncio.AbstractEventLoop) -> RelaySMTP:
        return RelaySMTP(self.handler, data_size_limit=self.settings.relay_max_message_bytes or None,
                         enable_SMTPUTF8=True, hostname=self.hostname, tls_context=self.tls,
                         require_starttls=self.settings.relay_require_starttls,
                         timeout=SESSION_TIMEOUT_SECONDS, loop=loop)

    async def serve(self, listen: HostPort, stopping: asyncio.Event,
                    ready: Callable[[list[socket.socket]], None] | None = None) -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: self.protocol(loop), listen.host, listen.port)
        if ready is not None:
            ready(list(server.sockets))
        await stopping.wait()
        server.close()
        deadline = time.monotonic() + DRAIN_SECONDS
        while self.handler.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


def build_relay(stamper: Stamper, settings: Settings, next_hop: HostPort, metrics: MailflowMetrics) -> Relay:
    if settings.relay_next_hop_tls not in NEXT_HOP_TLS:
        raise ConfigError(f"INVITEGUARD_RELAY_NEXT_HOP_TLS must be one of {', '.join(NEXT_HOP_TLS)}")
    tls = tls_context(settings)
    if settings.relay_require_starttls and tls is None:
        raise ConfigError("INVITEGUARD_RELAY_REQUIRE_STARTTLS needs INVITEGUARD_RELAY_TLS_CERT and _KEY")
    hostname = settings.relay_hostname or socket.getfqdn()
    io = ThreadPoolExecutor(max_workers=IO_THREADS, thread_name_prefix="inviteguard-relay")
    handler = RelayHandler(
        stamper,
        lambda: NextHop(next_hop, settings.relay_next_hop_tls, settings.relay_next_hop_timeout_seconds, hostname),
        allowed_networks(settings.relay_allowed_clients), metrics, io, hostname)
    return Relay(handler, settings, hostname, tls)


def run_relay(relay: Relay, listen: HostPort, next_hop: HostPort) -> int:
    """Serves until SIGTERM/SIGINT, then lets messages in flight finish."""

    async def main() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)

        def announce(sockets: list[socket.socket]) -> None:
            log.info("relay listening on %s, passing mail to %s (banner %s, TLS %s)",
                     ", ".join(str(s.getsockname()[:2]) for s in sockets), next_hop,
                     "on" if relay.settings.mailflow_banner else "off", "offered" if relay.tls else "not offered")

        await relay.serve(listen, stopping, announce)

    asyncio.run(main())
    relay.handler.io.shutdown(wait=False, cancel_futures=True)
    relay.handler.stamper.checker.close()
    log.info("relay stopped")
    return 0
