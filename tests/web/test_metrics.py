"""GET /metrics exposes requests, latencies, verdicts by level, cache hits/misses and errors."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

INVITE = Path(__file__).parents[1] / "data" / "emls" / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"


def samples(client: FlaskClient) -> dict[tuple[str, tuple], float]:
    text = client.get("/metrics").get_data(as_text=True)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_count_what_happened(client: FlaskClient) -> None:
    for _ in range(3):
        client.post("/api/v1/analyze", data=INVITE.read_bytes(), content_type="message/rfc822")
    client.post("/api/v1/analyze", data=b"x", content_type="text/plain")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    seen = samples(client)
    assert seen[("inviteguard_verdict_cache_misses_total", ())] == 1
    assert seen[("inviteguard_verdict_cache_hits_total", ())] == 2
    assert seen[("inviteguard_verdicts_total", (("level", "phishing"),))] == 3
    assert seen[("inviteguard_errors_total", (("code", "unsupported_media_type"),))] == 1
    assert seen[("inviteguard_http_requests_total", (("endpoint", "/api/v1/analyze"), ("method", "POST"),
                                                     ("status", "200")))] == 3
    assert seen[("inviteguard_http_request_duration_seconds_count", (("endpoint", "/api/v1/analyze"),))] == 4
    assert seen[("inviteguard_analysis_duration_seconds_count", ())] == 1
