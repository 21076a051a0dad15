"""Rate limits of analyze and reports: fixed windows per caller, counted on the service's Redis.

Each kind has a limit for signed-in users (one person) and one for everyone else (an address, with
or without a client key, may be a whole office behind one NAT), each a `limits` rate such as
"300/minute" from the settings. A caller's window starts with its first request and lasts the
rate's period; one counter a caller, endpoint and window. The keys are the ones Flask-Limiter,
which counted them before, gave them (LIMITS:LIMITER/inviteguard:ratelimit/<caller>/<endpoint>/
<amount>/<multiples>/<granularity>), so an upgrade keeps every caller's count.

A counter is increased by a Lua script that keeps it out of the append-only file and the replicas:
it lives one window, and with `appendfsync always` (the embedded Redis) a logged increment would
make every request, a cached answer too, wait for a disk sync while Redis serves nobody else. A
Redis restart or failover therefore starts every caller's window afresh.

Analyze counts in the same pipelined round trip as its answer lookup (cache.AnswerCache's
rider), so a cached answer costs one round trip in all. A counter seen past its limit is
remembered until its window ends, so that caller is refused again before its body is read.
Redis down: counted in this process's memory instead, so analyze keeps answering; a counting
failure never refuses a call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from ..runtime.config import ConfigError
from ..runtime.redis_conn import RedisGate
from .client_auth import Caller

log = logging.getLogger(__name__)

KEY_PREFIX = "inviteguard:ratelimit"
REDIS_KEY_PREFIX = "LIMITS:"  # the limits package's prefix for its Redis keys
# KEYS[1] the counter, ARGV[1] the window in seconds -> {count, milliseconds until the window ends}.
# replicate_commands() lets Redis before 5 replicate effects (a no-op since); a counter without a
# time to live (none yet, or one restored without it) gets the window, so none outlives it.
COUNT_SCRIPT = """
redis.replicate_commands()
redis.set_repl(redis.REPL_NONE)
local count = redis.call("INCR", KEYS[1])
local ttl = redis.call("PTTL", KEYS[1])
if ttl < 0 then
    redis.call("EXPIRE", KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1]) * 1000
end
return {count, ttl}
"""


class RateLimited(Exception):
    """The caller has spent a limit; `retry_after` seconds until its window ends."""

    def __init__(self, limit: RateLimitItem, retry_after: float) -> None:
        super().__init__(str(limit))
        self.limit = limit
        self.retry_after = retry_after


def parse_rate(setting: str, value: str) -> tuple[RateLimitItem, ...]:
    try:
        return tuple(parse_many(value))
    except ValueError:
        raise ConfigError(f"{setting} must be a rate limit like 300/minute, not {value!r}") from None


@dataclass(frozen=True)
class RateLimits:
    """One kind's limits."""

    per_user: tuple[RateLimitItem, ...]
    per_address: tuple[RateLimitItem, ...]

    def for_caller(self, caller: Caller) -> tuple[RateLimitItem, ...]:
        return self.per_user if caller.kind == "user" else self.per_address


@dataclass(frozen=True)
class Counter:
    limit: RateLimitItem
    key: str  # without the Redis prefix; the in-memory fallback uses it as it is


class SpentCounters:
    """Counters this process saw past their limit, until their window ends. A fixed window's count
    only grows until the window ends, so a caller refused once is refused again, before its body is
    read and without asking Redis, exactly as Redis would refuse it."""

    MAX_ENTRIES = 10_000  # callers past a limit at once; forgetting one only costs a round trip

    def __init__(self) -> None:
        self._until: dict[str, tuple[RateLimitItem, float]] = {}  # key -> (limit, its window's end)
        self._lock = threading.Lock()

    def add(self, counter: Counter, retry_after: float) -> None:
        with self._lock:
            if len(self._until) >= self.MAX_ENTRIES:
                now = time.time()
                self._until = {k: v for k, v in self._until.items() if v[1] > now}
                if len(self._until) >= self.MAX_ENTRIES:
                    self._until.clear()
            self._until[counter.key] = (counter.limit, time.time() + retry_after)

    def refuse_known(self, counters: Sequence[Counter]) -> None:
        """RateLimited when one of `counters` is known to be spent until later."""
        if not self._until:
            return
        now = time.time()
        spent = [(limit, end - now) for limit, end in (self._until.get(c.key, (c.limit, 0.0)) for c in counters)
                 if end > now]
        _refuse_if(spent)


class Hit:
    """One request's hit on its limits. Counted once: in a pipeline the caller runs (`queue`, then
    `settle` with the replies) or on its own (`count`)."""

    def __init__(self, counters: Sequence[Counter], quotas: Quotas) -> None:
        self.counters = tuple(counters)
        self.quotas = quotas
        self.counted = False

    def queue(self, pipe: Any) -> int:
        """Adds the increments to `pipe`; returns how many replies they take."""
        for counter in self.counters:
            # Spelled out: a Cluster pipeline's eval() is not the EVAL command.
            pipe.execute_command("EVAL", COUNT_SCRIPT, 1, REDIS_KEY_PREFIX + counter.key, counter.limit.get_expiry())
        return len(self.counters)

    def settle(self, replies: Sequence[Any]) -> None:
        """The replies of the queued increments; RateLimited when a limit is spent."""
        self.counted = True
        self._refuse_spent([(counter, int(ttl) / 1000) for counter, (count, ttl) in zip(self.counters, replies,
                                                                                        strict=True)
                            if int(count) > counter.limit.amount])

    def count(self) -> None:
        """Counts in a round trip of its own, or in memory when Redis fails; RateLimited when spent."""
        gate = self.quotas.gate
        try:
            pipe = gate.client().pipeline(transaction=False)
            self.queue(pipe)
            replies = pipe.execute()
        except redis.RedisError as exc:
            if not gate.down:  # said once per outage window, not once per request
                log.warning("rate limits counted in this process, Redis failed: %s", type(exc).__name__)
            gate.failed()
            self.count_in_memory()
            return
        self.settle(replies)

    def count_in_memory(self) -> None:
        self.counted = True
        memory = self.quotas.memory
        self._refuse_spent([(c, memory.get_window_stats(c.limit, c.key).reset_time - time.time())
                            for c in self.counters if not memory.hit(c.limit, c.key)])

    def _refuse_spent(self, spent: Sequence[tuple[Counter, float]]) -> None:
        for counter, retry_after in spent:
            self.quotas.spent.add(counter, retry_after)
        _refuse_if([(counter.limit, retry_after) for counter, retry_after in spent])


def _refuse_if(spent: Sequence[tuple[RateLimitItem, float]]) -> None:
    if spent:
        limit, wait = max(spent, key=lambda item: item[1])
        raise RateLimited(limit, wait)


class Quotas:
    """Every kind's limits in one app, the counters in memory for when Redis fails, and the
    counters this process knows are spent."""

    def __init__(self, rates: dict[str, RateLimits], gate: RedisGate) -> None:
        self.rates = rates
        self.gate = gate
        self.memory = FixedWindowRateLimiter(MemoryStorage())
        self.spent = SpentCounters()

    def hit(self, kind: str, caller: Caller, endpoint: str) -> Hit:
        """This request's hit, not yet counted; RateLimited at once when a limit is known spent."""
        counters = [Counter(limit, limit.key_for(KEY_PREFIX, caller.rate_key, endpoint))
                    for limit in self.rates[kind].for_caller(caller)]
        self.spent.refuse_known(counters)
        return Hit(counters, self)
