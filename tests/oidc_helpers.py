"""A fake OpenID Connect provider served over real HTTP for the console's and the reporter sign-in's
tests: discovery, JWKS, authorization (which auto-approves) and token endpoints, signing with an
RSA key made here, checking PKCE and client authentication the way a real one does."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, redirect, request

CLIENT_ID = "inviteguard-admin"
CLIENT_SECRET = "s3cret/with:odd=chars"


@dataclass
class FakeProvider:
    url: str = ""
    key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)  # extra or overriding ID-token claims
    nonce_override: str | None = None
    token_requests: int = 0

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        body = {"iss": self.url, "aud": CLIENT_ID, "sub": "00u1", "iat": now, "exp": now + 300,
                "nonce": self.nonce_override or nonce, "preferred_username": "Erika@Contoso.com",
                "roles": ["editor"], **self.claims}
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": "k1"})

    def app(self) -> Flask:
        app = Flask("fake_oidc")

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            return jsonify({"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
                            "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks"})

        @app.get("/jwks")
        def jwks() -> Any:
            public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
            return jsonify({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]})

        @app.get("/authorize")
        def authorize() -> Any:
            args = request.args
            assert args["response_type"] == "code" and args["client_id"] == CLIENT_ID
            assert args["code_challenge_method"] == "S256" and "openid" in args["scope"].split()
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"challenge": args["code_challenge"], "nonce": args["nonce"],
                                "redirect_uri": args["redirect_uri"]}
            return redirect(f"{args['redirect_uri']}?code={code}&state={args['state']}")

        @app.post("/token")
        def token() -> Any:
            self.token_requests += 1
            expected = base64.b64encode(b"inviteguard-admin:s3cret%2Fwith%3Aodd%3Dchars").decode()
            if request.headers.get("Authorization") != f"Basic {expected}":
                return jsonify({"error": "invalid_client"}), 401
            grant = self.codes.pop(request.form.get("code", ""), None)
            if grant is None or request.form["redirect_uri"] != grant["redirect_uri"]:
                return jsonify({"error": "invalid_grant"}), 400
            verifier = request.form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge != grant["challenge"]:
                return jsonify({"error": "invalid_grant", "error_description": "PKCE"}), 400
            return jsonify({"access_token": "at", "token_type": "Bearer", "id_token": self.id_token(grant["nonce"])})

        return app
