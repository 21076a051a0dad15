"""Load test: the cached and the new-campaign analyze against a bare Flask + Redis floor, with wrk.

Starts an embedded Redis, then two gunicorns with the shipped config (server/inviteguard/
gunicorn_conf.py) and the same number of workers: the floor (bench/floor_app.py: a bare Flask POST
endpoint doing one Redis GET, and a SET on a miss) and the service (inviteguard.wsgi:app with the
environment `inviteguard serve` gives it). wrk drives each scenario for the same time and
connections, in rounds that measure the floor and the service back to back (the machine's speed
drifts); the script prints one table of medians with the ratios to the floor taken round by round,
the workers' RSS after 10^4
mixed requests, and (bench/analyze.py) the uncached analysis against the parse floor and 1 MB
messages. Timings are printed, never asserted: this is not a test.

    python bench/load.py [--seconds 10] [--rounds 3] [--connections 8] [--workers 2] [--skip-analysis]

wrk is Debian's `wrk` package: as root the script installs it, otherwise it says how.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from inviteguard.runtime.redis_server import EmbeddedRedis
from inviteguard.runtime.serve import GUNICORN_CONF

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SAMPLE = REPO / "tests" / "data" / "emls" / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"
ANALYZE = "/api/v1/analyze"

# wrk runs one Lua state per thread; `done` runs once in the main state with the merged figures.
# errors.status counts answers >= 400. Latencies are in microseconds.
REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"requests": %d, "seconds": %.6f, "socket_errors": %d, ' ..
    '"status_errors": %d, "p50_ms": %.3f, "p99_ms": %.3f}\\n', summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000))
end
"""

# The template is read once per thread; a new campaign puts a serial unique to the thread, the
# request and the run into the invite's notes, so its fingerprint (and the exact copy) is new.
BODY = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "message/rfc822"
local file = assert(io.open({sample}, "rb"))
local template = file:read("*a")
file:close()
local cut = select(2, string.find(template, "DESCRIPTION:", 1, true))
local head, tail = string.sub(template, 1, cut), string.sub(template, cut + 1)
wrk.body = template
local serial = 0
thread_id = 0  -- a global: setup() gives each thread its own with thread:set
local threads_made = 0
setup = function(thread)
  threads_made = threads_made + 1
  thread:set("thread_id", threads_made)
end
function new_campaign()
  serial = serial + 1
  return wrk.format(nil, nil, nil, head .. string.format("Ref %s-%d-%d ", {tag}, thread_id, serial) .. tail)
end
"""

SCENARIOS = {
    "cached": "",  # wrk.body, the same invite every time: the list copy whose verdict is cached
    "new campaign": "request = new_campaign\n",
    # What a mailbox sees: mostly copies of campaigns already judged, now and then a new one.
    "mixed": "request = function() if math.random(10) == 1 then return new_campaign() end "
             "return wrk.format() end\n",
}


@dataclass(frozen=True)
class Run:
    requests: int
    seconds: float
    socket_errors: int
    status_errors: int
    p50_ms: float
    p99_ms: float
    cpu_seconds: float = 0.0  # the server's, during the run

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / self.requests if self.requests else float("nan")

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.socket_errors + self.status_errors


def find_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing Debian's wrk ...", file=sys.stderr)
        subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "wrk"], check=True,
                       stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench/load.py needs wrk: apt-get install wrk (Debian's package)")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(port: int, path: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("POST", path, body=SAMPLE.read_bytes(), headers={"Content-Type": "message/rfc822"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn on port {port} did not answer {path}")


def gunicorn(app: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--access-logfile", "/dev/null", "--pythonpath", str(BENCH), app], env=env)


def worker_rss_mb(master: int) -> list[float]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def cpu_seconds(master: int) -> float:
    """User and system CPU of a gunicorn master and its workers so far (not Redis's, not wrk's).
    Workers recycled after max_requests count too: the master has reaped them, and their CPU is
    in its cutime and cstime."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in [str(master), *children]:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        if pid == str(master):
            total += int(fields[13]) + int(fields[14])  # cutime, cstime: its reaped workers'
    return total / os.sysconf("SC_CLK_TCK")


def wrk(binary: str, scripts: Path, port: int, path: str, scenario: str, tag: str, seconds: float,
        connections: int) -> Run:
    script = scripts / f"{scenario.replace(' ', '_')}_{tag}.lua"
    script.write_text(BODY.format(sample=json.dumps(str(SAMPLE)), tag=json.dumps(tag))
                      + SCENARIOS[scenario] + REPORT)
    output = subprocess.run([binary, "-t2", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
                             "-s", str(script), f"http://127.0.0.1:{port}{path}"],
                            capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK_RESULT "))
    return Run(**json.loads(line.removeprefix("WRK_RESULT ")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per scenario and round")
    parser.add_argument("--rounds", type=int, default=3, help="floor and service measured back to back, this often")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, for both")
    parser.add_argument("--mixed-requests", type=int, default=10_000, help="before the RSS is read")
    parser.add_argument("--skip-analysis", action="store_true", help="leave out bench/analyze.py's figures")
    args = parser.parse_args()
    binary = find_wrk()

    with tempfile.TemporaryDirectory(prefix="ig-load-") as work, EmbeddedRedis(Path(work) / "redis") as redis:
        scripts, metrics = Path(work) / "lua", Path(work) / "metrics"
        scripts.mkdir()
        metrics.mkdir()
        env = {**os.environ, "REDIS_URL": redis.url, "PROMETHEUS_MULTIPROC_DIR": str(metrics),
               # The limiter still counts every request (its cost is measured); it must not refuse them.
               "INVITEGUARD_ANALYZE_RATE_LIMIT_PER_ADDRESS": "100000000/minute"}
        floor_port, service_port = free_port(), free_port()
        servers = [gunicorn("floor_app:app", floor_port, args.workers, env),
                   gunicorn("inviteguard.wsgi:app", service_port, args.workers, env)]
        try:
            wait_ready(floor_port, "/floor")
            wait_ready(service_port, ANALYZE)

            floor_master, service_master = servers[0].pid, servers[1].pid
            scenarios = [("floor: bare Flask POST, one Redis GET (+SET on miss)", floor_master, floor_port, "/floor",
                          "cached"),
                         (f"POST {ANALYZE}, a raw invite whose answer is cached", service_master, service_port, ANALYZE,
                          "cached"),
                         (f"POST {ANALYZE}, every request a new campaign", service_master, service_port, ANALYZE,
                          "new campaign")]
            for _, _, port, path, scenario in scenarios:
                # An unmeasured second first warms imports, rules and the caches in every worker.
                wrk(binary, scripts, port, path, scenario, f"warm-{port}-{scenario}", 1, args.connections)

            def measured(master: int, port: int, path: str, scenario: str, tag: str) -> Run:
                before = cpu_seconds(master)
                run = wrk(binary, scripts, port, path, scenario, tag, args.seconds, args.connections)
                return dataclasses.replace(run, cpu_seconds=cpu_seconds(master) - before)

            # The machine's speed drifts (other processes share it): each round measures the floor and
            # the service back to back, and the ratios are taken round by round, then the median.
            rounds = [[measured(master, port, path, scenario, f"r{n}-{scenario}")
                       for _, master, port, path, scenario in scenarios] for n in range(args.rounds)]

            served, rss_warm, chunk = 0, [], 0
            while served < args.mixed_requests:
                run = wrk(binary, scripts, service_port, ANALYZE, "mixed", f"m{chunk}", 5, args.connections)
                served, chunk = served + run.requests, chunk + 1
                if not rss_warm:
                    rss_warm = worker_rss_mb(servers[1].pid)  # after the first chunk: warmed up
            rss_after = worker_rss_mb(servers[1].pid)
        finally:
            for server in servers:
                server.send_signal(signal.SIGTERM)
            for server in servers:
                server.wait(timeout=30)

    print(f"\nwrk -t2 -c{args.connections}, {args.rounds} rounds of {args.seconds:g} s a scenario; gunicorn with the "
          f"shipped config and {args.workers} workers; embedded Redis; {os.cpu_count()} cores; sample {SAMPLE.name} "
          f"({SAMPLE.stat().st_size} bytes); medians over the rounds, the ratio taken within each round\n")
    print("| endpoint | req/s | vs floor | p50 ms | p99 ms | errors | server CPU ms/request | CPU vs floor |")
    print("|---|---|---|---|---|---|---|---|")
    for index, (name, *_) in enumerate(scenarios):
        runs = [measured[index] for measured in rounds]
        ratio = statistics.median(measured[index].per_second / measured[0].per_second for measured in rounds)
        cpu = statistics.median(r.cpu_ms_per_request for r in runs)
        cpu_ratio = statistics.median(measured[index].cpu_ms_per_request / measured[0].cpu_ms_per_request
                                      for measured in rounds)
        print(f"| {name} | {statistics.median(r.per_second for r in runs):,.0f} | {ratio:.2f} | "
              f"{statistics.median(r.p50_ms for r in runs):.2f} | {statistics.median(r.p99_ms for r in runs):.2f} | "
              f"{sum(r.errors for r in runs)} | {cpu:.2f} | {cpu_ratio:.1f}x |")
    print("\nserver CPU per request does not depend on how busy the machine is; req/s and latency do.")
    print(f"\nRSS per worker after warm-up: {', '.join(f'{s:.0f}' for s in rss_warm)} MB; after {served:,} mixed "
          f"requests (1 in 10 a new campaign): {', '.join(f'{s:.0f}' for s in rss_after)} MB (goal <= 120 MB)")
    print("goals: cached >= 0.80 of the floor, new campaigns >= 0.25, cached p99 <= 20 ms, 0 errors")
    if not args.skip_analysis:
        print("\nuncached analysis in one process (bench/analyze.py):", flush=True)
        subprocess.run([sys.executable, str(BENCH / "analyze.py")], check=True)
    return 1 if any(run.errors for measured in rounds for run in measured) else 0


if __name__ == "__main__":
    raise SystemExit(main())
