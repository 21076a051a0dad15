"""/admin: the console of the security-awareness team (banner text, organisation settings) and
of admins (accounts), plus the `require_role` guard other blueprints put on their own pages.

Authentication: local accounts (users.py) or OpenID Connect (oidc.py); a Redis-backed session
cookie (admin_sessions.py). Every state-changing request under a `require_role` guard must carry
the session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`). Unauthenticated
requests get the login page (HTML) or a 401 JSON error that says nothing about admin data.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import redis
import yaml
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)

from ..banner.checks import Placeholder, check_edits, load_placeholders
from ..banner.editor import (
    EDITABLE_LEVELS,
    ImportRejected,
    changes_between,
    draft_texts,
    edits_over,
    export_yaml,
    flatten,
    parse_import,
    preview_body,
)
from ..banner.render import BANNER_STYLE_CSP_HASH, NOTIFICATION_LIMIT
from ..banner.store import BannerStore
from ..banner.texts import BANNER_FIELDS, FALLBACK_LOCALE, REASON_FIELDS
from ..detect.parse import InputError, parse_raw
from ..detect.rules import load_rules
from ..reports.delivery import DeliveryError, destinations_from
from ..reports.store import StoredReport
from ..runtime.config import Settings
from ..runtime.organisation import (
    OVERRIDES,
    OrgSettings,
    OrgSettingsError,
    apply_overrides,
    effective_settings,
    load_org_settings,
    save_org_settings,
)
from ..runtime.redis_conn import RedisGate
from ..web.api import log_safe, services
from ..web.limits import without_surrogates
from ..web.reporter_tokens import ReporterTokenStore
from .cli import first_account_command, has_no_accounts
from .oidc import OidcClient, OidcError, roles_from, sso_account_name, username_from
from .sessions import AdminSession, LoginThrottle, csrf_matches, end_session, load_session, start_session
from .sso import SignInFlow
from .users import (
    AccountError,
    User,
    authenticate,
    create_sso_user,
    create_user,
    delete_user,
    get_user,
    list_users,
    set_password,
    set_roles,
)

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "X-CSRF-Token"
LOGIN_CSRF_COOKIE = "ig_login_csrf"
OIDC_BINDING_COOKIE = "ig_oidc"
ADMIN_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
             f"style-src 'self' {BANNER_STYLE_CSP_HASH}; base-uri 'none'; form-action 'self'; "
             "frame-ancestors 'none'")

BUILTIN_SAMPLE = Path(__file__).resolve().parent / "samples" / "icloud_paypal_599.eml"
SAMPLE_LIMIT_BYTES = 5 * 1024 * 1024
VERSIONS_SHOWN = 100
ADMIN_REDIS_TIMEOUT_SECONDS = 5.0

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    """Who is asking: the account (roles read fresh from Redis) and their session."""

    user: User
    session: AdminSession


def _settings() -> Settings:
    return current_app.config["INVITEGUARD_SETTINGS"]


@dataclass(frozen=True)
class AdminServices:
    """The console's own Redis gate and text store: patient timeouts and no failure memory,
    unlike the analyze path's, which must answer in milliseconds and skips Redis after a hiccup."""

    gate: RedisGate
    texts: BannerStore


def admin_services() -> AdminServices:
    return current_app.extensions["inviteguard_admin"]


def redis_client() -> Any:
    """The console's Redis client; the console has no degraded mode, so errors propagate."""
    return admin_services().gate.client()


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
    return redirect(f"/admin/login?next={quote(safe_next(target), safe='/')}", code=303)


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
    """Only a path inside the console: a login link must never bounce the user to another site,
    nor carry a line break into the Location header."""
    if not target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/admin/"
    try:
        parts = urlsplit(target)
    except ValueError:  # "//x[" is no URL at all ("Invalid IPv6 URL")
        return "/admin/"
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
                          oidc_enabled=oidc_configured(), first_account=_first_account_hint())
    # Login CSRF: the form's token must match this cookie (double submit), so no other site can
    # log a victim into an attacker's account.
    _set_cookie(response, LOGIN_CSRF_COOKIE, token, 3600, path="/admin/")
    return response


def _first_account_hint() -> str:
    """While no account exists, the command that creates the first one (shown on the login page)."""
    try:
        return first_account_command() if has_no_accounts(redis_client()) else ""
    except redis.RedisError:
        return ""


def oidc_configured() -> bool:
    return "inviteguard_oidc" in current_app.extensions


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
    wait = throttle.attempt(client_address(), name)  # counted before the check: parallel guesses count too
    if wait:
        response = _login_page(429, f"Too many failed logins. Try again in {max(wait // 60, 1)} minute(s).",
                               next_path)
        response.headers["Retry-After"] = str(wait)
        return response
    user = authenticate(redis_client(), name, password)
    if user is None:
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


# ------------------------------------------------------------------ single sign-on (OpenID Connect)

def _oidc_client() -> OidcClient:
    client = current_app.extensions.get("inviteguard_oidc")
    if client is None:
        raise AdminRequestError(404, "not_found", "Single sign-on is not configured")
    return client


def public_base() -> str:
    """Where the browser reaches us: INVITEGUARD_PUBLIC_URL, else the URL of this request."""
    return (_settings().public_url or request.url_root).rstrip("/")


def _oidc_flow() -> SignInFlow:
    return SignInFlow(_oidc_client(), public_base() + "/admin/oidc/callback", OIDC_BINDING_COOKIE, "/admin/oidc/",
                      _settings().admin_cookie_secure)


def _oidc_refused(reason: str) -> Response:
    # The details go to the log; the page says only that it failed, and where to go next.
    current_app.logger.warning("admin single sign-on refused: %s", log_safe(reason))
    return _login_page(401, "Single sign-on failed. Try again, or ask an InviteGuard admin.")


@bp.get("/oidc/login")
def oidc_login() -> Response:
    try:
        return _oidc_flow().begin(redis_client(), {"purpose": "console", "next": safe_next(request.args.get("next"))})
    except OidcError as exc:
        return _oidc_refused(str(exc))


def _oidc_account(claims: dict[str, Any]) -> User | None:
    """The account of a verified identity, found by (issuer, subject) alone and with the roles the
    provider's claim grants now; None when it grants none. A name or address in the token never
    opens an account: anyone may choose their preferred_username."""
    granted = roles_from(claims, _settings().oidc_roles_claim)
    if not granted:
        return None
    name = sso_account_name(claims)
    if get_user(redis_client(), name) is None:
        return create_sso_user(redis_client(), name, username_from(claims), granted)
    return set_roles(redis_client(), name, granted)


@bp.get("/oidc/callback")
def oidc_callback() -> Response:
    flow = _oidc_flow()
    try:
        claims, record = flow.finish(redis_client())
        if record.get("purpose") != "console":
            raise OidcError("a reporter sign-in came back to the console login")
        user = _oidc_account(claims)
    except (OidcError, AccountError) as exc:
        return _oidc_refused(str(exc))
    if user is None:
        return _oidc_refused("the provider grants this identity no InviteGuard role")
    return flow.forget_binding(begin_session(user, "oidc", record["next"]))


# ------------------------------------------------------------------ the console page

@bp.get("/")
@require_role("editor", "analyst", "admin")
def console() -> Response:
    principal = current_principal()
    assert principal is not None
    if not principal.user.may("editor"):  # an analyst has nothing here but triage
        return redirect("/admin/reports", code=303)
    return _html_page("admin/console.html", user=principal.user, csrf_token=principal.session.csrf)


@bp.get("/reports")
@require_role("analyst")
def reports_page() -> Response:
    """Report triage for the SOC; the page's script reads GET /api/v1/reports (same role)."""
    principal = current_principal()
    assert principal is not None
    return _html_page("admin/reports.html", user=principal.user, csrf_token=principal.session.csrf)


# ------------------------------------------------------------------ banner text

def _signed_in() -> User:
    principal = current_principal()
    assert principal is not None  # only called behind require_role
    return principal.user


def _author() -> str:
    """Who did it, for version histories and reports: an SSO user's name, not their account id."""
    return _signed_in().label


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise AdminRequestError(400, "invalid_json", "Send a JSON object")
    # A lone surrogate ("\udfff") cannot be stored or rendered: it becomes U+FFFD, never a 500.
    return without_surrogates(data)


class AdminRequestError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def _request_error(exc: AdminRequestError) -> Response:
    response = admin_error(exc.status, exc.code, exc.message)
    if exc.fields:
        response.set_data(json.dumps({"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}))
    return response


def reason_ids(store: BannerStore) -> list[str]:
    rules = load_rules()
    known = set(store.defaults_raw.get(FALLBACK_LOCALE, {}).get("reasons", {}))
    known |= set(rules.signals) | {combo.id for combo in rules.combos}
    return sorted(known)


def _placeholder_json(placeholders: tuple[Placeholder, ...]) -> list[dict[str, str]]:
    return [{"name": p.name, "meaning": p.meaning, "kind": p.kind} for p in placeholders]


@bp.get("/api/texts")
@require_role("editor")
def texts_model() -> Response:
    store = admin_services().texts
    catalog = load_placeholders()
    version = store.current_number()
    ids = reason_ids(store)
    return jsonify({
        "version": version,
        "locales": sorted(store.defaults_raw),
        "levels": list(EDITABLE_LEVELS),
        "reasons": ids,
        "fields": {"banner": list(BANNER_FIELDS), "reasons": list(REASON_FIELDS)},
        "texts": store.effective_raw(version),
        "placeholders": {"banner": _placeholder_json(catalog.for_banner()),
                         **{rid: _placeholder_json(catalog.for_reason(rid)) for rid in ids}},
        "notification_limit": NOTIFICATION_LIMIT,
    })


def _checked_edits(edits: object) -> dict[str, Any]:
    """Structure, then every text through text_checks; 422 names each refused field."""
    store = admin_services().texts
    if not isinstance(edits, dict):
        raise AdminRequestError(400, "invalid_field", '"edits" must be an object of locales')
    try:
        structured = parse_import(yaml.safe_dump({"locales": edits}), set(store.defaults_raw),
                                  set(reason_ids(store)))
    except ImportRejected as exc:
        raise AdminRequestError(400, "invalid_field", str(exc)) from None
    problems = check_edits(structured, load_placeholders())
    if problems:
        raise AdminRequestError(422, "invalid_template", "Some texts cannot be saved; see the fields", problems)
    return structured


@bp.post("/api/texts")
@require_role("editor")
def save_texts() -> Response:
    data = _json_body()
    store = admin_services().texts
    edits = _checked_edits(data.get("edits"))
    base = data.get("base_version")
    current = store.current_number()
    if base is not None and base != current:
        raise AdminRequestError(409, "conflict", f"Someone saved version {current} meanwhile; reload to see it")
    version = store.save(edits, _author())
    return jsonify({"version": version})


def _sample_message(sample: object) -> bytes:
    if sample in (None, "builtin:icloud"):
        return BUILTIN_SAMPLE.read_bytes()
    if isinstance(sample, dict) and isinstance(sample.get("eml"), str):
        try:
            raw = base64.b64decode(sample["eml"], validate=True)
        except (binascii.Error, ValueError):
            raise AdminRequestError(400, "invalid_base64", "The uploaded sample is not valid base64") from None
        if len(raw) > SAMPLE_LIMIT_BYTES:
            raise AdminRequestError(413, "too_large", "A preview sample may be at most 5 MB")
        return raw
    raise AdminRequestError(400, "invalid_field", '"sample" must be "builtin:icloud" or {"eml": base64}')


@bp.post("/api/preview")
@require_role("editor")
def preview() -> Response:
    """Renders the editor's unsaved text for a sample message, as the add-ins would show it,
    and checks each drafted field the way a save would."""
    data = _json_body()
    engine = services().engine
    store = admin_services().texts
    locale = data.get("locale")
    level = data.get("level", "phishing")
    focus = data.get("reason")
    draft = data.get("draft") or {}
    if locale not in store.defaults_raw or level not in EDITABLE_LEVELS:
        raise AdminRequestError(400, "invalid_field", "Unknown locale or level")
    if focus is not None and focus not in reason_ids(store):
        raise AdminRequestError(400, "invalid_field", "Unknown reason")
    try:
        structured = parse_import(yaml.safe_dump({"locales": {locale: draft}}), {locale},
                                  set(reason_ids(store)))
    except ImportRejected as exc:
        raise AdminRequestError(400, "invalid_field", str(exc)) from None
    problems = check_edits(structured, load_placeholders())
    # A refused field is previewed with its live text, so the preview never shows what cannot be saved.
    usable = {section: {key: {f: t for f, t in fields.items() if f"{locale}.{section}.{key}.{f}" not in problems}
                        for key, fields in structured[locale][section].items()}
              for section in ("banner", "reasons")}
    try:
        message = parse_raw(_sample_message(data.get("sample")))
    except InputError as exc:
        raise AdminRequestError(422, exc.code, f"The sample cannot be read: {exc.message}") from None
    verdict = engine.judge(message)
    live = store.effective_raw(store.current_number())
    texts = draft_texts(live, locale, usable)
    organisation = load_org_settings(redis_client()).banner_context()
    body = preview_body(verdict, engine.fingerprint(message), texts, focus, level, organisation)
    body["problems"] = problems
    body["subject"] = message.subject
    return jsonify(body)


@bp.get("/api/versions")
@require_role("editor")
def versions() -> Response:
    store = admin_services().texts
    current = store.current_number()
    return jsonify({"current": current, "versions": [
        {"version": v.version, "author": v.author, "saved_at": v.saved_at, "note": v.note,
         "locales": list(v.locales), "live": v.version == current} for v in store.versions()[:VERSIONS_SHOWN]]})


@bp.get("/api/versions/<int:number>")
@require_role("editor")
def version_diff(number: int) -> Response:
    store = admin_services().texts
    try:
        after = store.effective_raw(number)
        previous = store.previous_number(number) if number else 0
        before = store.effective_raw(previous) if number else after
    except KeyError:
        raise AdminRequestError(404, "not_found", "No such version") from None
    return jsonify({"version": number, "previous": previous,
                    "changes": [c.as_json() for c in changes_between(before, after)]})


@bp.post("/api/versions/<int:number>/rollback")
@require_role("editor")
def rollback(number: int) -> Response:
    try:
        version = admin_services().texts.rollback(number, _author())
    except KeyError:
        raise AdminRequestError(404, "not_found", "No such version") from None
    return jsonify({"version": version, "restored": number})


@bp.get("/api/texts/export")
@require_role("editor")
def export_texts() -> Response:
    store = admin_services().texts
    version = store.current_number()
    response = Response(export_yaml(store.effective_raw(version), version), mimetype="application/yaml")
    response.headers["Content-Disposition"] = f'attachment; filename="inviteguard-texts-v{version}.yaml"'
    return response


@bp.post("/api/texts/import")
@require_role("editor")
def import_texts() -> Response:
    store = admin_services().texts
    raw = request.get_data(cache=False)
    try:
        parsed = parse_import(raw.decode("utf-8"), set(store.defaults_raw), set(reason_ids(store)))
    except UnicodeDecodeError:
        raise AdminRequestError(400, "invalid_yaml", "The file is not UTF-8 text") from None
    except ImportRejected as exc:
        raise AdminRequestError(400, "invalid_yaml", str(exc)) from None
    problems = check_edits(parsed, load_placeholders())
    if problems:
        raise AdminRequestError(422, "invalid_template", "Some texts in the file cannot be used", problems)
    edits = edits_over(store.defaults_raw, parsed)
    version = store.replace_all(edits, _author(), note="import")
    return jsonify({"version": version, "changed_fields": len(flatten(edits))})


# ------------------------------------------------------------------ organisation settings

def _org_json(org: OrgSettings) -> dict[str, Any]:
    effective = apply_overrides(_settings(), org)
    return {"org_name": org.org_name, "soc_contact": org.soc_contact,
            **{name: getattr(effective, name) for name in OVERRIDES},
            "updated_by": org.updated_by, "updated_at": org.updated_at}


@bp.get("/api/org")
@require_role("editor")
def org_get() -> Response:
    return jsonify(_org_json(load_org_settings(redis_client())))


@bp.put("/api/org")
@require_role("editor")
def org_put() -> Response:
    try:
        org = save_org_settings(redis_client(), _json_body(), _author())
    except OrgSettingsError as exc:
        raise AdminRequestError(422, "invalid_setting", str(exc), {exc.field: str(exc)}) from None
    return jsonify(_org_json(org))


@bp.post("/api/org/test-report")
@require_role("editor")
def org_test_report() -> Response:
    """Sends one report of the built-in sample to every configured destination, now, and says
    how each fared; nothing is stored, so triage and campaign counts stay clean."""
    settings = effective_settings(redis_client(), _settings())
    destinations = destinations_from(settings)
    if not destinations:
        raise AdminRequestError(409, "no_destination", "No report destination is configured")
    sample = BUILTIN_SAMPLE.read_bytes()
    report = StoredReport(f"test-{int(time.time())}", {
        "reporter": _author(), "category": "test", "comment": "Test report sent from the InviteGuard admin console",
        "subject": "[TEST] " + parse_raw(sample).subject, "sender": "", "fingerprint": "test",
        "verdict": {"level": "test", "score": 0, "reasons": []}, "source": "eml", "received_at": time.time()})
    results = {}
    for destination in destinations:
        try:
            destination.send(report, sample)
            results[destination.name] = "sent"
        except DeliveryError as exc:
            results[destination.name] = f"failed: {exc}"
    return jsonify({"results": results})


# ------------------------------------------------------------------ accounts

@bp.get("/api/users")
@require_role("admin")
def users_list() -> Response:
    return jsonify({"users": [u.as_json() for u in list_users(redis_client())]})


@bp.post("/api/users")
@require_role("admin")
def users_create() -> Response:
    data = _json_body()
    try:
        # Single sign-on users need no account: their roles come from the provider's claim.
        user = create_user(redis_client(), str(data.get("name", "")), str(data.get("password") or ""),
                           _roles_from(data))
    except AccountError as exc:
        raise AdminRequestError(422, "invalid_account", str(exc)) from None
    return jsonify(user.as_json())


def _roles_from(data: dict[str, Any]) -> list[str]:
    roles = data.get("roles")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise AdminRequestError(400, "invalid_field", '"roles" must be a list of role names')
    return roles


@bp.put("/api/users/<name>")
@require_role("admin")
def users_update(name: str) -> Response:
    data = _json_body()
    principal = current_principal()
    assert principal is not None  # require_role let us in
    # Changing one's own account ends one's other sessions, not this one.
    keep = principal.session.token_hash if name == principal.user.name else None
    try:
        if name == _signed_in().name and "admin" not in _roles_from(data):
            raise AccountError("you cannot take the admin role from yourself")
        user = set_roles(redis_client(), name, _roles_from(data), keep_session=keep)
        if data.get("password"):
            set_password(redis_client(), name, str(data["password"]), keep_session=keep)
    except AccountError as exc:
        raise AdminRequestError(422, "invalid_account", str(exc)) from None
    return jsonify(user.as_json())


@bp.delete("/api/users/<name>")
@require_role("admin")
def users_delete(name: str) -> Response:
    if name == _signed_in().name:
        raise AdminRequestError(422, "invalid_account", "You cannot delete your own account")
    try:
        deleted = delete_user(redis_client(), name)
    except AccountError as exc:
        raise AdminRequestError(422, "invalid_account", str(exc)) from None
    if not deleted:
        raise AdminRequestError(404, "not_found", "No such account")
    return jsonify({"deleted": name})


# ------------------------------------------------------------------ reporter tokens

@bp.get("/api/reporter-tokens")
@require_role("admin")
def reporter_tokens_list() -> Response:
    """The tokens of verified reporters (issued at /reporter/sign-in): who, when, which provider."""
    return jsonify({"tokens": [t.as_json() for t in ReporterTokenStore(redis_client()).listing()]})


@bp.delete("/api/reporter-tokens/<token_id>")
@require_role("admin")
def reporter_tokens_revoke(token_id: str) -> Response:
    if not ReporterTokenStore(redis_client()).revoke(token_id[:64]):
        raise AdminRequestError(404, "not_found", "No such reporter token")
    return jsonify({"revoked": token_id})


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


# On the blueprint once, at import: Flask refuses setup calls on a blueprint that an earlier
# create_app (every test builds its own app) already registered.
bp.register_error_handler(redis.RedisError, _redis_unavailable)
bp.register_error_handler(AdminRequestError, _request_error)


def init_app(app: Flask) -> None:
    settings: Settings = app.config["INVITEGUARD_SETTINGS"]
    gate = RedisGate(settings.redis_url, ADMIN_REDIS_TIMEOUT_SECONDS, retry_after=0.0)
    app.extensions["inviteguard_admin"] = AdminServices(gate, BannerStore(gate))
    if settings.oidc_issuer and settings.oidc_client_id:
        app.extensions["inviteguard_oidc"] = OidcClient(settings.oidc_issuer, settings.oidc_client_id,
                                                        settings.oidc_client_secret or "")
    app.register_blueprint(bp)
    app.after_request(_secure_headers)
