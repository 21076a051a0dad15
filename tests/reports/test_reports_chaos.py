"""Chaos (issue 13, "Done when"): while reports keep arriving, Redis is killed and restarted, the
SOC's SMTP server is down and then up, the webhook answers garbage before it recovers, and a
delivery worker process is killed with SIGKILL. Every report acknowledged with a 202 reaches both
destinations, and the delivery threads of the worker that lived through it all are still alive."""

from __future__ import annotations

import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from inviteguard.runtime.redis_server import EmbeddedRedis
from process_helpers import free_port
from test_reports_delivery import INVITE, SmtpServer, Webhook, _worker_process, service, settings_for, worker
from test_reports_hostile import GarbageWebhook

REPORT_ID = re.compile(rb"^X-InviteGuard-Report-Id: (\S+)\r$", re.MULTILINE)


class Reporter:
    """Posts reports from a thread, each from a new colleague, and keeps the ids of those acknowledged."""

    def __init__(self, submit: Callable[[int], tuple[int, str]]) -> None:
        self.submit = submit
        self.acknowledged: list[str] = []
        self.refused = 0  # 503s while Redis was down: not acknowledged, so the add-in keeps them
        self.unexpected: list[int] = []  # any other answer
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            n += 1
            status, report_id = self.submit(n)
            if status == 202:
                self.acknowledged.append(report_id)
            elif status == 503:
                self.refused += 1
                time.sleep(0.05)
            else:
                self.unexpected.append(status)

    def wait_for(self, done: Callable[[], bool], what: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            assert (self.thread.is_alive() or self.stopping.is_set()) and not self.unexpected, self.unexpected
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)


@pytest.fixture
def redis_dir() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="ig-chaos-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.slow  # about half a minute of real processes being killed and restarted
def test_no_acknowledged_report_is_lost_and_no_thread_dies(redis_dir: Path) -> None:
    server = EmbeddedRedis(redis_dir)
    url = server.start()
    smtp = SmtpServer(free_port())  # down at first
    webhook = Webhook()
    garbage = GarbageWebhook(webhook)  # answers garbage at first
    config = settings_for(url, smtp, None, REPORT_WEBHOOK_URL=garbage.url, REPORT_WEBHOOK_SECRET="s",
                          REPORT_WEBHOOK_TIMEOUT_SECONDS=1.0, REPORT_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
                          DELIVERY_MAX_ATTEMPTS=1_000_000, DELIVERY_CLAIM_IDLE_SECONDS=1.0,
                          REPORT_REDIS_TIMEOUT_SECONDS=2.0, SOC_SMTP_TIMEOUT_SECONDS=2.0,
                          REPORT_RATE_LIMIT_PER_ADDRESS="1000000/minute")  # one test client posts them all
    app = service(config)
    raw = INVITE.read_bytes()

    def submit(n: int) -> tuple[int, str]:
        answer = app.test_client().post("/api/v1/reports", data=raw, content_type="message/rfc822",
                                        query_string={"reporter": f"colleague{n}@contoso.com"})
        return answer.status_code, (answer.get_json() or {}).get("report_id", "")

    reporter = Reporter(submit)
    survivor = worker(config)
    victim = _worker_process(config)
    successor = None
    survivor.start()
    reporter.thread.start()
    try:
        reporter.wait_for(lambda: len(reporter.acknowledged) >= 5, "the first reports")

        assert server.process is not None
        server.process.kill()  # SIGKILL mid-run: only what the append-only file holds survives
        server.process.wait()
        reporter.wait_for(lambda: reporter.refused > 0, "a report refused while Redis is down")
        server = EmbeddedRedis(redis_dir)
        server.start()
        before = len(reporter.acknowledged)
        reporter.wait_for(lambda: len(reporter.acknowledged) >= before + 5, "reports after the restart")

        victim.send_signal(signal.SIGKILL)  # whatever it held is taken over by the others
        victim.wait(30)
        successor = _worker_process(config)
        before = len(reporter.acknowledged)
        reporter.wait_for(lambda: len(reporter.acknowledged) >= before + 5, "reports after the worker died")

        smtp.start()
        garbage.fixed.set()
        reporter.stopping.set()
        reporter.thread.join(30)
        acknowledged = set(reporter.acknowledged)

        def mailed() -> set[str]:
            return {m.decode() for e in smtp.inbox.messages for m in REPORT_ID.findall(e.content)}

        reporter.wait_for(lambda: acknowledged <= mailed() and acknowledged <= set(webhook.report_ids()),
                          "every acknowledged report at both destinations", seconds=180)
        assert garbage.garbage_answers > 0 and reporter.refused > 0
        assert survivor.alive() and all(t.is_alive() for t in survivor.threads)
        assert successor.poll() is None  # the other worker lives on too
    finally:
        reporter.stopping.set()
        survivor.stop()
        for process in (victim, successor):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(30)
        smtp.stop()
        garbage.close()
        webhook.close()
        server.stop()
