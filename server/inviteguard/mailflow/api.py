"""POST /api/v1/stamp: the verdict a mail gateway stamped, confirmed and rendered, without the message.

Request: JSON `{"headers": "<raw header block>", "locale": "..."}` (the Thunderbird add-on sends what
`messages.getFull`/`getRaw` gives it before the body). The service finds the X-InviteGuard-* fields
and the Message-ID, checks the signature with INVITEGUARD_STAMP_SECRET (or _PREVIOUS) in constant
time and the age against INVITEGUARD_STAMP_MAX_AGE_DAYS, reads the verdict stored when the message
was stamped (records.py), and answers 200 with the analyze body plus `"stamped": true`, the banner
rendered now, in the requested language, with the live texts. 409 `stamp_invalid` when the stamp is
missing, unchecked, forged or stale, or its verdict can no longer be read: the client then analyses
the message as if it had no stamp. Same client authentication and rate limits as analyze.

What the banner can show: everything analyze shows for that campaign at stamping time (reasons with
their evidence: number, amount, brand), in today's words. What it cannot: anything learned since
(colleagues' reports, a newer rules version), which analysing the message again would reflect.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from prometheus_client import Counter

from ..banner.render import response_body
from ..banner.texts import resolve_locale
from ..runtime.config import Settings
from ..runtime.organisation import load_org_settings
from ..web.api import ApiError, RedisSteps, error_response, requested_locales, services
from ..web.limits import guarded
from .records import StampRecords, record_key
from .stamp import StampProblem, read_stamp

bp = Blueprint("stamp", __name__)
DAY = 86400.0


class StampInvalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _request_fields(raw: bytes) -> tuple[str, str | None]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object")
    headers, locale = data.get("headers"), data.get("locale")
    if not isinstance(headers, str) or not headers.strip():
        raise ApiError(400, "invalid_field", '"headers" must be the message\'s raw header block, a JSON string')
    if locale is not None and not isinstance(locale, str):
        raise ApiError(400, "invalid_field", '"locale" must be a JSON string')
    return headers, locale


def _secrets(settings: Settings) -> list[str]:
    return [s for s in (settings.stamp_secret, settings.stamp_secret_previous) if s]


@bp.post("/api/v1/stamp")
@guarded("analyze")
def stamp() -> Response:
    if request.mimetype != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send Content-Type: application/json")
    headers, body_locale = _request_fields(request.get_data(cache=False))
    settings: Settings = current_app.config["INVITEGUARD_SETTINGS"]
    secrets = _secrets(settings)
    if not secrets:
        raise StampInvalid("this service has no INVITEGUARD_STAMP_SECRET, so it trusts no stamp")
    try:
        found = read_stamp(headers, secrets, time.time(), settings.stamp_max_age_days * DAY)
    except StampProblem as problem:
        current_app.extensions["inviteguard.stamps"].rejected(problem.kind)
        raise StampInvalid(problem.message) from None
    svc = services()
    records: StampRecords = current_app.extensions["inviteguard.stamps"].records
    try:
        verdict = records.recall(record_key(found.verdict, found.score, found.reasons, found.fingerprint))
    except redis.RedisError:
        raise StampInvalid("the verdict behind this stamp cannot be read right now") from None
    if verdict is None:
        current_app.extensions["inviteguard.stamps"].rejected("stale")
        raise StampInvalid("the verdict behind this stamp is no longer kept")
    snapshot = svc.texts.snapshot()
    steps = RedisSteps(snapshot.degraded)
    organisation = steps.run("organisation settings", lambda: load_org_settings(svc.gate.client()).banner_context(),
                             {})
    locale = resolve_locale(requested_locales(body_locale), snapshot.texts.keys(), svc.default_locale)
    body: dict[str, Any] = response_body(verdict, found.fingerprint, snapshot.texts, locale, cached=True,
                                         degraded=steps.degraded, organisation=organisation)
    body["stamped"] = True
    svc.metrics.verdicts.labels(verdict.level).inc()
    return jsonify(body)


def _stamp_invalid(exc: StampInvalid) -> tuple[Response, int]:
    return error_response(409, "stamp_invalid", exc.message)


class StampChecks:
    """Per-app: the stamp records and a count of refused stamps by why."""

    def __init__(self, app: Flask) -> None:
        svc = app.extensions["inviteguard"]
        settings: Settings = app.config["INVITEGUARD_SETTINGS"]
        self.records = StampRecords(svc.gate, settings.stamp_max_age_days)
        self.refused = Counter("inviteguard_stamp_refused", "Stamps /api/v1/stamp did not trust, by why",
                               ["why"], registry=svc.metrics.registry)

    def rejected(self, why: str) -> None:
        self.refused.labels(why).inc()


def init_app(app: Flask) -> None:
    app.extensions["inviteguard.stamps"] = StampChecks(app)
    app.register_blueprint(bp)
    app.register_error_handler(StampInvalid, _stamp_invalid)
