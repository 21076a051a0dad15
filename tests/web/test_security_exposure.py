"""A deployment on the Internet (issue 13, points 10, 14, 15): with an https public URL the service
refuses to start open unless told so; /metrics and the OpenAPI document can be kept to internal
networks; under real gunicorn, slow request bodies cannot keep /healthz from answering, and the
access log holds no query strings (reporter addresses, comments, OIDC codes)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from inviteguard import create_app
from inviteguard.runtime.config import ConfigError
from inviteguard.runtime.redis_server import EmbeddedRedis
from process_helpers import free_port, wait_until_ready
from security_helpers import SIMPLE_MESSAGE

BIN = Path(sys.executable).parent


def test_an_https_deployment_without_authentication_refuses_to_start(redis_server: EmbeddedRedis) -> None:
    public = {"REDIS_URL": redis_server.url, "PUBLIC_URL": "https://inviteguard.example.com"}
    with pytest.raises(ConfigError, match="INVITEGUARD_API_AUTH_REQUIRED"):
        create_app(public)
    create_app({**public, "API_AUTH_REQUIRED": True})
    create_app({**public, "ALLOW_OPEN_API": True})  # told explicitly
    create_app({**public, "PUBLIC_URL": "http://127.0.0.1:8080"})  # a laptop


def test_gunicorn_stops_rather_than_serve_an_open_api(tmp_path_factory: pytest.TempPathFactory) -> None:
    workdir = Path(os.path.realpath(tmp_path_factory.mktemp("open")))
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("INVITEGUARD_")}
    env.update({"INVITEGUARD_PUBLIC_URL": "https://inviteguard.example.com", "INVITEGUARD_DELIVERY_IN_SERVE": "false"})
    done = subprocess.run([str(BIN / "inviteguard"), "serve", "--port", str(free_port()), "--workers", "1"],
                          cwd=workdir, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "INVITEGUARD_ALLOW_OPEN_API" in done.stdout + done.stderr


@pytest.mark.parametrize("path", ["/metrics", "/api/v1/openapi.json"])
def test_metrics_and_the_document_answer_only_the_allowed_networks(redis_server: EmbeddedRedis,
                                                                   redis_client: redis.Redis, path: str) -> None:
    client = create_app({"REDIS_URL": redis_server.url, "METRICS_ALLOWED_NETWORKS": "10.0.0.0/8, fd00::/8",
                         "TRUSTED_PROXIES": 1}).test_client()
    refused = client.get(path)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert client.get(path, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get(path, headers={"X-Forwarded-For": "10.9.8.7"}).status_code == 200  # behind the proxy
    assert client.get(path, headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 403
    assert client.get("/healthz").status_code == 200  # health stays open for the load balancer


def test_a_bad_network_setting_stops_start_up(redis_server: EmbeddedRedis) -> None:
    with pytest.raises(ConfigError, match="INVITEGUARD_METRICS_ALLOWED_NETWORKS"):
        create_app({"REDIS_URL": redis_server.url, "METRICS_ALLOWED_NETWORKS": "intranet"})
    with pytest.raises(ConfigError, match="INVITEGUARD_REPORT_WEBHOOK_ALLOWED_NETWORKS"):
        create_app({"REDIS_URL": redis_server.url, "REPORT_WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/33"})


# ------------------------------------------------------------------ under gunicorn

@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`inviteguard serve` with one worker of two threads and a one-second body deadline."""
    workdir = Path(os.path.realpath(tmp_path_factory.mktemp("slow")))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("INVITEGUARD_")}
    env.update({"INVITEGUARD_BODY_READ_TIMEOUT_SECONDS": "1", "INVITEGUARD_DELIVERY_IN_SERVE": "false"})
    process = subprocess.Popen([str(BIN / "inviteguard"), "serve", "--port", str(port), "--workers", "1"],
                               cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def slow_sender(base: str) -> socket.socket:
    """A client that promises a body and then sends almost none of it."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(b"POST /api/v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: message/rfc822\r\n"
                 b"Content-Length: 100000\r\n\r\nFrom: a")
    return sock


def test_slow_bodies_cannot_keep_healthz_from_answering(gunicorn: tuple[str, subprocess.Popen[str]]) -> None:
    base, _ = gunicorn
    senders = [slow_sender(base) for _ in range(6)]  # three times the worker's threads
    try:
        # Without a deadline each sender held a thread until it gave up; with it, every one is
        # answered 408 within about a second and /healthz gets its turn.
        assert requests.get(f"{base}/healthz", timeout=30).status_code == 200
        for sender in senders:
            sender.settimeout(30)
            assert sender.recv(200).startswith(b"HTTP/1.1 408")
    finally:
        for sender in senders:
            sender.close()


def test_the_access_log_has_no_query_strings(gunicorn: tuple[str, subprocess.Popen[str]]) -> None:
    base, process = gunicorn
    requests.post(f"{base}/api/v1/reports", data=SIMPLE_MESSAGE, timeout=30,
                  headers={"Content-Type": "message/rfc822"},
                  params={"reporter": "alice.secret@contoso.com", "comment": "my-private-comment"})
    requests.get(f"{base}/admin/oidc/callback", params={"code": "CODE-12345", "state": "STATE-67890"}, timeout=30)
    requests.get(f"{base}/healthz", params={"marker": "end"}, timeout=30)
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=30)[0]
    assert '"POST /api/v1/reports HTTP/1.1" 202' in output
    assert '"GET /admin/oidc/callback HTTP/1.1"' in output and '"GET /healthz HTTP/1.1" 200' in output
    for secret in ("alice.secret", "my-private-comment", "CODE-12345", "STATE-67890", "marker"):
        assert secret not in output
