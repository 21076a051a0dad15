"""The verdict behind each stamp, kept so POST /api/v1/stamp can render its reasons without the message.

A stamp carries only the verdict, score, reason ids and fingerprint; the reasons' words need their
evidence (the number to call, the amount, the brand). So when mail flow stamps a verdict, the whole
Verdict is stored under a key derived from exactly the signed values (not the Message-ID), so the
5,000 copies of one campaign share one record. It lives INVITEGUARD_STAMP_MAX_AGE_DAYS plus a day,
so it outlives every stamp that can still be trusted. Redis down: nothing is stored, and such stamps
answer 409 (the client then analyses the message as if it had no stamp).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable

from ..detect.model import Verdict
from ..runtime.redis_conn import RedisGate
from ..web.cache import VerdictCache

KEY_PREFIX = "ig:stamp:v1:"
REWRITE_SECONDS = 300.0  # a process writes one campaign's record at most this often
MEMO_LIMIT = 10_000
DAY = 86400.0


def record_key(verdict: str, score: str, reasons: Iterable[str], fingerprint: str) -> str:
    signed = "\n".join((verdict, score, ",".join(reasons), fingerprint))
    return KEY_PREFIX + hashlib.sha256(signed.encode("utf-8")).hexdigest()[:40]


def key_of(verdict: Verdict, fingerprint: str) -> str:
    return record_key(verdict.level, str(verdict.score), (r.id for r in verdict.reasons), fingerprint)


class StampRecords:
    """Stored like the verdict cache's entries (the same store, its own keys and lifetime)."""

    def __init__(self, gate: RedisGate, max_age_days: float) -> None:
        self.store = VerdictCache(gate, max(1, int(max_age_days * DAY + DAY)))
        self._written: dict[str, float] = {}
        self._lock = threading.Lock()

    def remember(self, verdict: Verdict, fingerprint: str) -> None:
        """Store the verdict of a stamp (RedisError when Redis cannot; the caller stamps unchecked)."""
        key = key_of(verdict, fingerprint)
        now = time.monotonic()
        with self._lock:
            if now - self._written.get(key, -REWRITE_SECONDS) < REWRITE_SECONDS:
                return
        self.store.put(key, verdict)
        with self._lock:
            if len(self._written) >= MEMO_LIMIT:
                self._written.clear()
            self._written[key] = now

    def recall(self, key: str) -> Verdict | None:
        """The stored verdict, None when there is none; RedisError when Redis cannot answer."""
        return self.store.get(key)
