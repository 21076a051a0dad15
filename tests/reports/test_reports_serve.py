"""`inviteguard serve` runs the report delivery worker beside gunicorn: a report POSTed over HTTP
reaches the webhook and shows in the shared /metrics, and the worker stops with the service."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from test_reports_delivery import INVITE, SECRET, Webhook, free_port, webhook_json

BIN = Path(sys.executable).parent


def _wait_until_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass  # still booting
        time.sleep(0.2)
    raise AssertionError(f"inviteguard serve did not become ready:\n{log.read_text(errors='replace')}")


def test_serve_delivers_reports_by_default() -> None:
    webhook = Webhook()
    # A short directory: the embedded Redis' unix socket path must stay under 108 bytes.
    workdir = Path(tempfile.mkdtemp(prefix="ig-serve-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("INVITEGUARD_")}
    env.update({"INVITEGUARD_REPORT_WEBHOOK_URL": webhook.url, "INVITEGUARD_REPORT_WEBHOOK_SECRET": SECRET})
    log = workdir / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(BIN / "inviteguard"), "serve", "--port", str(port), "--workers", "1"],
                                   cwd=workdir, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base, process, log)
        response = requests.post(f"{base}/api/v1/reports", data=INVITE.read_bytes(), timeout=10,
                                 headers={"Content-Type": "message/rfc822"}, params={"reporter": "alice@contoso.com"})
        assert response.status_code == 202
        report_id = response.json()["report_id"]
        deadline = time.monotonic() + 30
        while not webhook.received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert webhook.report_ids() == [report_id], log.read_text(errors="replace")
        assert webhook_json(*webhook.received[0])["reporter"] == "alice@contoso.com"
        metrics = requests.get(f"{base}/metrics", timeout=10).text
        assert 'inviteguard_report_deliveries_total{destination="webhook",outcome="delivered"} 1.0' in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        stopped = process.wait(timeout=30)
        webhook.close()
        output = log.read_text(errors="replace")
        shutil.rmtree(workdir, ignore_errors=True)
    assert stopped == 0
    assert "delivering reports from unix://" in output
    assert "delivery worker stopped" in output  # serve waited for it before it stopped Redis
