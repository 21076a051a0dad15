"""Serving and writing the Thunderbird add-on for this deployment.

``register(bp)`` adds ``GET /addin/thunderbird.xpi`` to the add-ins blueprint; ``build_addins_command``
is what ``inviteguard build-addins`` runs. Both build the XPI with thunderbird_xpi.build_xpi.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import flask

from ..runtime.version import VERSION
from . import thunderbird_xpi

XPI_MIMETYPE = "application/x-xpinstall"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"


def package_version() -> str:
    return VERSION


@lru_cache(maxsize=8)
def _cached_xpi(public_url: str, version: str, client_key: str) -> tuple[bytes, str]:
    data = thunderbird_xpi.build_xpi(public_url, version, client_key)
    return data, thunderbird_xpi.etag(data)


def _public_url() -> str:
    configured = flask.current_app.config.get("PUBLIC_URL")
    return configured or flask.request.url_root


def thunderbird_xpi_view() -> flask.Response:
    data, tag = _cached_xpi(
        thunderbird_xpi.normalize_service_url(_public_url()),
        package_version(),
        str(flask.current_app.config.get("ADDIN_CLIENT_KEY") or ""),
    )
    response = flask.Response(data, mimetype=XPI_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{thunderbird_xpi.XPI_NAME}"'
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(tag)
    return response.make_conditional(flask.request)


def register(bp: flask.Blueprint) -> None:
    """Add ``GET /addin/thunderbird.xpi`` (relative to the blueprint's url_prefix, if any)."""
    prefix = (bp.url_prefix or "").rstrip("/")
    rule = "/thunderbird.xpi" if prefix.endswith("/addin") else "/addin/thunderbird.xpi"
    bp.add_url_rule(rule, endpoint="thunderbird_xpi", view_func=thunderbird_xpi_view, methods=["GET"])


def build_addins_command(
    out_dir: str | Path, public_url: str | None = None, client_key: str | None = None
) -> list[Path]:
    """Write this deployment's Thunderbird XPI into ``out_dir``; returns the paths written.

    ``public_url`` defaults to INVITEGUARD_PUBLIC_URL, then http://127.0.0.1:8080 (what
    ``inviteguard serve`` listens on by default); ``client_key`` to INVITEGUARD_ADDIN_CLIENT_KEY.
    """
    url = public_url or os.environ.get("INVITEGUARD_PUBLIC_URL") or DEFAULT_PUBLIC_URL
    key = client_key if client_key is not None else os.environ.get("INVITEGUARD_ADDIN_CLIENT_KEY", "")
    target = Path(out_dir) / thunderbird_xpi.XPI_NAME
    return [thunderbird_xpi.write_xpi(target, url, package_version(), key)]
