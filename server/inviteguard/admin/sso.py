"""The browser's side of an OpenID Connect sign-in, shared by the console login (views.py) and
the reporter sign-in (reporter_signin.py): state, nonce and PKCE kept in Redis for one use, and a
binding cookie that ties the returning browser to the one that started, so a stolen callback URL
is useless elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, redirect, request

from .oidc import LoginRequest, OidcClient, OidcError, new_login_request
from .sessions import csrf_matches

LOGIN_KEY = "ig:admin:oidc:{}"
LOGIN_SECONDS = 600


@dataclass(frozen=True)
class SignInFlow:
    """One use of OIDC sign-in: where the provider sends the browser back, and the cookie (name,
    path) that binds the browser meanwhile."""

    client: OidcClient
    redirect_uri: str
    cookie_name: str
    cookie_path: str
    secure_cookie: bool

    def begin(self, store: Any, remember: Mapping[str, str]) -> Response:
        """Sends the browser to the provider; `remember` comes back from `finish`."""
        login = new_login_request()
        binding = secrets.token_urlsafe(32)
        target = self.client.authorization_url(login, self.redirect_uri)  # OidcError: the caller refuses
        record = {**remember, "nonce": login.nonce, "verifier": login.code_verifier,
                  "binding": hashlib.sha256(binding.encode()).hexdigest()}
        store.set(LOGIN_KEY.format(login.state), json.dumps(record), ex=LOGIN_SECONDS)
        response = redirect(target, code=303)
        response.set_cookie(self.cookie_name, binding, max_age=LOGIN_SECONDS, path=self.cookie_path,
                            secure=self.secure_cookie, httponly=True, samesite="Lax")
        return response

    def finish(self, store: Any) -> tuple[dict[str, Any], dict[str, str]]:
        """The verified ID-token claims and what `begin` remembered; OidcError for anything else."""
        state = request.args.get("state", "")[:128]
        blob = store.getdel(LOGIN_KEY.format(state)) if state else None  # single use
        if blob is None:
            raise OidcError("unknown or expired state")
        record = json.loads(blob)
        binding = request.cookies.get(self.cookie_name, "")
        if not csrf_matches(record["binding"], hashlib.sha256(binding.encode()).hexdigest()):
            raise OidcError("the sign-in was started in another browser")
        if request.args.get("error") or not request.args.get("code"):
            raise OidcError(f"provider error {request.args.get('error', 'no code')[:100]}")
        login = LoginRequest(state, record["nonce"], record["verifier"])
        return self.client.exchange_code(request.args["code"], login, self.redirect_uri), record

    def forget_binding(self, response: Response) -> Response:
        response.delete_cookie(self.cookie_name, path=self.cookie_path)
        return response
