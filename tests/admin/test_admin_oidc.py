"""Single sign-on against a fake OpenID Connect provider served over real HTTP: discovery, JWKS,
authorization (which auto-approves) and token endpoints, signing with an RSA key made here.
The provider (tests/oidc_helpers.py, fixture `provider` in tests/conftest.py) checks PKCE
and client authentication the way a real one does."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from admin_helpers import PASSWORD, admin_app
from flask.testing import FlaskClient
from inviteguard.admin.oidc import (
    OidcClient,
    OidcError,
    new_login_request,
    roles_from,
    sso_account_name,
    username_from,
    verified_address,
)
from inviteguard.admin.users import create_user, get_user
from inviteguard.runtime.redis_server import EmbeddedRedis
from oidc_helpers import CLIENT_ID, CLIENT_SECRET, FakeProvider


@pytest.fixture
def sso(provider: FakeProvider, redis_server: EmbeddedRedis, redis_client: redis.Redis) -> FlaskClient:
    app = admin_app(redis_server.url, OIDC_ISSUER=provider.url, OIDC_CLIENT_ID=CLIENT_ID,
                    OIDC_CLIENT_SECRET=CLIENT_SECRET)
    return app.test_client()


def sign_in(web: FlaskClient, provider: FakeProvider, tamper_state: bool = False) -> Any:
    """What a browser does: start, follow the provider's auto-approval, return to the callback."""
    start = web.get("/admin/oidc/login?next=/admin/?tab=history")
    assert start.status_code == 303
    to_provider = urlsplit(start.headers["Location"])
    assert f"{to_provider.scheme}://{to_provider.netloc}" == provider.url
    query = parse_qs(to_provider.query)
    assert query["redirect_uri"] == ["http://localhost/admin/oidc/callback"]
    provider_client = provider.app().test_client()
    back = provider_client.get(f"{to_provider.path}?{to_provider.query}")
    callback = urlsplit(back.headers["Location"])
    path = f"{callback.path}?{callback.query}"
    if tamper_state:
        path = path.replace("state=", "state=x")
    return web.get(path)


def test_login_page_offers_single_sign_on(sso: FlaskClient) -> None:
    assert b'id="oidc-login"' in sso.get("/admin/login").data


def test_code_flow_logs_in_with_roles_from_the_claim(sso: FlaskClient, provider: FakeProvider,
                                                     redis_client: redis.Redis) -> None:
    done = sign_in(sso, provider)
    assert done.status_code == 303 and done.headers["Location"] == "/admin/?tab=history"
    session = sso.get("/admin/api/session").get_json()
    account = sso_account_name({"iss": provider.url, "sub": "00u1"})
    assert session["user"] == account and session["roles"] == ["editor"] and session["method"] == "oidc"
    user = get_user(redis_client, account)
    assert user is not None and user.source == "oidc" and user.label == "Erika@Contoso.com (single sign-on)"
    assert not redis_client.keys("ig:admin:oidc:*")  # the login request was used up


def test_callback_cannot_be_replayed(sso: FlaskClient, provider: FakeProvider) -> None:
    start = sso.get("/admin/oidc/login")
    target = urlsplit(start.headers["Location"])
    back = urlsplit(provider.app().test_client().get(f"{target.path}?{target.query}").headers["Location"])
    assert sso.get(f"{back.path}?{back.query}").status_code == 303
    again = sso.get(f"{back.path}?{back.query}")
    assert again.status_code == 401 and b"Single sign-on failed" in again.data


def test_unknown_state_is_refused(sso: FlaskClient, provider: FakeProvider) -> None:
    response = sign_in(sso, provider, tamper_state=True)
    assert response.status_code == 401 and sso.get("/admin/api/session").status_code == 401


def test_callback_in_another_browser_is_refused(sso: FlaskClient, provider: FakeProvider,
                                                redis_server: EmbeddedRedis) -> None:
    start = sso.get("/admin/oidc/login")
    target = urlsplit(start.headers["Location"])
    back = urlsplit(provider.app().test_client().get(f"{target.path}?{target.query}").headers["Location"])
    victim = sso.application.test_client()  # has no binding cookie
    assert victim.get(f"{back.path}?{back.query}").status_code == 401
    assert victim.get("/admin/api/session").status_code == 401


def test_wrong_nonce_is_refused(sso: FlaskClient, provider: FakeProvider) -> None:
    provider.nonce_override = "someone-elses-nonce"
    assert sign_in(sso, provider).status_code == 401
    assert sso.get("/admin/api/session").status_code == 401


@pytest.mark.parametrize("claims", [
    {"aud": "another-client"},
    {"iss": "https://evil.example"},
    {"exp": int(time.time()) - 3600},
])
def test_bad_id_tokens_are_refused(sso: FlaskClient, provider: FakeProvider, claims: dict[str, Any]) -> None:
    provider.claims = claims
    assert sign_in(sso, provider).status_code == 401
    assert sso.get("/admin/api/session").status_code == 401


def test_no_role_claim_no_entry(sso: FlaskClient, provider: FakeProvider, redis_client: redis.Redis) -> None:
    provider.claims = {"roles": ["viewer"]}
    create_user(redis_client, "erika@contoso.com", PASSWORD, ["analyst"])  # a local account of the same name
    assert sign_in(sso, provider).status_code == 401
    assert sso.get("/admin/api/session").status_code == 401


def test_a_chosen_username_never_opens_the_local_account_of_that_name(sso: FlaskClient, provider: FakeProvider,
                                                                     redis_client: redis.Redis) -> None:
    # Issue 13: preferred_username "admin", no roles claim, unverified email -> the local admin account.
    create_user(redis_client, "admin", PASSWORD, ["admin"])
    provider.claims = {"preferred_username": "admin", "email": "admin", "email_verified": False, "roles": []}
    assert sign_in(sso, provider).status_code == 401
    provider.claims = {"preferred_username": "admin", "sub": "attacker-7", "roles": ["analyst"]}
    assert sign_in(sso, provider).status_code == 303
    session = sso.get("/admin/api/session").get_json()
    assert session["user"] != "admin" and session["roles"] == ["analyst"]


def test_roles_follow_the_claim_and_a_change_ends_other_sessions(sso: FlaskClient, provider: FakeProvider) -> None:
    assert sign_in(sso, provider).status_code == 303
    other_browser = sso.application.test_client()
    provider.claims = {"roles": ["analyst"]}
    assert sign_in(other_browser, provider).status_code == 303
    assert other_browser.get("/admin/api/session").get_json()["roles"] == ["analyst"]
    assert sso.get("/admin/api/session").status_code == 401  # the editor session ended with the role


def test_pkce_verifier_must_match() -> None:
    login = new_login_request()
    expected = base64.urlsafe_b64encode(hashlib.sha256(login.code_verifier.encode()).digest()).rstrip(b"=")
    assert login.code_challenge == expected.decode() and len(login.code_verifier) >= 43


def test_provider_refusing_the_code_fails_the_login(provider: FakeProvider) -> None:
    client = OidcClient(provider.url, CLIENT_ID, CLIENT_SECRET)
    with pytest.raises(OidcError, match="HTTP 400"):
        client.exchange_code("no-such-code", new_login_request(), "http://localhost/admin/oidc/callback")
    wrong_secret = OidcClient(provider.url, CLIENT_ID, "wrong")
    with pytest.raises(OidcError, match="HTTP 401"):
        wrong_secret.exchange_code("x", new_login_request(), "http://localhost/admin/oidc/callback")


def test_discovery_must_name_the_configured_issuer(provider: FakeProvider) -> None:
    # Same server, other name: its discovery document names 127.0.0.1, so it is not this issuer.
    with pytest.raises(OidcError, match="another issuer"):
        OidcClient(provider.url.replace("127.0.0.1", "localhost"), CLIENT_ID, CLIENT_SECRET).metadata()


def test_claims_to_name_roles_and_address() -> None:
    assert verified_address({"email": "A@B.example", "email_verified": True}, "email") == "a@b.example"
    assert verified_address({"email": "a@b.example", "email_verified": "true"}, "email") is None
    assert verified_address({"email": "a@b.example"}, "email") is None
    assert verified_address({"upn": "a@contoso.com"}, "upn") == "a@contoso.com"
    assert verified_address({"upn": "not an address"}, "upn") is None
    assert username_from({"preferred_username": "a@b.c", "email": "x@y.z"}) == "a@b.c"
    assert username_from({"sub": "00u1"}) == "00u1"
    assert roles_from({"groups": ["Editor", "other", "analyst"]}, "groups") == {"editor", "analyst"}
    assert roles_from({"roles": "admin editor"}, "roles") == {"admin", "editor"}
    assert roles_from({}, "roles") == frozenset()


def test_sso_disabled_by_default(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    web = admin_app(redis_server.url).test_client()
    assert b"oidc-login" not in web.get("/admin/login").data
    assert web.get("/admin/oidc/login").status_code == 404
