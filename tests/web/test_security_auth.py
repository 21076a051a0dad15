"""Who may call analyze and reports: Entra ID tokens checked against a JWKS served over HTTP,
named revocable client keys, the open default with its one warning, and admin kept apart."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import redis
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask.testing import FlaskClient
from inviteguard import create_app
from inviteguard.cli import main
from inviteguard.runtime.redis_server import EmbeddedRedis
from inviteguard.web.client_auth import KEY_HEADER, KeyStore
from security_helpers import (
    APP_ID,
    LIST_INVITE,
    OTHER_TENANT,
    PUBLIC_URL,
    SIMPLE_MESSAGE,
    TENANT,
    FakeEntra,
    SigningKey,
    bearer,
    claims,
    mint,
)

ANALYZE = "/api/v1/analyze"
REPORTS = "/api/v1/reports"


@pytest.fixture
def entra() -> Iterator[FakeEntra]:
    with FakeEntra().running() as fake:
        yield fake


def entra_app(redis_server: EmbeddedRedis, entra: FakeEntra, **extra: Any) -> Flask:
    return create_app({"REDIS_URL": redis_server.url, "REDIS_TIMEOUT_SECONDS": 1.0, "PUBLIC_URL": PUBLIC_URL,
                       "ENTRA_CLIENT_ID": APP_ID, "ENTRA_TENANT_IDS": f"{TENANT}, {OTHER_TENANT[:8]}",
                       "ENTRA_JWKS_URL": entra.jwks_url, "ENTRA_JWKS_REFRESH_SECONDS": 0, **extra})


@pytest.fixture
def sso(redis_server: EmbeddedRedis, redis_client: redis.Redis, entra: FakeEntra) -> FlaskClient:
    return entra_app(redis_server, entra).test_client()


def analyze(client: FlaskClient, headers: dict[str, str] | None = None) -> Any:
    return client.post(ANALYZE, data=SIMPLE_MESSAGE, content_type="message/rfc822", headers=headers or {})


# ------------------------------------------------------------------ Entra ID tokens

def test_a_valid_sso_token_is_accepted(sso: FlaskClient, entra: FakeEntra) -> None:
    response = analyze(sso, bearer(mint(entra.keys[0])))
    assert response.status_code == 200
    assert response.get_json()["verdict"] == "clean"


def test_v1_tokens_with_the_application_id_uri_as_audience_are_accepted(sso: FlaskClient, entra: FakeEntra) -> None:
    token = mint(entra.keys[0], iss=f"https://sts.windows.net/{TENANT}/", aud=f"api://ig.contoso.com/{APP_ID}",
                 preferred_username=None, upn="alice@contoso.com", ver="1.0")
    assert analyze(sso, bearer(token)).status_code == 200


def _none_token() -> str:
    return jwt.encode({"aud": APP_ID, "tid": TENANT}, None, algorithm="none")


def _hs256_with_public_key(key: SigningKey) -> str:
    """The classic confusion attack: HMAC keyed with the RSA public key, which anyone can fetch.
    Built by hand, since PyJWT itself refuses to sign with a public key."""
    def part(data: dict[str, Any]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    pem = key.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = part({"alg": "HS256", "typ": "JWT", "kid": key.kid}) + b"." + part(claims())
    signature = base64.urlsafe_b64encode(hmac.new(pem, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return (signing_input + b"." + signature).decode()


@pytest.mark.parametrize(("forge", "why"), [
    (lambda k: mint(k, exp=1_600_000_000, nbf=1_599_990_000, iat=1_599_990_000), "expired"),
    (lambda k: mint(k, nbf=4_000_000_000), "not valid yet"),
    (lambda k: mint(k, aud="api://someone-else/0000"), "another application"),
    (lambda k: mint(k, iss=f"https://login.evil.example/{TENANT}/v2.0"), "not issued by Entra"),
    (lambda k: mint(k, tid=OTHER_TENANT, iss=f"https://login.microsoftonline.com/{OTHER_TENANT}/v2.0"), "tenant"),
    (lambda k: mint(k, tid=None), "not valid"),
    (lambda k: _none_token(), "RS256"),
    (_hs256_with_public_key, "RS256"),
    (lambda k: mint(SigningKey("k-unknown")), "unknown key"),
    (lambda k: mint(SigningKey("k1")), "not valid"),  # a known kid, signed by someone else's key
    (lambda k: "not.a.jwt", "malformed"),
    (lambda k: mint(k) + "x" * 20000, "too long"),
])
def test_bad_tokens_are_refused_with_401(sso: FlaskClient, entra: FakeEntra, forge: Any, why: str) -> None:
    response = analyze(sso, bearer(forge(entra.keys[0])))
    assert response.status_code == 401
    error = response.get_json()["error"]
    assert error["code"] == "invalid_token" and why in error["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_without_credentials_an_sso_deployment_answers_401(sso: FlaskClient) -> None:
    response = analyze(sso)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"


def test_a_key_rolled_over_in_the_jwks_is_picked_up(sso: FlaskClient, entra: FakeEntra) -> None:
    assert analyze(sso, bearer(mint(entra.keys[0]))).status_code == 200
    fetched = entra.fetches
    rolled = SigningKey("k2")
    entra.keys.append(rolled)
    assert analyze(sso, bearer(mint(rolled))).status_code == 200
    assert entra.fetches == fetched + 1
    assert analyze(sso, bearer(mint(rolled))).status_code == 200
    assert entra.fetches == fetched + 1  # cached now


def test_unknown_key_ids_cannot_make_the_service_fetch_again_and_again(
        redis_server: EmbeddedRedis, redis_client: redis.Redis, entra: FakeEntra) -> None:
    client = entra_app(redis_server, entra, ENTRA_JWKS_REFRESH_SECONDS=60).test_client()
    assert analyze(client, bearer(mint(entra.keys[0]))).status_code == 200
    for n in range(5):
        assert analyze(client, bearer(mint(SigningKey(f"made-up-{n}")))).status_code == 401
    assert entra.fetches == 1


def test_the_reporter_is_the_signed_in_user_not_the_body(sso: FlaskClient, entra: FakeEntra) -> None:
    token = mint(entra.keys[0], preferred_username="Alice@Contoso.com")
    response = sso.post(REPORTS, json={"eml": _b64(LIST_INVITE.read_bytes()), "reporter": "mallory@evil.example"},
                        headers=bearer(token))
    assert response.status_code == 202
    stored = sso.application.extensions["inviteguard.reports"].get(response.get_json()["report_id"])
    assert stored is not None and stored.data["reporter"] == "alice@contoso.com"


def test_outlook_config_asks_for_sso_when_entra_is_configured(sso: FlaskClient) -> None:
    assert sso.get("/addin/outlook/config.json").get_json()["auth"] == "entra"


def test_entra_without_tenants_stops_start_up(redis_server: EmbeddedRedis) -> None:
    with pytest.raises(ValueError, match="INVITEGUARD_ENTRA_TENANT_IDS"):
        create_app({"REDIS_URL": redis_server.url, "ENTRA_CLIENT_ID": APP_ID})


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# ------------------------------------------------------------------ client keys

@pytest.fixture
def keyed(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> tuple[FlaskClient, KeyStore]:
    store = KeyStore(redis_client)
    app = create_app({"REDIS_URL": redis_server.url, "REDIS_TIMEOUT_SECONDS": 1.0, "CLIENT_KEYS_REFRESH_SECONDS": 0})
    return app.test_client(), store


def test_client_keys_valid_unknown_and_revoked(keyed: tuple[FlaskClient, KeyStore]) -> None:
    client, store = keyed
    assert analyze(client).status_code == 200  # no key exists yet: open
    key = store.create("thunderbird")
    assert analyze(client, {KEY_HEADER: key}).status_code == 200
    missing = analyze(client)
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "unauthenticated"
    unknown = analyze(client, {KEY_HEADER: key[:-1] + ("A" if key[-1] != "A" else "B")})
    assert unknown.status_code == 401 and unknown.get_json()["error"]["code"] == "invalid_client_key"
    assert store.revoke("thunderbird")
    revoked = analyze(client, {KEY_HEADER: key})
    assert revoked.status_code == 401 and revoked.get_json()["error"]["code"] == "invalid_client_key"
    assert analyze(client).status_code == 401  # revoking the last key does not reopen the API


def test_keys_are_stored_hashed(keyed: tuple[FlaskClient, KeyStore], redis_client: redis.Redis) -> None:
    _, store = keyed
    key = store.create("outlook-key")
    stored = b"".join(redis_client.hgetall("inviteguard:client_keys").values())
    assert key.encode() not in stored and len(key) >= 40


def test_a_key_also_works_for_reports(keyed: tuple[FlaskClient, KeyStore]) -> None:
    client, store = keyed
    key = store.create("tb")
    response = client.post(REPORTS, data=LIST_INVITE.read_bytes(), content_type="message/rfc822",
                           query_string={"reporter": "bob@contoso.com"}, headers={KEY_HEADER: key})
    assert response.status_code == 202
    assert client.post(REPORTS, data=LIST_INVITE.read_bytes(), content_type="message/rfc822").status_code == 401


def test_a_client_key_never_opens_admin(keyed: tuple[FlaskClient, KeyStore]) -> None:
    client, store = keyed
    key = store.create("tb")
    for path in ("/admin/api/texts", "/admin/api/users", REPORTS):
        response = client.get(path, headers={KEY_HEADER: key, "Accept": "application/json"})
        assert response.status_code == 401, path
    assert client.get("/admin/", headers={KEY_HEADER: key}).status_code in (302, 303)


def test_the_configured_addin_key_is_accepted_and_offered_to_outlook(redis_server: EmbeddedRedis,
                                                                    redis_client: redis.Redis,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVITEGUARD_ADDIN_CLIENT_KEY", "k-from-the-environment-0123456789")
    client = create_app({"REDIS_URL": redis_server.url, "REDIS_TIMEOUT_SECONDS": 1.0}).test_client()
    assert analyze(client, {KEY_HEADER: "k-from-the-environment-0123456789"}).status_code == 200
    assert analyze(client).status_code == 401
    config = client.get("/addin/outlook/config.json").get_json()
    assert config["auth"] == "key" and config["client_key"] == "k-from-the-environment-0123456789"


def test_auth_required_refuses_anonymous_calls_before_any_key_exists(redis_server: EmbeddedRedis,
                                                                    redis_client: redis.Redis) -> None:
    client = create_app({"REDIS_URL": redis_server.url, "API_AUTH_REQUIRED": True}).test_client()
    assert analyze(client).status_code == 401


def test_keys_cli_creates_lists_and_revokes(redis_server: EmbeddedRedis, redis_client: redis.Redis,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "--redis-url", redis_server.url, "create", "thunderbird"]) == 0
    key = capsys.readouterr().out.splitlines()[0]
    client = create_app({"REDIS_URL": redis_server.url, "CLIENT_KEYS_REFRESH_SECONDS": 0}).test_client()
    assert analyze(client, {KEY_HEADER: key}).status_code == 200
    assert main(["keys", "--redis-url", redis_server.url, "list"]) == 0
    listing = capsys.readouterr().out
    assert listing.startswith("thunderbird\tcreated ") and listing.rstrip().endswith("active")
    assert key not in listing
    assert main(["keys", "--redis-url", redis_server.url, "revoke", "thunderbird"]) == 0
    assert main(["keys", "--redis-url", redis_server.url, "list"]) == 0
    assert "\trevoked " in capsys.readouterr().out
    assert main(["keys", "--redis-url", redis_server.url, "revoke", "thunderbird"]) == 1
    assert main(["keys", "--redis-url", redis_server.url, "create", "bad name!"]) == 2
    assert analyze(client, {KEY_HEADER: key}).status_code == 401


# ------------------------------------------------------------------ the open default

def test_open_by_default_with_exactly_one_warning(redis_server: EmbeddedRedis, redis_client: redis.Redis,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        client = create_app({"REDIS_URL": redis_server.url}).test_client()
        for _ in range(3):
            assert analyze(client).status_code == 200
    assert sum("API OPEN" in r.getMessage() for r in caplog.records) == 1
    assert client.get("/addin/outlook/config.json").get_json()["auth"] == "none"


def test_a_configured_service_does_not_warn(redis_server: EmbeddedRedis, redis_client: redis.Redis,
                                            caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        create_app({"REDIS_URL": redis_server.url, "API_AUTH_REQUIRED": True})
    assert not any("API OPEN" in r.getMessage() for r in caplog.records)


def test_a_mail_flow_process_serves_no_api_so_does_not_warn(redis_server: EmbeddedRedis, redis_client: redis.Redis,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    from inviteguard.cli import _mailflow_app

    environ_before = dict(os.environ)
    with caplog.at_level(logging.WARNING):
        _mailflow_app(redis_server.url)
    assert not any("API OPEN" in r.getMessage() for r in caplog.records)
    assert dict(os.environ) == environ_before  # and says so without touching the process's environment
