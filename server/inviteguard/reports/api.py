"""One-click reports over HTTP: `POST /api/v1/reports` from the add-ins.

POST takes the same message inputs as analyze (api.read_message reads them) plus optional
`category`, `comment`, `reporter`, `client` and `truncated` as JSON fields; next to a raw
message/rfc822 body (curl) they may be query parameters instead. The reporter is *verified* when
a sign-in proved who is calling (an Entra token, or a reporter token issued at
/reporter/sign-in): then it is that identity's address, whatever the body says. Otherwise the
body's `reporter` is stored as self-asserted: triaged and forwarded, but it never changes
anyone's verdict. It answers 202 only once Redis holds the report; when it cannot, 503 with
Retry-After, so the add-in keeps the report and tries again. Triage (listing, downloading and
deciding on reports) is the admin console's: inviteguard.admin.triage.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import redis
from flask import Blueprint, Flask, Response, current_app, jsonify, request

from ..banner.render import response_body
from ..detect import budget
from ..detect.analyzer import callback_numbers
from ..detect.model import AttachedFile, ParsedMessage
from ..detect.parse import parse_outlook
from ..runtime.config import Settings
from ..runtime.organisation import LiveSettings, load_org_settings
from ..web.api import ApiError, error_response, log_safe, read_message, request_files, services
from ..web.client_auth import current_caller
from ..web.limits import guarded, request_eml, request_json
from .delivery import networks_from
from .simulations import is_simulation, matchers_from
from .store import NewReport, ReportStore
from .text import one_line, without_surrogates

log = logging.getLogger(__name__)
bp = Blueprint("reports", __name__)

CATEGORIES = ("phishing", "spam", "other")
COMMENT_LIMIT = 2000
REPORTER_LIMIT = 254  # longest e-mail address
CLIENT_FIELD_LIMIT = 64
SUBJECT_LIMIT = 998  # the longest header line RFC 5322 allows
SOC_LOCALE = "en"  # the summary the SOC reads; readers' languages vary, the SOC's does not
# Headers that describe the original MIME body; a rebuilt message gets its own.
_BODY_HEADERS = re.compile(r"^(content-[a-z-]+|mime-version)\s*:", re.IGNORECASE)


def live_settings() -> LiveSettings:
    return current_app.extensions["inviteguard.settings"]


# ------------------------------------------------------------------ input

def _text(value: object, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(400, "invalid_field", f'"{name}" must be a string')
    return without_surrogates(value.strip()[:limit])


def _category(value: object) -> str:
    category = _text(value, "category", 32).lower() or "phishing"
    if category not in CATEGORIES:
        raise ApiError(400, "invalid_field", f'"category" must be one of {", ".join(CATEGORIES)}')
    return category


def _client(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: one_line(_text(value.get(k), f"client.{k}", CLIENT_FIELD_LIMIT), CLIENT_FIELD_LIMIT)
            for k in ("name", "version") if value.get(k)}


# RFC 6838's restricted names, type "/" subtype, nothing after them.
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")
FILE_NAME_LIMIT = 255


def rebuilt_eml(headers: str, body: str, body_type: str, ics: str | None, files: Sequence[AttachedFile] = ()) -> bytes:
    """A message/rfc822 for the SOC when Outlook could give only headers and body text: the
    original header lines, minus those describing the lost MIME body, over a new body, with the
    attachments the add-in fetched."""
    kept: list[str] = []
    keep = True
    for line in headers.replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t"):
            if keep and kept:
                kept.append(line)
            continue
        keep = bool(line.strip()) and not _BODY_HEADERS.match(line)
        if keep:
            kept.append(line)
    part = EmailMessage(policy=SMTP)
    part["X-InviteGuard-Rebuilt"] = "from the headers and body text Outlook gave; not the original bytes"
    part.set_content(body, subtype="html" if body_type == "html" else "plain")
    if ics:
        part.add_attachment(ics, subtype="calendar", filename="invite.ics")
    for attached in files:
        # The client's words: a type only as a bare registered-name pair, a name on one line.
        kind = attached.content_type.lower() if _MEDIA_TYPE.fullmatch(attached.content_type) else ""
        maintype, _, subtype = (kind or "application/octet-stream").partition("/")
        part.add_attachment(attached.data, maintype=maintype, subtype=subtype,
                            filename=one_line(attached.name, FILE_NAME_LIMIT) or "attachment")
    return "\r\n".join(kept).encode("utf-8", "replace") + b"\r\n" + part.as_bytes()


def _original(mimetype: str) -> tuple[bytes, str, dict[str, Any]]:
    """The message bytes, where they came from, and the JSON body's other fields ({} for raw).
    read_message has already refused anything that is not a readable message, so the JSON body
    is an object whose fields have the right types."""
    if mimetype == "message/rfc822":
        return request.get_data(), "eml", {}
    data = request_json()
    eml = request_eml()
    if eml is not None:
        return eml, "eml", data
    body_type = data.get("body_type") or "text"
    return rebuilt_eml(data.get("headers") or "", data.get("body") or "", body_type, data.get("ics"),
                       request_files()), "outlook", data


def _reporter(claimed: str) -> tuple[str, bool]:
    """The reporter and whether a sign-in proved it. A claimed name is kept as the SOC's clue;
    without one, the client address stands in."""
    verified = current_caller().reporter
    if verified:
        return verified.lower(), True
    name = one_line(claimed, REPORTER_LIMIT).lower()
    return name or f"anonymous@{request.remote_addr or 'unknown'}", False


def _verdict_summary(message: ParsedMessage, fingerprint: str) -> dict[str, Any]:
    """The verdict as a reader would see it now, with reason texts for the SOC's summary."""
    svc = services()
    store = report_store()
    verdict = svc.engine.judge(message, store.feedback(message, store.standing(fingerprint)))
    organisation = load_org_settings(svc.gate.client()).banner_context()
    body = response_body(verdict, fingerprint, svc.texts.snapshot().texts, SOC_LOCALE, cached=False,
                         organisation=organisation)
    return {"level": verdict.level, "score": verdict.score, "rules_version": verdict.rules_version,
            "reasons": [{"id": r["id"], "title": r["title"], "detail": r["detail"]} for r in body["reasons"]]}


# A report whose analysis ran past the budget: stored and delivered all the same, judged by no one.
UNCHECKED: dict[str, Any] = {"level": "unchecked", "score": 0, "rules_version": "", "reasons": []}


def _judged_within_budget() -> tuple[ParsedMessage, str, tuple[str, ...], dict[str, Any]] | None:
    """The message, its campaign, its numbers and its verdict, worked out under the same time
    budget as analyze; None when the budget ran out (a message built to be slow)."""
    svc = services()
    seconds = current_app.extensions["inviteguard.guard"].budget_seconds
    try:
        with budget.limit(seconds):
            message, _ = read_message()
            fingerprint = svc.engine.fingerprint(message)
            return message, fingerprint, callback_numbers(message), _verdict_summary(message, fingerprint)
    except budget.BudgetExceeded:
        log.warning("report over its %.1f s analysis budget; stored unchecked", seconds)
        return None


def _headers_only(original: bytes) -> ParsedMessage:
    """Subject and sender for the SOC's summary of an unchecked report, from its header block only
    (its size already checked before any parsing)."""
    header_block = original.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")
    return parse_outlook(header_block, "")


def store_unavailable(exc: redis.RedisError) -> tuple[Response, int]:
    log.warning("report not stored, Redis failed: %s", log_safe(str(exc)))
    response, status = error_response(503, "report_store_unavailable",
                                      "The report could not be stored; send it again later")
    response.headers["Retry-After"] = str(max(1, math.ceil(services().gate.retry_after)))
    return response, status


# ------------------------------------------------------------------ submit

@bp.post("/api/v1/reports")
@guarded("reports")
def submit() -> tuple[Response, int]:
    try:
        judged = _judged_within_budget()  # the verdict reads the campaign's standing from Redis
    except redis.RedisError as exc:
        return store_unavailable(exc)
    original, source, fields = _original(request.mimetype)
    if judged is None:
        message = _headers_only(original)
        fingerprint, phones, verdict = "unchecked:" + hashlib.sha256(original).hexdigest()[:32], (), UNCHECKED
    else:
        message, fingerprint, phones, verdict = judged
    # Query parameters only beside a raw body (curl); the add-ins send JSON, whose fields are not logged.
    extras: Mapping[str, Any] = fields if request.mimetype != "message/rfc822" else request.args
    client = _client(fields.get("client")) if fields else _client(
        {"name": request.args.get("client_name"), "version": request.args.get("client_version")})
    reporter, verified = _reporter(_text(extras.get("reporter"), "reporter", REPORTER_LIMIT))
    category = _category(extras.get("category"))
    comment = _text(extras.get("comment"), "comment", COMMENT_LIMIT)
    truncated = fields.get("truncated") is True
    settings = live_settings().current()
    simulation = is_simulation(message, matchers_from(settings.simulation_headers, settings.simulation_sender_domains))
    try:
        receipt = report_store().submit(NewReport(
            reporter=reporter,
            reporter_verified=verified,
            client_address=request.remote_addr or "unknown",
            fingerprint=fingerprint,
            category=category,
            comment=comment,
            client=client,
            verdict=verdict,
            subject=one_line(message.subject, SUBJECT_LIMIT),
            sender=one_line(message.from_.address if message.from_ else "", REPORTER_LIMIT),
            phones=phones,
            source=source,
            eml=original,
            truncated=truncated,
            simulation=simulation,
        ))
    except redis.RedisError as exc:
        return store_unavailable(exc)
    log.info("report %s stored (duplicate=%s, verified=%s, simulation=%s, verdict=%s, whole=%s)", receipt.report_id,
             receipt.duplicate, verified, simulation, verdict["level"], receipt.original_kept)
    body: dict[str, Any] = {"report_id": receipt.report_id, "duplicate": receipt.duplicate,
                            "verdict": verdict["level"], "reporter_verified": verified}
    if simulation:
        body["simulation"] = True
    return jsonify(body), 202


def report_store() -> ReportStore:
    return current_app.extensions["inviteguard.reports"]


def init_app(app: Flask, store: ReportStore) -> None:
    settings: Settings = app.config["INVITEGUARD_SETTINGS"]
    networks_from(settings.report_webhook_allowed_networks)  # a bad value stops start-up, naming it
    app.extensions["inviteguard.reports"] = store
    app.register_blueprint(bp)
