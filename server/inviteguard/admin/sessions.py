"""Admin-console sessions and login throttling, both in Redis so every worker agrees.

A session is a random token in an HttpOnly cookie; Redis holds only its SHA-256, the account
name, the CSRF token and how the user logged in, plus a per-account index of its sessions. Roles
are read from the account on every request, so taking a role away takes effect at once; a
password reset, a role change or deleting the account ends every session of that account
(`revoke_user_sessions`), and logging out ends its own everywhere. No Flask SECRET_KEY is
involved, so there is none to leak or rotate.

Login throttling counts an attempt before the password is checked, in one atomic step, so
parallel guesses cannot slip past the limit; it counts per (account, address) and per address,
never per account alone, so nobody can lock the owner out from another address.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

SESSION_KEY = "ig:admin:session:{}"
USER_SESSIONS_KEY = "ig:admin:user-sessions:{}"  # set of an account's session hashes
THROTTLE_KEY = "ig:admin:login-attempts:{}:{}"
THROTTLE_WINDOW_SECONDS = 15 * 60
# One address may try this many times the per-account limit across all accounts (an office NAT).
ADDRESS_LIMIT_FACTOR = 4


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
    lifetime = max(lifetime_seconds, 1)
    pipe = client.pipeline(transaction=False)
    pipe.set(SESSION_KEY.format(session.token_hash), json.dumps(record), ex=lifetime)
    pipe.sadd(USER_SESSIONS_KEY.format(user), session.token_hash)
    pipe.expire(USER_SESSIONS_KEY.format(user), lifetime)
    pipe.execute()
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
    pipe = client.pipeline(transaction=False)
    pipe.delete(SESSION_KEY.format(session.token_hash))
    pipe.srem(USER_SESSIONS_KEY.format(session.user), session.token_hash)
    pipe.execute()


def revoke_user_sessions(client: Any, user: str, keep: str | None = None) -> int:
    """Ends every session of `user` but `keep` (a session's token hash: the admin who changed
    their own password stays logged in there); returns how many ended."""
    hashes = [h.decode() for h in client.smembers(USER_SESSIONS_KEY.format(user))]
    ended = [h for h in hashes if h != keep]
    if ended:
        pipe = client.pipeline(transaction=False)
        pipe.delete(*(SESSION_KEY.format(h) for h in ended))
        pipe.srem(USER_SESSIONS_KEY.format(user), *ended)
        pipe.execute()
    return len(ended)


def csrf_matches(expected: str, offered: str | None) -> bool:
    return bool(offered) and hmac.compare_digest(expected.encode(), str(offered).encode())


class LoginThrottle:
    """Counts login attempts per (account, address) and per address in a window that starts with
    the first attempt. `attempt` counts before the password is checked."""

    def __init__(self, client: Any, limit: int) -> None:
        self.client = client
        self.limit = limit

    def _keys(self, address: str, account: str) -> tuple[str, str]:
        # Hashed so arbitrary typed names never become raw key material.
        pair = hashlib.sha256(f"{account.strip().lower()}\x1f{address}".encode()).hexdigest()[:32]
        return THROTTLE_KEY.format("pair", pair), THROTTLE_KEY.format("addr", address)

    def attempt(self, address: str, account: str) -> int:
        """Counts one attempt; returns 0 when it may go on, else the seconds until one may."""
        pipe = self.client.pipeline(transaction=True)
        keys = self._keys(address, account)
        for key in keys:
            # SET NX starts the window at the first attempt (EXPIRE NX would need Redis 7); INCR keeps the TTL.
            pipe.set(key, 0, ex=THROTTLE_WINDOW_SECONDS, nx=True)
            pipe.incr(key)
            pipe.ttl(key)
        answers = pipe.execute()
        limits = (self.limit, self.limit * ADDRESS_LIMIT_FACTOR)
        waits = [max(int(answers[3 * i + 2]), 1) for i in range(len(keys)) if int(answers[3 * i + 1]) > limits[i]]
        return max(waits, default=0)

    def succeeded(self, address: str, account: str) -> None:
        """A right password: this account may start afresh from this address. The address's count
        stays: one shared address guessing many accounts stays throttled."""
        self.client.delete(self._keys(address, account)[0])
