"""Optional single sign-on for the admin console: OpenID Connect authorization-code flow with
state, nonce and PKCE (S256), for Entra ID, Okta or any standard provider.

Only the issuer URL, client id and client secret are configured; everything else comes from the
provider's discovery document. The ID token is checked here (signature against the provider's
JWKS, issuer, audience, expiry, nonce) rather than trusted because it came over TLS: the code
exchange is the only call we make with the client secret, and its answer is still verified.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from .users import ROLES, SSO_PREFIX

DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_TTL_SECONDS = 3600
HTTP_TIMEOUT_SECONDS = 10
RESPONSE_LIMIT_BYTES = 1024 * 1024
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
CLOCK_SKEW_SECONDS = 60


class OidcError(Exception):
    """The login cannot go on; the message is for logs, the user sees a generic refusal."""


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class LoginRequest:
    """What we remember between sending the browser to the provider and its return."""

    state: str
    nonce: str
    code_verifier: str

    @property
    def code_challenge(self) -> str:
        digest = hashlib.sha256(self.code_verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_login_request() -> LoginRequest:
    return LoginRequest(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64))


def _get_json(url: str, data: bytes | None = None, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise OidcError(f"refusing a non-HTTP URL from the provider: {url[:100]}")
    request = urllib.request.Request(url, data=data, headers={"Accept": "application/json", **(headers or {})})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310 scheme checked
            body = response.read(RESPONSE_LIMIT_BYTES + 1)
    except urllib.error.HTTPError as exc:
        detail = exc.read(2000).decode("utf-8", "replace")
        exc.close()
        raise OidcError(f"{url[:100]} answered HTTP {exc.code}: {detail[:200]}") from None
    except (OSError, ValueError) as exc:
        raise OidcError(f"{url[:100]} unreachable: {type(exc).__name__}") from None
    if len(body) > RESPONSE_LIMIT_BYTES:
        raise OidcError(f"{url[:100]} answered more than 1 MB")
    try:
        parsed = json.loads(body)
    except ValueError:
        raise OidcError(f"{url[:100]} did not answer JSON") from None
    if not isinstance(parsed, dict):
        raise OidcError(f"{url[:100]} did not answer a JSON object")
    return parsed


def metadata_from(document: Mapping[str, Any], issuer: str) -> ProviderMetadata:
    """Checks a discovery document belongs to `issuer` (OpenID Connect Discovery 1.0, 4.3)."""
    if document.get("issuer") != issuer:
        raise OidcError("the discovery document names another issuer")
    try:
        return ProviderMetadata(issuer, str(document["authorization_endpoint"]), str(document["token_endpoint"]),
                                str(document["jwks_uri"]))
    except KeyError as exc:
        raise OidcError(f"the discovery document lacks {exc.args[0]}") from None


class OidcClient:
    """One configured provider; discovery and signing keys are fetched once and reused."""

    def __init__(self, issuer: str, client_id: str, client_secret: str, scopes: str = "openid email profile") -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = scopes
        self._metadata: tuple[float, ProviderMetadata] | None = None
        self._jwks: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()

    def metadata(self) -> ProviderMetadata:
        with self._lock:
            if self._metadata is None or time.monotonic() - self._metadata[0] > DISCOVERY_TTL_SECONDS:
                document = _get_json(self.issuer + DISCOVERY_PATH)
                self._metadata = (time.monotonic(), metadata_from(document, self.issuer))
                self._jwks = jwt.PyJWKClient(self._metadata[1].jwks_uri, cache_keys=True,
                                             timeout=HTTP_TIMEOUT_SECONDS)
            return self._metadata[1]

    def authorization_url(self, login: LoginRequest, redirect_uri: str) -> str:
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri,
            "scope": self.scopes, "state": login.state, "nonce": login.nonce,
            "code_challenge": login.code_challenge, "code_challenge_method": "S256"})
        endpoint = self.metadata().authorization_endpoint
        return endpoint + ("&" if "?" in endpoint else "?") + query

    def exchange_code(self, code: str, login: LoginRequest, redirect_uri: str) -> dict[str, Any]:
        """The verified ID-token claims for an authorization code."""
        form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code,
                                       "redirect_uri": redirect_uri, "code_verifier": login.code_verifier})
        # client_secret_basic: RFC 6749 2.3.1 wants id and secret form-encoded before Basic encoding.
        credentials = f"{urllib.parse.quote(self.client_id, safe='')}:{urllib.parse.quote(self.client_secret, safe='')}"
        tokens = _get_json(self.metadata().token_endpoint, data=form.encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode("ascii")})
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the token endpoint returned no ID token")
        return self.verify_id_token(id_token, login.nonce)

    def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        metadata = self.metadata()
        assert self._jwks is not None  # set together with the metadata
        try:
            key = self._jwks.get_signing_key_from_jwt(id_token)
            claims = jwt.decode(id_token, key.key, algorithms=SIGNING_ALGORITHMS, audience=self.client_id,
                                issuer=metadata.issuer, leeway=CLOCK_SKEW_SECONDS,
                                options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.PyJWTError as exc:
            raise OidcError(f"ID token refused: {exc}") from None
        if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
            raise OidcError("ID token nonce does not match this login")
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise OidcError("ID token was issued to another party (azp)")
        return claims


def username_from(claims: Mapping[str, Any]) -> str:
    """The user's name for display only: preferred_username (Entra ID: the UPN), else e-mail, else
    the subject. It never decides which account a login opens: the provider's user may choose it."""
    for claim in ("preferred_username", "email", "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and value:
            return value
    raise OidcError("the ID token names no user")


def sso_account_name(claims: Mapping[str, Any]) -> str:
    """The console account of an identity: from (issuer, subject), the only pair a provider
    guarantees to be stable and unique, under a prefix no local account may use."""
    digest = hashlib.sha256(f"{claims['iss']}\x1f{claims['sub']}".encode()).hexdigest()[:24]
    return f"{SSO_PREFIX}{digest}"


def verified_address(claims: Mapping[str, Any], claim: str) -> str | None:
    """The user's mail address from `claim`; "email" counts only with `email_verified: true`.
    (Entra ID sends no email_verified: name a claim the tenant controls, such as upn.)"""
    value = claims.get(claim)
    if not isinstance(value, str) or "@" not in value or len(value) > 254:
        return None
    if claim == "email" and claims.get("email_verified") is not True:
        return None
    return value.strip().lower()


def roles_from(claims: Mapping[str, Any], claim: str) -> frozenset[str]:
    """InviteGuard roles granted by the provider (Entra app roles, Okta groups named like ours)."""
    values = claims.get(claim)
    if isinstance(values, str):
        values = values.replace(",", " ").split()
    if not isinstance(values, Iterable):
        return frozenset()
    return frozenset(str(v).lower() for v in values) & frozenset(ROLES)
