"""Browser-facing hardening: security headers on every page, CORS for the add-in origins that need
it, and log lines that attacker text cannot split.

- Every HTML answer gets a Content-Security-Policy without inline script (pages that set their own,
  the demo page and the admin console, keep theirs), `X-Content-Type-Options: nosniff` and a
  Referrer-Policy. The Outlook task pane and function pages (`/static/outlook/*.html`) load Office.js
  (INVITEGUARD_OUTLOOK_OFFICE_JS_URL, Microsoft's CDN by default) and are framed by Outlook on the
  web, so their policy allows exactly that script origin and the configured Outlook hosts
  (INVITEGUARD_OUTLOOK_FRAME_ANCESTORS) as frame ancestors; every other page may not be framed.
- CORS: the add-ins' pages are served by this service and the Thunderbird add-on has host
  permissions. The exception is classic Outlook on Windows, whose JavaScript-only runtime (the spam
  report handler) calls config.json, analyze and reports cross-origin, naming this service's own
  origin, with or without a trailing "/". So this service's own origin (INVITEGUARD_PUBLIC_URL, and
  the one a request came in on) is always allowed, plus the origins in INVITEGUARD_CORS_ORIGINS;
  preflight included. An Origin is compared without a trailing "/" and echoed as it was sent.
- Logging: every record's message has control characters (CR, LF, ESC, U+2028...) escaped, so a
  subject or header with a line break cannot forge a log line.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, request

from ..banner.render import BANNER_STYLE_CSP_HASH
from ..runtime.config import ConfigError, Settings

# Path -> the method a cross-origin caller uses there.
CORS_PATHS = {"/api/v1/analyze": "POST", "/api/v1/reports": "POST", "/api/v1/stamp": "POST",
              "/addin/outlook/config.json": "GET"}
CORS_HEADERS = "Authorization, Content-Type, X-InviteGuard-Key, X-InviteGuard-Locale"
CORS_MAX_AGE_SECONDS = 600
OUTLOOK_PAGES = re.compile(r"^/static/outlook/[^/]+\.html$")


def page_csp(script_src: str, frame_ancestors: str) -> str:
    return (f"default-src 'none'; script-src {script_src}; connect-src 'self'; img-src 'self' data:; "
            f"style-src 'self' {BANNER_STYLE_CSP_HASH}; font-src 'self'; base-uri 'none'; form-action 'self'; "
            f"frame-ancestors {frame_ancestors}")


DEFAULT_CSP = page_csp("'self'", "'none'")


def script_origin(office_js_url: str) -> str:
    """The CSP source that lets the Outlook pages load Office.js from `office_js_url`: its origin,
    or 'self' for a copy this service serves (a path). Anything else is a configuration error."""
    if office_js_url.startswith("/") and not office_js_url.startswith("//"):
        return "'self'"
    parts = urlsplit(office_js_url)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise ConfigError("INVITEGUARD_OUTLOOK_OFFICE_JS_URL must be an https:// URL or a path on this service, "
                          f"not {office_js_url!r}")
    return f"https://{parts.netloc.lower()}"


def outlook_csp(frame_ancestors: str, office_js_url: str) -> str:
    sources = " ".join(dict.fromkeys(["'self'", script_origin(office_js_url)]))
    return page_csp(sources, " ".join(frame_ancestors.replace(",", " ").split()) or "'none'")


def normalized_origin(origin: str) -> str:
    """Origins compare as scheme://host[:port], lower case; the JavaScript runtime adds a '/'."""
    return origin.strip().rstrip("/").lower()


def allowed_origins(configured: str, public_url: str | None = None) -> frozenset[str]:
    origins = {normalized_origin(o) for o in configured.replace(",", " ").split()}
    if public_url:
        parts = urlsplit(public_url)
        origins.add(normalized_origin(f"{parts.scheme}://{parts.netloc}"))
    return frozenset(origins)


def _origin_allowed(origin: str, origins: frozenset[str]) -> bool:
    """Configured origins, this service's public origin, and the origin the request came in on."""
    given = normalized_origin(origin)
    return bool(given) and (given in origins or given == normalized_origin(request.host_url))


def _page_headers(response: Response, settings: Settings) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype != "text/html":
        return response
    if OUTLOOK_PAGES.match(request.path):
        response.headers.setdefault("Content-Security-Policy",
                                    outlook_csp(settings.outlook_frame_ancestors, settings.outlook_office_js_url))
        # Cross-origin requests (Office.js) see only our origin, never the page's path.
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    else:
        response.headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _cors_preflight(origins: frozenset[str]) -> Response | tuple[Response, int] | None:
    if request.method != "OPTIONS" or request.path not in CORS_PATHS:
        return None
    if "Access-Control-Request-Method" not in request.headers:
        return None
    origin = request.headers.get("Origin", "")
    if not _origin_allowed(origin, origins):
        response = jsonify({"error": {"code": "cors_origin_not_allowed",
                                      "message": "This origin may not call the API from a browser"}})
        response.headers["Vary"] = "Origin"
        return response, 403
    response = Response(status=204)
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = CORS_PATHS[request.path]
    response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
    response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE_SECONDS)
    response.headers["Vary"] = "Origin"
    return response


def has_header(response: Response, name: str) -> bool:
    """Whether the response has the header `name` (any case). Scans the few pairs: `name in
    response.headers` builds an HTTP exception for every header that is absent."""
    lowered = name.lower()
    return any(key.lower() == lowered for key, _ in response.headers)


def add_vary(response: Response, name: str) -> None:
    """`name` added to the response's Vary header. An answer without one yet gets the header set
    directly, as `response.vary.add` would set it, without werkzeug's header-set round trip (parse,
    add, serialise), about 13 us of every API answer."""
    if has_header(response, "Vary"):
        response.vary.add(name)
    else:
        response.headers["Vary"] = name


def _cors_answer(response: Response, origins: frozenset[str]) -> Response:
    if CORS_PATHS.get(request.path) == request.method:
        add_vary(response, "Origin")
        origin = request.environ.get("HTTP_ORIGIN", "")  # request.headers.get, without a KeyError when absent
        if _origin_allowed(origin, origins):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    return response


# ------------------------------------------------------------------ logging

# C0 controls but tab, DEL, C1 controls (NEL among them) and the Unicode line and paragraph separators.
_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x09), *range(0x0A, 0x20), 0x7F, *range(0x80, 0xA0)]}
_CONTROLS.update({0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def escape_controls(text: str) -> str:
    return text.translate(_CONTROLS)


class EscapedLogRecord(logging.LogRecord):
    """A log record whose message cannot contain a line break or terminal control sequence."""

    def getMessage(self) -> str:
        return escape_controls(super().getMessage())


def install_log_escaping() -> None:
    """Process-wide (the record factory is global); leaves a factory someone else installed alone."""
    if logging.getLogRecordFactory() is logging.LogRecord:
        logging.setLogRecordFactory(EscapedLogRecord)


def init_app(app: Flask) -> None:
    settings: Settings = app.config["INVITEGUARD_SETTINGS"]
    script_origin(settings.outlook_office_js_url)  # a bad URL stops start-up, naming the setting
    origins = allowed_origins(settings.cors_origins, settings.public_url)
    install_log_escaping()
    app.before_request(lambda: _cors_preflight(origins))
    app.after_request(lambda response: _cors_answer(_page_headers(response, settings), origins))
