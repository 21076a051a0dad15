"""The guard in front of analyze and reports: who calls, how often, how big, how long.

`@guarded("analyze")` / `@guarded("reports")` on a view runs, cheapest refusal first:
1. HTTP request header count and size (431);
2. authentication (client_auth.py: 401, or 503 when credentials cannot be checked now);
3. the rate limit of that kind per caller (Flask-Limiter on the service's Redis; 429 + Retry-After).
   Redis down: limits are counted in this process's memory instead, so analyze keeps answering;
4. the shape of the input before any parser sees it: JSON depth (400), message header lines and
   header block size, MIME part count and nesting, calendar components and properties (422).
   Each is a linear scan of the bytes, so a hostile message costs a scan, not a parse;
5. for analyze, a time budget: the analysis runs under a deadline (detect/budget.py) that every
   loop over input checks, so work past it stops and the answer is a 422 `analysis_time_budget`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, jsonify, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many

from ..detect import budget
from ..runtime.config import ConfigError, Settings
from .client_auth import AuthError, authenticate_request, current_caller
from .errors import RequestError

log = logging.getLogger(__name__)
V = TypeVar("V", bound=Callable[..., Any])

KINDS = ("analyze", "reports")


class LimitError(RequestError):
    """A request refused for its size, shape or cost; the JSON error body says which limit."""


@dataclass(frozen=True)
class InputLimits:
    request_header_fields: int
    request_header_bytes: int
    json_depth: int
    header_fields: int
    header_block_bytes: int
    mime_parts: int
    mime_depth: int
    ics_components: int
    ics_properties: int

    @classmethod
    def from_settings(cls, settings: Settings) -> InputLimits:
        return cls(settings.max_request_header_fields, settings.max_request_header_bytes, settings.max_json_depth,
                   settings.max_header_fields, settings.max_header_block_bytes, settings.max_mime_parts,
                   settings.max_mime_depth, settings.max_ics_components, settings.max_ics_properties)


# ------------------------------------------------------------------ shape checks (pure)

def check_request_headers(headers: list[tuple[str, str]], limits: InputLimits) -> None:
    if len(headers) > limits.request_header_fields:
        raise LimitError(431, "request_headers_too_large", f"More than {limits.request_header_fields} request headers")
    if sum(len(k) + len(v) + 4 for k, v in headers) > limits.request_header_bytes:
        raise LimitError(431, "request_headers_too_large",
                         f"The request headers are larger than {limits.request_header_bytes} bytes")


def json_depth(value: Any) -> int:
    """Nesting depth of decoded JSON (a scalar is 0), without recursion."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth + 1)
            pending.extend((child, depth + 1) for child in item if isinstance(child, dict | list))
    return deepest


_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


def header_block(raw: bytes) -> bytes:
    """The message's header lines: everything before the first empty line."""
    end = _BLANK_LINE.search(raw)
    return raw[:end.start()] if end else raw


def header_field_count(block: bytes) -> int:
    """Header fields in a block; folded continuation lines belong to the field above."""
    if not block.strip():
        return 0
    lines = block.count(b"\n") + 1
    return lines - block.count(b"\n ") - block.count(b"\n\t")


def check_header_block(block: bytes, limits: InputLimits) -> None:
    if len(block) > limits.header_block_bytes:
        raise LimitError(422, "header_block_too_large",
                         f"The message's header block is larger than {limits.header_block_bytes} bytes")
    if header_field_count(block) > limits.header_fields:
        raise LimitError(422, "too_many_header_fields",
                         f"The message has more than {limits.header_fields} header lines")


# A delimiter line ("--boundary", "--boundary--") or a boundary declaration, in document order.
_MIME_EVENT = re.compile(rb'^--([^\r\n]{1,200}?)[ \t]*\r?$'
                         rb'|boundary[ \t]*=[ \t]*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))',
                         re.IGNORECASE | re.MULTILINE)


def check_mime(raw: bytes, limits: InputLimits) -> None:
    """MIME part count and multipart nesting, read from boundary declarations and delimiter lines
    the way the parser will pair them. Stops at the first limit passed, so it stays linear."""
    open_boundaries: list[bytes] = []
    parts = 1
    for event in _MIME_EVENT.finditer(raw):
        line, declared = event.group(1), event.group(2) or event.group(3)
        if declared is not None:
            open_boundaries.append(declared)
            if len(open_boundaries) > limits.mime_depth:
                raise LimitError(422, "mime_too_deep", f"MIME parts are nested deeper than {limits.mime_depth}")
            continue
        closing = line.endswith(b"--") and line[:-2] in open_boundaries
        boundary = line[:-2] if closing else line
        if boundary not in open_boundaries:
            continue  # a line of text that merely starts with two dashes
        level = len(open_boundaries) - 1 - open_boundaries[::-1].index(boundary)
        # Multiparts nested in the part that ends here end with it; a closing line ends its own too.
        del open_boundaries[level + (0 if closing else 1):]
        if not closing:
            parts += 1
            if parts > limits.mime_parts:
                raise LimitError(422, "too_many_mime_parts",
                                 f"The message has more than {limits.mime_parts} MIME parts")


_CALENDAR_START = re.compile(rb"^[ \t]*BEGIN:VCALENDAR", re.IGNORECASE | re.MULTILINE)
_CALENDAR_END = re.compile(rb"^[ \t]*END:VCALENDAR", re.IGNORECASE | re.MULTILINE)
_COMPONENT = re.compile(rb"^[ \t]*BEGIN:", re.IGNORECASE | re.MULTILINE)


def check_calendars(data: bytes, limits: InputLimits) -> None:
    """Components and content lines of every calendar written out in `data` (a bare .ics, an Outlook
    `ics` field, or the text/calendar parts of a message that are not base64-encoded)."""
    components = properties = 0
    position = 0
    while (start := _CALENDAR_START.search(data, position)) is not None:
        end = _CALENDAR_END.search(data, start.end())
        stop = end.end() if end else len(data)
        span = data[start.start():stop]
        components += len(_COMPONENT.findall(span))
        properties += span.count(b"\n") + 1 - span.count(b"\n ") - span.count(b"\n\t")
        position = stop
    if components > limits.ics_components:
        raise LimitError(422, "calendar_too_large", f"The invite has more than {limits.ics_components} components")
    if properties > limits.ics_properties:
        raise LimitError(422, "calendar_too_large", f"The invite has more than {limits.ics_properties} lines")


def check_raw_message(raw: bytes, limits: InputLimits) -> None:
    if not raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        check_header_block(header_block(raw), limits)
        check_mime(raw, limits)
    check_calendars(raw, limits)


def check_json_body(raw: bytes, limits: InputLimits) -> None:
    """Depth, then the message inside. Bodies that are not JSON objects or carry fields of the
    wrong type are left to the API, which names the field."""
    too_deep = LimitError(400, "invalid_json", f"The JSON body is nested deeper than {limits.json_depth} levels")
    try:
        data = json.loads(raw)
    except RecursionError:
        raise too_deep from None
    except ValueError:
        return
    if json_depth(data) > limits.json_depth:
        raise too_deep
    if not isinstance(data, dict):
        return
    eml = data.get("eml")
    if isinstance(eml, str):
        try:
            check_raw_message(base64.b64decode("".join(eml.split()), validate=True), limits)
        except (binascii.Error, ValueError):
            return
        return
    headers, ics = data.get("headers"), data.get("ics")
    if isinstance(headers, str):
        check_header_block(headers.encode("utf-8", "replace"), limits)
    if isinstance(ics, str):
        check_calendars(ics.encode("utf-8", "replace"), limits)


def check_body(mimetype: str, raw: bytes, limits: InputLimits) -> None:
    if mimetype == "message/rfc822":
        check_raw_message(raw, limits)
    elif mimetype == "application/json":
        check_json_body(raw, limits)


# ------------------------------------------------------------------ rate limits

def limiter_storage_uri(redis_url: str | None) -> str:
    """Flask-Limiter's name for the service's Redis (the `limits` package spells unix sockets
    redis+unix://); in-process memory when there is none."""
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


@dataclass(frozen=True)
class RateLimits:
    """One kind's limits: a signed-in user is one person; an address (with or without a client key)
    may be a whole office behind one NAT."""

    per_user: str
    per_address: str

    def for_caller(self) -> str:
        caller = g.get("inviteguard_caller")
        return self.per_user if caller is not None and caller.kind == "user" else self.per_address


def not_yet_authenticated() -> bool:
    """Flask-Limiter also looks at these limits before the view runs (it learns which endpoint calls
    the quota); they count only once the guard has authenticated the caller, which sets the key."""
    return "inviteguard_caller" not in g


def rate_key() -> str:
    return current_caller().rate_key


def _quota_anchor(kind: str) -> Callable[[], None]:
    """Flask-Limiter keys decorated limits by function name; one named function per kind keeps the
    analyze and report counters apart."""

    def anchor() -> None:
        """Calling it checks (and counts) the limit registered on it."""

    anchor.__name__ = anchor.__qualname__ = f"{kind}_quota"
    return anchor


@dataclass
class Guard:
    limits: InputLimits
    quotas: dict[str, Callable[[], None]]
    limiter: Limiter
    budget_seconds: float

    def admit(self, kind: str) -> None:
        check_request_headers(list(request.headers.items()), self.limits)
        authenticate_request()
        self.quotas[kind]()
        # Cached: the view reads these same bytes. Over MAX_CONTENT_LENGTH this raises 413.
        check_body(request.mimetype, request.get_data(), self.limits)

    def within_budget(self, view: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            with budget.limit(self.budget_seconds):
                return view(*args, **kwargs)
        except budget.BudgetExceeded:
            log.warning("analysis over its %.1f s budget, stopped; answered 422", self.budget_seconds)
            raise LimitError(422, "analysis_time_budget",
                             f"The message is too complex to analyze within {self.budget_seconds:g} s") from None


def guarded(kind: str) -> Callable[[V], V]:
    """Authenticate, rate-limit and size-check an analyze ("analyze") or report ("reports") view."""
    if kind not in KINDS:
        raise ValueError(f"unknown guard kind {kind!r}")

    def decorate(view: V) -> V:
        @wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            guard: Guard = current_app.extensions["inviteguard.guard"]
            guard.admit(kind)
            if kind == "analyze":
                return guard.within_budget(view, *args, **kwargs)
            return view(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return decorate


# ------------------------------------------------------------------ errors

def refusal(status: int, code: str, message: str, retry_after: float | None = None) -> tuple[Response, int]:
    # Path and user agent are the caller's text; the log record factory (security.py) escapes them.
    log.info("refused %s %s with %d %s (user agent %r)", request.method, request.path, status, code,
             request.user_agent.string[:200])
    current_app.extensions["inviteguard"].metrics.errors.labels(code).inc()
    response = jsonify({"error": {"code": code, "message": message}})
    if retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="inviteguard"'
    return response, status


def _limit_error(exc: LimitError) -> tuple[Response, int]:
    return refusal(exc.status, exc.code, exc.message)


def _auth_error(exc: AuthError) -> tuple[Response, int]:
    retry = current_app.config["INVITEGUARD_SETTINGS"].redis_retry_after_seconds if exc.status == 503 else None
    return refusal(exc.status, exc.code, exc.message, retry)


def _rate_limited(exc: RateLimitExceeded) -> tuple[Response, int]:
    guard: Guard = current_app.extensions["inviteguard.guard"]
    current = guard.limiter.current_limit
    wait = current.reset_at - time.time() if current is not None else 1.0
    log.info("rate limit %s reached by %s", exc.limit.limit, current_caller().kind)
    return refusal(429, "rate_limited", f"Too many requests (at most {exc.limit.limit}); try again later", wait)


def _too_deep(_: RecursionError) -> tuple[Response, int]:
    # The limits above keep the parser well within Python's recursion limit; this is the net under them.
    return refusal(422, "mime_too_deep", "The message is nested too deeply to read")


# ------------------------------------------------------------------ wiring

def _checked_rate(name: str, value: str) -> str:
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name} must be a rate limit like 300/minute, not {value!r}") from None
    return value


def init_app(app: Flask) -> None:
    settings: Settings = app.config["INVITEGUARD_SETTINGS"]
    rates = {kind: RateLimits(_checked_rate(f"INVITEGUARD_{name}_RATE_LIMIT", per_user),
                              _checked_rate(f"INVITEGUARD_{name}_RATE_LIMIT_PER_ADDRESS", per_address))
             for kind, name, per_user, per_address in (
                 ("analyze", "ANALYZE", settings.analyze_rate_limit, settings.analyze_rate_limit_per_address),
                 ("reports", "REPORT", settings.report_rate_limit, settings.report_rate_limit_per_address))}
    timeout = settings.redis_timeout_seconds
    limiter = Limiter(
        key_func=rate_key,
        storage_uri=limiter_storage_uri(settings.redis_url),
        storage_options={"socket_timeout": timeout, "socket_connect_timeout": timeout}
        if settings.redis_url else {},
        key_prefix="inviteguard:ratelimit",
        strategy="moving-window",
        # Redis down: count in this process instead, and never let a counting failure refuse a call.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limiter.init_app(app)
    quotas = {kind: limiter.limit(rate.for_caller, key_func=rate_key, exempt_when=not_yet_authenticated)(
                  _quota_anchor(kind))
              for kind, rate in rates.items()}
    app.extensions["inviteguard.guard"] = Guard(
        InputLimits.from_settings(settings), quotas, limiter, settings.analysis_time_budget_seconds)
    app.register_error_handler(LimitError, _limit_error)
    app.register_error_handler(AuthError, _auth_error)
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.register_error_handler(RecursionError, _too_deep)
