"""Redis stopped mid-run behind a guarded service (client keys, rate limits on Redis): analyze keeps
answering, degraded; reports answer 503 with Retry-After; both recover when Redis is back on the
same data directory; no acknowledged report is lost."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask.testing import FlaskClient
from inviteguard import create_app
from inviteguard.runtime.redis_server import EmbeddedRedis
from inviteguard.web.client_auth import KEY_HEADER, KeyStore
from security_helpers import EMLS, LIST_INVITE

INVITES = sorted(EMLS.glob("icloud_list_srs/*.eml"))[:3]


@pytest.fixture
def data_dir() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="ig-outage-"))  # short: a unix socket path
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def analyze(client: FlaskClient, key: str) -> dict[str, object]:
    response = client.post("/api/v1/analyze", data=LIST_INVITE.read_bytes(), content_type="message/rfc822",
                           headers={KEY_HEADER: key})
    assert response.status_code == 200
    return response.get_json()


def report(client: FlaskClient, key: str, raw: bytes, reporter: str) -> object:
    return client.post("/api/v1/reports", data=raw, content_type="message/rfc822",
                       query_string={"reporter": reporter}, headers={KEY_HEADER: key})


def test_redis_stopped_mid_run_and_restarted(data_dir: Path) -> None:
    server = EmbeddedRedis(data_dir)
    url = server.start()
    try:
        key = KeyStore(redis.Redis.from_url(url)).create("thunderbird")
        app = create_app({"REDIS_URL": url, "CLIENT_KEYS_REFRESH_SECONDS": 0, "REDIS_RETRY_AFTER_SECONDS": 0.2,
                          "API_AUTH_REQUIRED": True})
        client = app.test_client()
        assert analyze(client, key)["cached"] is False
        assert analyze(client, key)["cached"] is True
        acknowledged = []
        for n, path in enumerate(INVITES):
            response = report(client, key, path.read_bytes(), f"user{n}@contoso.com")
            assert response.status_code == 202
            acknowledged.append(response.get_json()["report_id"])

        assert server.process is not None
        server.process.kill()  # SIGKILL: only what the append-only file holds survives
        server.process.wait()

        for _ in range(5):
            body = analyze(client, key)  # the key table in memory still admits the add-in
            assert body["degraded"] is True and body["verdict"] == "phishing"
        refused = report(client, key, LIST_INVITE.read_bytes(), "late@contoso.com")
        assert refused.status_code == 503
        assert refused.get_json()["error"]["code"] == "report_store_unavailable"
        assert int(refused.headers["Retry-After"]) >= 1
        unknown = client.post("/api/v1/analyze", data=LIST_INVITE.read_bytes(), content_type="message/rfc822",
                              headers={KEY_HEADER: "not-a-key"})
        assert unknown.status_code == 401  # an outage opens nothing

        server = EmbeddedRedis(data_dir)
        server.start()
        deadline = time.monotonic() + 10
        while analyze(client, key).get("degraded") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "degraded" not in analyze(client, key)
        again = report(client, key, LIST_INVITE.read_bytes(), "late@contoso.com")
        assert again.status_code == 202
        store = app.extensions["inviteguard.reports"]
        for report_id in [*acknowledged, again.get_json()["report_id"]]:
            stored = store.get(report_id)
            assert stored is not None and stored.id == report_id
    finally:
        server.stop()
