"""Reports cannot fill Redis (issue 13, point 6): an original is stored once however many names
report it, and what one reporter or (for self-asserted names) one client address adds a day is
capped; past the cap the report is still stored and delivered, with the original's header block."""

from __future__ import annotations

import base64

import redis
from flask import Flask
from inviteguard import create_app
from inviteguard.reports.store import PREFIX
from inviteguard.runtime.redis_server import EmbeddedRedis
from test_reports_api import login
from test_reports_trust import signed_in

MB = 1024 * 1024


def large_message(tag: str, size: int = 5 * MB) -> bytes:
    head = f"From: Eve <eve@evil.example>\r\nSubject: big {tag}\r\nMessage-ID: <{tag}@evil.example>\r\n\r\n".encode()
    return head + (b"B" * 998 + b"\r\n") * (size // 1000)


def stored_bytes(redis_client: redis.Redis) -> int:
    return sum(int(redis_client.strlen(key)) for key in redis_client.scan_iter(f"{PREFIX}eml:*"))


def app_with(redis_server: EmbeddedRedis, **config: object) -> Flask:
    return create_app({"REDIS_URL": redis_server.url, "TESTING": True, "REDIS_TIMEOUT_SECONDS": 5.0,
                       "ADMIN_COOKIE_SECURE": False, **config})


def test_twenty_names_reporting_one_message_store_it_once(redis_server: EmbeddedRedis,
                                                          redis_client: redis.Redis) -> None:
    client = app_with(redis_server).test_client()
    raw = large_message("same")
    encoded = base64.b64encode(raw).decode()
    ids = set()
    for n in range(20):
        answer = client.post("/api/v1/reports", json={"eml": encoded, "reporter": f"name{n}@contoso.com"})
        assert answer.status_code == 202
        ids.add(answer.get_json()["report_id"])
    assert len(ids) == 20  # twenty reports, each triaged and delivered
    assert stored_bytes(redis_client) == len(raw)  # one copy of the original


def test_a_self_asserted_flood_from_one_address_keeps_only_header_blocks(redis_server: EmbeddedRedis,
                                                                         redis_client: redis.Redis) -> None:
    client = app_with(redis_server, REPORT_BYTES_PER_ADDRESS_PER_DAY=12 * MB).test_client()
    raws = [large_message(f"m{n}") for n in range(5)]
    for n, raw in enumerate(raws):  # five different 5 MB messages under five made-up names
        answer = client.post("/api/v1/reports", json={"eml": base64.b64encode(raw).decode(),
                                                      "reporter": f"name{n}@contoso.com"})
        assert answer.status_code == 202
    assert stored_bytes(redis_client) < 12 * MB
    login(client, redis_client, "analyst")
    listed = client.get("/api/v1/reports").get_json()["reports"]
    kept = {r["subject"]: r["original_kept"] for r in listed}
    assert kept == {"big m0": True, "big m1": True, "big m2": False, "big m3": False, "big m4": False}
    trimmed = next(r for r in listed if r["subject"] == "big m4")
    eml = client.get(trimmed["eml_url"]).get_data()
    assert eml.startswith(b"From: Eve <eve@evil.example>\r\n") and len(eml) < 1000


def test_a_verified_reporter_has_a_cap_of_their_own(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    client = app_with(redis_server, REPORT_BYTES_PER_REPORTER_PER_DAY=7 * MB,
                      REPORT_BYTES_PER_ADDRESS_PER_DAY=1 * MB).test_client()
    alice, bob = signed_in(redis_client, "alice@contoso.com"), signed_in(redis_client, "bob@contoso.com")
    for headers, tag in ((alice, "a1"), (alice, "a2"), (bob, "b1")):  # behind one office address
        answer = client.post("/api/v1/reports", json={"eml": base64.b64encode(large_message(tag)).decode()},
                             headers=headers)
        assert answer.status_code == 202 and answer.get_json()["reporter_verified"] is True
    login(client, redis_client, "analyst")
    kept = {r["subject"]: r["original_kept"] for r in client.get("/api/v1/reports").get_json()["reports"]}
    assert kept == {"big a1": True, "big a2": False, "big b1": True}
