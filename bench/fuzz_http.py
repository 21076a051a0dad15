"""Fuzz the HTTP surface: analyze, reports, triage and the admin console, through the real app and a
real (embedded) Redis, and count the answers. Issue 13 asks for 10^5 requests and 0 answers of 500.

    python bench/fuzz_http.py [--requests 100000] [--seed 1] [--out var/fuzz-http]

Prints the answers per endpoint and status, every request answered 5xx (also written to --out),
and requests per second; the exit status is 1 when any answer was a 5xx. The generator is
tests/http_fuzz.py, which tests/web/test_security_fuzz.py runs for a bounded number of requests.
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "server"), str(REPO / "tests")]

import redis  # noqa: E402
from http_fuzz import FUZZ_CONFIG, FuzzSession, failure_of, fuzz_request  # noqa: E402
from inviteguard import create_app  # noqa: E402
from inviteguard.runtime.redis_server import EmbeddedRedis  # noqa: E402


def endpoint(path: str) -> str:
    """The route a path hits, with its variable parts folded, for the tally."""
    parts = path.split("?")[0].split("/")
    if path.startswith("/api/v1/reports/campaigns/"):
        return "/api/v1/reports/campaigns/<fp>/<action>"
    if path.startswith("/api/v1/reports/") and path.endswith("/eml"):
        return "/api/v1/reports/<id>/eml"
    if path.startswith("/admin/api/"):
        return "/".join(parts[:4])
    if path.startswith(("/admin/login", "/admin/oidc", "/reporter/", "/admin/reports", "/api/")):
        return "/".join(parts[:4])
    return "/admin/<other>"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=REPO / "var" / "fuzz-http")
    args = parser.parse_args()
    tally: collections.Counter[tuple[str, str, int]] = collections.Counter()
    failures = 0
    with EmbeddedRedis(tempfile.mkdtemp(prefix="ig-fuzz-")) as server:
        client = redis.Redis.from_url(server.url)
        session = FuzzSession(create_app({"REDIS_URL": server.url, "TESTING": True, **FUZZ_CONFIG}), client)
        rng = random.Random(args.seed)
        started = last = time.monotonic()
        for n in range(1, args.requests + 1):
            request = fuzz_request(rng)
            response = session.send(request)
            tally[(request.method, endpoint(request.path), response.status_code)] += 1
            failure = failure_of(request, response)
            if failure:
                failures += 1
                args.out.mkdir(parents=True, exist_ok=True)
                (args.out / f"failure-{n}.txt").write_text(f"{failure}\n{request!r}\n", encoding="utf-8")
                print(f"FAIL #{n}: {failure}", flush=True)
            if time.monotonic() - last > 30:
                last = time.monotonic()
                print(f"... {n} requests, {failures} failures, {n / (last - started):.0f}/s", flush=True)
        elapsed = time.monotonic() - started
    for (method, route, status), count in sorted(tally.items()):
        print(f"{count:7d}  {status}  {method:6s} {route}")
    fives = sum(count for (_, _, status), count in tally.items() if status >= 500)
    print(f"{args.requests} requests (seed {args.seed}) in {elapsed:.0f} s, {args.requests / elapsed:.0f}/s; "
          f"answers of 5xx: {fives}; failures: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
