"""Two caches: the verdict per campaign, and the whole answer per exact copy.

VerdictCache: the key is a hash of exactly what the verdict depends on (detect's verdict key:
never per-recipient headers), the rules version, the banner-text version and the campaign's report
standing, so 5,000 list copies of one invite cost one analysis, and a change of any of them is
never answered from stale entries. It holds the Verdict, rendered per locale on each answer.

AnswerCache: the hot path. A copy already answered (detect's exact-copy key: its raw bytes without
the trace fields servers add per recipient) gets the rendered JSON it got before, found before any
parsing in one pipelined Redis round trip that also reads every version the answer was rendered
under (rules, texts, organisation settings, the deployment's settings, the report-standing
generation). An answer is served only when all of them still match, so a change anywhere reaches
the next open; otherwise the request takes the full path and stores its answer again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import redis
from redis.cluster import RedisCluster

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


ANSWER_PREFIX = "ig:answer:v1:"


@dataclass(frozen=True)
class Answer:
    level: str  # the verdict's level, for the metrics
    body: bytes  # the JSON answer, rendered with "cached": true


@dataclass(frozen=True)
class AnswerLookup:
    key: str  # where this copy's answer for this request's locale wishes is kept
    fence: str  # the versions an answer must have been rendered under to be served now
    answer: Answer | None  # the stored answer, when it was rendered under exactly `fence`


def _fence(versions: Sequence[str | bytes | None]) -> str:
    parts = [v.decode("utf-8", "replace") if isinstance(v, bytes) else "" if v is None else v for v in versions]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


class Rider(Protocol):
    """Commands that ride in a lookup's round trip (the caller's rate-limit counters)."""

    def queue(self, pipe: Any) -> int:
        """Adds commands to `pipe`; returns how many replies they take."""

    def settle(self, replies: Sequence[Any]) -> None:
        """Their replies; may raise to refuse the request."""


class AnswerCache:
    """Rendered answers per exact copy and locale wishes, fenced by the versions they depend on."""

    def __init__(self, gate: RedisGate, ttl_seconds: int, version_keys: Sequence[str]) -> None:
        # version_keys: the Redis keys whose values change whenever an answer would (texts,
        # organisation settings, report standing); read in the same round trip as the answer.
        self.gate = gate
        self.ttl_seconds = ttl_seconds
        self.version_keys = tuple(version_keys)

    def lookup(self, copy_key: str, wishes: Sequence[str], process_versions: Sequence[str],
               rider: Rider | None = None) -> AnswerLookup:
        """One round trip; RedisError when Redis cannot answer (the caller takes the full path).
        `process_versions`: what this process answers by (rules, settings), fenced too. `rider`'s
        commands go first in the same round trip; it settles before any answer is returned."""
        key = ANSWER_PREFIX + hashlib.sha256("\x1f".join((copy_key, *wishes)).encode(
            "utf-8", "surrogatepass")).hexdigest()[:40]
        try:
            client = self.gate.client()
            one_command = not isinstance(client, RedisCluster)
            pipe = client.pipeline(transaction=False)
            riding = rider.queue(pipe) if rider is not None else 0
            queue_reads(pipe, (key, *self.version_keys), one_command)
            replies = pipe.execute()
        except redis.RedisError:
            self.gate.failed()
            raise
        if rider is not None:
            rider.settle(replies[:riding])
        stored, *versions = read_replies(replies[riding:], one_command)
        fence = _fence([*process_versions, *versions])
        return AnswerLookup(key, fence, _answer(stored, fence))

    def store(self, lookup: AnswerLookup, level: str, body: bytes) -> None:
        try:
            self.gate.client().set(lookup.key, b"%s %s %s" % (lookup.fence.encode(), level.encode(), body),
                                   ex=max(1, self.ttl_seconds))
        except redis.RedisError:
            self.gate.failed()
            raise


def queue_reads(pipe: Any, keys: Sequence[str], one_command: bool) -> None:
    """GETs of `keys` in `pipe`: one MGET when they may live on one server (a reply to parse rather
    than one per key, about 40 us of a cached answer's CPU); a GET each on a Cluster, where the
    keys hash to different slots and an MGET across them is refused."""
    if one_command:
        pipe.execute_command("MGET", *keys)
    else:
        for key in keys:
            pipe.get(key)


def read_replies(replies: Sequence[Any], one_command: bool) -> list[Any]:
    """The values queue_reads asked for, in the order of its keys."""
    return list(replies[0]) if one_command else list(replies)


def _answer(stored: bytes | None, fence: str) -> Answer | None:
    if stored is None:
        return None
    stored_fence, _, rest = stored.partition(b" ")
    level, _, body = rest.partition(b" ")
    if stored_fence != fence.encode() or not body:
        return None  # rendered under other versions (or by another build): answer afresh
    return Answer(level.decode(), body)
