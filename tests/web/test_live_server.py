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


def test_chunked_upload_over_the_size_limit_is_413(redis_server) -> None:
    # Without Content-Length the limit must hold while the stream is read.
    import threading

    from inviteguard import create_app
    from werkzeug.serving import make_server

    app = create_app({"REDIS_URL": redis_server.url, "MAX_BODY_BYTES": 2048})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        chunks = (b"x" * 1024 for _ in range(8))  # a generator makes requests send it chunked
        response = requests.post(f"http://127.0.0.1:{server.server_port}/api/v1/analyze", data=chunks,
                                 headers={"Content-Type": "message/rfc822"}, timeout=5)
    finally:
        server.shutdown()
        thread.join(timeout=5)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
