"""A whole message in, the stamped message out: the part the relay and the milter share.

1. Every inbound X-InviteGuard-* field is removed (anyone can write them).
2. With the banner on, a banner an earlier pass put in the bodies is removed (bodies.py).
3. The rest is analysed (analysis.Checker: the service's analyzer and cache, never raising).
4. With the banner on and a phishing/suspicious verdict, the banner is prepended to the bodies.
5. The stamp fields are prepended, signed (stamp.py).
Whatever fails, the message goes on: at worst unchanged but for an `unchecked` stamp.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..runtime.config import Settings
from ..web.api import Services, log_safe
from .analysis import Checker, Outcome
from .bodies import add_banner, banner_key, parse, strip_banners, to_bytes
from .metrics import MailflowMetrics
from .records import StampRecords
from .stamp import (
    UNCHECKED,
    check_secret,
    header_fields,
    header_lines,
    message_id_of,
    newline_of,
    split_head,
    stamp_for,
    without_stamp_fields,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stamped:
    raw: bytes  # the message to pass on
    outcome: Outcome
    fields: list[tuple[str, str]] = field(default_factory=list)  # the stamp, in the order prepended
    removed: int = 0  # inbound X-InviteGuard-* fields removed
    bannered: bool = False
    message_id: str = ""


class Stamper:
    def __init__(self, checker: Checker, secret: str, banner: bool, clock: Callable[[], float] = time.time) -> None:
        self.checker = checker
        self.secret = secret
        self.banner = banner
        self.key = banner_key(secret)
        self.clock = clock

    def stamp(self, raw: bytes, oversize: bool = False) -> Stamped:
        """`oversize`: the caller kept only part of the message (the milter past the size limit)."""
        head, rest = split_head(raw)
        head, removed = without_stamp_fields(head)
        cleaned = head + rest
        try:
            if oversize:
                body, outcome, bannered = cleaned, self.checker.oversize(), False
            else:
                body, outcome, bannered = self._judged_body(cleaned)
        except Exception:
            log.exception("stamping failed; the message goes on unchanged and unchecked")
            body, outcome, bannered = cleaned, Outcome(UNCHECKED, unchecked_because="error"), False
        head, rest = split_head(body)
        judged = outcome.judgement
        message_id = message_id_of(head)
        stamp = stamp_for(outcome.verdict, judged.verdict.score if judged else None,
                          (r.id for r in judged.verdict.reasons) if judged else (),
                          judged.fingerprint if judged else "", message_id, int(self.clock()))
        fields = header_fields(stamp, self.secret)
        if removed:
            self.checker.metrics.forged.inc(removed)
            log.info("removed %d inbound X-InviteGuard-* fields from %s", removed, log_safe(message_id))
        if bannered:
            self.checker.metrics.bannered.inc()
        return Stamped(header_lines(fields, newline_of(head)) + head + rest, outcome, fields, removed, bannered,
                       message_id)

    def _judged_body(self, cleaned: bytes) -> tuple[bytes, Outcome, bool]:
        message = None
        if self.banner and len(cleaned) <= self.checker.settings.mailflow_max_analyze_bytes:
            message = parse(cleaned)
            if strip_banners(message, self.key):
                cleaned = to_bytes(message)
        outcome = self.checker.check(cleaned)
        if outcome.banner is not None and message is not None and add_banner(message, outcome.banner, self.key):
            return to_bytes(message), outcome, True
        return cleaned, outcome, False


def stamper_from(svc: Services, settings: Settings) -> Stamper:
    """The stamper of a relay or milter process, on the service's analyzer, cache and metrics registry.
    ValueError (naming the setting) without a usable INVITEGUARD_STAMP_SECRET."""
    secret = check_secret(settings.stamp_secret)
    metrics = MailflowMetrics(svc.metrics.registry)
    # The service's analyzer is already warm: create_app loads and compiles its rules (detect.engine).
    checker = Checker(svc, settings, metrics, StampRecords(svc.gate, settings.stamp_max_age_days))
    return Stamper(checker, secret, settings.mailflow_banner)
