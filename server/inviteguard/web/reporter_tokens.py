"""Per-user reporter tokens: how a Thunderbird user becomes a *verified* reporter.

The user signs in at `<public URL>/reporter/sign-in` with the organisation's OpenID Connect
provider (admin/reporter_signin.py); that issues a token tied to the identity (issuer, subject)
and its verified address, shown once, which the add-on sends as `X-InviteGuard-Reporter-Token`.
Redis keeps only the token's SHA-256 (a token is 256 random bits, so a plain hash suffices), with
an id admins list and revoke by. Each worker remembers a checked token for a few seconds, so a
revocation takes effect within INVITEGUARD_CLIENT_KEYS_REFRESH_SECONDS, and a brief Redis outage
does not log signed-in users out.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

TOKEN_HEADER = "X-InviteGuard-Reporter-Token"  # noqa: S105 - a header name
TOKEN_KEY = "ig:reporter-token:{}"  # noqa: S105 - a Redis key: sha256 of the token -> JSON record
TOKENS_INDEX = "ig:reporter-tokens"  # hash: token id -> sha256 of the token
IDENTITY_INDEX = "ig:reporter-identity:{}"  # sorted set per identity: sha256 -> issued at
TOKEN_BYTES = 32
TOKEN_MAX = 128
TOKENS_PER_IDENTITY = 5  # e.g. work and home Thunderbird; the oldest goes when a sixth is issued
REMEMBERED = 10_000  # tokens a worker remembers; beyond that the oldest are forgotten


class TokenUnavailable(Exception):
    """Redis cannot be asked and the token was never seen by this worker."""


@dataclass(frozen=True)
class ReporterIdentity:
    token_id: str
    issuer: str
    subject: str
    address: str
    issued_at: float

    def as_json(self) -> dict[str, Any]:
        return {"id": self.token_id, "issuer": self.issuer, "subject": self.subject, "address": self.address,
                "issued_at": self.issued_at}


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _identity_key(issuer: str, subject: str) -> str:
    return IDENTITY_INDEX.format(hashlib.sha256(f"{issuer}\x1f{subject}".encode()).hexdigest()[:32])


def _identity(blob: bytes | str) -> ReporterIdentity:
    data = json.loads(blob)
    return ReporterIdentity(data["id"], data["issuer"], data["subject"], data["address"], float(data["issued_at"]))


class ReporterTokenStore:
    def __init__(self, client: Any) -> None:
        self.client = client

    def issue(self, issuer: str, subject: str, address: str) -> tuple[str, ReporterIdentity]:
        """A new token for a signed-in identity (the only time it exists outside the user's hands)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        digest = token_digest(token)
        identity = ReporterIdentity(secrets.token_hex(8), issuer, subject, address.lower(), time.time())
        record = json.dumps(identity.as_json())
        index = _identity_key(issuer, subject)
        pipe = self.client.pipeline(transaction=False)  # keys in several Cluster slots
        pipe.set(TOKEN_KEY.format(digest), record)
        pipe.hset(TOKENS_INDEX, identity.token_id, digest)
        pipe.zadd(index, {digest: identity.issued_at})
        pipe.execute()
        for old in self.client.zrange(index, 0, -TOKENS_PER_IDENTITY - 1):
            self._forget(old.decode())
        return token, identity

    def lookup(self, token: str) -> ReporterIdentity | None:
        blob = self.client.get(TOKEN_KEY.format(token_digest(token)))
        return _identity(blob) if blob is not None else None

    def listing(self) -> list[ReporterIdentity]:
        pipe = self.client.pipeline(transaction=False)
        for digest in self.client.hvals(TOKENS_INDEX):
            pipe.get(TOKEN_KEY.format(digest.decode()))
        blobs = pipe.execute()
        return sorted((_identity(b) for b in blobs if b is not None), key=lambda i: (i.address, i.issued_at))

    def revoke(self, token_id: str) -> bool:
        digest = self.client.hget(TOKENS_INDEX, token_id)
        if digest is None:
            return False
        self._forget(digest.decode())
        return True

    def _forget(self, digest: str) -> None:
        blob = self.client.get(TOKEN_KEY.format(digest))
        pipe = self.client.pipeline(transaction=False)
        pipe.delete(TOKEN_KEY.format(digest))
        if blob is not None:
            identity = _identity(blob)
            pipe.hdel(TOKENS_INDEX, identity.token_id)
            pipe.zrem(_identity_key(identity.issuer, identity.subject), digest)
        pipe.execute()


class ReporterTokens:
    """A worker's view of the tokens: each checked token is remembered for `refresh_seconds`."""

    def __init__(self, client: Callable[[], Any], refresh_seconds: float) -> None:
        self.client = client
        self.refresh_seconds = refresh_seconds
        self._seen: OrderedDict[str, tuple[float, ReporterIdentity | None]] = OrderedDict()
        self._lock = threading.Lock()

    def identity(self, token: str) -> ReporterIdentity | None:
        """The token's identity, None for an unknown or revoked token; TokenUnavailable when Redis
        cannot say and this worker never saw the token."""
        if not token or len(token) > TOKEN_MAX:
            return None
        digest = token_digest(token)
        with self._lock:
            remembered = self._seen.get(digest)
        if remembered is not None and time.monotonic() - remembered[0] < self.refresh_seconds:
            return remembered[1]
        try:
            found = ReporterTokenStore(self.client()).lookup(token)
        except redis.RedisError:
            if remembered is None:
                raise TokenUnavailable from None
            return remembered[1]
        with self._lock:
            self._seen[digest] = (time.monotonic(), found)
            self._seen.move_to_end(digest)
            while len(self._seen) > REMEMBERED:
                self._seen.popitem(last=False)
        return found
