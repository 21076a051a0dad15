"""Fuzzed requests over analyze, reports, triage and the admin console get no 500 (issue 13,
point 17 and "Done when"): a bounded, seeded run here; bench/fuzz_http.py sends 10^5 and more."""

from __future__ import annotations

import random

import pytest
import redis
from http_fuzz import FUZZ_CONFIG, FuzzSession, failure_of, fuzz_request
from inviteguard import create_app
from inviteguard.runtime.redis_server import EmbeddedRedis

REQUESTS_PER_SEED = 250


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fuzzed_requests_never_answer_500(redis_server: EmbeddedRedis, redis_client: redis.Redis, seed: int) -> None:
    session = FuzzSession(create_app({"REDIS_URL": redis_server.url, "TESTING": True, **FUZZ_CONFIG}), redis_client)
    rng = random.Random(seed)
    failures = []
    statuses: dict[int, int] = {}
    for _ in range(REQUESTS_PER_SEED):
        request = fuzz_request(rng)
        response = session.send(request)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        failure = failure_of(request, response)
        if failure:
            failures.append(failure)
    assert failures == []
    # The run reached past the guards: successes as well as refusals.
    assert sum(n for status, n in statuses.items() if status < 300) > REQUESTS_PER_SEED // 10, statuses
