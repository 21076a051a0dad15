"""The add-ins, built for this deployment: one blueprint for both, and `inviteguard build-addins`.

Both packages point at the service's public base URL (INVITEGUARD_PUBLIC_URL, else the URL a
request came in on), so an admin installs exactly what this server serves.
"""

from __future__ import annotations

import os
from pathlib import Path

import flask

from . import outlook, outlook_event_based, thunderbird
from .outlook_manifest import deployment_addin_id, normalize_public_url, render_outlook_manifest

bp = flask.Blueprint("addins", __name__)
outlook.register(bp)
outlook_event_based.register(bp)
thunderbird.register(bp)


def init_app(app: flask.Flask) -> None:
    settings = app.config.get("INVITEGUARD_SETTINGS")
    if not app.config.get("PUBLIC_URL") and settings is not None and settings.public_url:
        app.config["PUBLIC_URL"] = settings.public_url
    app.register_blueprint(bp)


def build_addins(out_dir: Path, public_url: str | None = None) -> list[Path]:
    """Write the Outlook manifest and the Thunderbird XPI for `public_url` into `out_dir`."""
    url = normalize_public_url(public_url or os.environ.get("INVITEGUARD_PUBLIC_URL")
                               or thunderbird.DEFAULT_PUBLIC_URL)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = out_dir / "outlook-manifest.xml"
    manifest.write_text(render_outlook_manifest(url, deployment_addin_id(url), thunderbird.package_version()),
                        encoding="utf-8")
    event_based = out_dir / "outlook-manifest-event-based.xml"
    event_based.write_text(render_outlook_manifest(url, deployment_addin_id(url), thunderbird.package_version(),
                                                   template=outlook_event_based.TEMPLATE), encoding="utf-8")
    return [manifest, event_based, *thunderbird.build_addins_command(out_dir, url)]
