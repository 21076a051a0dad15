"""Banner texts versioned in Redis: an edit is live on the next request in every worker (here:
two apps sharing one Redis, as two gunicorn workers do), versions are listed, rollback works."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from inviteguard import create_app
from inviteguard.banner.store import BannerStore
from inviteguard.runtime.redis_conn import RedisGate

INVITE = Path(__file__).parents[1] / "data" / "emls" / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"


def title(app: Flask, locale: str = "en") -> str:
    response = app.test_client().post(f"/api/v1/analyze?locale={locale}", data=INVITE.read_bytes(),
                                      content_type="message/rfc822")
    return response.get_json()["banner"]["title"]


@pytest.fixture
def two_workers(redis_server, redis_client) -> tuple[Flask, Flask]:
    config = {"REDIS_URL": redis_server.url, "REDIS_TIMEOUT_SECONDS": 1.0}
    return create_app(config), create_app(config)


def test_an_edit_is_live_on_the_next_request_in_every_worker(two_workers: tuple[Flask, Flask]) -> None:
    editor, reader = two_workers
    shipped = title(reader)
    title(editor)
    version = editor.extensions["inviteguard"].texts.save(
        {"en": {"banner": {"phishing": {"title": "Stop: this is a scam"}}}}, author="awareness@contoso.com")
    assert version == 1
    assert title(reader) == "Stop: this is a scam"
    assert title(editor) == "Stop: this is a scam"
    assert title(reader, "de") != "Stop: this is a scam"  # other locales keep their own text
    assert shipped != "Stop: this is a scam"


def test_edits_accumulate_and_roll_back(two_workers: tuple[Flask, Flask]) -> None:
    editor, reader = two_workers
    store: BannerStore = editor.extensions["inviteguard"].texts
    shipped = title(reader)
    first = store.save({"en": {"banner": {"phishing": {"title": "One"}}}}, author="a")
    second = store.save({"en": {"reasons": {"forward.srs": {"title": "Via a list"}}}}, author="b")
    assert store.get_texts("en").banner["phishing"]["title"] == "One"  # kept by the second edit
    assert store.get_texts("en").reasons["forward.srs"].title == "Via a list"
    assert [v.version for v in store.versions()] == [second, first, 0]
    assert store.versions()[0].author == "b" and store.versions()[0].locales == ("en",)

    store.rollback(first)
    assert title(reader) == "One"
    assert store.get_texts("en").reasons["forward.srs"].title != "Via a list"
    store.rollback(0)
    assert title(reader) == shipped
    assert store.versions()[0].note == "rollback to 0"


@pytest.mark.parametrize("edits", [
    {"xx": {"banner": {}}},
    {"en": {"banner": {"alarming": {"title": "x"}}}},
    {"en": {"reasons": {"forward.srs": {"title": "{% if %}"}}}},
    {"en": {"reasons": {"forward.srs": {"colour": "red"}}}},
    {"en": {"reasons": {"forward.srs": {"title": 5}}}},
])
def test_broken_edits_are_refused(two_workers: tuple[Flask, Flask], edits: dict) -> None:
    store: BannerStore = two_workers[0].extensions["inviteguard"].texts
    with pytest.raises(ValueError):
        store.save(edits, author="a")
    assert [v.version for v in store.versions()] == [0]


def test_redis_down_serves_the_shipped_texts_degraded() -> None:
    store = BannerStore(RedisGate("redis://127.0.0.1:9/0", timeout=0.05, retry_after=1.0))
    snapshot = store.snapshot()
    assert snapshot.degraded is True
    assert snapshot.texts["en"].banner["phishing"]["title"]
    assert snapshot.version == f"0.{store.defaults_hash}"


def test_get_texts_falls_back_like_readers(two_workers: tuple[Flask, Flask]) -> None:
    store: BannerStore = two_workers[0].extensions["inviteguard"].texts
    assert store.get_texts("de-AT").locale == "de"
    assert store.get_texts("pt-BR").locale == "en"
