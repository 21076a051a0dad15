"""Admin-console accounts, kept in the same Redis as everything else.

Local accounts carry an argon2id hash (argon2-cffi's defaults follow RFC 9106's recommendation).
An OpenID Connect identity has its own account, named from its (issuer, subject) with the
reserved prefix `sso.` (oidc.sso_account_name), carrying no password and the user's name for
display only: an SSO login can never land in a local account, whatever its claims say. Each
account has one or more roles: `editor` (banner text and organisation settings), `analyst`
(report triage) and `admin` (accounts), and an admin may do everything the others may. A new
password, a change of roles or deleting the account ends the account's sessions.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .sessions import revoke_user_sessions

ROLES = ("editor", "analyst", "admin")
USER_KEY = "ig:admin:user:{}"
USERS_KEY = "ig:admin:users"
SSO_PREFIX = "sso."  # accounts of OpenID Connect identities; no local account may take such a name
DISPLAY_LIMIT = 128
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes anything, but a megabyte "password" is a DoS, not a secret
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,127}$")

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the account does not exist, so a wrong name costs as long as a
    wrong password. Made on first use: hashing is deliberately slow, and imports should not be."""
    return _hasher.hash("not a real password, only spends the same time")


class AccountError(ValueError):
    """A name, password or role we refuse; the message is safe to show to the admin."""


@dataclass(frozen=True)
class User:
    name: str
    roles: frozenset[str]
    source: str  # "local" or "oidc"
    created_at: float
    display: str = ""  # an SSO user's name as the provider gave it; never used to find the account

    @property
    def label(self) -> str:
        return f"{self.display} (single sign-on)" if self.display else self.name

    def may(self, *roles: str) -> bool:
        """True when the account holds one of `roles`; admins hold every role."""
        return "admin" in self.roles or bool(self.roles & set(roles))

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "roles": sorted(self.roles), "source": self.source,
                "created_at": self.created_at, "display": self.display}


def normalize_username(name: str) -> str:
    """Names compare case-insensitively (an e-mail address from OIDC is a fine name)."""
    clean = name.strip().lower()
    if not _USERNAME.match(clean):
        raise AccountError("a user name is 1-128 characters: letters, digits and . _ @ + -")
    return clean


def check_roles(roles: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(roles)
    if not chosen:
        raise AccountError("give the account at least one role: " + ", ".join(ROLES))
    unknown = chosen - set(ROLES)
    if unknown:
        raise AccountError(f"unknown role {sorted(unknown)[0]!r}; roles are " + ", ".join(ROLES))
    return chosen


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"a password has at most {MAX_PASSWORD_LENGTH} characters")
    return password


def _user_from(name: str, record: dict[bytes, bytes]) -> User:
    return User(name=name, roles=frozenset(json.loads(record[b"roles"])), source=record[b"source"].decode(),
                created_at=float(record[b"created_at"]), display=record.get(b"display", b"").decode())


def get_user(client: Any, name: str) -> User | None:
    try:
        key = normalize_username(name)
    except AccountError:
        return None
    record = client.hgetall(USER_KEY.format(key))
    return _user_from(key, record) if record else None


def list_users(client: Any) -> list[User]:
    names = sorted(n.decode() for n in client.smembers(USERS_KEY))
    return [user for user in (get_user(client, n) for n in names) if user is not None]


def _store(client: Any, user: User, password_hash: str) -> None:
    pipe = client.pipeline(transaction=False)
    pipe.hset(USER_KEY.format(user.name), mapping={
        "roles": json.dumps(sorted(user.roles)), "source": user.source, "created_at": user.created_at,
        "password_hash": password_hash, "display": user.display})
    pipe.sadd(USERS_KEY, user.name)
    pipe.execute()


def create_user(client: Any, name: str, password: str, roles: Iterable[str], replace: bool = False) -> User:
    """A new local account (or, with `replace`, a new password and roles for an existing one,
    whose sessions then end)."""
    user = User(normalize_username(name), check_roles(roles), "local", time.time())
    if user.name.startswith(SSO_PREFIX):
        raise AccountError(f"names starting with {SSO_PREFIX!r} belong to single sign-on identities")
    if client.exists(USER_KEY.format(user.name)):
        if not replace:
            raise AccountError(f"the account {user.name!r} already exists")
        revoke_user_sessions(client, user.name)
    _store(client, user, _hasher.hash(check_password(password)))
    return user


def create_sso_user(client: Any, name: str, display: str, roles: Iterable[str]) -> User:
    """The account of a single sign-on identity (`name` from oidc.sso_account_name)."""
    if not name.startswith(SSO_PREFIX):
        raise AccountError("a single sign-on account's name comes from its issuer and subject")
    user = User(normalize_username(name), check_roles(roles), "oidc", time.time(), display.strip()[:DISPLAY_LIMIT])
    _store(client, user, "")
    return user


def set_roles(client: Any, name: str, roles: Iterable[str], keep_session: str | None = None) -> User:
    """New roles; when they differ, the account's sessions (but `keep_session`) end."""
    user = get_user(client, name)
    if user is None:
        raise AccountError("no such account")
    chosen = check_roles(roles)
    if chosen != user.roles:
        client.hset(USER_KEY.format(user.name), "roles", json.dumps(sorted(chosen)))
        revoke_user_sessions(client, user.name, keep=keep_session)
    return User(user.name, chosen, user.source, user.created_at, user.display)


def set_password(client: Any, name: str, password: str, keep_session: str | None = None) -> None:
    """A new password; every session of the account (but `keep_session`) ends."""
    user = get_user(client, name)
    if user is None:
        raise AccountError("no such account")
    if user.source != "local":
        raise AccountError("a single sign-on account has no password")
    client.hset(USER_KEY.format(user.name), "password_hash", _hasher.hash(check_password(password)))
    revoke_user_sessions(client, user.name, keep=keep_session)


def delete_user(client: Any, name: str) -> bool:
    key = normalize_username(name)
    pipe = client.pipeline(transaction=False)
    pipe.delete(USER_KEY.format(key))
    pipe.srem(USERS_KEY, key)
    deleted = bool(pipe.execute()[0])
    revoke_user_sessions(client, key)
    return deleted


def authenticate(client: Any, name: str, password: str) -> User | None:
    """The account when `password` is right; None otherwise, after the same argon2 work either way."""
    try:
        key = normalize_username(name)
    except AccountError:
        key = ""
    record = client.hgetall(USER_KEY.format(key)) if key else {}
    stored = record.get(b"password_hash", b"").decode() or _dummy_hash()
    if len(password) > MAX_PASSWORD_LENGTH:
        password = password[:MAX_PASSWORD_LENGTH]
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if stored is _dummy_hash():
        return None
    if _hasher.check_needs_rehash(stored):
        client.hset(USER_KEY.format(key), "password_hash", _hasher.hash(password))
    return _user_from(key, record)
