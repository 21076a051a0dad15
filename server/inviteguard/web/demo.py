"""GET / : the page a security team opens first. Drop or paste an .eml, see the banner exactly
as the add-ins show it, plus the reasons. All behaviour lives in /static/demo/demo.js; the page
has no inline script, and its CSP allows only our own files and the banner's stylesheet hash."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, make_response, render_template

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


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
