"""Load test: cached and uncached analyze against a bare Flask endpoint doing one Redis GET.

Starts an embedded Redis and gunicorn with the shipped config on loopback (bench/bench_app.py: the
real app plus the floor endpoint), drives each scenario with keep-alive HTTP connections from
threads for a bounded time and request count, prints throughput and latency, and the ratios to the
floor. Never part of a test's pass/fail.

    python bench/load.py [--seconds 5] [--concurrency 8] [--workers N] [--max-requests 20000]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inviteguard.runtime.redis_server import EmbeddedRedis
from inviteguard.runtime.serve import GUNICORN_CONF

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "tests" / "data" / "emls" / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"

Request = tuple[str, str, bytes, dict[str, str]]  # method, path, body, headers


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not become ready")


def unique_campaign(template: bytes, n: int) -> bytes:
    """A different campaign per request: the invite's notes carry a serial, so the fingerprint differs."""
    return template.replace(b"DESCRIPTION:", f"DESCRIPTION:Ref {n:08d} ".encode(), 1)


def drive(name: str, port: int, next_request: Callable[[], Request], seconds: float, concurrency: int,
          max_requests: int) -> Result:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    budget = itertools.count()

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        while time.monotonic() < stop_at and next(budget) < max_requests:
            method, path, body, headers = next_request()
            started = time.perf_counter()
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                with lock:
                    errors[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(name, len(latencies), errors[0], time.perf_counter() - started, latencies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per scenario")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers")
    parser.add_argument("--max-requests", type=int, default=20_000, help="per scenario")
    args = parser.parse_args()

    template = SAMPLE.read_bytes()
    rfc822 = {"Content-Type": "message/rfc822"}
    serial = itertools.count()
    serial_lock = threading.Lock()

    def uncached() -> Request:
        with serial_lock:
            n = next(serial)
        return "POST", "/api/v1/analyze", unique_campaign(template, n), rfc822

    scenarios: list[tuple[str, Callable[[], Request]]] = [
        ("floor: Flask + 1 Redis GET", lambda: ("GET", "/bench/redis-get", b"", {})),
        ("analyze, cached", lambda: ("POST", "/api/v1/analyze", template, rfc822)),
        ("analyze, uncached", uncached),
    ]

    with tempfile.TemporaryDirectory(prefix="ig-bench-") as workdir, EmbeddedRedis(Path(workdir) / "redis") as redis:
        port = free_port()
        env = {**os.environ, "REDIS_URL": redis.url, "PROMETHEUS_MULTIPROC_DIR": workdir}
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--pythonpath", str(REPO / "bench"), "--access-logfile", "/dev/null",
             "bench_app:app"], env=env)
        try:
            wait_ready(port)
            results = []
            for name, next_request in scenarios:
                # One unmeasured round warms imports, rule loading and the cache entry in every worker.
                drive(name, port, next_request, 1.0, args.concurrency, 200)
                results.append(drive(name, port, next_request, args.seconds, args.concurrency, args.max_requests))
        finally:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(timeout=30)

    print(f"\n{args.workers} gunicorn workers, {args.concurrency} keep-alive connections, "
          f"{args.seconds:g} s per scenario, sample {SAMPLE.name} ({len(template)} bytes)\n")
    print(f"{'scenario':30} {'requests':>9} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for r in results:
        print(f"{r.name:30} {r.requests:9d} {r.errors:7d} {r.per_second:9.0f} {r.percentile(0.5):8.2f} "
              f"{r.percentile(0.95):8.2f} {r.percentile(0.99):8.2f}")
    floor = results[0]
    print()
    for r in results[1:]:
        print(f"{r.name}: {r.per_second / floor.per_second:.2f}x the floor's throughput, "
              f"median latency {statistics.median(r.latencies) / statistics.median(floor.latencies):.2f}x the floor's")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
