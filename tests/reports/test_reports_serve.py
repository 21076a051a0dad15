"""`inviteguard serve` runs the report delivery worker beside gunicorn, even with no destination in
its environment: a webhook saved in the console is used within seconds, a report POSTed over HTTP
reaches it and shows in the shared /metrics, and the worker stops with the service."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import requests
from inviteguard.runtime.organisation import save_org_settings
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


def test_serve_delivers_reports_to_a_webhook_saved_in_the_console() -> None:
    webhook = Webhook()
    # A short directory: the embedded Redis' unix socket path must stay under 108 bytes.
    workdir = Path(tempfile.mkdtemp(prefix="ig-serve-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("INVITEGUARD_")}
    env.update({"INVITEGUARD_REPORT_WEBHOOK_SECRET": SECRET, "INVITEGUARD_SETTINGS_REFRESH_SECONDS": "0.2",
                "INVITEGUARD_REPORT_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"})
    log = workdir / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(BIN / "inviteguard"), "serve", "--port", str(port), "--workers", "1"],
                                   cwd=workdir, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base, process, log)
        console = redis.Redis(unix_socket_path=str(workdir / "var" / "redis" / "redis.sock"))
        save_org_settings(console, {"report_webhook_url": webhook.url}, "editor")
        response = requests.post(f"{base}/api/v1/reports", data=INVITE.read_bytes(), timeout=10,
                                 headers={"Content-Type": "message/rfc822"}, params={"reporter": "alice@contoso.com"})
        assert response.status_code == 202
        report_id = response.json()["report_id"]
        deadline = time.monotonic() + 30
        while not webhook.received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert webhook.report_ids() == [report_id], log.read_text(errors="replace")
        assert webhook_json(*webhook.received[0])["reporter"] == "alice@contoso.com"
        # The worker counts the delivery after the webhook answered: wait for the count, not a moment.
        delivered = 'inviteguard_report_deliveries_total{destination="webhook",outcome="delivered"} 1.0'
        deadline = time.monotonic() + 30
        while delivered not in (metrics := requests.get(f"{base}/metrics", timeout=10).text):
            assert time.monotonic() < deadline, metrics
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        stopped = process.wait(timeout=30)
        webhook.close()
        output = log.read_text(errors="replace")
        shutil.rmtree(workdir, ignore_errors=True)
    assert stopped == 0
    assert "delivering reports from unix://" in output
    assert "delivery worker stopped" in output  # serve waited for it before it stopped Redis
