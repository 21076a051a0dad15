"""One-click reports over HTTP: `POST /api/v1/reports` from the add-ins, triage for the SOC.

POST takes the same message inputs as analyze (api.read_message reads them) plus optional
`category`, `comment`, `reporter` and `client` (JSON fields, or query parameters next to a
message/rfc822 body). It answers 202 only once Redis holds the report; when it cannot, 503 with
Retry-After, so the add-in keeps the report and tries again. The triage endpoints sit behind the
admin console's login (analyst or admin role).
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import redis
from flask import Blueprint, Flask, Response, current_app, jsonify, request

from .admin import require_role
from .api import ApiError, error_response, log_safe, read_message, services
from .banner import response_body
from .client_auth import current_caller
from .config import Settings
from .delivery import destination_names
from .limits import guarded
from .model import ParsedMessage
from .org_settings import load_org_settings
from .reports import NewReport, ReportQuery, StoredReport, overall_status
from .signals.phone import all_numbers
from .simulations import SimulationMatchers, is_simulation, matchers_from

log = logging.getLogger(__name__)
bp = Blueprint("reports", __name__)

CATEGORIES = ("phishing", "spam", "other")
COMMENT_LIMIT = 2000
REPORTER_LIMIT = 254  # longest e-mail address
CLIENT_FIELD_LIMIT = 64
LIST_LIMIT_MAX = 500
SOC_LOCALE = "en"  # the summary the SOC reads; readers' languages vary, the SOC's does not
# Headers that describe the original MIME body; a rebuilt message gets its own.
_BODY_HEADERS = re.compile(r"^(content-[a-z-]+|mime-version)\s*:", re.IGNORECASE)

require_analyst = require_role("analyst")


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
    store = svc.reports
    verdict = svc.engine.judge(message, store.feedback(message, store.standing(fingerprint)))
    organisation = load_org_settings(svc.gate.client()).banner_context()
    body = response_body(verdict, fingerprint, svc.texts.snapshot().texts, SOC_LOCALE, cached=False,
                         organisation=organisation)
    return {"level": verdict.level, "score": verdict.score, "rules_version": verdict.rules_version,
            "reasons": [{"id": r["id"], "title": r["title"], "detail": r["detail"]} for r in body["reasons"]]}


def _unavailable(exc: redis.RedisError) -> tuple[Response, int]:
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
        receipt = svc.reports.submit(NewReport(
            reporter=reporter,
            fingerprint=fingerprint,
            category=category,
            comment=comment,
            client=client,
            verdict=verdict,
            subject=message.subject,
            sender=message.from_.address if message.from_ else "",
            phones=all_numbers(message),
            source=source,
            eml=original,
            simulation=simulation,
        ))
    except redis.RedisError as exc:
        return _unavailable(exc)
    log.info("report %s stored (duplicate=%s, simulation=%s, verdict=%s)", receipt.report_id, receipt.duplicate,
             simulation, verdict["level"])
    body: dict[str, Any] = {"report_id": receipt.report_id, "duplicate": receipt.duplicate,
                            "verdict": verdict["level"]}
    if simulation:
        body["simulation"] = True
    return jsonify(body), 202


# ------------------------------------------------------------------ triage

def _time_arg(name: str) -> float | None:
    """?since= / ?until=: ISO 8601 (a date or a date and time; UTC unless it says otherwise)."""
    value = request.args.get(name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "invalid_field", f'"{name}" must be an ISO 8601 date or date-time') from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _query() -> ReportQuery:
    try:
        limit = int(request.args.get("limit", "100"))
    except ValueError:
        raise ApiError(400, "invalid_field", '"limit" must be a number') from None
    before = request.args.get("before")
    if before and not re.fullmatch(r"\d{1,20}-\d{1,20}", before):
        raise ApiError(400, "invalid_field", '"before" must be a report id')
    return ReportQuery(since=_time_arg("since"), until=_time_arg("until"), verdict=request.args.get("verdict"),
                       status=request.args.get("status"), before=before, limit=max(1, min(limit, LIST_LIMIT_MAX)))


def triage_json(report: StoredReport, destinations: list[str]) -> dict[str, Any]:
    data = {k: v for k, v in report.data.items() if k != "eml_key"}
    deliveries = {name: report.deliveries[name].as_json() if name in report.deliveries else {"state": "pending"}
                  for name in destinations}
    return {"report_id": report.id, **data, "status": overall_status(report.deliveries, destinations),
            "deliveries": deliveries, "eml_url": f"/api/v1/reports/{report.id}/eml"}


def by_campaign(reports: list[dict[str, Any]], counts: Mapping[str, tuple[int, int]]) -> list[dict[str, Any]]:
    """Campaigns in the order of their newest report; each with its reports, newest first."""
    campaigns: dict[str, dict[str, Any]] = {}
    for report in reports:
        fingerprint = report["fingerprint"]
        if fingerprint not in campaigns:
            total, reporters = counts.get(fingerprint, (0, 0))
            campaigns[fingerprint] = {"fingerprint": fingerprint, "subject": report["subject"],
                                      "latest_report": report["report_id"], "reports_total": total,
                                      "reporters_total": reporters, "reports": []}
        campaigns[fingerprint]["reports"].append(report)
    return list(campaigns.values())


@bp.get("/api/v1/reports")
@require_analyst
def triage_list() -> Response:
    store = services().reports
    destinations = destination_names(_settings())
    query = _query()
    found = store.list(query, destinations)
    counts = store.campaign_counts(list(dict.fromkeys(r.data["fingerprint"] for r in found)))
    reports = [triage_json(r, destinations) for r in found]
    next_before = found[-1].id if len(found) == query.limit else None
    return jsonify({"reports": reports, "campaigns": by_campaign(reports, counts), "destinations": destinations,
                    "next_before": next_before, "simulation_reports": store.simulation_reports()})


@bp.get("/api/v1/reports/<report_id>/eml")
@require_analyst
def download_eml(report_id: str) -> Response:
    if not re.fullmatch(r"\d{1,20}-\d{1,20}", report_id):
        raise ApiError(404, "not_found", "No such report")
    store = services().reports
    report = store.get(report_id)
    eml = store.eml(report) if report else None
    if report is None:
        raise ApiError(404, "not_found", "No such report")
    if eml is None:
        raise ApiError(410, "expired", "The original message was deleted after the retention period")
    return Response(eml, mimetype="message/rfc822", headers={
        "Content-Disposition": f'attachment; filename="report-{report_id}.eml"'})


# Triage reads Redis for the login and the list; a Redis failure there is a 503, not a 500.
bp.register_error_handler(redis.RedisError, _unavailable)


def init_app(app: Flask) -> None:
    settings: Settings = app.config["INVITEGUARD_SETTINGS"]
    app.extensions["inviteguard.simulations"] = matchers_from(settings.simulation_headers,
                                                              settings.simulation_sender_domains)
    app.register_blueprint(bp)
