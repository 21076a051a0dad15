"""One-click reports over HTTP: `POST /api/v1/reports` from the add-ins.

POST takes the same message inputs as analyze (api.read_message reads them) plus optional
`category`, `comment`, `reporter` and `client` (JSON fields, or query parameters next to a
message/rfc822 body). It answers 202 only once Redis holds the report; when it cannot, 503 with
Retry-After, so the add-in keeps the report and tries again. Triage (listing and downloading
reports) is the admin console's: inviteguard.admin.triage.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
from collections.abc import Mapping
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import redis
from flask import Blueprint, Flask, Response, current_app, jsonify, request

from ..banner.render import response_body
from ..detect.analyzer import callback_numbers
from ..detect.model import ParsedMessage
from ..runtime.config import Settings
from ..runtime.organisation import load_org_settings
from ..web.api import ApiError, error_response, log_safe, read_message, services
from ..web.client_auth import current_caller
from ..web.limits import guarded
from .simulations import SimulationMatchers, is_simulation, matchers_from
from .store import NewReport, ReportStore

log = logging.getLogger(__name__)
bp = Blueprint("reports", __name__)

CATEGORIES = ("phishing", "spam", "other")
COMMENT_LIMIT = 2000
REPORTER_LIMIT = 254  # longest e-mail address
CLIENT_FIELD_LIMIT = 64
SOC_LOCALE = "en"  # the summary the SOC reads; readers' languages vary, the SOC's does not
# Headers that describe the original MIME body; a rebuilt message gets its own.
_BODY_HEADERS = re.compile(r"^(content-[a-z-]+|mime-version)\s*:", re.IGNORECASE)

def _settings() -> Settings:
    return current_app.config["INVITEGUARD_SETTINGS"]


def _matchers() -> SimulationMatchers:
    return current_app.extensions["inviteguard.simulations"]


# ------------------------------------------------------------------ input

def _text(value: object, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(400, "invalid_field", f'"{name}" must be a string')
    return value.strip()[:limit]


def _category(value: object) -> str:
    category = _text(value, "category", 32).lower() or "phishing"
    if category not in CATEGORIES:
        raise ApiError(400, "invalid_field", f'"category" must be one of {", ".join(CATEGORIES)}')
    return category


def _client(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: _text(value.get(k), f"client.{k}", CLIENT_FIELD_LIMIT) for k in ("name", "version") if value.get(k)}


def rebuilt_eml(headers: str, body: str, body_type: str, ics: str | None) -> bytes:
    """A message/rfc822 for the SOC when Outlook could give only headers and body text: the
    original header lines, minus those describing the lost MIME body, over a new body."""
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
    return "\r\n".join(kept).encode("utf-8") + b"\r\n" + part.as_bytes()


def _original(raw: bytes, mimetype: str) -> tuple[bytes, str, dict[str, Any]]:
    """The message bytes, where they came from, and the JSON body's other fields ({} for raw)."""
    if mimetype == "message/rfc822":
        return raw, "eml", {}
    data = json.loads(raw)  # read_message already refused anything that is not a JSON object
    if isinstance(data.get("eml"), str):  # valid base64: read_message decoded it already
        return base64.b64decode("".join(data["eml"].split())), "eml", data
    body_type = data.get("body_type") or "text"
    return rebuilt_eml(data.get("headers") or "", data.get("body") or "", body_type, data.get("ics")), "outlook", data


def _reporter(given: str) -> str:
    """Whom to count as a distinct colleague. The add-ins send the mailbox owner; without one,
    the client address stands in so a single machine cannot pose as many colleagues."""
    return given.lower() if given else f"anonymous@{request.remote_addr or 'unknown'}"


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
    svc = services()
    raw = request.get_data()  # cached: read_message parses these same bytes
    message, _ = read_message()
    original, source, fields = _original(raw, request.mimetype)
    extras: Mapping[str, Any] = fields or request.args
    client = _client(fields.get("client")) if fields else _client(
        {"name": request.args.get("client_name"), "version": request.args.get("client_version")})
    # A signed-in user is the reporter, whatever the body claims.
    reporter = _reporter(current_caller().reporter or _text(extras.get("reporter"), "reporter", REPORTER_LIMIT))
    category = _category(extras.get("category"))
    comment = _text(extras.get("comment"), "comment", COMMENT_LIMIT)
    fingerprint = svc.engine.fingerprint(message)
    simulation = is_simulation(message, _matchers())
    try:
        verdict = _verdict_summary(message, fingerprint)
        receipt = report_store().submit(NewReport(
            reporter=reporter,
            fingerprint=fingerprint,
            category=category,
            comment=comment,
            client=client,
            verdict=verdict,
            subject=message.subject,
            sender=message.from_.address if message.from_ else "",
            phones=callback_numbers(message),
            source=source,
            eml=original,
            simulation=simulation,
        ))
    except redis.RedisError as exc:
        return store_unavailable(exc)
    log.info("report %s stored (duplicate=%s, simulation=%s, verdict=%s)", receipt.report_id, receipt.duplicate,
             simulation, verdict["level"])
    body: dict[str, Any] = {"report_id": receipt.report_id, "duplicate": receipt.duplicate,
                            "verdict": verdict["level"]}
    if simulation:
        body["simulation"] = True
    return jsonify(body), 202


def report_store() -> ReportStore:
    return current_app.extensions["inviteguard.reports"]


def init_app(app: Flask, store: ReportStore) -> None:
    app.extensions["inviteguard.reports"] = store
    settings: Settings = app.config["INVITEGUARD_SETTINGS"]
    app.extensions["inviteguard.simulations"] = matchers_from(settings.simulation_headers,
                                                              settings.simulation_sender_domains)
    app.register_blueprint(bp)
