"""`<public URL>/reporter/sign-in`: where a Thunderbird user becomes a verified reporter.

The user signs in with the organisation's OpenID Connect provider (the console's OIDC client and
settings); the page then issues a reporter token tied to the identity (issuer, subject) and its
verified address (INVITEGUARD_OIDC_ADDRESS_CLAIM; `email` only with `email_verified`), and shows
it once, with how to paste it into the add-on's options. Register `<public URL>/reporter/sign-in/callback`
as a second redirect URI at the provider. Admins list and revoke tokens in the console's API
(`/admin/api/reporter-tokens`) or with `inviteguard admin reporter-tokens`.
"""

from __future__ import annotations

import redis
from flask import Blueprint, Flask, Response, current_app, make_response, render_template

from ..web.api import log_safe
from ..web.reporter_tokens import ReporterTokenStore
from .oidc import OidcClient, OidcError, verified_address
from .sso import SignInFlow
from .views import ADMIN_CSP, public_base, redis_client

bp = Blueprint("reporter", __name__, url_prefix="/reporter", template_folder="templates")
BINDING_COOKIE = "ig_reporter_oidc"
COOKIE_PATH = "/reporter/"


def _client() -> OidcClient | None:
    return current_app.extensions.get("inviteguard_oidc")


def _page(status: int = 200, **context: object) -> Response:
    response = make_response(render_template("admin/reporter.html", configured=_client() is not None, **context),
                             status)
    response.headers["Content-Security-Policy"] = ADMIN_CSP
    response.headers["Cache-Control"] = "no-store"  # the token is shown once, never kept by a cache
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def _flow(client: OidcClient) -> SignInFlow:
    settings = current_app.config["INVITEGUARD_SETTINGS"]
    return SignInFlow(client, public_base() + "/reporter/sign-in/callback", BINDING_COOKIE, COOKIE_PATH,
                      settings.admin_cookie_secure)


def _refused(reason: str, shown: str = "Sign-in failed. Try again, or ask your IT or security team.") -> Response:
    current_app.logger.warning("reporter sign-in refused: %s", log_safe(reason))
    return _page(401, error=shown)


@bp.get("/sign-in")
def sign_in() -> Response:
    return _page(200 if _client() is not None else 404)


@bp.get("/sign-in/start")
def start() -> Response:
    client = _client()
    if client is None:
        return _page(404)
    try:
        return _flow(client).begin(redis_client(), {"purpose": "reporter"})
    except OidcError as exc:
        return _refused(str(exc))


@bp.get("/sign-in/callback")
def callback() -> Response:
    client = _client()
    if client is None:
        return _page(404)
    flow = _flow(client)
    try:
        claims, record = flow.finish(redis_client())
    except OidcError as exc:
        return _refused(str(exc))
    if record.get("purpose") != "reporter":
        return _refused("a console login came back to the reporter sign-in")
    claim = current_app.config["INVITEGUARD_SETTINGS"].oidc_address_claim
    address = verified_address(claims, claim)
    if address is None:
        return _refused(f"no verified address in the {claim!r} claim",
                        "Your account's sign-in did not give a verified mail address. Ask your IT or security team.")
    token, identity = ReporterTokenStore(redis_client()).issue(str(claims["iss"]), str(claims["sub"]), address)
    current_app.logger.info("reporter token %s issued for %s", identity.token_id, log_safe(address))
    return flow.forget_binding(_page(token=token, address=address))


def _redis_unavailable(exc: redis.RedisError) -> Response:
    current_app.logger.warning("reporter sign-in: Redis unavailable: %s", type(exc).__name__)
    return _page(503, error="The service cannot issue tokens right now; try again shortly.")


bp.register_error_handler(redis.RedisError, _redis_unavailable)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
