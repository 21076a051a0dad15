"""The guard in front of analyze and reports: who calls, how often, how big, how long.

`@guarded("analyze")` / `@guarded("reports")` on a view runs, cheapest refusal first:
1. HTTP request header count and size (431);
2. authentication (client_auth.py: 401, or 503 when credentials cannot be checked now);
3. the rate limit of that kind per caller (rate_limits.py, on the service's Redis; 429 +
   Retry-After). Redis down: limits are counted in this process's memory instead, so analyze
   keeps answering. Analyze counts it in its answer lookup's round trip, after the body is read
   but before any analysis; a caller this process already refused in the window is refused here;
4. the body, read once and bounded: a message/rfc822 body by INVITEGUARD_MAX_BODY_BYTES; a JSON
   body by what carries a message of that size base64-encoded, the limit then applying to the
   decoded message (413). A body that takes longer than INVITEGUARD_BODY_READ_TIMEOUT_SECONDS to
   arrive is a 408 (BodyReadDeadline), so slow senders cannot hold the worker's threads;
5. the shape of the input before any parser sees it: a JSON body's token count and depth, read by
   a linear scan before it is parsed, once (400); then the message's header lines and header
   block size, MIME part count and nesting, calendar components and properties (422). Each is a
   linear scan, so a hostile body costs a scan, not a parse. For analyze this step already runs
   inside the time budget below;
6. for analyze, a time budget: the analysis runs under a deadline (detect/budget.py) that every
   loop over input checks, so work past it stops and the answer is a 422 `analysis_time_budget`.
   Reports run under the same budget; past it the report is still stored and acknowledged,
   marked "unchecked" (the SOC wants hostile messages most of all).

JSON text is cleaned as it is parsed: a lone surrogate ("\\ud800") becomes U+FFFD, so no string of
a request can fail to encode later.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import re
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import RequestTimeout

from ..detect import budget
from ..runtime.config import Settings
from .client_auth import AuthError, authenticate_request, current_caller
from .errors import RequestError
from .rate_limits import Hit, Quotas, RateLimited, RateLimits, parse_rate

log = logging.getLogger(__name__)
V = TypeVar("V", bound=Callable[..., Any])

KINDS = ("analyze", "reports")
JSON_TYPE = "application/json"
# Room in a JSON body for the fields beside the base64 message (comment, reporter, client, ...).
JSON_FIELDS_BYTES = 64 * 1024


class LimitError(RequestError):
    """A request refused for its size, shape or cost; the JSON error body says which limit."""


@dataclass(frozen=True)
class InputLimits:
    request_header_fields: int
    request_header_bytes: int
    body_bytes: int
    json_depth: int
    json_tokens: int
    header_fields: int
    header_block_bytes: int
    mime_parts: int
    mime_depth: int
    ics_components: int
    ics_properties: int

    @classmethod
    def from_settings(cls, settings: Settings) -> InputLimits:
        return cls(settings.max_request_header_fields, settings.max_request_header_bytes, settings.max_body_bytes,
                   settings.max_json_depth, settings.max_json_tokens, settings.max_header_fields,
                   settings.max_header_block_bytes, settings.max_mime_parts, settings.max_mime_depth,
                   settings.max_ics_components, settings.max_ics_properties)

    @property
    def json_body_bytes(self) -> int:
        """A JSON body carries the message base64-encoded (4/3 of it, plus line breaks and their
        escapes) next to a few small fields; the message limit applies once it is decoded."""
        return self.body_bytes * 7 // 5 + JSON_FIELDS_BYTES


# ------------------------------------------------------------------ shape checks (pure)

def check_request_headers(headers: list[tuple[str, str]], limits: InputLimits) -> None:
    if len(headers) > limits.request_header_fields:
        raise LimitError(431, "request_headers_too_large", f"More than {limits.request_header_fields} request headers")
    if sum(len(k) + len(v) + 4 for k, v in headers) > limits.request_header_bytes:
        raise LimitError(431, "request_headers_too_large",
                         f"The request headers are larger than {limits.request_header_bytes} bytes")


# The rest of a JSON string after its opening quote. Possessive: no backtracking state is kept
# per escape, so a string of a million escapes costs a linear scan, not a stack of them.
_STRING_REST = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_STRUCTURE = (b",", b":", b"[", b"]", b"{", b"}")
_SCAN_CHUNK = 64 * 1024
_BRACKETS = re.compile(rb"[\[\]{}]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _invalid_json(why: str) -> LimitError:
    return LimitError(400, "invalid_json", why)


def json_shape(raw: bytes, limits: InputLimits) -> None:
    """Token count and nesting of a JSON text, from one left-to-right scan that jumps over strings,
    before json.loads builds any object: a body of a million tiny values costs a scan, not a
    million objects. Malformed text is left to the parser, which says so."""
    tokens = deepest = depth = 0
    position = 0
    while position < len(raw):
        quote = raw.find(b'"', position)
        end = len(raw) if quote < 0 else quote
        # Counted a chunk at a time, so a refused body costs about the limit, not its whole size.
        for start in range(position, end, _SCAN_CHUNK):
            tokens += sum(raw.count(mark, start, min(end, start + _SCAN_CHUNK)) for mark in _STRUCTURE)
            if tokens > limits.json_tokens:
                break
        tokens += quote >= 0
        if tokens > limits.json_tokens:
            raise _invalid_json(f"The JSON body has more than {limits.json_tokens} values and delimiters")
        for bracket in _BRACKETS.finditer(raw, position, end):
            depth += 1 if bracket.group() in b"[{" else -1
            deepest = max(deepest, depth)
        if deepest > limits.json_depth:
            raise _invalid_json(f"The JSON body is nested deeper than {limits.json_depth} levels")
        if quote < 0:
            return
        rest = _STRING_REST.match(raw, quote + 1)
        if rest is None:
            return  # an unterminated string: json.loads refuses it
        position = rest.end()


def without_surrogates(value: Any) -> Any:
    """Parsed JSON with every lone surrogate replaced by U+FFFD (json.loads accepts "\\ud800")."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_surrogates(v) for v in value]
    return value


def parse_json(raw: bytes, limits: InputLimits) -> Any:
    json_shape(raw, limits)
    try:
        return without_surrogates(json.loads(raw))
    except (ValueError, RecursionError):
        raise _invalid_json("The request body is not valid JSON") from None


def decode_base64(text: str, limits: InputLimits, field: str = "eml") -> bytes:
    """A base64 message or file (line breaks allowed), held to the message size limit once decoded."""
    try:
        decoded = base64.b64decode(text.translate(_BASE64_SPACE), validate=True)
    except (binascii.Error, ValueError):
        raise LimitError(400, "invalid_base64", f'"{field}" is not valid base64') from None
    if len(decoded) > limits.body_bytes:
        raise LimitError(413, "too_large", "The message is larger than this server accepts")
    return decoded


_BASE64_SPACE = {ord(c): None for c in " \t\r\n"}


def _guard() -> Guard:
    return current_app.extensions["inviteguard.guard"]


def guard_limits() -> InputLimits:
    """This app's input limits."""
    return _guard().limits


def request_json() -> Any:
    """This request's JSON body, parsed once (after the shape check) whoever asks first."""
    if "inviteguard_json" not in g:
        g.inviteguard_json = parse_json(request.get_data(), _guard().limits)
    return g.inviteguard_json


def request_eml() -> bytes | None:
    """The message of a JSON body's "eml" field, decoded once; None when there is none."""
    if "inviteguard_eml" not in g:
        data = request_json()
        eml = data.get("eml") if isinstance(data, dict) else None
        g.inviteguard_eml = decode_base64(eml, _guard().limits) if isinstance(eml, str) else None
    return g.inviteguard_eml


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


def check_json_body(limits: InputLimits) -> None:
    """Shape and depth (parsing it once), then the message inside, decoded. Bodies that are not
    JSON objects or carry fields of the wrong type are left to the API, which names the field."""
    data = request_json()
    if not isinstance(data, dict):
        return
    eml = request_eml()
    if eml is not None:
        check_raw_message(eml, limits)
        return
    texts = [data.get(name) for name in ("headers", "body", "ics")]
    if sum(len(t) for t in texts if isinstance(t, str)) > limits.body_bytes:
        raise LimitError(413, "too_large", "The message is larger than this server accepts")
    headers, _, ics = texts
    if isinstance(headers, str):
        check_header_block(headers.encode("utf-8", "replace"), limits)
    if isinstance(ics, str):
        check_calendars(ics.encode("utf-8", "replace"), limits)


def check_body(mimetype: str, limits: InputLimits) -> None:
    if mimetype == "message/rfc822":
        check_raw_message(request.get_data(), limits)
    elif mimetype == JSON_TYPE:
        check_json_body(limits)


# ------------------------------------------------------------------ slow bodies

class _TimedInput:
    """wsgi.input that must be read completely before a deadline. Under gunicorn each read gets a
    socket timeout of the time left, so a sender that stalls cannot hold the thread longer."""

    def __init__(self, stream: Any, sock: socket.socket | None, deadline: float) -> None:
        self.stream = stream
        self.sock = sock
        self.deadline = deadline

    def _call(self, method: Callable[..., Any], *args: Any) -> Any:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise RequestTimeout("The request body did not arrive in time")
        if self.sock is not None:
            self.sock.settimeout(left)
        try:
            return method(*args)
        except TimeoutError:
            raise RequestTimeout("The request body did not arrive in time") from None

    def read(self, size: int | None = -1) -> bytes:
        return self._call(self.stream.read, size)

    def readline(self, size: int | None = -1) -> bytes:
        return self._call(self.stream.readline, size)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        return self._call(self.stream.readlines, hint)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


class BodyReadDeadline:
    """WSGI middleware: the request body must arrive within `seconds` of the request's start."""

    def __init__(self, app: Callable[..., Iterable[bytes]], seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        sock = environ.get("gunicorn.socket")
        environ["wsgi.input"] = _TimedInput(environ["wsgi.input"], sock, time.monotonic() + self.seconds)
        try:
            return self.app(environ, start_response)
        finally:
            if sock is not None:
                sock.settimeout(None)


@dataclass
class Guard:
    limits: InputLimits
    quotas: Quotas
    budget_seconds: float

    def admit(self, kind: str, count: bool) -> Hit:
        """Steps 1 to 3; the rate limit is counted here unless `count` is False (the view counts it)."""
        check_request_headers(list(request.headers.items()), self.limits)
        caller = authenticate_request()
        g.inviteguard_hit = hit = self.quotas.hit(kind, caller, request.endpoint or "")
        if count:
            hit.count()
        return hit

    def read_body(self) -> None:
        if request.mimetype == JSON_TYPE:
            request.max_content_length = self.limits.json_body_bytes
        # Cached: the view reads these same bytes. Over the size limit this raises 413.
        request.get_data()

    def inspect(self) -> None:
        check_body(request.mimetype, self.limits)

    def within_budget(self, view: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            with budget.limit(self.budget_seconds):
                return view(*args, **kwargs)
        except budget.BudgetExceeded:
            log.warning("analysis over its %.1f s budget, stopped; answered 422", self.budget_seconds)
            raise LimitError(422, "analysis_time_budget",
                             f"The message is too complex to analyze within {self.budget_seconds:g} s") from None


def guarded(kind: str, inspects_itself: bool = False, counts_itself: bool = False) -> Callable[[V], V]:
    """Authenticate, rate-limit and size-check an analyze ("analyze") or report ("reports") view.

    `inspects_itself`: the view calls `inspect_body()` before it parses the body (step 5), so an
    exact copy already answered (api.analyze) is answered without scanning it again.
    `counts_itself`: the view counts the rate limit (step 3) in a Redis round trip it makes anyway
    (api.analyze: with the answer lookup), through `request_hit()`, before any analysis. A request
    refused before that (413, 415, ...) is counted all the same on its way out; a caller already
    refused in this window is refused before its body is read (rate_limits.SpentCounters)."""
    if kind not in KINDS:
        raise ValueError(f"unknown guard kind {kind!r}")

    def decorate(view: V) -> V:
        @wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            guard = _guard()
            hit = guard.admit(kind, count=not counts_itself)
            try:
                guard.read_body()

                def inspected(*args: Any, **kwargs: Any) -> Any:
                    if not inspects_itself:
                        guard.inspect()
                    return view(*args, **kwargs)

                if kind == "analyze":
                    return guard.within_budget(inspected, *args, **kwargs)
                return inspected(*args, **kwargs)
            finally:
                if not hit.counted:
                    hit.count()

        return inner  # type: ignore[return-value]

    return decorate


def request_hit() -> Hit:
    """This request's hit on its rate limits (set by the guard), for a view that `counts_itself`."""
    return g.inviteguard_hit


def inspect_body() -> None:
    """Step 5 for a view guarded with `inspects_itself`: the shape of the body before any parser."""
    _guard().inspect()


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


def _rate_limited(exc: RateLimited) -> tuple[Response, int]:
    log.info("rate limit %s reached by %s", exc.limit, current_caller().kind)
    return refusal(429, "rate_limited", f"Too many requests (at most {exc.limit}); try again later", exc.retry_after)


def _too_deep(_: RecursionError) -> tuple[Response, int]:
    # The limits above keep the parser well within Python's recursion limit; this is the net under them.
    return refusal(422, "mime_too_deep", "The message is nested too deeply to read")


# ------------------------------------------------------------------ wiring

def init_app(app: Flask) -> None:
    settings: Settings = app.config["INVITEGUARD_SETTINGS"]
    rates = {kind: RateLimits(parse_rate(f"INVITEGUARD_{name}_RATE_LIMIT", per_user),
                              parse_rate(f"INVITEGUARD_{name}_RATE_LIMIT_PER_ADDRESS", per_address))
             for kind, name, per_user, per_address in (
                 ("analyze", "ANALYZE", settings.analyze_rate_limit, settings.analyze_rate_limit_per_address),
                 ("reports", "REPORT", settings.report_rate_limit, settings.report_rate_limit_per_address))}
    quotas = Quotas(rates, app.extensions["inviteguard"].gate)
    app.extensions["inviteguard.guard"] = Guard(InputLimits.from_settings(settings), quotas,
                                                settings.analysis_time_budget_seconds)
    app.register_error_handler(LimitError, _limit_error)
    app.register_error_handler(AuthError, _auth_error)
    app.register_error_handler(RateLimited, _rate_limited)
    app.register_error_handler(RecursionError, _too_deep)
    if settings.body_read_timeout_seconds:
        app.wsgi_app = BodyReadDeadline(app.wsgi_app, settings.body_read_timeout_seconds)  # type: ignore[method-assign]
