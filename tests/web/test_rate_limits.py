"""The rate limits' counters (web/rate_limits.py): fixed windows on the service's Redis, kept out of
its append-only file, counted in memory when Redis fails. The limits as callers see them (429,
Retry-After, buckets per caller) are in test_security_limits.py."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
import redis
from inviteguard import create_app
from inviteguard.runtime.redis_conn import RedisGate
from inviteguard.runtime.redis_server import EmbeddedRedis
from inviteguard.web.client_auth import Caller
from inviteguard.web.rate_limits import Quotas, RateLimited, RateLimits, parse_rate
from security_helpers import LIST_INVITE, SIMPLE_MESSAGE

ADDRESS = Caller("anonymous", "10.1.2.3", "ip:10.1.2.3")
USER = Caller("user", "alice", "user:tenant:alice")


def quotas(url: str | None, per_address: str = "3/minute", per_user: str = "2/minute") -> Quotas:
    rates = RateLimits(parse_rate("PER_USER", per_user), parse_rate("PER_ADDRESS", per_address))
    return Quotas({"analyze": rates}, RedisGate(url, 1.0, 60.0))


def aof_size(client: redis.Redis) -> int:
    return int(client.info("persistence")["aof_current_size"])


def test_a_window_counts_on_redis_and_refuses_past_its_limit(redis_server: EmbeddedRedis,
                                                             redis_client: redis.Redis) -> None:
    limits = quotas(redis_server.url)
    for _ in range(3):
        limits.hit("analyze", ADDRESS, "api.analyze").count()
    with pytest.raises(RateLimited) as refused:
        limits.hit("analyze", ADDRESS, "api.analyze").count()
    assert 0 < refused.value.retry_after <= 60
    assert str(refused.value.limit) == "3 per 1 minute"
    # The key Flask-Limiter gave the same counter, so an upgrade keeps every caller's count.
    key = "LIMITS:LIMITER/inviteguard:ratelimit/ip:10.1.2.3/api.analyze/3/1/minute"
    assert redis_client.get(key) == b"4" and 0 < redis_client.ttl(key) <= 60
    limits.hit("analyze", USER, "api.analyze").count()  # a signed-in user has a bucket of their own
    limits.hit("analyze", ADDRESS, "mailflow.stamp").count()  # and each endpoint


def test_counting_writes_nothing_to_the_append_only_file(redis_server: EmbeddedRedis,
                                                         redis_client: redis.Redis) -> None:
    limits = quotas(redis_server.url, per_address="1000/minute")
    limits.hit("analyze", ADDRESS, "api.analyze").count()
    before = aof_size(redis_client)
    for _ in range(20):
        limits.hit("analyze", ADDRESS, "api.analyze").count()
    assert aof_size(redis_client) == before
    assert redis_client.get("LIMITS:LIMITER/inviteguard:ratelimit/ip:10.1.2.3/api.analyze/1000/1/minute") == b"21"


def test_a_counter_without_a_time_to_live_gets_one(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    key = "LIMITS:LIMITER/inviteguard:ratelimit/ip:10.1.2.3/api.analyze/3/1/minute"
    redis_client.set(key, 1)  # as if restored without its expiry: it must not count forever
    quotas(redis_server.url).hit("analyze", ADDRESS, "api.analyze").count()
    assert redis_client.get(key) == b"2" and 0 < redis_client.ttl(key) <= 60


def test_without_redis_the_limit_is_counted_in_memory() -> None:
    limits = quotas(f"unix://{tempfile.mkdtemp(prefix='ig-none-')}/redis.sock")
    for _ in range(3):
        limits.hit("analyze", ADDRESS, "api.analyze").count()
    with pytest.raises(RateLimited) as refused:
        limits.hit("analyze", ADDRESS, "api.analyze").count()
    assert 0 < refused.value.retry_after <= 60


def analyze(client: Any) -> Any:
    return client.post("/api/v1/analyze", data=SIMPLE_MESSAGE, content_type="message/rfc822")


def test_analyze_with_redis_down_still_refuses_past_the_limit() -> None:
    url = f"unix://{Path(tempfile.mkdtemp(prefix='ig-none-')) / 'redis.sock'}"
    client = create_app({"REDIS_URL": url, "ANALYZE_RATE_LIMIT_PER_ADDRESS": "2/minute"}).test_client()
    answers = [analyze(client) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200] and all(a.get_json()["degraded"] for a in answers)
    refused = analyze(client)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 61


# ------------------------------------------------------------------ analyze: counted with the answer lookup

def invite(client: Any, **kwargs: Any) -> Any:
    return client.post("/api/v1/analyze", data=LIST_INVITE.read_bytes(), content_type="message/rfc822", **kwargs)


def test_the_limit_bites_on_cached_answers(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    client = create_app({"REDIS_URL": redis_server.url, "ANALYZE_RATE_LIMIT_PER_ADDRESS": "3/minute"}).test_client()
    answers = [invite(client) for _ in range(3)]
    assert [a.get_json()["cached"] for a in answers] == [False, True, True]
    refused = invite(client)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert redis_client.get("LIMITS:LIMITER/inviteguard:ratelimit/ip:127.0.0.1/api.analyze/3/1/minute") == b"4"


class WatchedBody(io.BytesIO):
    reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.reads += 1
        return super().read(size)


def test_a_refused_caller_is_refused_before_its_body_is_read(redis_server: EmbeddedRedis,
                                                            redis_client: redis.Redis) -> None:
    client = create_app({"REDIS_URL": redis_server.url, "ANALYZE_RATE_LIMIT_PER_ADDRESS": "1/minute"}).test_client()
    assert invite(client).status_code == 200
    assert invite(client).status_code == 429
    body = WatchedBody(LIST_INVITE.read_bytes())
    refused = client.post("/api/v1/analyze", input_stream=body, content_length=len(body.getvalue()),
                          content_type="message/rfc822")
    assert refused.status_code == 429 and body.reads == 0


def test_requests_refused_for_their_body_count_too(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    client = create_app({"REDIS_URL": redis_server.url, "ANALYZE_RATE_LIMIT_PER_ADDRESS": "2/minute",
                         "MAX_BODY_BYTES": 100_000}).test_client()
    assert client.post("/api/v1/analyze", data=b"hello", content_type="text/plain").status_code == 415
    assert client.post("/api/v1/analyze", data=b"x" * 200_000, content_type="message/rfc822").status_code == 413
    assert invite(client).status_code == 429


def test_redis_failing_in_the_lookup_degrades_and_counts_in_memory(redis_server: EmbeddedRedis,
                                                                   redis_client: redis.Redis,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    client = create_app({"REDIS_URL": redis_server.url, "ANALYZE_RATE_LIMIT_PER_ADDRESS": "2/minute"}).test_client()
    assert invite(client).get_json()["cached"] is False

    def timed_out(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise redis.TimeoutError("Timeout reading from socket")

    monkeypatch.setattr(redis.client.Pipeline, "execute", timed_out)
    answer = invite(client)
    assert answer.status_code == 200
    assert answer.get_json()["degraded"] is True and answer.get_json()["verdict"] == "phishing"
    # Redis holds the first count; this process counts from zero: its third is past the limit.
    assert invite(client).status_code == 200
    assert invite(client).status_code == 429
