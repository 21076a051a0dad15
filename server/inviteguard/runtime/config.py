"""One typed settings object for the service.

Precedence, lowest first: the defaults below, environment variables (`INVITEGUARD_<NAME>`, plus
`REDIS_URL`), then the mapping passed to `create_app(config)`. Every field is documented in the
README's configuration table; `tests/test_config.py` keeps the two in step.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

ENV_PREFIX = "INVITEGUARD_"
# The one variable that keeps its conventional, unprefixed name: every Redis tool reads it.
UNPREFIXED_ENV = {"redis_url": "REDIS_URL"}
# The package's static files (demo, admin console, add-ins); in a source tree a link to the top-level static/.
PACKAGE_STATIC = Path(__file__).resolve().parents[1] / "static"


class ConfigError(ValueError):
    """A setting has a value we cannot use; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    redis_url: str | None = None  # None: only `inviteguard serve` starts an embedded Redis
    redis_timeout_seconds: float = 0.05  # connect and read timeout: a dead Redis costs at most this
    redis_retry_after_seconds: float = 2.0  # after a Redis failure, answer uncached this long
    cache_ttl_seconds: int = 3600
    max_body_bytes: int = 10 * 1024 * 1024
    default_locale: str = "en"
    public_url: str | None = None  # base URL add-in manifests point at; None: the URL served on
    var_dir: str = "var"  # embedded Redis data (append-only file), metrics of workers
    static_dir: str = str(PACKAGE_STATIC)
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-* we believe
    log_level: str = "INFO"
    # One-click reports (reports.py, delivery.py, simulations.py). No SOC destination configured:
    # reports are stored and listed for triage, nothing is forwarded.
    soc_smtp_host: str | None = None  # the SOC mailbox's submission server
    soc_smtp_port: int = 587
    soc_smtp_starttls: bool = True
    soc_smtp_user: str | None = None  # with soc_smtp_password: SMTP AUTH after STARTTLS
    soc_smtp_password: str | None = None
    soc_smtp_from: str = "inviteguard@localhost"
    soc_smtp_to: str | None = None  # comma-separated SOC addresses
    soc_smtp_timeout_seconds: float = 30.0
    report_webhook_url: str | None = None  # POSTed signed JSON per report (SOAR / ticketing)
    report_webhook_secret: str | None = None  # HMAC-SHA256 key for X-InviteGuard-Signature
    report_webhook_timeout_seconds: float = 10.0
    report_webhook_allowed_networks: str = ""  # CIDRs the webhook may reach besides public addresses
    report_retention_days: float = 90.0  # then the original message bytes are deleted
    report_reporters_needed: int = 2  # distinct verified reporters after which every copy is >= suspicious
    own_domains: str = ""  # comma-separated; authenticated mail from these is never escalated by reports alone
    report_bytes_per_reporter_per_day: int = 50 * 1024 * 1024  # original bytes one reporter may store a day
    report_bytes_per_address_per_day: int = 250 * 1024 * 1024  # ... one client address, for self-asserted reporters
    report_redis_timeout_seconds: float = 5.0  # storing a 10 MB report takes longer than a cache read
    simulation_headers: str = ""  # "Name: value; Name" - a header (containing value) marks a drill
    simulation_sender_domains: str = ""  # comma-separated; From domain with DMARC pass marks a drill
    delivery_backoff_seconds: float = 5.0  # first pause of a failing destination, doubled per failure
    delivery_backoff_max_seconds: float = 900.0
    delivery_max_attempts: int = 100  # per report and destination, then it is marked failed
    delivery_claim_idle_seconds: float = 120.0  # a report pending this long with a dead worker is taken over
    delivery_in_serve: bool = True  # `inviteguard serve` runs the delivery worker too
    settings_refresh_seconds: float = 2.0  # console settings reach every worker and the delivery worker within this
    admin_cookie_secure: bool = True  # admin session cookie only over HTTPS; off for plain-http localhost dev
    admin_session_minutes: int = 480  # an admin session ends this long after login
    admin_login_attempts: int = 10  # login attempts per (account, address) in 15 minutes; 4x per address
    oidc_issuer: str | None = None  # OpenID Connect issuer URL; set it (and the client) to offer SSO login
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_roles_claim: str = "roles"  # ID-token claim whose values (editor/analyst/admin) grant roles
    oidc_address_claim: str = "email"  # ID-token claim with a reporter's address ("email" needs email_verified)
    # Access control and abuse limits for analyze and reports (client_auth.py, limits.py, security.py).
    # Nothing configured: the API is open and the service says so once at start.
    api_auth_required: bool = False  # refuse unauthenticated calls even while no client key exists (production)
    allow_open_api: bool = False  # with an https public URL, start even though anyone may call the API
    metrics_allowed_networks: str = ""  # CIDRs that may read /metrics and the OpenAPI document; empty: anyone
    addin_client_key: str | None = None  # the key built into the add-ins; accepted like a stored client key
    client_keys_refresh_seconds: float = 5.0  # a revoked client key stops working within this
    entra_client_id: str | None = None  # Outlook SSO: application id of InviteGuard's Entra ID app registration
    entra_tenant_ids: str = ""  # comma-separated tenant ids whose users' tokens are accepted
    entra_audiences: str = ""  # comma-separated; empty: the client id and api://<public host>/<client id>
    entra_jwks_url: str = "https://login.microsoftonline.com/common/discovery/v2.0/keys"
    entra_jwks_refresh_seconds: float = 60.0  # least time between key-set fetches caused by unknown key ids
    analyze_rate_limit: str = "300/minute"  # per signed-in user (Entra token)
    analyze_rate_limit_per_address: str = "6000/minute"  # per client address (key or none): a NATed office
    report_rate_limit: str = "30/minute"
    report_rate_limit_per_address: str = "600/minute"
    cors_origins: str = ""  # space/comma-separated origins allowed to call the API cross-origin
    outlook_frame_ancestors: str = ("https://outlook.office.com https://outlook.office365.com "
                                    "https://outlook.live.com https://outlook.cloud.microsoft")
    # Where the Outlook pages load Office.js from; its origin is their only script source besides ours.
    outlook_office_js_url: str = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
    max_request_header_fields: int = 100  # HTTP request headers on analyze/report calls
    max_request_header_bytes: int = 32768
    max_json_depth: int = 10
    max_json_tokens: int = 1000  # strings, numbers, brackets, commas and colons of a JSON body
    body_read_timeout_seconds: float = 10.0  # a request body that takes longer to arrive gets 408
    max_header_fields: int = 1000  # header lines of the analysed message
    max_header_block_bytes: int = 512 * 1024
    max_mime_parts: int = 1000
    max_mime_depth: int = 40
    max_ics_components: int = 500
    max_ics_properties: int = 20000
    analysis_time_budget_seconds: float = 5.0  # an analysis that takes longer is answered 422
    # Mail flow (mailflow/): the relay and the milter stamp X-InviteGuard-* headers signed with this key,
    # and POST /api/v1/stamp checks them with it. Both refuse to start without one.
    stamp_secret: str | None = None  # HMAC-SHA256 key, at least 32 characters
    stamp_secret_previous: str | None = None  # still accepted by /api/v1/stamp while the key is rotated
    stamp_max_age_days: float = 7.0  # an older stamp is stale (409); its verdict record expires then too
    mailflow_banner: bool = False  # also prepend the banner to the text/html and text/plain bodies
    mailflow_max_analyze_bytes: int = 10 * 1024 * 1024  # larger messages pass unanalysed, stamped unchecked
    relay_max_message_bytes: int = 150 * 1024 * 1024  # SMTP SIZE the relay accepts (Exchange Online's maximum)
    relay_allowed_clients: str = "127.0.0.0/8, ::1"  # addresses/networks that may relay; everyone else gets 554
    relay_tls_cert: str | None = None  # PEM certificate chain for STARTTLS; unset: no STARTTLS offered
    relay_tls_key: str | None = None  # its private key
    relay_require_starttls: bool = False  # refuse MAIL before STARTTLS
    relay_next_hop_tls: str = "may"  # none | may (STARTTLS when offered) | verify (required, certificate checked)
    relay_next_hop_timeout_seconds: float = 60.0  # connect and per-command timeout towards the next hop
    relay_hostname: str | None = None  # name in the relay's greeting and EHLO; unset: this host's FQDN


def setting_env_name(name: str) -> str:
    return UNPREFIXED_ENV.get(name, ENV_PREFIX + name.upper())


def _base_type(annotation: Any) -> type:
    """`int` for `int`, `str` for `str | None`."""
    if get_origin(annotation) in (Union, types.UnionType):
        return next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation


def _allows_none(annotation: Any) -> bool:
    return type(None) in get_args(annotation)


def _convert(name: str, raw: object, annotation: Any) -> object:
    if raw is None or (isinstance(raw, str) and raw == "" and _allows_none(annotation)):
        if _allows_none(annotation):
            return None
        raise ConfigError(f"{name} must not be empty")
    base = _base_type(annotation)
    if base is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name} must be true or false, not {raw!r}")
    if base in (int, float):
        if isinstance(raw, bool):
            raise ConfigError(f"{name} must be a number, not {raw!r}")
        try:
            value = base(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a number, not {raw!r}") from None
        if value < 0:
            raise ConfigError(f"{name} must not be negative")
        return value
    return str(raw)


def settings_from(environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> Settings:
    """Defaults -> environment -> overrides (keys are field names, in any case)."""
    hints = get_type_hints(Settings)
    known = {f.name for f in dataclasses.fields(Settings)}
    values: dict[str, object] = {}
    for name in known:
        env_name = setting_env_name(name)
        if env_name in environ:
            values[name] = _convert(env_name, environ[env_name], hints[name])
    for key, raw in (overrides or {}).items():
        name = key.lower()
        if name in known:
            values[name] = _convert(key, raw, hints[name])
    return Settings(**values)  # type: ignore[arg-type]
