"""The cached answer's shortcuts (issue 14) give what the general code gave: the same Vary header,
the same metric children, the same locale wishes, the same Redis values."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from inviteguard.web import api
from inviteguard.web.cache import queue_reads, read_replies
from inviteguard.web.metrics import CHILDREN_KEPT, Metrics
from inviteguard.web.security import add_vary, has_header
from werkzeug.wrappers import Response

INVITE = Path(__file__).parents[1] / "data" / "emls" / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"


@pytest.mark.parametrize("vary", [None, "Accept-Encoding", "origin", "Accept-Encoding, Origin", '"x y", Cookie'])
def test_add_vary_gives_the_header_werkzeug_gives(vary: str | None) -> None:
    ours, theirs = Response(b"{}", mimetype="application/json"), Response(b"{}", mimetype="application/json")
    for response in (ours, theirs):
        if vary is not None:
            response.headers["Vary"] = vary
    add_vary(ours, "Origin")
    theirs.vary.add("Origin")
    assert list(ours.headers) == list(theirs.headers)


def test_has_header_ignores_case() -> None:
    response = Response(b"", headers={"x-content-type-options": "nosniff"})
    assert has_header(response, "X-Content-Type-Options") and not has_header(response, "Vary")


def test_a_metric_child_is_the_one_labels_gives() -> None:
    metrics = Metrics()
    assert metrics.child(metrics.requests, "/api/v1/analyze", "POST", "200") \
        is metrics.requests.labels("/api/v1/analyze", "POST", "200")
    assert metrics.child(metrics.verdicts, "phishing") is metrics.verdicts.labels("phishing")
    for n in range(CHILDREN_KEPT + 10):  # past the kept ones, still the right child
        assert metrics.child(metrics.errors, f"code{n}") is metrics.errors.labels(f"code{n}")


@pytest.mark.parametrize(("query", "headers", "wishes"), [
    ("", {}, ("", "", "")),
    ("locale=fr", {}, ("fr", "", "")),
    ("other=1", {"X-InviteGuard-Locale": "es", "Accept-Language": "de-DE,de;q=0.9"},
     ("", "es", "de-DE,de;q=0.9")),
])
def test_locale_wishes_read_the_query_and_the_headers(app: Flask, query: str, headers: dict[str, str],
                                                      wishes: tuple[str, ...]) -> None:
    with app.test_request_context(f"/api/v1/analyze?{query}", method="POST", headers=headers):
        assert api.locale_wishes() == wishes


@pytest.mark.parametrize("one_command", [True, False])
def test_reads_come_back_in_key_order(redis_client: redis.Redis, one_command: bool) -> None:
    redis_client.set("hot:a", b"1")
    redis_client.set("hot:c", b"3")
    pipe = redis_client.pipeline(transaction=False)
    pipe.incr("hot:counter")  # a rider's command before the reads
    queue_reads(pipe, ("hot:a", "hot:b", "hot:c"), one_command)
    replies = pipe.execute()
    assert read_replies(replies[1:], one_command) == [b"1", None, b"3"]


@pytest.mark.parametrize("wish", [{"query_string": "locale=de"}, {"headers": {"X-InviteGuard-Locale": "de"}}])
def test_a_locale_asked_outside_the_body_gets_its_own_cached_answer(client: FlaskClient, wish: dict) -> None:
    raw = INVITE.read_bytes()

    def analyze(**extra: object) -> dict:
        response = client.post("/api/v1/analyze", data=raw, content_type="message/rfc822", **extra)
        assert response.status_code == 200
        return response.get_json()

    english = analyze()
    german = analyze(**wish)
    assert german["banner"]["title"] != english["banner"]["title"]
    assert analyze(**wish) == {**german, "cached": True}
    assert analyze() == {**english, "cached": True}
