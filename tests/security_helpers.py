"""Shared pieces of the access-control tests: a local Entra ID stand-in (RSA keys, a JWKS served over
HTTP by a real server thread, tokens minted like Entra's) and the messages they send."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

EMLS = Path(__file__).resolve().parent / "data" / "emls"
LIST_INVITE = EMLS / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"
TENANT = "6f1c2a9e-0000-4000-8000-00000000c0de"
OTHER_TENANT = "0badc0de-0000-4000-8000-000000000bad"
APP_ID = "3d6f0a52-1111-4222-8333-444455556666"
PUBLIC_URL = "https://ig.contoso.com"
SIMPLE_MESSAGE = b"From: Alice <alice@contoso.com>\r\nSubject: lunch\r\n\r\nSee you at noon.\r\n"


class SigningKey:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**entry, "kid": self.kid, "use": "sig"}


class FakeEntra:
    """Serves {"keys": [...]} at /keys and counts the fetches; `keys` can change mid-test."""

    def __init__(self) -> None:
        self.keys: list[SigningKey] = [SigningKey("k1")]
        self.fetches = 0
        entra = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                entra.fetches += 1
                body = json.dumps({"keys": [k.jwk() for k in entra.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.jwks_url = f"http://127.0.0.1:{self.server.server_port}/keys"

    @contextmanager
    def running(self) -> Iterator[FakeEntra]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
            thread.join(timeout=5)


def claims(**overrides: Any) -> dict[str, Any]:
    """An Outlook SSO access token's claims (v2.0), valid now."""
    now = int(time.time())
    base = {"aud": APP_ID, "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0", "tid": TENANT,
            "iat": now - 10, "nbf": now - 10, "exp": now + 3600, "oid": "oid-alice", "sub": "sub-alice",
            "preferred_username": "Alice@Contoso.com", "scp": "access_as_user", "ver": "2.0"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def mint(key: SigningKey, **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), key.private, algorithm="RS256", headers={"kid": key.kid})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
