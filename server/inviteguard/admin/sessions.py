"""Admin-console sessions and login throttling, both in Redis so every worker agrees.

A session is a random token in an HttpOnly cookie; Redis holds only its SHA-256, the account
name, the CSRF token and how the user logged in. Roles are read from the account on every
request, so taking a role away takes effect at once, and logging out (or deleting the account)
ends the session everywhere. No Flask SECRET_KEY is involved, so there is none to leak or rotate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

SESSION_KEY = "ig:admin:session:{}"
THROTTLE_KEY = "ig:admin:login-failures:{}:{}"
THROTTLE_WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class AdminSession:
    token_hash: str
    user: str
    csrf: str
    method: str  # "password" or "oidc"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(client: Any, user: str, method: str, lifetime_seconds: int) -> tuple[str, AdminSession]:
    """A new session for `user`; returns the cookie token (shown to the browser once) and the session."""
    token = secrets.token_urlsafe(32)
    session = AdminSession(_token_hash(token), user, secrets.token_urlsafe(32), method)
    record = {"user": session.user, "csrf": session.csrf, "method": session.method}
    client.set(SESSION_KEY.format(session.token_hash), json.dumps(record), ex=max(lifetime_seconds, 1))
    return token, session


def load_session(client: Any, token: str | None) -> AdminSession | None:
    if not token or len(token) > 128:
        return None
    token_hash = _token_hash(token)
    blob = client.get(SESSION_KEY.format(token_hash))
    if blob is None:
        return None
    record = json.loads(blob)
    return AdminSession(token_hash, record["user"], record["csrf"], record["method"])


def end_session(client: Any, session: AdminSession) -> None:
    client.delete(SESSION_KEY.format(session.token_hash))


def csrf_matches(expected: str, offered: str | None) -> bool:
    return bool(offered) and hmac.compare_digest(expected.encode(), str(offered).encode())


class LoginThrottle:
    """Counts failed logins per client address and per account name in a sliding-ish window
    (a counter that expires 15 minutes after the first failure)."""

    def __init__(self, client: Any, limit: int) -> None:
        self.client = client
        self.limit = limit

    def _keys(self, address: str, account: str) -> tuple[str, str]:
        # Hashed so arbitrary typed names never become raw key material.
        name = hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]
        return THROTTLE_KEY.format("addr", address), THROTTLE_KEY.format("user", name)

    def retry_after(self, address: str, account: str) -> int:
        """Seconds until another attempt is allowed; 0 when one is allowed now."""
        waits = [0]
        for key in self._keys(address, account):
            count = int(self.client.get(key) or 0)
            if count >= self.limit:
                waits.append(max(int(self.client.ttl(key)), 1))
        return max(waits)

    def failed(self, address: str, account: str) -> None:
        pipe = self.client.pipeline(transaction=False)
        for key in self._keys(address, account):
            # SET NX starts the window at the first failure (EXPIRE NX would need Redis 7); INCR keeps the TTL.
            pipe.set(key, 0, ex=THROTTLE_WINDOW_SECONDS, nx=True)
            pipe.incr(key)
        pipe.execute()

    def succeeded(self, address: str, account: str) -> None:
        """A right password clears the account's counter, not the address's: one shared NAT
        address guessing many accounts stays throttled."""
        self.client.delete(self._keys(address, account)[1])
