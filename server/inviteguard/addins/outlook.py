"""Serving the Outlook add-in for this deployment.

``register(bp)`` adds to the add-ins blueprint:

- ``GET /addin/outlook/manifest.xml`` - the add-in-only manifest with this deployment's URLs,
  add-in id and version (what an Exchange admin uploads or links in Integrated apps);
- ``GET /addin/outlook/config.json`` - the client settings the add-in reads first:
  ``{"auth": "entra"|"key"|"none", "client_key": str, "timeout_ms": int, "max_report_bytes": int}``;
- ``GET /addin/outlook/runtime.js`` - the spam-report handler for classic Outlook on Windows,
  whose JavaScript-only runtime loads one file: static/outlook/{locales,core,commands}.js joined,
  after a line that tells it the service's base URL;
- ``GET /.well-known/microsoft-officeaddins-allowed.json`` - the list of scripts that runtime may
  run with CORS and single sign-on for this origin (Microsoft: "Use SSO or CORS in your
  event-based or spam-reporting Outlook add-in"): our runtime.js;
- ``GET /static/outlook/taskpane.html`` and ``commands.html`` - the static pages, with Office.js
  loaded from OUTLOOK_OFFICE_JS_URL (Microsoft's CDN unless a deployment hosts its own copy).

Settings (Flask config key, else the same name in lower case on INVITEGUARD_SETTINGS):
PUBLIC_URL, OUTLOOK_AUTH, ADDIN_CLIENT_KEY, ENTRA_CLIENT_ID, OUTLOOK_TIMEOUT_MS, MAX_BODY_BYTES,
OUTLOOK_OFFICE_JS_URL.
"""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import flask

from ..runtime.version import VERSION
from .outlook_manifest import TEMPLATE_NAME, deployment_addin_id, normalize_public_url, render_outlook_manifest

RUNTIME_SOURCES = ("locales.js", "core.js", "commands.js", "readevent.js")
AUTH_MODES = ("entra", "key", "none")
DEFAULT_TIMEOUT_MS = 2500
DEFAULT_MAX_REPORT_BYTES = 10 * 1024 * 1024
# The pages reference Microsoft's CDN; a deployment may serve Office.js from elsewhere.
OFFICE_JS_CDN = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
PAGES = ("taskpane.html", "commands.html")
WELL_KNOWN_ALLOWED = "/.well-known/microsoft-officeaddins-allowed.json"


def _setting(name: str) -> Any:
    app = flask.current_app
    value = app.config.get(name)
    if value in (None, ""):
        value = getattr(app.config.get("INVITEGUARD_SETTINGS"), name.lower(), None)
    return value


def _public_url() -> str:
    return normalize_public_url(str(_setting("PUBLIC_URL") or flask.request.url_root))


def _version() -> str:
    return VERSION


def auth_mode() -> str:
    """Configured OUTLOOK_AUTH, else Entra when an app id is set, else key when one is, else none."""
    mode = str(_setting("OUTLOOK_AUTH") or "").strip().lower()
    if mode:
        if mode not in AUTH_MODES:
            raise ValueError(f"OUTLOOK_AUTH must be one of {AUTH_MODES}, not {mode!r}")
        return mode
    if _setting("ENTRA_CLIENT_ID"):
        return "entra"
    if _setting("ADDIN_CLIENT_KEY"):
        return "key"
    return "none"


def client_config() -> dict[str, Any]:
    mode = auth_mode()
    return {
        "auth": mode,
        # A client key is not a secret from employees (every add-in carries it); it keeps
        # strangers on the internet out and is rotated by the admin.
        "client_key": str(_setting("ADDIN_CLIENT_KEY") or "") if mode == "key" else "",
        "timeout_ms": int(_setting("OUTLOOK_TIMEOUT_MS") or DEFAULT_TIMEOUT_MS),
        # The largest message the service takes whole; the add-in sends a reduced copy of a larger one.
        "max_report_bytes": int(_setting("MAX_BODY_BYTES") or DEFAULT_MAX_REPORT_BYTES),
    }


@lru_cache(maxsize=8)
def _manifest(public_url: str, version: str, entra_client_id: str | None, template: str = TEMPLATE_NAME) -> str:
    return render_outlook_manifest(
        public_url, deployment_addin_id(public_url), version, entra_client_id=entra_client_id, template=template
    )


@lru_cache(maxsize=8)
def _runtime_js(static_dir: str, public_url: str) -> str:
    parts = [f"globalThis.InviteGuardBaseUrl = {json.dumps(public_url)};\n"]
    for name in RUNTIME_SOURCES:
        parts.append((Path(static_dir) / "outlook" / name).read_text(encoding="utf-8"))
    return "\n".join(parts)


@lru_cache(maxsize=8)
def _page(static_dir: str, name: str, office_js_url: str) -> str:
    html = (Path(static_dir) / "outlook" / name).read_text(encoding="utf-8")
    return html.replace(f'src="{OFFICE_JS_CDN}"', f'src="{escape(office_js_url)}"')


def page_view(name: str) -> flask.Response:
    static_dir = flask.current_app.static_folder
    if not static_dir or name not in PAGES:
        flask.abort(404)
    office_js = str(_setting("OUTLOOK_OFFICE_JS_URL") or OFFICE_JS_CDN)
    response = flask.Response(_page(static_dir, name, office_js), mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


def allowed_scripts_view() -> flask.Response:
    response = flask.jsonify({"allowed": [f"{_public_url()}/addin/outlook/runtime.js"]})
    response.headers["Cache-Control"] = "no-cache"
    return response


def manifest_view(template: str = TEMPLATE_NAME) -> flask.Response:
    entra = str(_setting("ENTRA_CLIENT_ID") or "") if auth_mode() == "entra" else ""
    xml = _manifest(_public_url(), _version(), entra or None, template)
    response = flask.Response(xml, mimetype="application/xml")
    response.headers["Cache-Control"] = "no-cache"
    return response


def config_view() -> flask.Response:
    response = flask.jsonify(client_config())
    response.headers["Cache-Control"] = "no-store"
    return response


def runtime_view() -> flask.Response:
    static_dir = flask.current_app.static_folder
    if not static_dir:
        flask.abort(404)
    response = flask.Response(_runtime_js(static_dir, _public_url()), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


def register(bp: flask.Blueprint) -> None:
    """Add the routes under /addin/outlook/ (relative to the blueprint's url_prefix, if any), and,
    for a blueprint at the root, the well-known list and the two pages."""
    prefix = (bp.url_prefix or "").rstrip("/")
    base = "/outlook" if prefix.endswith("/addin") else "/addin/outlook"
    bp.add_url_rule(f"{base}/manifest.xml", endpoint="outlook_manifest", view_func=manifest_view)
    bp.add_url_rule(f"{base}/config.json", endpoint="outlook_config", view_func=config_view)
    bp.add_url_rule(f"{base}/runtime.js", endpoint="outlook_runtime", view_func=runtime_view)
    if not prefix:
        # Both live at fixed places on the origin, whatever prefix the blueprint has.
        bp.add_url_rule(WELL_KNOWN_ALLOWED, endpoint="outlook_allowed_scripts", view_func=allowed_scripts_view)
        for name in PAGES:
            bp.add_url_rule(f"/static/outlook/{name}", endpoint=f"outlook_page_{name.split('.')[0]}",
                            view_func=page_view, defaults={"name": name})
