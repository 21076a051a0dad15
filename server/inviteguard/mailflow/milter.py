"""`inviteguard milter`: the same stamp (and optional banner) from inside Postfix or Sendmail.

Built on pymilter and Debian's libmilter rather than the protocol written anew in Python:
libmilter is Sendmail's own implementation of the milter protocol, the one Postfix's is made to
interoperate with, and it already does option negotiation, macros, per-connection threads and
timeouts; pymilter is its long-kept Python binding (Debian ships it, as do dkimpy-milter and
spf-engine that build on it).

At the end of each message the milter removes every inbound X-InviteGuard-* field (deleted from the
last occurrence up, so the indexes stay right), inserts the stamp at the top, and, with the banner
on, replaces the body (and the top-level Content-Type/Content-Transfer-Encoding when they changed).
It fails open: on any error of its own it accepts the message unchanged, and the MTA must be told
to do the same when the milter is down or slow (`milter_default_action = accept` in Postfix).
"""

from __future__ import annotations

import logging
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import ClassVar

import Milter

from .stamp import PREFIX, split_head
from .stamping import Stamped, Stamper

log = logging.getLogger(__name__)

NAME = "inviteguard"
BODY_CHUNK = 65536
TOP_LEVEL_FIELDS = ("MIME-Version", "Content-Type", "Content-Transfer-Encoding")


def _crlf(value: bytes) -> bytes:
    return value.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _top_level(head: bytes) -> dict[str, str | None]:
    parsed = BytesHeaderParser(policy=compat32).parsebytes(head)
    return {name: parsed.get(name) for name in TOP_LEVEL_FIELDS}


@Milter.header_leading_space
class StampMilter(Milter.Base):
    """One per SMTP connection (libmilter runs each on its own thread)."""

    stamper: ClassVar[Stamper]

    def __init__(self) -> None:
        self._start()

    def _start(self) -> None:
        self.fields: list[tuple[str, bytes]] = []
        self.body_chunks: list[bytes] = []
        self.size = 0
        self.oversize = False

    def _keep(self, data: bytes) -> bool:
        self.size += len(data)
        if self.size > self.stamper.checker.settings.mailflow_max_analyze_bytes:
            self.oversize = True
            self.body_chunks = []
        return not self.oversize

    def envfrom(self, sender: str, *params: str) -> int:
        self._start()
        return Milter.CONTINUE

    @Milter.noreply
    @Milter.decode("bytes")
    def header(self, name: str, value: bytes) -> int:
        self.fields.append((name, value))
        self.size += len(name) + len(value) + 3
        return Milter.CONTINUE

    @Milter.noreply
    def body(self, chunk: bytes) -> int:
        if self._keep(chunk):
            self.body_chunks.append(chunk)
        return Milter.CONTINUE

    def eom(self) -> int:
        try:
            raw = self._message()
            self._apply(raw, self.stamper.stamp(raw, oversize=self.oversize))
        except Exception:
            log.exception("the milter failed; the message is accepted unchanged")
        self._start()
        return Milter.ACCEPT

    def abort(self) -> int:
        self._start()
        return Milter.CONTINUE

    def _head(self) -> bytes:
        return b"".join(name.encode("ascii", "surrogateescape") + b":" + _crlf(value) + b"\r\n"
                        for name, value in self.fields)

    def _message(self) -> bytes:
        return self._head() + b"\r\n" + b"".join(self.body_chunks)

    def _apply(self, raw: bytes, stamped: Stamped) -> None:
        occurrences: dict[str, list[str]] = {}
        for name, _ in self.fields:
            if name.lower().encode("ascii", "replace").startswith(PREFIX):
                occurrences.setdefault(name.lower(), []).append(name)
        for names in occurrences.values():
            for index in range(len(names), 0, -1):
                self.chgheader(names[0], index, None)
        for index, (name, value) in enumerate(stamped.fields):
            self.addheader(name, value, index)
        if self.oversize:
            return
        old_head, old_rest = split_head(raw)
        new_head, new_rest = split_head(stamped.raw)
        if new_rest == old_rest:
            return
        old_top, new_top = _top_level(old_head), _top_level(new_head)
        for name in TOP_LEVEL_FIELDS:
            if new_top[name] != old_top[name] and new_top[name] is not None:
                if old_top[name] is None:
                    self.addheader(name, new_top[name])
                else:
                    self.chgheader(name, 1, new_top[name])
        body = new_rest[2:] if new_rest.startswith(b"\r\n") else new_rest[1:]
        for start in range(0, len(body), BODY_CHUNK):
            self.replacebody(body[start:start + BODY_CHUNK])


def run_milter(stamper: Stamper, listen: str, timeout: int) -> int:
    """Serves on `listen` (libmilter's inet:PORT@HOST, inet6:..., unix:/path) until SIGTERM/SIGINT."""
    StampMilter.stamper = stamper
    Milter.factory = StampMilter
    Milter.set_flags(Milter.ADDHDRS | Milter.CHGHDRS | Milter.CHGBODY)
    log.info("milter %s listening on %s (banner %s); configure the MTA with milter_default_action = accept",
             NAME, listen, "on" if stamper.banner else "off")
    Milter.runmilter(NAME, listen, timeout)
    stamper.checker.close()
    log.info("milter stopped")
    return 0
