"""Who may call analyze and reports: named client keys, Outlook single-sign-on tokens, per-user
reporter tokens, or anyone.

- Client keys (the Thunderbird add-on, Outlook in `key` mode, scripts): `X-InviteGuard-Key: <key>`.
  Each has a name, is stored in Redis only as its SHA-256 (a key is 256 random bits, so a plain
  hash is enough and a stolen Redis dump holds no usable key) and can be revoked. Every worker
  keeps a snapshot of the table, reread every few seconds, so a Redis outage does not lock the
  add-ins out and a revocation takes effect within the refresh interval.
- Entra ID access tokens from Outlook's `Office.auth.getAccessToken`: `Authorization: Bearer <jwt>`.
  RS256 only, signed by a key of the tenant's JWKS (cached; fetched again, at most once a minute,
  when a token names a key id we do not know), issued by Entra for an allowed tenant, for our
  audience, within its lifetime. The reporter of a report is the token's user, never the body's.
- Reporter tokens (reporter_tokens.py): `X-InviteGuard-Reporter-Token: <token>`, issued to a user
  who signed in at /reporter/sign-in; the caller is that user and a verified reporter.
- Nothing configured: the API is open (one warning at start); production sets
  INVITEGUARD_API_AUTH_REQUIRED so a lost key table never opens it. With an https:// public URL
  the service refuses to start open unless INVITEGUARD_ALLOW_OPEN_API says it is meant to be.
- /metrics and the OpenAPI document answer only INVITEGUARD_METRICS_ALLOWED_NETWORKS when set.

A client key never opens the admin console: that has its own login (admin.py).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
import redis
from flask import Flask, Response, current_app, g, jsonify, request

from ..runtime.config import ConfigError, Settings, settings_from
from ..runtime.redis_conn import RedisGate
from ..runtime.redis_server import service_redis
from .errors import RequestError
from .reporter_tokens import TOKEN_HEADER, ReporterTokens, TokenUnavailable

log = logging.getLogger(__name__)

KEYS_HASH = "inviteguard:client_keys"  # field: key name -> JSON {"sha256", "created"}
KEY_HEADER = "X-InviteGuard-Key"
KEY_BYTES = 32
NAME_MAX = 64
TOKEN_MAX = 16384  # an Entra access token is a few kilobytes; more is not a token
ENTRA_ALGORITHM = "RS256"
JWKS_TIMEOUT_SECONDS = 5.0
JWKS_MAX_AGE_SECONDS = 24 * 3600  # Entra rolls keys over weeks; a day-old set is re-read anyway
CLOCK_SKEW_SECONDS = 60
REPORTER_CLAIMS = ("preferred_username", "upn", "email", "unique_name")
INTERNAL_PATHS = frozenset({"/metrics", "/api/v1/openapi.json"})


class AuthError(RequestError):
    """The call is refused: `status` 401 (bad or missing credentials) or 503 (cannot check now)."""


@dataclass(frozen=True)
class Caller:
    """Who is calling. `rate_key` is the bucket rate limits count in; `reporter` is the signed-in
    user's address when a token proved it."""

    kind: str  # "user" | "key" | "anonymous"
    name: str
    rate_key: str
    reporter: str | None = None


# ------------------------------------------------------------------ client keys

def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def valid_key_name(name: str) -> bool:
    return 0 < len(name) <= NAME_MAX and all(c.isalnum() or c in "-_." for c in name)


class KeyStore:
    """The named client keys in Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def create(self, name: str) -> str:
        """A new key under `name` (replacing an earlier one of that name); the only time the key
        itself exists outside the caller's hands."""
        if not valid_key_name(name):
            raise ValueError(f"a key name is 1-{NAME_MAX} letters, digits, '-', '_' or '.'")
        key = secrets.token_urlsafe(KEY_BYTES)
        record = {"sha256": key_digest(key), "created": int(time.time())}
        self.client.hset(KEYS_HASH, name, json.dumps(record))
        return key

    def revoke(self, name: str) -> bool:
        """Marks the key revoked. The record stays, so revoking the last key does not silently
        reopen an API that once required keys, and `keys list` shows what was revoked when."""
        raw = self.client.hget(KEYS_HASH, name)
        if raw is None:
            return False
        record = json.loads(raw)
        if "revoked" in record:
            return False
        self.client.hset(KEYS_HASH, name, json.dumps({**record, "revoked": int(time.time())}))
        return True

    def records(self) -> dict[str, dict[str, Any]]:
        """key name -> {"sha256", "created"[, "revoked"]}."""
        return {name.decode(): json.loads(raw) for name, raw in self.client.hgetall(KEYS_HASH).items()}

    def table(self) -> KeyTable:
        records = self.records()
        active = {str(r["sha256"]): name for name, r in records.items() if "revoked" not in r}
        return KeyTable(active, bool(records))

    def listing(self) -> list[tuple[str, int, int | None]]:
        """(name, created, revoked or None) in unix time, by name."""
        return sorted((name, int(r["created"]), r.get("revoked")) for name, r in self.records().items())


@dataclass(frozen=True)
class KeyTable:
    active: dict[str, str]  # sha256 hex -> key name
    ever_created: bool  # any key, revoked or not: from then on calls need credentials


NO_KEYS = KeyTable({}, ever_created=False)


class ClientKeys:
    """A worker's snapshot of the key table (plus the configured add-in key), reread from Redis at
    most every `refresh_seconds`. `None` digests: never read yet and Redis unreachable."""

    def __init__(self, gate: RedisGate, refresh_seconds: float, addin_key: str | None) -> None:
        self.gate = gate
        self.refresh_seconds = refresh_seconds
        self.configured = {key_digest(addin_key): "addin"} if addin_key else {}
        self._stored: KeyTable | None = None
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def stored(self) -> KeyTable | None:
        if self.gate.url is None:  # no Redis at all (a bare gunicorn): no stored keys can exist
            return NO_KEYS
        with self._lock:
            if time.monotonic() - self._read_at >= self.refresh_seconds:
                self._read_at = time.monotonic()
                try:
                    self._stored = KeyStore(self.gate.client()).table()  # type: ignore[arg-type]
                except redis.RedisError as exc:
                    log.warning("client keys not reread, Redis failed (keeping the last table): %s", type(exc).__name__)
            return self._stored

    def any_exist(self) -> bool:
        stored = self.stored()
        return bool(self.configured) or (stored is not None and stored.ever_created)

    def name_of(self, key: str) -> str | None:
        """The key's name, or None for an unknown key; AuthError 503 when the table is unknown."""
        digest = key_digest(key)
        stored = self.stored()
        table = {**(stored.active if stored else {}), **self.configured}
        # Compare every digest in constant time, so timing says nothing about how much matched.
        found = None
        for candidate, name in table.items():
            if hmac.compare_digest(candidate, digest):
                found = name
        if found is None and stored is None:
            raise AuthError(503, "auth_unavailable", "Client keys cannot be checked right now; try again shortly")
        return found


# ------------------------------------------------------------------ Entra ID tokens

def fetch_json(url: str) -> Any:
    # The URL comes from the operator's settings, not from a request.
    with urllib.request.urlopen(url, timeout=JWKS_TIMEOUT_SECONDS) as response:  # noqa: S310
        return json.loads(response.read(1_000_000))


def signing_keys(jwks: Any) -> dict[str, jwt.PyJWK]:
    """kid -> RSA key, skipping keys we cannot or must not use for signatures."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in jwks.get("keys", []) if isinstance(jwks, dict) else []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str):
            continue
        try:
            keys[kid] = jwt.PyJWK(entry, algorithm=ENTRA_ALGORITHM)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue
    return keys


class Jwks:
    """The tenant's signing keys: fetched on first use, again after a day, and again when a token
    names an unknown key id — but not more than once per `refresh_seconds`, so tokens with made-up
    key ids cannot turn us into a fetch loop against Microsoft."""

    def __init__(self, url: str, refresh_seconds: float, fetch: Callable[[str], Any] = fetch_json) -> None:
        self.url = url
        self.refresh_seconds = refresh_seconds
        self.fetch = fetch
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()
        self.fetches = 0

    def key(self, kid: str) -> jwt.PyJWK | None:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            stale = age >= JWKS_MAX_AGE_SECONDS
            if stale or (kid not in self._keys and age >= self.refresh_seconds):
                self._refresh()
            return self._keys.get(kid)

    def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        self.fetches += 1
        try:
            keys = signing_keys(self.fetch(self.url))
        except (OSError, ValueError, urllib.error.URLError) as exc:
            log.warning("Entra signing keys not fetched from %s: %s", self.url, type(exc).__name__)
            if not self._keys:
                raise AuthError(503, "auth_unavailable", "Sign-in tokens cannot be checked right now") from None
            return
        if keys:
            self._keys = keys


def audiences_for(client_id: str, configured: str, public_url: str | None) -> tuple[str, ...]:
    explicit = tuple(a for a in (part.strip() for part in configured.split(",")) if a)
    if explicit:
        return explicit
    derived = [client_id]
    host = urlsplit(public_url).netloc if public_url else ""
    if host:
        derived.append(f"api://{host}/{client_id}")
    return tuple(derived)


def entra_issuers(tenant_id: str) -> tuple[str, str]:
    """The v2.0 and v1.0 issuer of a tenant (which one depends on the app's accessTokenAcceptedVersion)."""
    return f"https://login.microsoftonline.com/{tenant_id}/v2.0", f"https://sts.windows.net/{tenant_id}/"


class EntraValidator:
    def __init__(self, jwks: Jwks, tenant_ids: frozenset[str], audiences: tuple[str, ...]) -> None:
        self.jwks = jwks
        self.tenant_ids = tenant_ids
        self.audiences = audiences

    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims; AuthError 401 for any token we must not believe."""
        if len(token) > TOKEN_MAX:
            raise _bad_token("the token is too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _bad_token("the token is malformed") from None
        # Only RS256: "none" and HMAC tokens (signed with the public key as secret) are refused here.
        if header.get("alg") != ENTRA_ALGORITHM:
            raise _bad_token("the token is not signed with RS256")
        kid = header.get("kid")
        key = self.jwks.key(kid) if isinstance(kid, str) else None
        if key is None:
            raise _bad_token("the token is signed by an unknown key")
        try:
            claims = jwt.decode(token, key=key.key, algorithms=[ENTRA_ALGORITHM], audience=list(self.audiences),
                                leeway=CLOCK_SKEW_SECONDS,
                                options={"require": ["exp", "nbf", "iss", "aud", "tid"]})
        except jwt.ExpiredSignatureError:
            raise _bad_token("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise _bad_token("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise _bad_token("the token is for another application") from None
        except jwt.PyJWTError:
            raise _bad_token("the token is not valid") from None
        tenant = claims.get("tid")
        if tenant not in self.tenant_ids:
            raise _bad_token("the token is from a tenant this service does not serve")
        if claims.get("iss") not in entra_issuers(str(tenant)):
            raise _bad_token("the token was not issued by Entra ID for its tenant")
        return claims


def _bad_token(why: str) -> AuthError:
    return AuthError(401, "invalid_token", f"The sign-in token was refused: {why}")


def token_reporter(claims: Mapping[str, Any]) -> str | None:
    for name in REPORTER_CLAIMS:
        value = claims.get(name)
        if isinstance(value, str) and "@" in value:
            return value.strip().lower()
    return None


# ------------------------------------------------------------------ per app

@dataclass(frozen=True)
class Authenticator:
    keys: ClientKeys
    entra: EntraValidator | None
    required: bool  # API_AUTH_REQUIRED: refuse anonymous calls even with no key configured
    reporter_tokens: ReporterTokens

    def is_open(self) -> bool:
        """Whether an anonymous call is let in now."""
        return not (self.required or self.entra or self.keys.any_exist())

    def authenticate(self, headers: Mapping[str, str], address: str) -> Caller:
        bearer = _bearer(headers.get("Authorization", ""))
        key = headers.get(KEY_HEADER, "")
        if bearer is not None and self.entra is not None:
            claims = self.entra.claims(bearer)
            user = str(claims.get("oid") or claims.get("sub") or "")
            return Caller("user", user, f"user:{claims['tid']}:{user}", token_reporter(claims))
        reporter_token = headers.get(TOKEN_HEADER, "")
        if reporter_token:
            return self._reporter(reporter_token)
        if key:
            name = self.keys.name_of(key)
            if name is not None:
                # One key is shared by every installation, so its callers are told apart by address.
                return Caller("key", name, f"key:{name}:{address}")
            if not self.is_open():
                raise AuthError(401, "invalid_client_key", "The client key is unknown or was revoked")
        if bearer is not None and not self.is_open():
            raise AuthError(401, "invalid_token", "Sign-in tokens are not accepted by this service")
        if self.is_open():
            return Caller("anonymous", address, f"ip:{address}")
        raise AuthError(401, "unauthenticated", f"Send a client key ({KEY_HEADER}) or a sign-in token")


    def _reporter(self, token: str) -> Caller:
        try:
            identity = self.reporter_tokens.identity(token)
        except TokenUnavailable:
            raise AuthError(503, "auth_unavailable", "Reporter tokens cannot be checked right now; try again "
                                                     "shortly") from None
        if identity is None:
            raise AuthError(401, "invalid_token", "The reporter token is unknown or was revoked; sign in again at "
                                                  "/reporter/sign-in")
        return Caller("user", f"{identity.issuer} {identity.subject}", f"reporter:{identity.token_id}",
                      identity.address)


def _bearer(value: str) -> str | None:
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def build_authenticator(settings: Settings, gate: RedisGate) -> Authenticator:
    entra = None
    if settings.entra_client_id:
        tenants = frozenset(t.strip() for t in settings.entra_tenant_ids.split(",") if t.strip())
        if not tenants:
            raise ConfigError("INVITEGUARD_ENTRA_TENANT_IDS must name the tenants whose tokens are accepted")
        entra = EntraValidator(Jwks(settings.entra_jwks_url, settings.entra_jwks_refresh_seconds), tenants,
                               audiences_for(settings.entra_client_id, settings.entra_audiences, settings.public_url))
    keys = ClientKeys(gate, settings.client_keys_refresh_seconds, settings.addin_client_key)
    return Authenticator(keys, entra, settings.api_auth_required,
                         ReporterTokens(gate.client, settings.client_keys_refresh_seconds))


def check_exposure(settings: Settings) -> None:
    """An https:// public URL means the Internet can reach the service: refuse to start with an
    API anyone may call, unless INVITEGUARD_ALLOW_OPEN_API says so. (A client key built into the
    add-ins is no protection: anyone can fetch it from the add-in files.)"""
    public = urlsplit(settings.public_url or "")
    closed = settings.api_auth_required or bool(settings.entra_client_id)
    if public.scheme == "https" and not closed and not settings.allow_open_api:
        raise ConfigError(
            f"INVITEGUARD_PUBLIC_URL is {settings.public_url}, so the service is reachable from outside, but analyze "
            "and reports would answer anyone: set INVITEGUARD_API_AUTH_REQUIRED=true (with client keys, reporter "
            "sign-in or INVITEGUARD_ENTRA_*), or INVITEGUARD_ALLOW_OPEN_API=true to run it open on purpose")


def internal_networks(setting: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in setting.replace(",", " ").split())
    except ValueError:
        raise ConfigError(f"INVITEGUARD_METRICS_ALLOWED_NETWORKS must be networks like 10.0.0.0/8, not {setting!r}"
                          ) from None


def _from_network(address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _internal_only(networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
                   ) -> tuple[Response, int] | None:
    """/metrics and the OpenAPI document for the configured networks only (the address is the
    client's after INVITEGUARD_TRUSTED_PROXIES)."""
    if request.path not in INTERNAL_PATHS or _from_network(request.remote_addr or "", networks):
        return None
    return jsonify({"error": {"code": "forbidden", "message": "Not available from this network"}}), 403


# Set by the gunicorn master once it has warned, so its workers (forked after) stay quiet.
OPEN_WARNING_GIVEN = "INVITEGUARD_OPEN_WARNING_GIVEN"
# Flask config: False in a process that serves no HTTP API (the relay, the milter), whose app only
# analyses and caches, so the "API OPEN" warning is not its own.
SERVES_HTTP_API = "SERVES_HTTP_API"


def warn_if_open(authenticator: Authenticator) -> None:
    if authenticator.is_open() and not os.environ.get(OPEN_WARNING_GIVEN):
        log.warning("API OPEN: no client keys, no Entra ID sign-in and INVITEGUARD_API_AUTH_REQUIRED unset, so "
                    "anyone who reaches this service can call analyze and reports. For production create keys "
                    "(inviteguard keys create NAME) or configure INVITEGUARD_ENTRA_*, and set "
                    "INVITEGUARD_API_AUTH_REQUIRED=true.")


def warn_once_before_workers() -> None:
    """The "API OPEN" warning, said once by the gunicorn master rather than once per worker."""
    settings = settings_from(os.environ)
    gate = RedisGate(settings.redis_url, settings.redis_timeout_seconds, settings.redis_retry_after_seconds)
    warn_if_open(build_authenticator(settings, gate))
    os.environ[OPEN_WARNING_GIVEN] = "1"


def current_caller() -> Caller:
    """The caller of this analyze/report request (set by the guard in limits.py)."""
    return g.inviteguard_caller


def authenticate_request() -> Caller:
    authenticator: Authenticator = current_app.extensions["inviteguard.auth"]
    caller = authenticator.authenticate(request.headers, request.remote_addr or "unknown")
    g.inviteguard_caller = caller
    return caller


# ------------------------------------------------------------------ CLI: inviteguard keys ...

def cmd_keys(args: argparse.Namespace) -> int:
    try:
        with service_redis(args.redis_url) as client:
            return _keys_action(KeyStore(client), args)
    except (redis.RedisError, RuntimeError) as exc:
        print(f"keys: the service's Redis cannot be used: {exc}")
        return 2


def _keys_action(store: KeyStore, args: argparse.Namespace) -> int:
    if args.keys_command == "create":
        try:
            key = store.create(args.name)
        except ValueError as exc:
            print(f"keys create: {exc}")
            return 2
        print(key)
        print(f"# client key {args.name!r} created; it is shown only now. Clients send it as {KEY_HEADER}.")
        return 0
    if args.keys_command == "revoke":
        if store.revoke(args.name):
            print(f"client key {args.name!r} revoked")
            return 0
        print(f"no client key named {args.name!r}")
        return 1
    for name, created, revoked in store.listing():
        state = f"revoked {_utc(revoked)}" if revoked else "active"
        print(f"{name}\tcreated {_utc(created)}\t{state}")
    return 0


def _utc(moment: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(moment))


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("keys", help="create, list or revoke the client keys add-ins send")
    keys.add_argument("--redis-url", default=None, help="default: REDIS_URL, else the embedded Redis")
    actions = keys.add_subparsers(dest="keys_command", required=True)
    create = actions.add_parser("create", help="create a key (printed once) under NAME")
    create.add_argument("name")
    actions.add_parser("list", help="key names, when they were created and revoked")
    revoke = actions.add_parser("revoke", help="revoke the key named NAME")
    revoke.add_argument("name")
    keys.set_defaults(run=cmd_keys)


def init_app(app: Flask) -> None:
    settings: Settings = app.config["INVITEGUARD_SETTINGS"]
    check_exposure(settings)
    networks = internal_networks(settings.metrics_allowed_networks)
    if networks:
        app.before_request(lambda: _internal_only(networks))
    authenticator = build_authenticator(settings, app.extensions["inviteguard"].gate)
    app.extensions["inviteguard.auth"] = authenticator
    if settings.addin_client_key:
        # The Thunderbird XPI route bakes in the Flask config key; the environment sets the setting.
        app.config.setdefault("ADDIN_CLIENT_KEY", settings.addin_client_key)
    if app.config.get(SERVES_HTTP_API, True):
        warn_if_open(authenticator)
