"""The HTTP API (DESIGN.md, "HTTP API (v1)"): analyze, health, readiness, metrics.

Thin: an exact copy already answered gets its stored answer before any parsing (cache.AnswerCache);
otherwise read the input, hand it to the analyzer through the verdict cache, render the banner.
Every bad input is a 4xx `{"error": {"code", "message"}}`; the tests send each kind.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from ..banner.render import response_body
from ..banner.store import BannerStore, TextsSnapshot
from ..banner.texts import resolve_locale
from ..detect.analyzer import NO_FEEDBACK, Feedback
from ..detect.copies import exact_copy_key
from ..detect.engine import Engine
from ..detect.model import AttachedFile, OutlookItem, ParsedMessage, Verdict
from ..detect.parse import MAX_ATTACHMENT_BYTES, CalendarLimits, InputError, parse_outlook, parse_raw
from ..runtime.organisation import LiveSettings, load_org_settings
from ..runtime.redis_conn import RedisGate
from ..runtime.version import VERSION
from .cache import AnswerCache, AnswerLookup, VerdictCache, cache_key
from .errors import RequestError
from .feedback import NO_STANDING, ReportFeedback
from .limits import decode_base64, guard_limits, guarded, inspect_body, request_eml, request_hit, request_json
from .metrics import Metrics
from .security import has_header

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__)
T = TypeVar("T")

JSON_TYPES = {"application/json"}
RAW_TYPES = {"message/rfc822"}
LOCALE_MAX = 35  # longest sensible BCP 47 tag
# An item's attachment names: Outlook lists few; the add-in sends at most this many, each a file
# name (255 characters on every file system Outlook saves to).
MAX_ATTACHMENT_NAMES = 100
ATTACHMENT_NAME_MAX = 255
MAX_FILES = 8  # attachments whose bytes a client may send; the add-in sends four (MAX_FILES in static/outlook/core.js)
# Item fields as Office.js names them -> OutlookItem fields.
ITEM_FIELDS = {"item_class": "item_class", "subject": "subject", "from": "sender", "start": "start",
               "end": "end", "location": "location"}


class ApiError(RequestError):
    """Bad input to the API."""


@dataclass(frozen=True)
class Services:
    """Per-app objects, kept in app.extensions["inviteguard"]."""

    gate: RedisGate
    cache: VerdictCache
    texts: BannerStore
    engine: Engine
    metrics: Metrics
    default_locale: str
    feedback: ReportFeedback  # the report store, seen from here
    answers: AnswerCache
    settings: LiveSettings  # the settings with the console's, as this worker applies them now


def services() -> Services:
    return current_app.extensions["inviteguard"]


def log_safe(text: str, limit: int = 200) -> str:
    """Attacker text in a log line: CR/LF and other controls escaped, length bounded."""
    return text[:limit].encode("unicode_escape").decode("ascii")


# ------------------------------------------------------------------ input

JSON_TYPE_NAMES = {str: "string", dict: "object"}


def _field(data: dict[str, Any], name: str, kind: type, default: Any = None) -> Any:
    value = data.get(name, default)
    if value is not None and not isinstance(value, kind):
        raise ApiError(400, "invalid_field", f'"{name}" must be a JSON {JSON_TYPE_NAMES[kind]}')
    return value


def _item(data: dict[str, Any]) -> OutlookItem | None:
    raw = _field(data, "item", dict)
    if raw is None:
        return None
    fields = {}
    for name, target in ITEM_FIELDS.items():
        value = raw.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ApiError(400, "invalid_field", f'"item.{name}" must be a string')
        fields[target] = value
    attachments = raw.get("attachments") or []
    if not isinstance(attachments, list) or not all(isinstance(name, str) for name in attachments):
        raise ApiError(400, "invalid_field", '"item.attachments" must be a list of file names (strings)')
    if len(attachments) > MAX_ATTACHMENT_NAMES or any(len(name) > ATTACHMENT_NAME_MAX for name in attachments):
        raise ApiError(400, "invalid_field", f'"item.attachments" holds at most {MAX_ATTACHMENT_NAMES} names of at '
                                             f'most {ATTACHMENT_NAME_MAX} characters')
    return OutlookItem(**fields, attachments=tuple(attachments))


def request_files() -> tuple[AttachedFile, ...]:
    """The attachments of a JSON body's "files" field, decoded once per request."""
    if "inviteguard_files" not in g:
        data = request_json()
        g.inviteguard_files = _files(data) if isinstance(data, dict) else ()
    return g.inviteguard_files


def _files(data: dict[str, Any]) -> tuple[AttachedFile, ...]:
    """The attachments whose bytes the Outlook add-in read: [{"name", "content_type", "content"
    (base64), "content_id" (a picture the body draws by cid:, optional)}], each within the size of
    an attachment the service reads."""
    raw = data.get("files") or []
    if not isinstance(raw, list) or not all(isinstance(f, dict) for f in raw):
        raise ApiError(400, "invalid_field", '"files" must be a list of objects')
    if len(raw) > MAX_FILES:
        raise ApiError(400, "invalid_field", f'"files" holds at most {MAX_FILES} files')
    files = []
    for index, entry in enumerate(raw):
        name, content_type, content = entry.get("name"), entry.get("content_type") or "", entry.get("content")
        content_id = entry.get("content_id") or ""
        if not all(isinstance(v, str) for v in (name, content_type, content, content_id)) \
                or max(len(name), len(content_type), len(content_id)) > ATTACHMENT_NAME_MAX:
            raise ApiError(400, "invalid_field", f'"files[{index}]" needs "name" and "content" (base64) as '
                                                 f'strings, "name", "content_type" and "content_id" of at most '
                                                 f'{ATTACHMENT_NAME_MAX} characters')
        decoded = decode_base64(content, guard_limits(), f"files[{index}].content")
        if len(decoded) > MAX_ATTACHMENT_BYTES:
            raise ApiError(413, "too_large", f'"files[{index}]" is larger than the {MAX_ATTACHMENT_BYTES} bytes of an '
                                             f'attachment this server reads')
        files.append(AttachedFile(name, content_type, decoded, content_id.strip().strip("<>")))
    return tuple(files)


def _json_request() -> tuple[ParsedMessage, str | None]:
    data = request_json()  # parsed once per request, shape-checked first (limits.py)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object")
    locale = _field(data, "locale", str)
    client = _field(data, "client", dict)
    if client is not None and not all(isinstance(client.get(k, ""), str) for k in ("name", "version")):
        raise ApiError(400, "invalid_field", '"client.name" and "client.version" must be strings')
    if _field(data, "eml", str) is not None:
        return parse_raw(request_eml() or b"", calendar_limits()), locale
    body_type = _field(data, "body_type", str, "text")
    if body_type not in ("text", "html"):
        raise ApiError(400, "invalid_field", '"body_type" must be "text" or "html"')
    headers = _field(data, "headers", str, "") or ""
    body = _field(data, "body", str, "") or ""
    return parse_outlook(headers, body, body_type, _field(data, "ics", str), _item(data), calendar_limits(),
                         request_files()), locale


def calendar_limits() -> CalendarLimits:
    """The configured calendar limits, which parsing applies again to decoded calendars."""
    limits = current_app.extensions["inviteguard.guard"].limits
    return CalendarLimits(limits.ics_components, limits.ics_properties)


def request_bytes() -> bytes:
    """The whole body of an analyze request; raises ApiError (415) or 413."""
    if request.mimetype not in JSON_TYPES | RAW_TYPES:
        raise ApiError(415, "unsupported_media_type",
                       "Send Content-Type: message/rfc822 (a raw message) or application/json")
    raw = request.get_data()  # bounded by the size limit (limits.py): larger raises 413
    if request.content_length is None:
        # A chunked body is cut at the limit silently; one more read raises 413 if anything is left,
        # so a truncated message is never judged (or answered from a copy) as if it were whole.
        request.stream.read(1)
    return raw


def read_message(raw: bytes | None = None) -> tuple[ParsedMessage, str | None]:
    """The message and the locale the JSON body asked for; raises ApiError or InputError. `raw`:
    the body as request_bytes() already read it."""
    raw = request_bytes() if raw is None else raw
    if request.mimetype in RAW_TYPES:
        return parse_raw(raw, calendar_limits()), None
    return _json_request()


def copy_key(raw: bytes) -> str:
    """The exact-copy key of this request's message: a raw message without its per-recipient trace
    fields (detect.copies); a JSON body (the Outlook add-in's fields) byte for byte."""
    if request.mimetype in RAW_TYPES:
        return exact_copy_key(raw)
    return hashlib.sha256(b"json\x00" + raw).hexdigest()[:40]


def locale_wishes() -> tuple[str, ...]:
    """Everything outside the body that chooses the answer's language (requested_locales). Read
    as request.args and request.headers would read them, without parsing an empty query string
    or raising a KeyError per absent header (about 13 us of every cached answer)."""
    environ = request.environ
    return ((request.args.get("locale") or "") if request.query_string else "",
            environ.get("HTTP_X_INVITEGUARD_LOCALE") or "", environ.get("HTTP_ACCEPT_LANGUAGE") or "")


def requested_locales(from_body: str | None) -> list[str | None]:
    """JSON "locale" first, then ?locale=, X-InviteGuard-Locale, then Accept-Language in q order."""
    wishes: list[str | None] = [from_body, request.args.get("locale"),
                                request.headers.get("X-InviteGuard-Locale")]
    wishes += [lang for lang, _ in request.accept_languages]
    return [w[:LOCALE_MAX] if w else None for w in wishes]


# ------------------------------------------------------------------ analyze

class RedisSteps:
    """The Redis calls of one answer. After the first failure the rest are skipped and the answer
    is computed without Redis and marked degraded; a verdict is worth more now than cached."""

    def __init__(self, degraded: bool) -> None:
        self.degraded = degraded

    def run(self, what: str, call: Callable[[], T], fallback: T) -> T:
        if self.degraded:
            return fallback
        try:
            return call()
        except redis.RedisError as exc:
            self.degraded = True
            log.warning("%s unavailable, answering without Redis: %s", what, log_safe(str(exc)))
            return fallback


def judge(svc: Services, message: ParsedMessage, feedback: Feedback) -> Verdict:
    started = time.perf_counter()
    verdict = svc.engine.judge(message, feedback)
    svc.metrics.analysis_latency.observe(time.perf_counter() - started)
    return verdict


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    fingerprint: str
    cached: bool
    degraded: bool  # Redis could not be used for some step; the verdict was judged without it
    texts: TextsSnapshot


def decide(svc: Services, message: ParsedMessage) -> Decision:
    """What the service decides for a parsed message, whichever door it came in by (the API,
    mail flow): report standing, the verdict cache under the key of exactly what the verdict
    depends on, the analyzer on a miss, the metrics. No Flask request is needed."""
    fingerprint = svc.engine.fingerprint(message)
    snapshot = svc.texts.snapshot()
    steps = RedisSteps(snapshot.degraded)
    standing = steps.run("report feedback", lambda: svc.feedback.standing(fingerprint), NO_STANDING)
    key = cache_key(svc.engine.verdict_key(message), svc.engine.rules_version(), snapshot.version, standing.cache_tag)
    verdict = steps.run("verdict cache", lambda: svc.cache.get(key), None)
    cached = verdict is not None
    if verdict is None:
        feedback = steps.run("reported phone numbers", lambda: svc.feedback.feedback(message, standing), NO_FEEDBACK)
        verdict = judge(svc, message, feedback)
        steps.run("verdict cache", lambda: svc.cache.put(key, verdict), None)
    (svc.metrics.cache_hits if cached else svc.metrics.cache_misses).inc()
    if steps.degraded:
        svc.metrics.degraded.labels("verdict_cache").inc()
    svc.metrics.verdicts.labels(verdict.level).inc()
    return Decision(verdict, fingerprint, cached, steps.degraded, snapshot)


def stored_answer(svc: Services, raw: bytes) -> AnswerLookup | None:
    """The lookup of this copy's stored answer, None when Redis fails. The caller's rate limit is
    counted in the same round trip (in memory when Redis fails): RateLimited before any answer."""
    hit = request_hit()

    def lookup() -> AnswerLookup:
        # The settings as this worker applies them (not as Redis holds them this instant): an answer
        # rendered by a worker that has not yet reread a change is never fenced as if it had.
        settings_digest = svc.settings.current_with_digest()[1]
        return svc.answers.lookup(copy_key(raw), locale_wishes(), (svc.engine.rules_version(), settings_digest),
                                  rider=hit)

    found = RedisSteps(False).run("answer cache", lookup, None)
    if not hit.counted:
        hit.count()
    return found


@bp.post("/api/v1/analyze")
@guarded("analyze", inspects_itself=True, counts_itself=True)
def analyze() -> Response:
    svc = services()
    raw = request_bytes()
    lookup = stored_answer(svc, raw)
    if lookup is not None and lookup.answer is not None:
        # An answer exists only for a body that passed the inspection below; an exact copy differs
        # from it at most in trace fields, so it is answered without scanning it again.
        svc.metrics.cache_hits.inc()
        svc.metrics.child(svc.metrics.verdicts, lookup.answer.level).inc()
        return current_app.response_class(lookup.answer.body, mimetype="application/json")
    inspect_body()
    message, body_locale = read_message(raw)
    decision = decide(svc, message)
    steps = RedisSteps(decision.degraded)
    organisation = steps.run("organisation settings", lambda: load_org_settings(svc.gate.client()).banner_context(),
                             {})
    texts = decision.texts.texts
    locale = resolve_locale(requested_locales(body_locale), texts.keys(), svc.default_locale)
    body = response_body(decision.verdict, decision.fingerprint, texts, locale, decision.cached,
                         steps.degraded, organisation)
    if lookup is not None and not steps.degraded:
        # Rendered under the versions read before judging: a change since then fences it out.
        answer = (current_app.json.dumps({**body, "cached": True}) + "\n").encode()
        steps.run("answer cache", lambda: svc.answers.store(lookup, decision.verdict.level, answer), None)
    return jsonify(body)


# ------------------------------------------------------------------ health

@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok", "version": VERSION})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    if services().gate.ping():
        return jsonify({"status": "ready", "redis": "ok"}), 200
    return jsonify({"status": "unready", "redis": "unreachable"}), 503


@bp.get("/metrics")
def metrics() -> Response:
    return Response(services().metrics.exposition(), mimetype="text/plain; version=0.0.4; charset=utf-8")


# ------------------------------------------------------------------ errors and accounting

def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    services().metrics.errors.labels(code).inc()
    return jsonify({"error": {"code": code, "message": message}}), status


def _api_error(exc: ApiError) -> tuple[Response, int]:
    return error_response(exc.status, exc.code, exc.message)


def _input_error(exc: InputError) -> tuple[Response, int]:
    return error_response(422, exc.code, exc.message)


def _http_error(exc: HTTPException) -> tuple[Response, int]:
    code = {413: "too_large"}.get(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"))
    message = ("The message is larger than this server accepts" if exc.code == 413 else exc.description or "")
    return error_response(exc.code or 500, code, message)


def _unexpected(exc: Exception) -> tuple[Response, int]:
    log.exception("unexpected error on %s %s", request.method, log_safe(request.path))
    return error_response(500, "internal_error", "The server failed; the error was logged")


def _start_timer() -> None:
    g.started = time.perf_counter()


def _account(response: Response) -> Response:
    endpoint = request.url_rule.rule if request.url_rule else "unmatched"
    metrics = services().metrics
    metrics.child(metrics.requests, endpoint, request.method, str(response.status_code)).inc()
    if "started" in g:
        metrics.child(metrics.latency, endpoint).observe(time.perf_counter() - g.started)
    if not has_header(response, "X-Content-Type-Options"):
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(InputError, _input_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    app.before_request(_start_timer)
    app.after_request(_account)
