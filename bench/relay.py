"""Relay throughput and added latency: list copies, new campaigns, and a direct baseline.

Starts an embedded Redis, `inviteguard relay` as its own process (the real command, default
settings but a stamp secret), and an aiosmtpd final destination in this process; sends from
threads over kept SMTP connections, each scenario bounded in messages and seconds. Prints messages
per second for list copies (one campaign, a new Message-ID and recipient per copy: the goal is
>= 200/s on the 2-core machine), for new campaigns (every message a different lure: one analysis
each), and the latency a message gains by passing the relay (p50/p99 through the relay minus
straight to the destination). Never part of a test's pass/fail.

    python bench/relay.py [--copies 2000] [--campaigns 300] [--concurrency 8] [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from inviteguard.runtime.redis_server import EmbeddedRedis

REPO = Path(__file__).resolve().parents[1]
LURE = (REPO / "tests" / "data" / "emls" / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml").read_bytes()
SECRET = "bench-stamp-secret-0123456789abcdefghijkl"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Destination:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
        return "250 2.0.0 Ok"


@dataclass(frozen=True)
class Result:
    name: str
    sent: int
    errors: int
    seconds: float
    latencies: list[float]

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")

    def line(self) -> str:
        rate = self.sent / self.seconds if self.seconds else 0.0
        return (f"{self.name:<28} {self.sent:>6} msgs {rate:>8.1f}/s  p50 {self.percentile(0.5):>7.1f} ms  "
                f"p99 {self.percentile(0.99):>7.1f} ms  errors {self.errors}")


def copies() -> Iterator[bytes]:
    number = 0
    while True:
        number += 1
        yield LURE.replace(b"Message-ID: <", f"Message-ID: <copy{number}.".encode(), 1)


def campaigns() -> Iterator[bytes]:
    """Each lure asks for a different number and amount, so each is a new campaign (cache miss)."""
    number = 0
    while True:
        number += 1
        yield (LURE.replace(b"Message-ID: <", f"Message-ID: <new{number}.".encode(), 1)
               .replace(b"0199", f"{number % 10000:04d}".encode()).replace(b"599", f"{100 + number % 900}".encode()))


def drive(name: str, port: int, messages: Iterator[bytes], total: int, concurrency: int, seconds: float) -> Result:
    lock = threading.Lock()
    latencies: list[float] = []
    counters = {"sent": 0, "errors": 0, "taken": 0}
    deadline = time.monotonic() + seconds

    def take() -> bytes | None:
        with lock:
            if counters["taken"] >= total or time.monotonic() > deadline:
                return None
            counters["taken"] += 1
            return next(messages)

    def sender(index: int) -> None:
        client = smtplib.SMTP("127.0.0.1", port, timeout=60)
        try:
            while (raw := take()) is not None:
                started = time.perf_counter()
                try:
                    client.sendmail("bounces@contoso.com", [f"member{index}@contoso.com"], raw)
                    with lock:
                        latencies.append(time.perf_counter() - started)
                        counters["sent"] += 1
                except (smtplib.SMTPException, OSError):
                    with lock:
                        counters["errors"] += 1
                    client.close()
                    client = smtplib.SMTP("127.0.0.1", port, timeout=60)
        finally:
            client.close()

    started = time.monotonic()
    threads = [threading.Thread(target=sender, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(name, counters["sent"], counters["errors"], time.monotonic() - started, latencies)


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the relay did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=2000)
    parser.add_argument("--campaigns", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0, help="upper bound per scenario")
    args = parser.parse_args()

    directory = tempfile.mkdtemp(prefix="ig-bench-relay-")
    redis_server = EmbeddedRedis(directory)
    redis_server.start()
    destination = Destination()
    destination_port = free_port()
    controller = Controller(destination, hostname="127.0.0.1", port=destination_port)
    controller.start()
    relay_port = free_port()
    env = {**os.environ, "REDIS_URL": redis_server.url, "INVITEGUARD_STAMP_SECRET": SECRET,
           "INVITEGUARD_LOG_LEVEL": "WARNING"}
    relay = subprocess.Popen([str(Path(sys.executable).parent / "inviteguard"), "relay", "--listen",
                              f"127.0.0.1:{relay_port}", "--next-hop", f"127.0.0.1:{destination_port}"], env=env)
    try:
        wait_for_port(relay_port, relay)
        def run(name: str, port: int, source: Iterator[bytes], total: int) -> Result:
            return drive(name, port, source, total, args.concurrency, args.seconds)
        run("warm-up", relay_port, copies(), 50)
        baseline = run("direct to destination", destination_port, copies(), args.copies)
        listed = run("relay: list copies", relay_port, copies(), args.copies)
        fresh = run("relay: new campaigns", relay_port, campaigns(), args.campaigns)
        print(f"{os.cpu_count()} CPUs, concurrency {args.concurrency}")
        for result in (baseline, listed, fresh):
            print(result.line())
        print(f"added latency, list copies:   p50 {listed.percentile(0.5) - baseline.percentile(0.5):7.1f} ms   "
              f"p99 {listed.percentile(0.99) - baseline.percentile(0.99):7.1f} ms")
        print(f"added latency, new campaigns: p50 {fresh.percentile(0.5) - baseline.percentile(0.5):7.1f} ms   "
              f"p99 {fresh.percentile(0.99) - baseline.percentile(0.99):7.1f} ms")
        goal = listed.sent / listed.seconds if listed.seconds else 0.0
        print(f"list copies: {goal:.0f}/s against a goal of 200/s ({'met' if goal >= 200 else 'NOT met'})")
    finally:
        relay.terminate()
        relay.wait(60)
        controller.stop()
        redis_server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
