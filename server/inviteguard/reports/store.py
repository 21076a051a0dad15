"""One-click reports in Redis: durable before the 202, deduplicated, and fed back into verdicts.

A report is one entry of a Redis Stream (what the reader said, the verdict they saw, when) plus
the original message bytes, stored once per content hash however many people report them,
written together by one Lua script, so a 202 is never given for half a report. The same script
counts the campaign's reports, its distinct reporters and, apart, its *verified* reporters (a
signed-in identity: self-asserted names never change a verdict), and remembers the numbers the
campaign asks readers to call. The bytes a reporter (and, for self-asserted reporters, a client
address) may store per day are capped; past the cap the report is still stored, with only the
original's header block.

Trust: verified reporters raise a campaign to "suspicious" at most (the analyzer caps it);
"phishing" and the reputation of phone numbers come only from an analyst's decision in triage
(`decide`), which can also clear a campaign so reports no longer raise it. Every key carries the
hash tag `{reports}`, so the scripts and the delivery worker's calls also run on Redis Cluster.

Retention: the bytes and per-report keys expire with it, XADD trims stream entries older than it,
and confirmed phone numbers age out of the reputation set.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import redis

from ..detect.analyzer import Feedback, callback_numbers
from ..detect.model import ParsedMessage
from ..runtime.config import Settings
from ..runtime.organisation import sender_domain_items
from ..runtime.redis_conn import RedisGate
from ..web.feedback import Decision, Standing
from .senders import authenticated_from

log = logging.getLogger(__name__)

PREFIX = "ig:{reports}:"
STREAM = PREFIX + "stream"
SIMULATION_STREAM = PREFIX + "simulations"
PHONES = PREFIX + "phones"  # sorted set: E.164 an analyst confirmed -> when (ms)
PHONES_GENERATION = PREFIX + "phones:generation"  # bumped whenever the set's members change
# Bumped after every write that can change a campaign's standing (a verified report, a decision):
# answers kept for exact copies are fenced by it (web/cache.py), so a change reaches every reader.
STANDING_GENERATION = PREFIX + "standing:generation"
DAY_SECONDS = 86_400
QUOTA_WINDOW_MS = DAY_SECONDS * 1000
HEADERS_ONLY_LIMIT = 64 * 1024  # what is kept of an original past the reporter's daily volume

DeliveryStateName = Literal["pending", "retrying", "delivered", "failed"]
FINAL_STATES = frozenset({"delivered", "failed"})
DECISIONS = ("confirmed", "cleared")

# KEYS: 1 dedupe, 2 stream, 3 eml (full), 4 eml (headers only), 5 campaign, 6 reporters, 7 verified reporters,
#       8 campaign phones, 9 reporter quota, 10 address quota, 11 phones, 12 phones generation,
#       13.. each phone's confirmed campaigns
# ARGV: 1 retention ms, 2 oldest stream id kept, 3 reporter key, 4 report JSON, 5 eml ("" none),
#       6 eml headers only, 7 verified ("1" or ""), 8 reporter quota bytes, 9 address quota bytes ("": none),
#       10 quota window ms, 11 now ms, 12 fingerprint, 13.. phones (E.164), in the order of their KEYS
# Returns {report id, duplicate (0/1), original kept whole (0/1)}.
SUBMIT_SCRIPT = """
local existing = redis.call('GET', KEYS[1])
if existing then return {existing, 1, 1} end
local ttl = ARGV[1]
local eml, eml_key, whole = ARGV[5], KEYS[3], 1
local function over(key, limit, size)
  if limit == '' then return false end
  return tonumber(redis.call('GET', key) or '0') + size > tonumber(limit)
end
local function count(key, limit, size)
  if limit == '' then return end
  if redis.call('EXISTS', key) == 0 then redis.call('SET', key, 0, 'PX', ARGV[10]) end
  redis.call('INCRBY', key, size)
end
if eml ~= '' then
  if redis.call('EXISTS', eml_key) == 1 then
    redis.call('PEXPIRE', eml_key, ttl)
  else
    if over(KEYS[9], ARGV[8], #eml) or over(KEYS[10], ARGV[9], #eml) then
      eml, eml_key, whole = ARGV[6], KEYS[4], 0
    end
    count(KEYS[9], ARGV[8], #eml)
    count(KEYS[10], ARGV[9], #eml)
    redis.call('SET', eml_key, eml, 'PX', ttl)
  end
else
  eml_key = ''
end
local id = redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[2], '*', 'report', ARGV[4], 'eml', eml_key,
                      'whole', whole)
redis.call('SET', KEYS[1], id, 'PX', ttl)
redis.call('HINCRBY', KEYS[5], 'reports', 1)
redis.call('HSETNX', KEYS[5], 'first_report', id)
redis.call('HSET', KEYS[5], 'last_report', id)
redis.call('PEXPIRE', KEYS[5], ttl)
redis.call('SADD', KEYS[6], ARGV[3])
redis.call('PEXPIRE', KEYS[6], ttl)
if ARGV[7] == '1' then
  redis.call('SADD', KEYS[7], ARGV[3])
  redis.call('PEXPIRE', KEYS[7], ttl)
end
local confirmed = redis.call('HGET', KEYS[5], 'decision') == 'confirmed'
local changed = 0
for i = 13, #ARGV do
  redis.call('SADD', KEYS[8], ARGV[i])
  if confirmed then
    redis.call('SADD', KEYS[i], ARGV[12])
    redis.call('PEXPIRE', KEYS[i], ttl)
    changed = changed + redis.call('ZADD', KEYS[11], ARGV[11], ARGV[i])
  end
end
redis.call('PEXPIRE', KEYS[8], ttl)
if changed > 0 then redis.call('INCR', KEYS[12]) end
return {id, 0, whole}
"""
# An analyst's decision on a campaign. "confirmed" puts its numbers into the reputation set,
# "cleared" takes out those no other confirmed campaign has.
# KEYS: 1 campaign, 2 phones, 3 phones generation, 4.. each phone's confirmed campaigns
# ARGV: 1 decision, 2 analyst, 3 now ms, 4 fingerprint, 5 retention ms, 6 phones older than this leave (ms),
#       7.. phones, in the order of their KEYS
DECIDE_SCRIPT = """
redis.call('HSET', KEYS[1], 'decision', ARGV[1], 'decided_by', ARGV[2], 'decided_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local changed = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[6])
for i = 7, #ARGV do
  local campaigns = KEYS[i - 3]
  if ARGV[1] == 'confirmed' then
    redis.call('SADD', campaigns, ARGV[4])
    redis.call('PEXPIRE', campaigns, ARGV[5])
    changed = changed + redis.call('ZADD', KEYS[2], ARGV[3], ARGV[i])
  else
    redis.call('SREM', campaigns, ARGV[4])
    if redis.call('SCARD', campaigns) == 0 then changed = changed + redis.call('ZREM', KEYS[2], ARGV[i]) end
  end
end
if changed > 0 then redis.call('INCR', KEYS[3]) end
return changed
"""
# Deletes a delivery lease only if this consumer still holds it.
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def dedupe_key(digest: str) -> str:
    return f"{PREFIX}dedupe:{digest}"


def eml_key(content: bytes) -> str:
    return f"{PREFIX}eml:{hashlib.sha256(content).hexdigest()}"


def campaign_key(fingerprint: str, simulation: bool = False) -> str:
    return f"{PREFIX}{'simulation' if simulation else 'campaign'}:{fingerprint}"


def reporters_key(fingerprint: str, simulation: bool = False) -> str:
    return campaign_key(fingerprint, simulation) + ":reporters"


def verified_reporters_key(fingerprint: str) -> str:
    return campaign_key(fingerprint) + ":verified"


def campaign_phones_key(fingerprint: str) -> str:
    return campaign_key(fingerprint) + ":phones"


def phone_campaigns_key(e164: str) -> str:
    return f"{PREFIX}phone:{e164}:confirmed"


def quota_key(kind: str, who: str) -> str:
    return f"{PREFIX}quota:{kind}:{hashlib.sha256(who.encode('utf-8')).hexdigest()[:32]}"


def delivery_key(report_id: str) -> str:
    return f"{PREFIX}delivery:{report_id}"


def lease_key(report_id: str, destination: str) -> str:
    return f"{PREFIX}lease:{report_id}:{destination}"


def retry_key(group: str) -> str:
    return f"{PREFIX}retry:{group}"


def reporter_key(reporter: str, verified: bool, client_address: str) -> str:
    """Whom a report counts as. A verified identity is itself; a self-asserted name is only
    that name from that address, so nobody can pre-empt (or stand in for) a colleague's report."""
    return f"verified:{reporter}" if verified else f"claimed:{client_address}:{reporter}"


def idempotency_digest(reporter: str, fingerprint: str) -> str:
    """One report per reporter and campaign: a second click, or the same invite received twice
    through two lists, is the same report, whichever client sent which bytes."""
    return hashlib.sha256(f"{reporter}\x1f{fingerprint}".encode()).hexdigest()[:40]


def headers_only(eml: bytes) -> bytes:
    """The original's header block (what the SOC needs to find the sender), bounded."""
    for end in (b"\r\n\r\n", b"\n\n"):
        cut = eml.find(end, 0, HEADERS_ONLY_LIMIT)
        if cut >= 0:
            return eml[:cut + len(end)]
    return eml[:HEADERS_ONLY_LIMIT]


def stream_id_at(seconds: float) -> str:
    """The smallest stream id at or after a wall-clock time."""
    return f"{max(0, int(seconds * 1000))}-0"


def stream_id_time(report_id: str) -> float:
    return int(report_id.partition("-")[0]) / 1000


@dataclass(frozen=True)
class NewReport:
    """A report as the API hands it over; `verdict` is what the reader was shown. `reporter` is a
    verified identity's address when `reporter_verified`, else whatever the request claimed."""

    reporter: str
    reporter_verified: bool
    client_address: str
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
    truncated: bool = False  # the client sent headers and body because the message was too large
    simulation: bool = False


@dataclass(frozen=True)
class Receipt:
    report_id: str
    duplicate: bool
    original_kept: bool = True  # False: past the daily volume, only the header block was kept


@dataclass(frozen=True)
class DeliveryState:
    state: DeliveryStateName
    attempts: int = 0
    last_error: str = ""
    updated_at: float = 0.0
    failures: int = 0  # attempts that failed for this report (not counting a destination that was down)
    retry_at: float = 0.0  # when this report is tried again on its own (0: with its destination)

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "attempts": self.attempts, "last_error": self.last_error,
                "updated_at": self.updated_at, "failures": self.failures, "retry_at": self.retry_at}

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


@dataclass(frozen=True)
class CampaignStanding:
    """A campaign as triage shows it."""

    reports: int
    reporters: int
    verified_reporters: int
    decision: str
    decided_by: str
    decided_at: float

    def as_json(self) -> dict[str, Any]:
        return {"reports_total": self.reports, "reporters_total": self.reporters,
                "verified_reporters": self.verified_reporters, "decision": self.decision,
                "decided_by": self.decided_by, "decided_at": self.decided_at}


def report_json(report: NewReport, received_at: float) -> str:
    data = {
        "reporter": report.reporter, "reporter_verified": report.reporter_verified,
        "client_address": report.client_address, "fingerprint": report.fingerprint, "category": report.category,
        "comment": report.comment, "client": dict(report.client), "verdict": dict(report.verdict),
        "subject": report.subject, "sender": report.sender, "phones": list(report.phones),
        "source": report.source, "truncated": report.truncated, "simulation": report.simulation,
        "received_at": received_at, "eml_bytes": len(report.eml),
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def delivery_state_from(blob: bytes | str) -> DeliveryState | None:
    try:
        data = json.loads(blob)
        return DeliveryState(data["state"], int(data["attempts"]), str(data["last_error"]), float(data["updated_at"]),
                             int(data.get("failures", 0)), float(data.get("retry_at", 0.0)))
    except (ValueError, KeyError, TypeError):
        return None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _entry(entry_id: bytes | str, fields: Mapping[bytes, bytes] | None) -> StoredReport | None:
    """A stream entry as a report; None when trimmed away (XAUTOCLAIM returns those as empty) or
    unreadable (logged: it is then acknowledged rather than retried for ever)."""
    report_id = _text(entry_id)
    if not fields or b"report" not in fields:
        return None
    try:
        data = json.loads(fields[b"report"])
    except ValueError:
        log.error("report %s is unreadable and is skipped", report_id)
        return None
    if not isinstance(data, dict):
        return None
    if b"eml" in fields:
        data["eml_key"] = _text(fields[b"eml"])
        data["original_kept"] = fields.get(b"whole", b"1") == b"1"
    return StoredReport(report_id, data)


@contextmanager
def _marking_failures(gate: RedisGate) -> Iterator[None]:
    try:
        yield
    except redis.ResponseError:
        raise  # Redis answered (refusing a command): it is not down
    except redis.RedisError:
        gate.failed()
        raise


STREAM_ID_PART_MAX = 2**64 - 1


def valid_stream_id(text: str) -> bool:
    """A report id as Redis Streams writes it: two numbers that each fit in 64 bits."""
    milliseconds, dash, sequence = text.partition("-")
    return (bool(dash) and milliseconds.isascii() and milliseconds.isdigit() and sequence.isascii()
            and sequence.isdigit() and int(milliseconds) <= STREAM_ID_PART_MAX and int(sequence) <= STREAM_ID_PART_MAX)


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


def policy_tag(own_domains: frozenset[str]) -> str:
    """Names the own-domain setting in the verdict-cache key, so changing it is seen at once."""
    return hashlib.sha256(",".join(sorted(own_domains)).encode()).hexdigest()[:12] if own_domains else ""


class CurrentSettings(Protocol):
    def current(self) -> Settings: ...


class ReportStore:
    """Reports in Redis. `gate` is the app's fast one (feedback lookups on every analyze);
    `write_gate` has a timeout long enough to store a large message and to block on reads.
    `settings` gives the settings with the console's overrides as they are now."""

    # Counters that change whenever a standing or the confirmed numbers do (ReportFeedback).
    generation_keys = (STANDING_GENERATION, PHONES_GENERATION)

    def __init__(self, gate: RedisGate, write_gate: RedisGate, settings: CurrentSettings) -> None:
        self.gate = gate
        self.write_gate = write_gate
        self.settings = settings

    @property
    def retention_seconds(self) -> float:
        return self.settings.current().report_retention_days * DAY_SECONDS

    @property
    def retention_ms(self) -> int:
        return max(1, int(self.retention_seconds * 1000))

    # ---------------------------------------------------------------- intake

    def submit(self, report: NewReport) -> Receipt:
        """Stores the report, or returns the earlier one of this reporter and campaign; raises
        RedisError when it cannot be stored (the API answers 503, never a false 202)."""
        now = time.time()
        settings = self.settings.current()
        who = reporter_key(report.reporter, report.reporter_verified, report.client_address)
        digest = idempotency_digest(who, report.fingerprint)
        stream = SIMULATION_STREAM if report.simulation else STREAM
        eml = b"" if report.simulation else report.eml
        phones = () if report.simulation else report.phones
        trimmed = headers_only(eml)
        keys = [dedupe_key(digest), stream, eml_key(eml), eml_key(trimmed),
                campaign_key(report.fingerprint, report.simulation),
                reporters_key(report.fingerprint, report.simulation),
                verified_reporters_key(report.fingerprint), campaign_phones_key(report.fingerprint),
                quota_key("reporter", who), quota_key("address", report.client_address),
                PHONES, PHONES_GENERATION, *(phone_campaigns_key(p) for p in phones)]
        args: list[str | bytes | int] = [
            self.retention_ms, stream_id_at(now - self.retention_seconds), who, report_json(report, now), eml,
            trimmed, "1" if report.reporter_verified and not report.simulation else "",
            # A verified reporter is one person wherever they are; a self-asserted name costs nothing,
            # so what its address may store is capped too.
            settings.report_bytes_per_reporter_per_day,
            "" if report.reporter_verified else settings.report_bytes_per_address_per_day, QUOTA_WINDOW_MS,
            int(now * 1000), report.fingerprint, *phones]
        with _marking_failures(self.write_gate):
            client = self.write_gate.client()
            report_id, duplicate, whole = client.register_script(SUBMIT_SCRIPT)(keys=keys, args=args)
            if report.reporter_verified and not report.simulation and not duplicate:
                client.incr(STANDING_GENERATION)  # after the write: a reader fenced before it judges afresh
        return Receipt(report_id.decode(), bool(duplicate), bool(whole))

    # ---------------------------------------------------------------- feedback into verdicts

    def standing(self, fingerprint: str) -> Standing:
        settings = self.settings.current()
        with _marking_failures(self.gate):
            pipe = self.gate.client().pipeline(transaction=False)
            pipe.scard(verified_reporters_key(fingerprint))
            pipe.hget(campaign_key(fingerprint), "decision")
            pipe.get(PHONES_GENERATION)
            verified, decision, generation = pipe.execute()
        decided: Decision = "confirmed" if decision == b"confirmed" else "cleared" if decision == b"cleared" else ""
        return Standing(int(verified), decided, int(generation or 0), settings.report_reporters_needed,
                        policy_tag(sender_domain_items(settings.own_domains)))

    def feedback(self, message: ParsedMessage, standing: Standing) -> Feedback:
        """The analyzer's Feedback: the campaign's verified reporters (none for authenticated mail
        from the organisation's own domains: reports alone never escalate it), the analyst's
        decision, and which of the message's numbers an analyst confirmed within the retention."""
        settings = self.settings.current()
        numbers = callback_numbers(message) if standing.phones_generation else ()
        confirmed: frozenset[str] = frozenset()
        if numbers:
            with _marking_failures(self.gate):
                scores = self.gate.client().zmscore(PHONES, list(numbers))
            oldest_ms = (time.time() - self.retention_seconds) * 1000
            confirmed = frozenset(n for n, s in zip(numbers, scores, strict=True) if s is not None and s >= oldest_ms)
        own = authenticated_from(message, sender_domain_items(settings.own_domains))
        return Feedback(0 if own else standing.counted_reporters, standing.reporters_needed, confirmed,
                        standing.decision == "confirmed")

    def simulation_reports(self) -> int:
        """Reports of awareness drills within the retention period (kept apart, never delivered)."""
        with _marking_failures(self.write_gate):
            return int(self.write_gate.client().xlen(SIMULATION_STREAM))

    # ---------------------------------------------------------------- an analyst's decision

    def decide(self, fingerprint: str, decision: Decision, analyst: str) -> CampaignStanding:
        """Confirms a campaign as phishing (every copy then says so, and its numbers flag other
        mail) or clears it (reports no longer raise it); either reaches every reader on their
        next open, because the campaign's standing is part of the verdict-cache key."""
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}")
        now = time.time()
        with _marking_failures(self.write_gate):
            client = self.write_gate.client()
            phones = sorted(_text(p) for p in client.smembers(campaign_phones_key(fingerprint)))
            keys = [campaign_key(fingerprint), PHONES, PHONES_GENERATION, *(phone_campaigns_key(p) for p in phones)]
            args: list[str | int] = [decision, analyst, int(now * 1000), fingerprint, self.retention_ms,
                                     int((now - self.retention_seconds) * 1000), *phones]
            client.register_script(DECIDE_SCRIPT)(keys=keys, args=args)
            client.incr(STANDING_GENERATION)
        return self.campaign_standings([fingerprint])[fingerprint]

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

    def campaign_standings(self, fingerprints: Sequence[str]) -> dict[str, CampaignStanding]:
        with _marking_failures(self.write_gate):
            pipe = self.write_gate.client().pipeline(transaction=False)
            for fingerprint in fingerprints:
                pipe.hmget(campaign_key(fingerprint), "reports", "decision", "decided_by", "decided_at")
                pipe.scard(reporters_key(fingerprint))
                pipe.scard(verified_reporters_key(fingerprint))
            values = pipe.execute()
        found = {}
        for i, fingerprint in enumerate(fingerprints):
            (reports, decision, by, at), reporters, verified = values[3 * i:3 * i + 3]
            found[fingerprint] = CampaignStanding(int(reports or 0), int(reporters), int(verified),
                                                  _text(decision or b""), _text(by or b""),
                                                  int(at or 0) / 1000)
        return found

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
        return [(_text(i), _entry(i, f)) for i, f in entries]

    def claim_stale(self, group: str, consumer: str, min_idle_ms: int,
                    count: int) -> list[tuple[str, StoredReport | None]]:
        """Takes over entries another (dead) consumer left pending longer than `min_idle_ms`."""
        with _marking_failures(self.write_gate):
            answer = self.write_gate.client().xautoclaim(STREAM, group, consumer, min_idle_ms, "0-0", count=count)
        return [(_text(i), _entry(i, f)) for i, f in answer[1]]

    def due_retries(self, group: str, now: float, count: int) -> list[tuple[str, StoredReport | None]]:
        """Reports that failed on their own and whose next attempt is due, oldest due first."""
        with _marking_failures(self.write_gate):
            client = self.write_gate.client()
            ids = [_text(i) for i in client.zrangebyscore(retry_key(group), "-inf", now, start=0, num=count)]
            if not ids:
                return []
            pipe = client.pipeline(transaction=False)
            for report_id in ids:
                pipe.xrange(STREAM, report_id, report_id, count=1)
            entries = pipe.execute()
        return [(report_id, _entry(*found[0]) if found else None)
                for report_id, found in zip(ids, entries, strict=True)]

    def ack(self, group: str, report_id: str) -> None:
        with _marking_failures(self.write_gate):
            pipe = self.write_gate.client().pipeline(transaction=True)
            pipe.xack(STREAM, group, report_id)
            pipe.zrem(retry_key(group), report_id)
            pipe.execute()

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

    def _write_state(self, pipe: Any, report_id: str, destination: str, state: DeliveryState) -> None:
        pipe.hset(delivery_key(report_id), destination, json.dumps(state.as_json()))
        pipe.pexpire(delivery_key(report_id), self.retention_ms)

    def record_delivery(self, report_id: str, destination: str, state: DeliveryState) -> None:
        with _marking_failures(self.write_gate):
            pipe = self.write_gate.client().pipeline(transaction=True)
            self._write_state(pipe, report_id, destination, state)
            pipe.execute()

    def finish_delivery(self, group: str, report_id: str, destination: str, state: DeliveryState) -> None:
        """Delivered or parked as failed: the state, the acknowledgement and leaving the retry set
        happen together."""
        with _marking_failures(self.write_gate):
            pipe = self.write_gate.client().pipeline(transaction=True)
            self._write_state(pipe, report_id, destination, state)
            pipe.xack(STREAM, group, report_id)
            pipe.zrem(retry_key(group), report_id)
            pipe.execute()

    def schedule_retry(self, group: str, report_id: str, destination: str, state: DeliveryState) -> None:
        """A report that failed on its own leaves the destination's line for the retry set, due at
        `state.retry_at`, so the reports behind it go on meanwhile."""
        with _marking_failures(self.write_gate):
            pipe = self.write_gate.client().pipeline(transaction=True)
            self._write_state(pipe, report_id, destination, state)
            pipe.zadd(retry_key(group), {report_id: state.retry_at})
            pipe.xack(STREAM, group, report_id)
            pipe.execute()
