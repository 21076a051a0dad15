"""`/reporter/sign-in`: a Thunderbird user signs in with the organisation's OpenID Connect provider
(the fake one of tests/oidc_helpers.py, over real HTTP) and gets a reporter token, shown once, that
makes their reports verified; admins list and revoke the tokens."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from admin_helpers import account, admin_app, log_in
from flask.testing import FlaskClient
from inviteguard.runtime.redis_server import EmbeddedRedis
from inviteguard.web.reporter_tokens import TOKEN_HEADER
from oidc_helpers import CLIENT_ID, CLIENT_SECRET, FakeProvider

INVITE = b"From: Harriet <harriet@fabrikam.example>\r\nSubject: lunch\r\n\r\nSee you at noon.\r\n"


@pytest.fixture
def web(provider: FakeProvider, redis_server: EmbeddedRedis, redis_client: redis.Redis) -> FlaskClient:
    return admin_app(redis_server.url, OIDC_ISSUER=provider.url, OIDC_CLIENT_ID=CLIENT_ID,
                     OIDC_CLIENT_SECRET=CLIENT_SECRET, CLIENT_KEYS_REFRESH_SECONDS=0.2).test_client()


def sign_in(web: FlaskClient, provider: FakeProvider) -> Any:
    start = web.get("/reporter/sign-in/start")
    assert start.status_code == 303
    to_provider = urlsplit(start.headers["Location"])
    assert "redirect_uri=http%3A%2F%2Flocalhost%2Freporter%2Fsign-in%2Fcallback" in to_provider.query
    back = urlsplit(provider.app().test_client().get(f"{to_provider.path}?{to_provider.query}").headers["Location"])
    return web.get(f"{back.path}?{back.query}")


def shown_token(page: Any) -> str:
    match = re.search(r'id="reporter-token" class="token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)
    return match.group(1)


def test_a_signed_in_user_gets_a_token_that_makes_their_reports_verified(
        web: FlaskClient, provider: FakeProvider, redis_client: redis.Redis) -> None:
    assert b'id="reporter-sign-in"' in web.get("/reporter/sign-in").data
    provider.claims = {"email": "Erika@Contoso.com", "email_verified": True, "roles": []}  # no console role needed
    page = sign_in(web, provider)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    token = shown_token(page)
    assert token not in str(redis_client.keys("*")) and b"erika@contoso.com" in page.data
    report = web.post("/api/v1/reports", data=INVITE, content_type="message/rfc822",
                      query_string={"reporter": "ceo@contoso.com"}, headers={TOKEN_HEADER: token})
    assert report.status_code == 202 and report.get_json()["reporter_verified"] is True
    account(redis_client, "root", "admin")
    headers = log_in(web, "root")
    [listed] = web.get("/admin/api/reporter-tokens").get_json()["tokens"]
    assert listed["address"] == "erika@contoso.com" and listed["issuer"] == provider.url and listed["subject"] == "00u1"
    assert web.delete(f"/admin/api/reporter-tokens/{listed['id']}", headers=headers).status_code == 200
    # Each worker remembers a checked token for INVITEGUARD_CLIENT_KEYS_REFRESH_SECONDS (0.2 s here).
    deadline = time.monotonic() + 10
    while web.post("/api/v1/reports", data=INVITE, content_type="message/rfc822",
                   headers={TOKEN_HEADER: token}).status_code != 401:
        assert time.monotonic() < deadline, "the revoked token still works"
        time.sleep(0.05)


def test_without_a_verified_address_no_token_is_issued(web: FlaskClient, provider: FakeProvider,
                                                       redis_client: redis.Redis) -> None:
    provider.claims = {"email": "erika@contoso.com", "email_verified": False}
    page = sign_in(web, provider)
    assert page.status_code == 401 and b"verified mail address" in page.data and b"reporter-token" not in page.data
    assert not redis_client.keys("ig:reporter-token:*")


def test_a_console_login_cannot_be_finished_at_the_reporter_callback(web: FlaskClient, provider: FakeProvider) -> None:
    start = web.get("/admin/oidc/login")
    target = urlsplit(start.headers["Location"])
    back = urlsplit(provider.app().test_client().get(f"{target.path}?{target.query}").headers["Location"])
    assert web.get(f"/reporter/sign-in/callback?{back.query}").status_code == 401


def test_the_page_says_so_when_sign_in_is_not_configured(redis_server: EmbeddedRedis,
                                                         redis_client: redis.Redis) -> None:
    web = admin_app(redis_server.url).test_client()
    page = web.get("/reporter/sign-in")
    assert page.status_code == 404 and b'id="reporter-unconfigured"' in page.data
    assert web.get("/reporter/sign-in/start").status_code == 404
