"""Report triage for analysts: `GET /api/v1/reports` (grouped by campaign), each original .eml,
and the analyst's decision on a campaign: `POST /api/v1/reports/campaigns/<fingerprint>/confirm`
(phishing for every reader, and its numbers flag other mail) or `.../clear` (reports no longer
raise it). Behind the admin console's login (analyst or admin role, CSRF token for the POSTs);
the console's Reports page reads and calls it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import redis
from flask import Blueprint, Flask, Response, current_app, jsonify, request

from ..reports.api import live_settings, report_store, store_unavailable
from ..reports.delivery import destination_names
from ..reports.store import CampaignStanding, ReportQuery, StoredReport, overall_status, valid_stream_id
from ..web.api import ApiError
from .views import current_principal, require_role

bp = Blueprint("triage", __name__)
require_analyst = require_role("analyst")
LIST_LIMIT_MAX = 500
FINGERPRINT = re.compile(r"[A-Za-z0-9_-]{1,128}")
DECISIONS = {"confirm": "confirmed", "clear": "cleared"}


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
    if before and not valid_stream_id(before):
        raise ApiError(400, "invalid_field", '"before" must be a report id')
    return ReportQuery(since=_time_arg("since"), until=_time_arg("until"), verdict=request.args.get("verdict"),
                       status=request.args.get("status"), before=before, limit=max(1, min(limit, LIST_LIMIT_MAX)))


def triage_json(report: StoredReport, destinations: list[str]) -> dict[str, Any]:
    data = {k: v for k, v in report.data.items() if k != "eml_key"}
    deliveries = {name: report.deliveries[name].as_json() if name in report.deliveries else {"state": "pending"}
                  for name in destinations}
    return {"report_id": report.id, **data, "status": overall_status(report.deliveries, destinations),
            "deliveries": deliveries, "eml_url": f"/api/v1/reports/{report.id}/eml"}


def by_campaign(reports: list[dict[str, Any]], standings: Mapping[str, CampaignStanding]) -> list[dict[str, Any]]:
    """Campaigns in the order of their newest report; each with its reports, newest first."""
    campaigns: dict[str, dict[str, Any]] = {}
    for report in reports:
        fingerprint = report["fingerprint"]
        if fingerprint not in campaigns:
            standing = standings.get(fingerprint, CampaignStanding(0, 0, 0, "", "", 0.0))
            campaigns[fingerprint] = {"fingerprint": fingerprint, "subject": report["subject"],
                                      "latest_report": report["report_id"], **standing.as_json(), "reports": []}
        campaigns[fingerprint]["reports"].append(report)
    return list(campaigns.values())


@bp.get("/api/v1/reports")
@require_analyst
def triage_list() -> Response:
    store = report_store()
    destinations = destination_names(live_settings().current())
    query = _query()
    found = store.list(query, destinations)
    standings = store.campaign_standings(list(dict.fromkeys(str(r.data.get("fingerprint", "")) for r in found)))
    reports = [triage_json(r, destinations) for r in found]
    next_before = found[-1].id if len(found) == query.limit else None
    return jsonify({"reports": reports, "campaigns": by_campaign(reports, standings), "destinations": destinations,
                    "next_before": next_before, "simulation_reports": store.simulation_reports()})


@bp.post("/api/v1/reports/campaigns/<fingerprint>/<action>")
@require_analyst
def decide(fingerprint: str, action: str) -> Response:
    """An analyst confirms a campaign as phishing or clears it; every reader sees it on their next
    open (the campaign's standing is part of the verdict-cache key)."""
    if not FINGERPRINT.fullmatch(fingerprint) or action not in DECISIONS:
        raise ApiError(404, "not_found", "No such campaign action")
    principal = current_principal()
    assert principal is not None  # require_analyst let us in
    standing = report_store().decide(fingerprint, DECISIONS[action], principal.user.name)  # type: ignore[arg-type]
    current_app.logger.info("campaign %s %s by %s", fingerprint, DECISIONS[action], principal.user.name)
    return jsonify({"fingerprint": fingerprint, **standing.as_json()})


@bp.get("/api/v1/reports/<report_id>/eml")
@require_analyst
def download_eml(report_id: str) -> Response:
    if not valid_stream_id(report_id):
        raise ApiError(404, "not_found", "No such report")
    store = report_store()
    report = store.get(report_id)
    eml = store.eml(report) if report else None
    if report is None:
        raise ApiError(404, "not_found", "No such report")
    if eml is None:
        raise ApiError(410, "expired", "The original message was deleted after the retention period")
    return Response(eml, mimetype="message/rfc822", headers={
        "Content-Disposition": f'attachment; filename="report-{report_id}.eml"'})


# Triage reads Redis for the login and the list; a Redis failure there is a 503, not a 500.
bp.register_error_handler(redis.RedisError, store_unavailable)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
