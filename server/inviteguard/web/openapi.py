"""The OpenAPI 3.1 document of the public API, served at GET /api/v1/openapi.json.

tests/test_security_openapi.py keeps it true: every route under /api/, /addin/ and the health
endpoints is documented, and schemathesis drives the live app with it (no 5xx, every answer
matches the schema).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify

from ..detect.parse import MAX_ATTACHMENT_BYTES
from ..runtime.version import VERSION
from .api import ATTACHMENT_NAME_MAX, MAX_ATTACHMENT_NAMES, MAX_FILES

bp = Blueprint("openapi", __name__)

ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


def _error(description: str, retry_after: bool = False) -> dict[str, Any]:
    headers = {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}} if retry_after else None
    return _json(ERROR, description, headers)


def _file(media_type: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}


MESSAGE_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "message/rfc822": {"schema": {"type": "string", "format": "binary"}},
        "application/json": {"schema": {"$ref": "#/components/schemas/MessageInput"}},
    },
}

# What analyze and reports answer for input, access and abuse problems (README: error table).
GUARDED_ERRORS: dict[str, Any] = {
    "400": _error("Malformed or too deeply nested JSON, bad base64, or a field of the wrong type"),
    "401": _error("Authentication required, or the client key / sign-in token was refused"),
    "413": _error("The body is larger than INVITEGUARD_MAX_BODY_BYTES"),
    "415": _error("Content-Type is neither message/rfc822 nor application/json"),
    "422": _error("Not a readable message, or past a header/MIME/calendar limit or the time budget"),
    "429": _error("Rate limit reached", retry_after=True),
    "431": _error("Too many or too large HTTP request headers"),
    "503": _error("Credentials or the report store cannot be used right now", retry_after=True),
}

ADMIN_ONLY: dict[str, Any] = {
    "401": _error("Not logged in to the admin console"),
    "403": _error("The account lacks the analyst role"),
    "503": _error("The report store is unavailable", retry_after=True),
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }},
    },
    "MessageInput": {
        "type": "object",
        "description": 'Either {"eml": base64} or the Outlook parts (headers, body, ics, item, files).',
        "anyOf": [{"required": [name]} for name in ("eml", "headers", "body", "ics", "item", "files")],
        "properties": {
            "eml": {"type": "string", "description": "the raw message, base64"},
            "headers": {"type": "string"},
            "body": {"type": "string"},
            "body_type": {"enum": ["text", "html"]},
            "ics": {"type": "string"},
            "item": {"type": "object", "properties": {
                **{name: {"type": ["string", "null"]}
                   for name in ("item_class", "subject", "from", "start", "end", "location")},
                "attachments": {"type": ["array", "null"], "maxItems": MAX_ATTACHMENT_NAMES,
                                "items": {"type": "string", "maxLength": ATTACHMENT_NAME_MAX},
                                "description": "the attachments' file names, as the reading pane lists them"}}},
            "files": {"type": ["array", "null"], "maxItems": MAX_FILES,
                      "description": "attachments whose bytes the client read (PDF, Word, HTML, text, contact "
                                     "cards), with their names also in item.attachments",
                      "items": {"type": "object", "required": ["name", "content"], "properties": {
                          "name": {"type": "string", "maxLength": ATTACHMENT_NAME_MAX},
                          "content_type": {"type": "string", "maxLength": ATTACHMENT_NAME_MAX},
                          "content": {"type": "string", "description": "base64, at most "
                                                                       f"{MAX_ATTACHMENT_BYTES} bytes decoded"}}}},
            "locale": {"type": "string"},
            "client": {"type": "object", "properties": {"name": {"type": "string"}, "version": {"type": "string"}}},
            "category": {"enum": ["phishing", "spam", "other"], "description": "reports only"},
            "comment": {"type": "string", "description": "reports only"},
            "reporter": {"type": "string", "description": "reports only; self-asserted (it changes no verdict), and "
                                                          "ignored when a sign-in token names the user"},
            "truncated": {"type": "boolean",
                          "description": "reports only: the client sent headers and body because the message was "
                                         "too large"},
        },
    },
    "Verdict": {
        "type": "object",
        "required": ["verdict", "score", "reasons", "banner", "fingerprint", "cached", "rules_version"],
        "properties": {
            "verdict": {"enum": ["phishing", "suspicious", "clean"]},
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
            "reasons": {"type": "array", "items": {
                "type": "object", "required": ["id", "title", "detail", "evidence"],
                "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "detail": {"type": "string"},
                               "evidence": {"type": "object"}},
            }},
            "banner": {
                "type": "object", "required": ["level", "title", "text", "html", "notification"],
                "properties": {"level": {"enum": ["danger", "warning", "none"]}, "title": {"type": "string"},
                               "text": {"type": "string"}, "html": {"type": "string"},
                               "notification": {"type": "string", "maxLength": 150}},
            },
            "fingerprint": {"type": "string"},
            "cached": {"type": "boolean"},
            "rules_version": {"type": "string"},
            "degraded": {"const": True},
        },
    },
    "StampInput": {
        "type": "object",
        "required": ["headers"],
        "properties": {"headers": {"type": "string", "minLength": 1, "description": "the raw header block"},
                       "locale": {"type": "string"}},
    },
    "StampedVerdict": {
        "allOf": [{"$ref": "#/components/schemas/Verdict"},
                  {"type": "object", "required": ["stamped"], "properties": {"stamped": {"const": True}}}],
    },
    "ReportReceipt": {
        "type": "object",
        "required": ["report_id", "duplicate", "verdict", "reporter_verified"],
        "properties": {"report_id": {"type": "string"}, "duplicate": {"type": "boolean"},
                       # unchecked: stored and delivered, but its analysis ran past the time budget
                       "verdict": {"enum": ["phishing", "suspicious", "clean", "unchecked"]},
                       "simulation": {"const": True}, "reporter_verified": {"type": "boolean"}},
    },
    "CampaignDecision": {
        "type": "object",
        "required": ["fingerprint", "decision", "decided_by", "decided_at", "reports_total", "reporters_total",
                     "verified_reporters"],
        "properties": {"fingerprint": {"type": "string"}, "decision": {"enum": ["confirmed", "cleared"]},
                       "decided_by": {"type": "string"}, "decided_at": {"type": "number"},
                       "reports_total": {"type": "integer"}, "reporters_total": {"type": "integer"},
                       "verified_reporters": {"type": "integer"}},
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/analyze": {"post": {
        "summary": "Judge a message: verdict, reasons and the banner to show",
        "requestBody": MESSAGE_BODY,
        "parameters": [{"name": "locale", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": _json({"$ref": "#/components/schemas/Verdict"}, "The verdict"), **GUARDED_ERRORS},
    }},
    "/api/v1/reports": {
        "post": {
            "summary": "Report a message to the security team; acknowledged only once stored",
            "requestBody": MESSAGE_BODY,
            "description": "Query parameters are read only next to a message/rfc822 body (curl); JSON bodies carry "
                           "these fields themselves.",
            "parameters": [{"name": n, "in": "query", "schema": {"type": "string"}}
                           for n in ("category", "comment", "reporter", "client_name", "client_version")],
            "responses": {"202": _json({"$ref": "#/components/schemas/ReportReceipt"}, "Stored"), **GUARDED_ERRORS},
        },
        "get": {
            "summary": "Triage list (admin console login, analyst role)",
            "parameters": [{"name": n, "in": "query", "schema": {"type": "string"}}
                           for n in ("since", "until", "verdict", "status", "before", "limit")],
            "responses": {"200": _json({"type": "object", "required": ["reports", "campaigns"]}, "Reports"),
                          "400": _error("A bad filter"), **ADMIN_ONLY},
        },
    },
    "/api/v1/reports/{report_id}/eml": {"get": {
        "summary": "The reported message as received (admin console login, analyst role)",
        "parameters": [{"name": "report_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": _file("message/rfc822", "The message"), "404": _error("No such report"),
                      "410": _error("Deleted after the retention period"), **ADMIN_ONLY},
    }},
    "/api/v1/stamp": {"post": {
        "summary": "Confirm a mail gateway's X-InviteGuard-* stamp and render its verdict without the message",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/StampInput"}}}},
        "parameters": [{"name": "locale", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": _json({"$ref": "#/components/schemas/StampedVerdict"}, "The stamped verdict"),
                      "409": _error("stamp_invalid: no stamp, an unchecked, forged or stale one, or its verdict is "
                                    "no longer kept; analyze the message instead"),
                      **GUARDED_ERRORS},
    }},
    "/api/v1/reports/campaigns/{fingerprint}/{action}": {"post": {
        "summary": "An analyst confirms a campaign as phishing or clears it (admin console login, analyst role, "
                   "X-CSRF-Token)",
        "parameters": [{"name": "fingerprint", "in": "path", "required": True, "schema": {"type": "string"}},
                       {"name": "action", "in": "path", "required": True, "schema": {"enum": ["confirm", "clear"]}}],
        "responses": {"200": _json({"$ref": "#/components/schemas/CampaignDecision"}, "The campaign's standing now"),
                      "404": _error("No such action"), **ADMIN_ONLY},
    }},
    "/api/v1/openapi.json": {"get": {
        "summary": "This document",
        "responses": {"200": _json({"type": "object", "required": ["openapi", "paths"]}, "OpenAPI 3.1")},
    }},
    "/healthz": {"get": {
        "summary": "The process is up",
        "responses": {"200": _json({"type": "object", "required": ["status", "version"]}, "Up")},
    }},
    "/readyz": {"get": {
        "summary": "Redis is reachable",
        "responses": {"200": _json({"type": "object", "required": ["status", "redis"]}, "Ready"),
                      "503": _json({"type": "object", "required": ["status", "redis"]}, "Redis unreachable")},
    }},
    "/metrics": {"get": {
        "summary": "Prometheus metrics",
        "responses": {"200": _file("text/plain", "Prometheus text exposition")},
    }},
    "/addin/outlook/manifest.xml": {"get": {
        "summary": "The Outlook add-in manifest for this deployment",
        "responses": {"200": _file("application/xml", "Add-in-only manifest")},
    }},
    "/addin/outlook/manifest-event-based.xml": {"get": {
        "summary": "The opt-in Outlook manifest that also activates on X-InviteGuard-Verdict (preview event)",
        "responses": {"200": _file("application/xml", "Add-in-only manifest with OnMessageReadWithCustomHeader")},
    }},
    "/addin/outlook/config.json": {"get": {
        "summary": "The Outlook add-in's client settings",
        "responses": {"200": _json({
            "type": "object", "required": ["auth", "client_key", "timeout_ms"],
            "properties": {"auth": {"enum": ["entra", "key", "none"]}, "client_key": {"type": "string"},
                           "timeout_ms": {"type": "integer"}},
        }, "Client settings")},
    }},
    "/addin/outlook/runtime.js": {"get": {
        "summary": "The spam-report handler for classic Outlook's JavaScript-only runtime",
        "responses": {"200": _file("text/javascript", "Script")},
    }},
    "/addin/thunderbird.xpi": {"get": {
        "summary": "The Thunderbird add-on for this deployment",
        "responses": {"200": _file("application/x-xpinstall", "XPI"), "304": {"description": "Not modified"}},
    }},
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "InviteGuard API", "version": VERSION,
             "description": "Warns readers about callback phishing relayed through trusted platforms."},
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "headers": {"RetryAfter": {"description": "Seconds to wait before trying again",
                                   "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
        "securitySchemes": {
            "clientKey": {"type": "apiKey", "in": "header", "name": "X-InviteGuard-Key"},
            "entraToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "reporterToken": {"type": "apiKey", "in": "header", "name": "X-InviteGuard-Reporter-Token"},
        },
    },
}
for _path in ("/api/v1/analyze", "/api/v1/reports", "/api/v1/stamp"):
    # Required when the deployment configures authentication; an open deployment ignores it.
    PATHS[_path]["post"]["security"] = [{"clientKey": []}, {"entraToken": []}, {"reporterToken": []}, {}]


@bp.get("/api/v1/openapi.json")
def openapi_document() -> Response:
    return jsonify(DOCUMENT)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
