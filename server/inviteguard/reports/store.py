"""One-click reports in Redis: durable before the 202, deduplicated, and fed back into verdicts.

A report is one entry of a Redis Stream (what the reader said, the verdict they saw, when) plus
the original message bytes under their own key, written together by one Lua script, so a 202 is
never given for half a report. The same script counts the campaign's reports and distinct
reporters, and each phone number's distinct reporters: a number joins the reputation set once as
many people reported it as a campaign needs, so one mistaken click flags nobody's mail. Every key carries the hash
tag `{reports}`, so the script and the delivery worker's calls also run on Redis Cluster.

Retention: the bytes and per-report keys expire with it, XADD trims stream entries older than it,
and reported phone numbers age out of the reputation set.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import redis

from ..detect.analyzer import Feedback, callback_numbers
from ..detect.model import ParsedMessage
from ..runtime.redis_conn import RedisGate
from ..web.feedback import Standing

PREFIX = "ig:{reports}:"
STREAM = PREFIX + "stream"
SIMULATION_STREAM = PREFIX + "simulations"
PHONES = PREFIX + "phones"  # sorted set: E.164 -> last reported (ms)
PHONES_GENERATION = PREFIX + "phones:generation"  # bumped whenever the set's members change
DAY_SECONDS = 86_400

DeliveryStateName = Literal["pending", "retrying", "delivered", "failed"]
FINAL_STATES = frozenset({"delivered", "failed"})

# KEYS: 1 dedupe, 2 stream, 3 eml, 4 campaign, 5 reporters, 6 phones, 7 phones generation,
#       8.. each phone's reporters
# ARGV: 1 retention ms, 2 oldest stream id kept, 3 reporter, 4 report JSON, 5 eml ("" none),
#       6 now ms, 7 phones older than this (ms) leave the set, 8 reporters needed,
#       9.. phones (E.164), in the order of their KEYS
SUBMIT_SCRIPT = """
local existing = redis.call('GET', KEYS[1])
if existing then return {existing, 1} end
local ttl = ARGV[1]
local id = redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[2], '*', 'report', ARGV[4])
redis.call('SET', KEYS[1], id, 'PX', ttl)
if ARGV[5] ~= '' then redis.call('SET', KEYS[3], ARGV[5], 'PX', ttl) end
redis.call('HINCRBY', KEYS[4], 'reports', 1)
redis.call('HSETNX', KEYS[4], 'first_report', id)
redis.call('HSET', KEYS[4], 'last_report', id)
redis.call('PEXPIRE', KEYS[4], ttl)
redis.call('SADD', KEYS[5], ARGV[3])
redis.call('PEXPIRE', KEYS[5], ttl)
local changed = redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. ARGV[7])
local needed = tonumber(ARGV[8])
for i = 9, #ARGV do
  local reporters = KEYS[i - 1]
  redis.call('SADD', reporters, ARGV[3])
  redis.call('PEXPIRE', reporters, ttl)
  if needed > 0 and redis.call('SCARD', reporters) >= needed then
    changed = changed + redis.call('ZADD', KEYS[6], ARGV[6], ARGV[i])
  end
end
if changed > 0 then redis.call('INCR', KEYS[7]) end
return {id, 0}
"""
# Deletes a delivery lease only if this consumer still holds it.
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def dedupe_key(digest: str) -> str:
    return f"{PREFIX}dedupe:{digest}"


def eml_key(digest: str) -> str:
    return f"{PREFIX}eml:{digest}"


def campaign_key(fingerprint: str, simulation: bool = False) -> str:
    return f"{PREFIX}{'simulation' if simulation else 'campaign'}:{fingerprint}"


def reporters_key(fingerprint: str, simulation: bool = False) -> str:
    return campaign_key(fingerprint, simulation) + ":reporters"


def phone_reporters_key(e164: str) -> str:
    return f"{PREFIX}phone:{e164}:reporters"


def delivery_key(report_id: str) -> str:
    return f"{PREFIX}delivery:{report_id}"


def lease_key(report_id: str, destination: str) -> str:
    return f"{PREFIX}lease:{report_id}:{destination}"


def idempotency_digest(reporter: str, fingerprint: str) -> str:
    """One report per reporter and campaign: a second click, or the same invite received twice
    through two lists, is the same report, whichever client sent which bytes."""
    return hashlib.sha256(f"{reporter}\x1f{fingerprint}".encode()).hexdigest()[:40]


def stream_id_at(seconds: float) -> str:
    """The smallest stream id at or after a wall-clock time."""
    return f"{max(0, int(seconds * 1000))}-0"


def stream_id_time(report_id: str) -> float:
    return int(report_id.partition("-")[0]) / 1000


@dataclass(frozen=True)
class NewReport:
    """A report as the API hands it over; `verdict` is what the reader was shown."""

    reporter: str
    fingerprint: str
    category: str
    comment: str
    client: Mapping[str, str]
    verdict: Mapping[str, Any]  # {"level", "score", "reasons": [{"id", "title", "detail"}], "rules_version"}
    subject: str
    sender: str
    phones: tuple[str, ...]
    source: str  # "eml" (the original bytes) | "outlook" (rebuilt from headers + body)
    eml: bytes
    simulation: bool = False


@dataclass(frozen=True)
class Receipt:
    report_id: str
    duplicate: bool


@dataclass(frozen=True)
class DeliveryState:
    state: DeliveryStateName
    attempts: int = 0
    last_error: str = ""
    updated_at: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "attempts": self.attempts, "last_error": self.last_error,
                "updated_at": self.updated_at}

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


@dataclass(frozen=True)
class StoredReport:
    id: str
    data: Mapping[str, Any]  # the NewReport fields (without the bytes) + received_at, eml_key
    deliveries: Mapping[str, DeliveryState] = field(default_factory=dict)

    @property
    def received_at(self) -> float:
        return float(self.data.get("received_at") or stream_id_time(self.id))




def report_json(report: NewReport, received_at: float, digest: str) -> str:
    data = {
        "reporter": report.reporter, "fingerprint": report.fingerprint, "category": report.category,
        "comment": report.comment, "client": dict(report.client), "verdict": dict(report.verdict),
        "subject": report.subject, "sender": report.sender, "phones": list(report.phones),
        "source": report.source, "simulation": report.simulation, "received_at": received_at,
        "eml_key": eml_key(digest) if report.eml else "", "eml_bytes": len(report.eml),
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def delivery_state_from(blob: bytes | str) -> DeliveryState | None:
    try:
        data = json.loads(blob)
        return DeliveryState(data["state"], int(data["attempts"]), str(data["last_error"]), float(data["updated_at"]))
    except (ValueError, KeyError, TypeError):
        return None


def _entry(entry_id: bytes | str, fields: Mapping[bytes, bytes] | None) -> StoredReport | None:
    """A stream entry as a report; None when trimmed away (XAUTOCLAIM returns those as empty)."""
    if not fields or b"report" not in fields:
        return None
    report_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return StoredReport(report_id, json.loads(fields[b"report"]))


@contextmanager
def _marking_failures(gate: RedisGate) -> Iterator[None]:
    try:
        yield
    except redis.RedisError:
        gate.failed()
        raise


@dataclass(frozen=True)
class ReportQuery:
    since: float | None = None
    until: float | None = None
    verdict: str | None = None
    status: str | None = None
    before: str | None = None  # a report id: continue the list after it
    limit: int = 100


def overall_status(deliveries: Mapping[str, DeliveryState], destinations: Sequence[str]) -> str:
    """One word for a report across its destinations, worst first."""
    if not destinations:
        return "stored"
    states = [deliveries[d].state if d in deliveries else "pending" for d in destinations]
    for worst in ("failed", "retrying", "pending"):
        if worst in states:
            return worst
    return "delivered"


class ReportStore:
    """Reports in Redis. `gate` is the app's fast one (feedback lookups on every analyze);
    `write_gate` has a timeout long enough to store a large message and to block on reads."""

    def __init__(self, gate: RedisGate, write_gate: RedisGate, retention_days: float, reporters_needed: int) -> None:
        self.gate = gate
        self.write_gate = write_gate
        self.retention_seconds = retention_days * DAY_SECONDS
        self.reporters_needed = reporters_needed

    @property
    def retention_ms(self) -> int:
        return max(1, int(self.retention_seconds * 1000))

    # ---------------------------------------------------------------- intake

    def submit(self, report: NewReport) -> Receipt:
        """Stores the report, or returns the earlier one of this reporter and campaign; raises
        RedisError when it cannot be stored (the API answers 503, never a false 202)."""
        now = time.time()
        digest = idempotency_digest(report.reporter, report.fingerprint)
        stream = SIMULATION_STREAM if report.simulation else STREAM
        phones = () if report.simulation else report.phones
        keys = [dedupe_key(digest), stream, eml_key(digest), campaign_key(report.fingerprint, report.simulation),
                reporters_key(report.fingerprint, report.simulation), PHONES, PHONES_GENERATION,
                *(phone_reporters_key(p) for p in phones)]
        args: list[str | bytes | int] = [
            self.retention_ms, stream_id_at(now - self.retention_seconds), report.reporter,
            report_json(report, now, digest), b"" if report.simulation else report.eml,
            int(now * 1000), int((now - self.retention_seconds) * 1000), self.reporters_needed, *phones]
        with _marking_failures(self.write_gate):
            client = self.write_gate.client()
            report_id, duplicate = client.register_script(SUBMIT_SCRIPT)(keys=keys, args=args)
        return Receipt(report_id.decode(), bool(duplicate))

    # ---------------------------------------------------------------- feedback into verdicts

    def standing(self, fingerprint: str) -> Standing:
        with _marking_failures(self.gate):
            pipe = self.gate.client().pipeline(transaction=False)
            pipe.scard(reporters_key(fingerprint))
            pipe.get(PHONES_GENERATION)
            reporters, generation = pipe.execute()
        return Standing(int(reporters), int(generation or 0), self.reporters_needed)

    def feedback(self, message: ParsedMessage, standing: Standing) -> Feedback:
        """The analyzer's Feedback: the campaign's reporters and which of the message's numbers
        colleagues reported within the retention period."""
        numbers = callback_numbers(message)
        reported: frozenset[str] = frozenset()
        if numbers:
            with _marking_failures(self.gate):
                scores = self.gate.client().zmscore(PHONES, list(numbers))
            oldest_ms = (time.time() - self.retention_seconds) * 1000
            reported = frozenset(n for n, s in zip(numbers, scores, strict=True) if s is not None and s >= oldest_ms)
        return Feedback(standing.campaign_reporters, self.reporters_needed, reported)

    def simulation_reports(self) -> int:
        """Reports of awareness drills within the retention period (kept apart, never delivered)."""
        with _marking_failures(self.write_gate):
            return int(self.write_gate.client().xlen(SIMULATION_STREAM))

    # ---------------------------------------------------------------- triage

    def _with_deliveries(self, client: Any, reports: list[StoredReport]) -> list[StoredReport]:
        pipe = client.pipeline(transaction=False)
        for report in reports:
            pipe.hgetall(delivery_key(report.id))
        found = []
        for report, raw in zip(reports, pipe.execute(), strict=True):
            states = {k.decode(): delivery_state_from(v) for k, v in raw.items()}
            found.append(StoredReport(report.id, report.data, {k: v for k, v in states.items() if v is not None}))
        return found

    def get(self, report_id: str) -> StoredReport | None:
        with _marking_failures(self.write_gate):
            client = self.write_gate.client()
            entries = client.xrange(STREAM, report_id, report_id, count=1)
            report = _entry(*entries[0]) if entries else None
            return self._with_deliveries(client, [report])[0] if report else None

    def eml(self, report: StoredReport) -> bytes | None:
        """The original message, or None once retention deleted it."""
        key = report.data.get("eml_key")
        if not key:
            return None
        with _marking_failures(self.write_gate):
            return self.write_gate.client().get(key)

    def campaign_counts(self, fingerprints: Sequence[str]) -> dict[str, tuple[int, int]]:
        """fingerprint -> (reports, distinct reporters)."""
        with _marking_failures(self.write_gate):
            pipe = self.write_gate.client().pipeline(transaction=False)
            for fingerprint in fingerprints:
                pipe.hget(campaign_key(fingerprint), "reports")
                pipe.scard(reporters_key(fingerprint))
            values = pipe.execute()
        return {fp: (int(values[2 * i] or 0), int(values[2 * i + 1])) for i, fp in enumerate(fingerprints)}

    def list(self, query: ReportQuery, destinations: Sequence[str], scan_limit: int = 10_000) -> list[StoredReport]:
        """Reports newest first that pass the query's filters; reads at most `scan_limit` entries."""
        high = "+" if query.until is None else f"{int(query.until * 1000)}-18446744073709551615"
        if query.before:
            high = "(" + query.before
        low = "-" if query.since is None else stream_id_at(query.since)
        found: list[StoredReport] = []
        scanned = 0
        with _marking_failures(self.write_gate):
            client = self.write_gate.client()
            while len(found) < query.limit and scanned < scan_limit:
                batch = client.xrevrange(STREAM, high, low, count=200)
                if not batch:
                    break
                scanned += len(batch)
                reports = [r for r in (_entry(i, f) for i, f in batch) if r is not None]
                if query.verdict:
                    reports = [r for r in reports if r.data.get("verdict", {}).get("level") == query.verdict]
                reports = self._with_deliveries(client, reports)
                if query.status:
                    reports = [r for r in reports if overall_status(r.deliveries, destinations) == query.status]
                found.extend(reports)
                last = batch[-1][0]
                high = "(" + (last.decode() if isinstance(last, bytes) else last)
        return found[:query.limit]

    # ---------------------------------------------------------------- delivery (the worker's side)

    def ensure_group(self, group: str) -> None:
        """The consumer group of one destination; created at the stream's start so reports
        stored before any worker ran are delivered too."""
        with _marking_failures(self.write_gate):
            try:
                self.write_gate.client().xgroup_create(STREAM, group, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def read_group(self, group: str, consumer: str, pending: bool, count: int,
                   block_ms: int | None = None) -> list[tuple[str, StoredReport | None]]:
        """This consumer's own pending entries (retries, oldest first) or new ones."""
        with _marking_failures(self.write_gate):
            answer = self.write_gate.client().xreadgroup(group, consumer, {STREAM: "0" if pending else ">"},
                                                         count=count, block=None if pending else block_ms)
        entries = answer[0][1] if answer else []
        return [(i.decode(), _entry(i, f)) for i, f in entries]

    def claim_stale(self, group: str, consumer: str, min_idle_ms: int,
                    count: int) -> list[tuple[str, StoredReport | None]]:
        """Takes over entries another (dead) consumer left pending longer than `min_idle_ms`."""
        with _marking_failures(self.write_gate):
            answer = self.write_gate.client().xautoclaim(STREAM, group, consumer, min_idle_ms, "0-0", count=count)
        return [(i.decode(), _entry(i, f)) for i, f in answer[1]]

    def ack(self, group: str, report_id: str) -> None:
        with _marking_failures(self.write_gate):
            self.write_gate.client().xack(STREAM, group, report_id)

    def acquire_lease(self, report_id: str, destination: str, consumer: str, lease_ms: int) -> bool:
        """Set before sending, so two workers that both hold an entry (one took it over from a
        slow one) never send it to the same destination at once."""
        with _marking_failures(self.write_gate):
            return bool(self.write_gate.client().set(lease_key(report_id, destination), consumer, nx=True, px=lease_ms))

    def release_lease(self, report_id: str, destination: str, consumer: str) -> None:
        with _marking_failures(self.write_gate):
            client = self.write_gate.client()
            client.register_script(RELEASE_SCRIPT)(keys=[lease_key(report_id, destination)], args=[consumer])

    def delivery_state(self, report_id: str, destination: str) -> DeliveryState | None:
        with _marking_failures(self.write_gate):
            blob = self.write_gate.client().hget(delivery_key(report_id), destination)
        return delivery_state_from(blob) if blob is not None else None

    def record_delivery(self, report_id: str, destination: str, state: DeliveryState) -> None:
        with _marking_failures(self.write_gate):
            pipe = self.write_gate.client().pipeline(transaction=True)
            pipe.hset(delivery_key(report_id), destination, json.dumps(state.as_json()))
            pipe.pexpire(delivery_key(report_id), self.retention_ms)
            pipe.execute()
