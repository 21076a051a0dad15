"""/admin: the console of the security-awareness team (banner text, organisation settings) and
of admins (accounts), plus the `require_role` guard other blueprints put on their own pages.

Authentication: local accounts (users.py) or OpenID Connect (oidc.py); a Redis-backed session
cookie (admin_sessions.py). Every state-changing request under a `require_role` guard must carry
the session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`). Unauthenticated
requests get the login page (HTML) or a 401 JSON error that says nothing about admin data.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis
from flask import Blueprint, Flask, Response, current_app, g, jsonify, make_response, redirect, render_template, request

from .admin_sessions import AdminSession, LoginThrottle, csrf_matches, end_session, load_session, start_session
from .api import services
from .banner import BANNER_STYLE_CSP_HASH
from .config import Settings
from .users import User, authenticate, get_user

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "X-CSRF-Token"
LOGIN_CSRF_COOKIE = "ig_login_csrf"
ADMIN_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
             f"style-src 'self' {BANNER_STYLE_CSP_HASH}; base-uri 'none'; form-action 'self'; "
             "frame-ancestors 'none'")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    """Who is asking: the account (roles read fresh from Redis) and their session."""

    user: User
    session: AdminSession


def _settings() -> Settings:
    return current_app.config["INVITEGUARD_SETTINGS"]


def redis_client() -> Any:
    """The app's Redis client; the admin console has no degraded mode, so errors propagate."""
    return services().gate.client()


def session_cookie_name() -> str:
    # The __Host- prefix makes the browser refuse the cookie unless it is Secure, host-only and Path=/.
    return "__Host-ig_admin" if _settings().admin_cookie_secure else "ig_admin"


def current_principal() -> Principal | None:
    """The logged-in account for this request, or None; looked up once per request."""
    if "admin_principal" not in g:
        principal = None
        session = load_session(redis_client(), request.cookies.get(session_cookie_name()))
        if session is not None:
            user = get_user(redis_client(), session.user)
            principal = Principal(user, session) if user is not None else None
        g.admin_principal = principal
    return g.admin_principal


def wants_json() -> bool:
    if "/api/" in request.path:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def admin_error(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def _html_page(template: str, status: int = 200, **context: Any) -> Response:
    return make_response(render_template(template, **context), status)


def _refuse_unauthenticated() -> Response:
    if wants_json():
        return admin_error(401, "unauthenticated", "Log in to the InviteGuard admin console first")
    target = request.full_path if request.method == "GET" else "/admin/"
    return redirect(f"/admin/login?next={safe_next(target)}", code=303)


def _refuse_role() -> Response:
    if wants_json():
        return admin_error(403, "forbidden", "Your role does not allow this")
    return _html_page("admin/forbidden.html", 403)


def csrf_token_offered() -> str | None:
    if request.headers.get(CSRF_HEADER):
        return request.headers.get(CSRF_HEADER)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form.get("csrf_token")
    return None


def require_role(*roles: str) -> Callable[[F], F]:
    """Guards a view: the caller must be logged in and hold one of `roles` (admins hold all);
    a state-changing request must also carry the session's CSRF token.

    For other blueprints too, e.g. `@require_role("analyst")` on GET /api/v1/reports. The view
    can read the account from `current_principal().user`.
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal is None:
                return _refuse_unauthenticated()
            if not principal.user.may(*roles):
                return _refuse_role()
            if request.method not in SAFE_METHODS and not csrf_matches(principal.session.csrf,
                                                                        csrf_token_offered()):
                return admin_error(403, "csrf_failed", "The request lacks a valid CSRF token; reload the page")
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def safe_next(target: str | None) -> str:
    """Only a path inside the console: a login link must never bounce the user to another site."""
    if not target:
        return "/admin/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin") or "\\" in target:
        return "/admin/"
    return target.rstrip("?")


def client_address() -> str:
    # ProxyFix (INVITEGUARD_TRUSTED_PROXIES) has already put the real client address here.
    return request.remote_addr or "unknown"


def _set_cookie(response: Response, name: str, value: str, max_age: int | None, path: str = "/") -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, secure=_settings().admin_cookie_secure,
                        httponly=True, samesite="Lax")


def begin_session(user: User, method: str, next_path: str) -> Response:
    """Logs `user` in: a fresh session (never one the browser brought along) and a redirect."""
    lifetime = _settings().admin_session_minutes * 60
    token, _ = start_session(redis_client(), user.name, method, lifetime)
    response = redirect(safe_next(next_path), code=303)
    _set_cookie(response, session_cookie_name(), token, lifetime)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin/")
    return response


# ------------------------------------------------------------------ login and logout

def _login_page(status: int = 200, error: str = "", next_path: str = "/admin/") -> Response:
    token = secrets.token_urlsafe(32)
    response = _html_page("admin/login.html", status, csrf_token=token, error=error, next_path=safe_next(next_path),
                          oidc_enabled=oidc_configured())
    # Login CSRF: the form's token must match this cookie (double submit), so no other site can
    # log a victim into an attacker's account.
    _set_cookie(response, LOGIN_CSRF_COOKIE, token, 3600, path="/admin/")
    return response


def oidc_configured() -> bool:
    settings = _settings()
    return bool(settings.oidc_issuer and settings.oidc_client_id)


@bp.get("/login")
def login_form() -> Response:
    if current_principal() is not None:
        return redirect(safe_next(request.args.get("next")), code=303)
    return _login_page(next_path=request.args.get("next", "/admin/"))


@bp.post("/login")
def login() -> Response:
    name = request.form.get("username", "")[:256]
    password = request.form.get("password", "")
    next_path = request.form.get("next", "/admin/")
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), request.form.get("csrf_token")):
        return _login_page(403, "The form expired; please try again.", next_path)
    throttle = LoginThrottle(redis_client(), _settings().admin_login_attempts)
    wait = throttle.retry_after(client_address(), name)
    if wait:
        response = _login_page(429, f"Too many failed logins. Try again in {max(wait // 60, 1)} minute(s).",
                               next_path)
        response.headers["Retry-After"] = str(wait)
        return response
    user = authenticate(redis_client(), name, password)
    if user is None:
        throttle.failed(client_address(), name)
        return _login_page(401, "Wrong user name or password.", next_path)
    throttle.succeeded(client_address(), name)
    return begin_session(user, "password", next_path)


@bp.post("/logout")
@require_role("editor", "analyst", "admin")
def logout() -> Response:
    principal = current_principal()
    if principal is not None:
        end_session(redis_client(), principal.session)
    response = redirect("/admin/login", code=303)
    response.delete_cookie(session_cookie_name(), path="/")
    return response


@bp.get("/api/session")
@require_role("editor", "analyst", "admin")
def session_info() -> Response:
    principal = current_principal()
    assert principal is not None  # require_role let us in
    return jsonify({"user": principal.user.name, "roles": sorted(principal.user.roles),
                    "method": principal.session.method, "csrf_token": principal.session.csrf})


# ------------------------------------------------------------------ the console page

@bp.get("/")
@require_role("editor", "analyst", "admin")
def console() -> Response:
    principal = current_principal()
    assert principal is not None
    return _html_page("admin/console.html", user=principal.user, csrf_token=principal.session.csrf)


# ------------------------------------------------------------------ wiring

def _redis_unavailable(exc: redis.RedisError) -> Response:
    # The console cannot work without Redis; say so without echoing connection details.
    current_app.logger.warning("admin console: Redis unavailable: %s", type(exc).__name__)
    if wants_json():
        return admin_error(503, "store_unavailable", "The settings store is unavailable; try again shortly")
    return _html_page("admin/unavailable.html", 503)


def _secure_headers(response: Response) -> Response:
    if request.path.startswith("/admin"):
        response.headers["Content-Security-Policy"] = ADMIN_CSP
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    bp.register_error_handler(redis.RedisError, _redis_unavailable)
    app.register_blueprint(bp)
    app.after_request(_secure_headers)
