"""Verdict cache: one judgement per campaign, not per copy.

The key is a hash of the campaign fingerprint (what the attacker wrote and who sent it, never
per-recipient headers), the rules version and the banner-text version, so 5,000 list copies of
one invite cost one analysis, and a rules or text change is never answered from stale entries.
The cache holds the Verdict, not the rendered banner: rendering per locale is cheap and keeps
one entry per campaign whatever language readers use.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import redis

from ..detect.model import Reason, Verdict
from ..runtime.redis_conn import RedisGate

KEY_PREFIX = "ig:verdict:v1:"


def cache_key(fingerprint: str, rules_version: str, texts_version: str, feedback_tag: str = "") -> str:
    # feedback_tag (reports.Standing.cache_tag) is "" until colleagues' reports change verdicts,
    # so keys stay the same for deployments nobody reports from.
    parts = (fingerprint, rules_version, texts_version) + ((feedback_tag,) if feedback_tag else ())
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return KEY_PREFIX + digest[:40]


def verdict_to_json(verdict: Verdict) -> str:
    return json.dumps({
        "level": verdict.level, "score": verdict.score, "rules_version": verdict.rules_version,
        "reasons": [{"id": r.id, "weight": r.weight, "group": r.group,
                     "evidence": {k: list(v) if isinstance(v, tuple) else v for k, v in r.evidence.items()}}
                    for r in verdict.reasons],
    }, ensure_ascii=False, separators=(",", ":"))


def _evidence_value(value: Any) -> Any:
    # JSON has no tuples; evidence tuples are tuples of str.
    return tuple(value) if isinstance(value, list) else value


def verdict_from_json(blob: bytes | str) -> Verdict:
    data = json.loads(blob)
    reasons = tuple(Reason(r["id"], float(r["weight"]),
                           {k: _evidence_value(v) for k, v in r["evidence"].items()}, r.get("group", ""))
                    for r in data["reasons"])
    return Verdict(data["level"], int(data["score"]), reasons, data["rules_version"])


class VerdictCache:
    def __init__(self, gate: RedisGate, ttl_seconds: int) -> None:
        self.gate = gate
        self.ttl_seconds = ttl_seconds

    def get(self, key: str) -> Verdict | None:
        """The cached verdict or None; RedisError when Redis cannot answer (caller degrades)."""
        try:
            blob = self.gate.client().get(key)
        except redis.RedisError:
            self.gate.failed()
            raise
        if blob is None:
            return None
        try:
            return verdict_from_json(blob)
        except (ValueError, KeyError, TypeError):
            return None  # an entry from an incompatible build: judge again and overwrite it

    def put(self, key: str, verdict: Verdict) -> None:
        try:
            self.gate.client().set(key, verdict_to_json(verdict), ex=max(1, self.ttl_seconds))
        except redis.RedisError:
            self.gate.failed()
            raise
