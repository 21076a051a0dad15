"""Connecting to whichever Redis a deployment has: standalone, TLS, unix socket, Sentinel, Cluster.

URL schemes:
  redis://[[user]:password@]host[:port][/db]        rediss://... (TLS)        unix:///path/redis.sock[?db=N]
  redis+sentinel://[[user]:password@]host:port[,host:port...]/service_name[/db]   (rediss+sentinel: TLS)
  redis+cluster://[[user]:password@]host:port[,host:port...]                       (rediss+cluster: TLS)

Every client gets short connect/read timeouts and no retries: a verdict is worth more uncached
now than cached after a Redis hiccup, so callers treat any RedisError as "answer degraded".
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry
from redis.sentinel import Sentinel

Topology = Literal["standalone", "sentinel", "cluster"]
SENTINEL_SCHEMES = {"redis+sentinel": False, "rediss+sentinel": True}
CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}
STANDALONE_SCHEMES = {"redis", "rediss", "unix"}
DEFAULT_PORTS = {"standalone": 6379, "sentinel": 26379, "cluster": 6379}


@dataclass(frozen=True)
class RedisTarget:
    topology: Topology
    hosts: tuple[tuple[str, int], ...]  # (host, port); empty for standalone, which keeps its URL
    tls: bool = False
    service_name: str = ""  # Sentinel's master name
    db: int = 0
    username: str | None = None
    password: str | None = None


def _hosts(netloc: str, default_port: int) -> tuple[tuple[str, int], ...]:
    hosts = []
    for item in netloc.rpartition("@")[2].split(","):
        item = item.strip()
        if not item:
            continue
        if item.startswith("["):  # [IPv6]:port
            host, _, rest = item[1:].partition("]")
            port = rest.lstrip(":") or str(default_port)
        else:
            host, _, port = item.partition(":")
            port = port or str(default_port)
        if not host or not port.isdigit():
            raise ValueError(f"bad host:port {item!r} in the Redis URL")
        hosts.append((host, int(port)))
    if not hosts:
        raise ValueError("the Redis URL names no host")
    return tuple(hosts)


def _credentials(netloc: str) -> tuple[str | None, str | None]:
    if "@" not in netloc:
        return None, None
    userinfo = netloc.rpartition("@")[0]
    user, sep, password = userinfo.partition(":")
    if not sep:  # redis://secret@host is the classic password-only form
        return None, unquote(user) or None
    return unquote(user) or None, unquote(password) or None


def parse_redis_url(url: str) -> RedisTarget:
    """What a REDIS_URL asks for; raises ValueError with a plain message when it is malformed."""
    scheme = url.partition("://")[0].lower()
    if "://" not in url:
        raise ValueError("a Redis URL starts with redis://, rediss://, unix://, redis+sentinel:// "
                         "or redis+cluster://")
    if scheme in STANDALONE_SCHEMES:
        return RedisTarget("standalone", (), tls=scheme == "rediss")
    # urlsplit would reject "h1:1,h2:2" as a port, so the netloc is cut out by hand.
    rest = url.partition("://")[2]
    netloc, _, path = rest.partition("/")
    path = path.partition("?")[0]
    username, password = _credentials(netloc)
    if scheme in SENTINEL_SCHEMES:
        parts = [p for p in path.split("/") if p]
        if not parts:
            raise ValueError("a Sentinel URL needs the master's service name: redis+sentinel://h:26379/mymaster")
        db = parts[1] if len(parts) > 1 else "0"
        if not db.isdigit():
            raise ValueError(f"bad database number {db!r} in the Redis URL")
        return RedisTarget("sentinel", _hosts(netloc, DEFAULT_PORTS["sentinel"]),
                           tls=SENTINEL_SCHEMES[scheme], service_name=unquote(parts[0]), db=int(db),
                           username=username, password=password)
    if scheme in CLUSTER_SCHEMES:
        if path.strip("/") not in ("", "0"):
            raise ValueError("Redis Cluster has only database 0")
        return RedisTarget("cluster", _hosts(netloc, DEFAULT_PORTS["cluster"]), tls=CLUSTER_SCHEMES[scheme],
                           username=username, password=password)
    raise ValueError(f"unknown Redis URL scheme {scheme!r}")


def connect_redis(url: str, timeout: float = 0.05) -> redis.Redis | RedisCluster:
    """A client for `url`. Standalone and Sentinel clients connect lazily; Cluster reads its
    slot map here, so it raises RedisError when no node answers."""
    target = parse_redis_url(url)
    common = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "retry": Retry(NoBackoff(), 0),
              "decode_responses": False}
    if target.topology == "standalone":
        return redis.Redis.from_url(url, **common)
    auth = {"username": target.username, "password": target.password}
    if target.topology == "sentinel":
        sentinel = Sentinel(list(target.hosts), sentinel_kwargs={**common, **auth, "ssl": target.tls},
                            ssl=target.tls, **common)
        return sentinel.master_for(target.service_name, db=target.db, **auth)
    nodes = [ClusterNode(host, port) for host, port in target.hosts]
    return RedisCluster(startup_nodes=nodes, ssl=target.tls, **auth, **common)


def redact(url: str) -> str:
    """The URL without its password, for logs and error messages."""
    parts = urlsplit(url) if "," not in url else None
    if parts is not None and parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    if "@" in url and "://" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url


class RedisGate:
    """The one Redis client of an app, plus a short memory of failure.

    After a failure every caller skips Redis for `retry_after` seconds, so a dead Redis costs one
    timeout per few seconds per worker rather than one per request.
    """

    def __init__(self, url: str | None, timeout: float, retry_after: float) -> None:
        self.url = url
        self.timeout = timeout
        self.retry_after = retry_after
        self._client: redis.Redis | RedisCluster | None = None
        self._down_until = 0.0
        self._lock = threading.Lock()

    def client(self) -> redis.Redis | RedisCluster:
        """The client, or RedisError when Redis is unconfigured or recently failed."""
        if self.url is None:
            raise redis.ConnectionError("no REDIS_URL configured")
        if self.down:
            raise redis.ConnectionError("Redis failed moments ago; not retrying yet")
        with self._lock:
            if self._client is None:
                try:
                    self._connect()
                except redis.RedisError:
                    self.failed()
                    raise
            return self._client

    def _connect(self) -> None:
        assert self.url is not None  # callers checked
        self._client = connect_redis(self.url, self.timeout)
        # Close the sockets when the gate goes (an app that is dropped), not whenever the garbage
        # collector reaches them: a socket finalized before its connection warns.
        weakref.finalize(self, self._client.close)

    @property
    def down(self) -> bool:
        """Whether callers are skipping Redis now, after a recent failure."""
        return time.monotonic() < self._down_until

    def failed(self) -> None:
        # Only a real failure opens the window: a caller reporting the "not retrying yet" refusal
        # must not extend it, or steady traffic would keep Redis skipped long after it is back.
        now = time.monotonic()
        if now >= self._down_until:
            self._down_until = now + self.retry_after

    def ping(self) -> bool:
        """Asks Redis itself, ignoring the failure memory: readiness must see recovery at once."""
        if self.url is None:
            return False
        try:
            with self._lock:
                if self._client is None:
                    self._connect()
            ok = bool(self._client.ping())
        except redis.RedisError:
            self.failed()
            return False
        self._down_until = 0.0
        return ok
