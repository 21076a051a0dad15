"""The live_server fixture serves the real app over real HTTP with a real Redis."""

import requests


def test_live_server_answers_health_and_readiness(live_server: str) -> None:
    health = requests.get(f"{live_server}/healthz", timeout=5)
    ready = requests.get(f"{live_server}/readyz", timeout=5)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "redis": "ok"}


def test_live_server_rejects_a_wrong_content_type_with_json(live_server: str) -> None:
    response = requests.post(f"{live_server}/api/v1/analyze", data="hi",
                             headers={"Content-Type": "text/plain"}, timeout=5)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
