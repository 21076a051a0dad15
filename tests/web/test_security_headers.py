"""Browser-facing hardening: security headers on every HTML page, CORS only for configured origins
(preflight included), and logs that hold no message bodies or tokens and cannot be split by CR/LF."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from inviteguard import create_app
from inviteguard.runtime.config import ConfigError
from inviteguard.runtime.redis_server import EmbeddedRedis
from inviteguard.web.security import escape_controls
from security_helpers import APP_ID, SIMPLE_MESSAGE, TENANT, FakeEntra, bearer, mint

REPO = Path(__file__).resolve().parents[2]
STATIC_PAGES = sorted("/static/" + p.relative_to(REPO / "static").as_posix() for p in (REPO / "static").rglob("*.html"))
SERVER_PAGES = ["/", "/admin/login"]
OUTLOOK_HOSTS = {"https://outlook.office.com", "https://outlook.office365.com", "https://outlook.live.com",
                 "https://outlook.cloud.microsoft"}
ADDIN_ORIGIN = "https://addin.contoso.com"


def directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in csp.split(";")) if d}


@pytest.fixture
def app(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> Flask:
    return create_app({"REDIS_URL": redis_server.url, "REDIS_TIMEOUT_SECONDS": 1.0, "CORS_ORIGINS": ADDIN_ORIGIN})


def test_every_page_is_found() -> None:
    assert {"/static/outlook/taskpane.html", "/static/outlook/commands.html", "/static/thunderbird/popup.html",
            "/static/thunderbird/options.html"} <= set(STATIC_PAGES)


@pytest.mark.parametrize("path", SERVER_PAGES + STATIC_PAGES)
def test_every_html_page_has_security_headers(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    response.close()
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["base-uri"] == ["'none'"]
    # The policy can forbid inline script because no page has any.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("no-referrer", "strict-origin-when-cross-origin")
    if path.startswith("/static/outlook/"):
        assert set(csp["frame-ancestors"]) == OUTLOOK_HOSTS
        assert csp["script-src"] == ["'self'", "https://appsforoffice.microsoft.com"]
        assert "X-Frame-Options" not in response.headers
    else:
        assert csp["frame-ancestors"] == ["'none'"]
        assert csp["script-src"] == ["'self'"]


def test_outlook_frame_ancestors_are_configurable(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    app = create_app({"REDIS_URL": redis_server.url, "OUTLOOK_FRAME_ANCESTORS": "https://mail.contoso.com"})
    response = app.test_client().get("/static/outlook/taskpane.html")
    response.close()
    assert directives(response.headers["Content-Security-Policy"])["frame-ancestors"] == ["https://mail.contoso.com"]


@pytest.mark.parametrize(("office_js", "script_src"), [
    ("https://CDN.contoso.com/vendor/office/1/office.js", ["'self'", "https://cdn.contoso.com"]),
    ("/static/vendor/office.js", ["'self'"]),  # a copy this service serves (a sovereign cloud)
])
def test_outlook_pages_load_office_js_from_the_configured_place(redis_server: EmbeddedRedis,
                                                                 redis_client: redis.Redis, office_js: str,
                                                                 script_src: list[str]) -> None:
    client = create_app({"REDIS_URL": redis_server.url, "OUTLOOK_OFFICE_JS_URL": office_js}).test_client()
    for page in ("taskpane.html", "commands.html"):
        response = client.get(f"/static/outlook/{page}")
        html = response.get_data(as_text=True)
        assert directives(response.headers["Content-Security-Policy"])["script-src"] == script_src
        assert f'<script src="{office_js}"></script>' in html
        assert "appsforoffice.microsoft.com" not in html


@pytest.mark.parametrize("bad", ["http://cdn.contoso.com/office.js", "//cdn.contoso.com/office.js", "javascript:x",
                                 "https://u:p@cdn.contoso.com/office.js"])
def test_an_unusable_office_js_url_stops_start_up(bad: str) -> None:
    with pytest.raises(ConfigError, match="INVITEGUARD_OUTLOOK_OFFICE_JS_URL"):
        create_app({"OUTLOOK_OFFICE_JS_URL": bad})


def test_api_answers_are_nosniff(client: FlaskClient) -> None:
    response = client.post("/api/v1/analyze", data=SIMPLE_MESSAGE, content_type="message/rfc822")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# ------------------------------------------------------------------ CORS

def preflight(client: FlaskClient, path: str, origin: str) -> object:
    return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                         "Access-Control-Request-Headers": "authorization, content-type"})


@pytest.mark.parametrize("path", ["/api/v1/analyze", "/api/v1/reports"])
def test_preflight_is_allowed_for_configured_origins_only(client: FlaskClient, path: str) -> None:
    allowed = preflight(client, path, ADDIN_ORIGIN)
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == ADDIN_ORIGIN
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    allowed_headers = allowed.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "content-type", "x-inviteguard-key"} <= {h.strip() for h in allowed_headers.split(",")}
    refused = preflight(client, path, "https://evil.example")
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_cross_origin_posts_get_cors_headers_only_for_configured_origins(client: FlaskClient) -> None:
    ok = client.post("/api/v1/analyze", data=SIMPLE_MESSAGE, content_type="message/rfc822",
                     headers={"Origin": ADDIN_ORIGIN})
    assert ok.headers["Access-Control-Allow-Origin"] == ADDIN_ORIGIN and "Origin" in ok.headers["Vary"]
    other = client.post("/api/v1/analyze", data=SIMPLE_MESSAGE, content_type="message/rfc822",
                        headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_no_other_origin_is_allowed_by_default(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    client = create_app({"REDIS_URL": redis_server.url}).test_client()
    assert preflight(client, "/api/v1/analyze", ADDIN_ORIGIN).status_code == 403
    assert client.get("/healthz", headers={"Origin": ADDIN_ORIGIN}).headers.get("Access-Control-Allow-Origin") is None
    config = client.get("/addin/outlook/config.json", headers={"Origin": ADDIN_ORIGIN})
    assert "Access-Control-Allow-Origin" not in config.headers and "Origin" in config.headers["Vary"]


@pytest.mark.parametrize("origin", ["https://inviteguard.contoso.com/", "https://inviteguard.contoso.com",
                                    "HTTPS://InviteGuard.contoso.com/"])
def test_classic_outlooks_javascript_runtime_may_call_its_own_service(redis_server: EmbeddedRedis,
                                                                       redis_client: redis.Redis,
                                                                       origin: str) -> None:
    """The spam-report handler in classic Outlook on Windows runs in a JavaScript-only runtime that
    calls config.json, analyze and reports cross-origin naming the service's own origin, with a
    trailing slash; no CORS_ORIGINS setting is needed for it."""
    client = create_app({"REDIS_URL": redis_server.url, "PUBLIC_URL": "https://inviteguard.contoso.com",
                         "ALLOW_OPEN_API": True}).test_client()
    for path in ("/api/v1/analyze", "/api/v1/reports"):
        allowed = preflight(client, path, origin)
        assert allowed.status_code == 204
        assert allowed.headers["Access-Control-Allow-Origin"] == origin  # echoed as sent
    config = client.get("/addin/outlook/config.json", headers={"Origin": origin})
    assert config.status_code == 200 and config.headers["Access-Control-Allow-Origin"] == origin
    posted = client.post("/api/v1/analyze", data=SIMPLE_MESSAGE, content_type="message/rfc822",
                         headers={"Origin": origin})
    assert posted.headers["Access-Control-Allow-Origin"] == origin
    assert preflight(client, "/api/v1/analyze", "https://inviteguard.contoso.com.evil.example/").status_code == 403


def test_a_listed_origin_matches_with_or_without_a_trailing_slash(redis_server: EmbeddedRedis,
                                                                  redis_client: redis.Redis) -> None:
    client = create_app({"REDIS_URL": redis_server.url, "CORS_ORIGINS": "https://a.contoso.com/, https://b.contoso.com"}
                        ).test_client()
    for origin in ("https://a.contoso.com", "https://a.contoso.com/", "https://b.contoso.com/"):
        response = preflight(client, "/api/v1/reports", origin)
        assert response.status_code == 204, origin
        assert response.headers["Access-Control-Allow-Origin"] == origin
    assert preflight(client, "/api/v1/reports", "https://c.contoso.com/").status_code == 403


# ------------------------------------------------------------------ logs

def test_cr_lf_in_headers_and_paths_cannot_forge_log_lines(redis_server: EmbeddedRedis, redis_client: redis.Redis,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    client = create_app({"REDIS_URL": redis_server.url, "API_AUTH_REQUIRED": True}).test_client()
    forged = "curl\r\n2025-01-01 00:00:00 INFO inviteguard: login ok for admin\u2028\x1b[2J"
    with caplog.at_level(logging.DEBUG):
        response = client.post("/api/v1/analyze%0d%0aINFO%20forged", data=SIMPLE_MESSAGE,
                               content_type="message/rfc822", environ_base={"HTTP_USER_AGENT": forged})
        assert response.status_code in (401, 404)
        # Set in the WSGI environment: werkzeug's test client refuses such a header, a lax proxy may not.
        client.post("/api/v1/analyze", data=SIMPLE_MESSAGE, content_type="message/rfc822",
                    environ_base={"HTTP_USER_AGENT": forged})
        logging.getLogger("inviteguard.test").warning("subject %s", "Invoice\r\nINFO forged line")
    messages = [record.getMessage() for record in caplog.records]
    refused = [m for m in messages if "refused POST /api/v1/analyze" in m]
    assert refused and all("\\r\\n2025-01-01" in m and "\\u2028" in m and "\\x1b" in m for m in refused)
    assert "subject Invoice\\r\\nINFO forged line" in messages
    for text in [*messages, caplog.text]:
        assert "\r" not in text and "\u2028" not in text and "\x1b" not in text
    assert not any(line.startswith("2025-01-01") or line.startswith("INFO forged") for line in caplog.text.splitlines())


def test_logs_hold_no_message_bodies_and_no_tokens(redis_server: EmbeddedRedis, redis_client: redis.Redis,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    body_marker = "BODY-MARKER-7f3a call +1 808 555 0199"
    comment_marker = "COMMENT-MARKER-91c2"
    message = f"From: a@b.c\r\nSubject: s\r\n\r\n{body_marker}\r\n".encode()
    with FakeEntra().running() as entra, caplog.at_level(logging.DEBUG):
        client = create_app({"REDIS_URL": redis_server.url, "ENTRA_CLIENT_ID": APP_ID, "ENTRA_TENANT_IDS": TENANT,
                             "ENTRA_JWKS_URL": entra.jwks_url}).test_client()
        token = mint(entra.keys[0])
        expired = mint(entra.keys[0], exp=1_600_000_000, nbf=1_599_990_000, iat=1_599_990_000)
        assert client.post("/api/v1/analyze", data=message, content_type="message/rfc822",
                           headers=bearer(token)).status_code == 200
        assert client.post("/api/v1/analyze", data=message, content_type="message/rfc822",
                           headers=bearer(expired)).status_code == 401
        assert client.post("/api/v1/reports", data=message, content_type="message/rfc822",
                           query_string={"comment": comment_marker}, headers=bearer(token)).status_code == 202
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    for secret in (body_marker, comment_marker, token, expired, token.split(".")[2]):
        assert secret not in logged


def test_escape_controls_keeps_ordinary_text() -> None:
    assert escape_controls("Zahlung über 599 € – bitte\tanrufen") == "Zahlung über 599 € – bitte\tanrufen"
    assert escape_controls("a\nb\rc\x00d\x85e") == "a\\nb\\rc\\x00d\\x85e"
