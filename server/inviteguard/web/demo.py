"""GET / : the page a security team opens first. Drop or paste an .eml, see the banner exactly
as the add-ins show it, plus the reasons. All behaviour lives in /static/demo/demo.js; the page
has no inline script, and its CSP allows only our own files and the banner's stylesheet hash."""

from __future__ import annotations

import struct
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, make_response, render_template

from ..banner.render import BANNER_STYLE_CSP_HASH

bp = Blueprint("demo", __name__, template_folder="templates")

LOCALES = (("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español"))
DEMO_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
            f"style-src 'self' {BANNER_STYLE_CSP_HASH}; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


@bp.get("/")
def index() -> Response:
    response = make_response(render_template("demo.html", locales=LOCALES))
    response.headers["Content-Security-Policy"] = DEMO_CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@cache
def favicon_ico(png: bytes) -> bytes:
    """An .ico holding one PNG image (valid since Windows Vista; every browser reads it)."""
    width, height = struct.unpack(">II", png[16:24])
    entry = struct.pack("<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(png), 6 + 16)
    return struct.pack("<HHH", 0, 1, 1) + entry + png


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for /favicon.ico on every origin; the shield the add-ins use."""
    static = Path(current_app.static_folder or "")
    response = make_response(favicon_ico((static / "outlook" / "icons" / "icon-32.png").read_bytes()))
    response.mimetype = "image/vnd.microsoft.icon"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
