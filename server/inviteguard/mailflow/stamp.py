"""The stamp: the X-InviteGuard-* header fields the relay and the milter write, and their signature.

    X-InviteGuard-Verdict: phishing | suspicious | clean | unchecked
    X-InviteGuard-Score: 0..100                   (absent when unchecked)
    X-InviteGuard-Reasons: id,id,...              (reason ids, strongest first; absent when none)
    X-InviteGuard-Fingerprint: <campaign fingerprint>  (absent when unchecked)
    X-InviteGuard-Signature: v=1; t=<Unix seconds>; s=<64 hex digits>

`s` is HMAC-SHA256, keyed with INVITEGUARD_STAMP_SECRET (its UTF-8 bytes), of the canonical string:
the UTF-8 bytes of these seven lines joined by a single LF, with no LF at the end

    inviteguard-stamp-v1
    <verdict>
    <score>          ("" when absent)
    <reasons>        (the ids joined by "," with no spaces; "" when absent)
    <fingerprint>    ("" when absent)
    <message-id>     (the first Message-ID field's value, line breaks removed and surrounding
                      white space stripped, angle brackets kept; "" when there is none)
    <t>              (the same decimal number as in the signature)

A reader unfolds each X-InviteGuard-* value and removes all white space from it before rebuilding
the string (the values contain none), so a mail system that refolds headers does not break it.
Anyone can write these headers, so the relay and the milter remove every inbound X-InviteGuard-*
field before stamping, and a client trusts a stamp only once the service confirmed its signature.
Pure functions: no Redis, no Flask.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.parser import HeaderParser
from email.policy import compat32

PREFIX = b"x-inviteguard-"
VERDICT = "X-InviteGuard-Verdict"
SCORE = "X-InviteGuard-Score"
REASONS = "X-InviteGuard-Reasons"
FINGERPRINT = "X-InviteGuard-Fingerprint"
SIGNATURE = "X-InviteGuard-Signature"
FIELDS = (VERDICT, SCORE, REASONS, FINGERPRINT, SIGNATURE)
UNCHECKED = "unchecked"
VERDICTS = ("phishing", "suspicious", "clean", UNCHECKED)
CANONICAL_VERSION = "inviteguard-stamp-v1"
MAX_REASONS = 20  # a header line stays far below 998 characters
MAX_FUTURE_SECONDS = 300  # clock skew between the relay and the service
MIN_SECRET_LENGTH = 32

_HEAD_END = re.compile(rb"\n\r?\n")
_SIGNATURE = re.compile(r"^v=1;t=([0-9]{1,12});s=([0-9a-f]{64})$")
_TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


@dataclass(frozen=True)
class Stamp:
    verdict: str
    score: str
    reasons: tuple[str, ...]
    fingerprint: str
    message_id: str
    timestamp: int

    def canonical(self) -> bytes:
        return "\n".join((CANONICAL_VERSION, self.verdict, self.score, ",".join(self.reasons), self.fingerprint,
                          self.message_id, str(self.timestamp))).encode("utf-8", "surrogateescape")


class StampProblem(ValueError):
    """Why a stamp is not trusted: `kind` is missing, forged or stale."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def check_secret(secret: str | None, name: str = "INVITEGUARD_STAMP_SECRET") -> str:
    """The secret, or ValueError naming the setting: a short key makes stamps forgeable."""
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"{name} must be set to at least {MIN_SECRET_LENGTH} characters "
                         "(e.g. the output of: python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    return secret


def signature(stamp: Stamp, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), stamp.canonical(), hashlib.sha256).hexdigest()


def header_fields(stamp: Stamp, secret: str) -> list[tuple[str, str]]:
    """The fields to prepend, in this order; absent values are left out."""
    fields = [(VERDICT, stamp.verdict), (SCORE, stamp.score), (REASONS, ",".join(stamp.reasons)),
              (FINGERPRINT, stamp.fingerprint)]
    fields = [(name, value) for name, value in fields if value]
    fields.append((SIGNATURE, f"v=1; t={stamp.timestamp}; s={signature(stamp, secret)}"))
    return fields


def header_lines(fields: Iterable[tuple[str, str]], newline: bytes) -> bytes:
    return b"".join(f"{name}: {value}".encode("ascii") + newline for name, value in fields)


# ------------------------------------------------------------------ raw messages (bytes)

def split_head(raw: bytes) -> tuple[bytes, bytes]:
    """(header block ending with its last line break, the rest starting with the empty line)."""
    if raw.startswith((b"\r\n", b"\n")):
        return b"", raw
    end = _HEAD_END.search(raw)
    if end is None:
        return raw, b""
    return raw[:end.start() + 1], raw[end.start() + 1:]


def header_fields_of(head: bytes) -> list[bytes]:
    """Each header field with its continuation lines and line breaks, in order; bytes kept as they are."""
    fields: list[bytes] = []
    for line in head.splitlines(keepends=True):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += line
        else:
            fields.append(line)
    return fields


def is_stamp_field(field: bytes) -> bool:
    return field[:len(PREFIX)].lower() == PREFIX


def without_stamp_fields(head: bytes) -> tuple[bytes, int]:
    """The header block with every X-InviteGuard-* field removed, and how many there were."""
    fields = header_fields_of(head)
    kept = [field for field in fields if not is_stamp_field(field)]
    return b"".join(kept), len(fields) - len(kept)


def newline_of(head: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in head else b"\n"


def message_id_of(head: bytes) -> str:
    """The first Message-ID field's value as the canonical string uses it."""
    for field in header_fields_of(head):
        name, colon, value = field.partition(b":")
        if colon and name.strip().lower() == b"message-id":
            return canonical_message_id(value.decode("ascii", "surrogateescape"))
    return ""


def canonical_message_id(value: str) -> str:
    return value.replace("\r", "").replace("\n", "").strip()


# ------------------------------------------------------------------ reading a stamp from a header block

def stamp_values(headers: str) -> tuple[dict[str, list[str]], str]:
    """The X-InviteGuard-* values (unfolded, white space removed) by lower-case name, and the message id."""
    parsed = HeaderParser(policy=compat32).parsestr(headers, headersonly=True)
    values: dict[str, list[str]] = {}
    for name, value in parsed.items():
        if name.lower().startswith(PREFIX.decode()):
            values.setdefault(name.lower(), []).append("".join(str(value).split()))
    message_id = parsed.get("Message-ID")
    return values, canonical_message_id(str(message_id)) if message_id is not None else ""


def read_stamp(headers: str, secrets: Iterable[str], now: float, max_age_seconds: float) -> Stamp:
    """The stamp in a raw header block, checked; StampProblem when it is missing, forged or stale."""
    values, message_id = stamp_values(headers)

    def one(name: str) -> str:
        found = values.get(name.lower(), [])
        if len(found) > 1:
            raise StampProblem("forged", f"{name} appears {len(found)} times")
        return found[0] if found else ""

    verdict, sealed = one(VERDICT), one(SIGNATURE)
    if not verdict or not sealed:
        raise StampProblem("missing", "the message carries no InviteGuard stamp")
    match = _SIGNATURE.match(sealed)
    if match is None:
        raise StampProblem("forged", "the stamp's signature is not in the v=1 form")
    reasons = tuple(r for r in one(REASONS).split(",") if r)
    stamp = Stamp(verdict, one(SCORE), reasons, one(FINGERPRINT), message_id, int(match.group(1)))
    if not any(hmac.compare_digest(signature(stamp, secret), match.group(2)) for secret in secrets):
        raise StampProblem("forged", "the stamp's signature does not match")
    if not well_formed(stamp):
        raise StampProblem("forged", "the stamp's values are not ones a relay writes")
    if stamp.timestamp > now + MAX_FUTURE_SECONDS:
        raise StampProblem("stale", "the stamp is dated in the future")
    if now - stamp.timestamp > max_age_seconds:
        raise StampProblem("stale", "the stamp is older than INVITEGUARD_STAMP_MAX_AGE_DAYS")
    if stamp.verdict == UNCHECKED:
        raise StampProblem("missing", "the mail gateway could not check this message")
    return stamp


def well_formed(stamp: Stamp) -> bool:
    if stamp.verdict == UNCHECKED:
        return not (stamp.score or stamp.reasons or stamp.fingerprint)
    return (stamp.verdict in VERDICTS and stamp.score.isdigit() and 0 <= int(stamp.score) <= 100
            and bool(_TOKEN.match(stamp.fingerprint)) and len(stamp.reasons) <= MAX_REASONS
            and all(_TOKEN.match(reason) for reason in stamp.reasons))


def stamp_for(verdict: str, score: int | None, reasons: Iterable[str], fingerprint: str, message_id: str,
              timestamp: int) -> Stamp:
    """The stamp for a judged message (or for an unchecked one: verdict "unchecked", score None)."""
    if verdict == UNCHECKED:
        return Stamp(UNCHECKED, "", (), "", message_id, timestamp)
    return Stamp(verdict, str(score), tuple(reasons)[:MAX_REASONS], fingerprint, message_id, timestamp)
