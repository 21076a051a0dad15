"""InviteGuard: warns readers about callback phishing relayed through trusted platforms.

`create_app(config=None)`: defaults -> environment (INVITEGUARD_*, REDIS_URL) -> `config` ->
services (Redis gate, verdict cache, banner texts, metrics, analyzer) -> blueprints.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

try:
    __version__ = version("inviteguard")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The Flask app. `config` keys are setting names in any case (e.g. "REDIS_URL") or Flask
    config keys; "ENGINE" replaces the analyzer (tests count its calls)."""
    # Imported here, not at the top, so `import inviteguard` (the CLI, __version__) stays cheap.
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from . import addins, admin, api, client_auth, demo, limits, openapi, reports_api, security
    from .banners_store import BannerStore
    from .cache import VerdictCache
    from .config import settings_from
    from .engine import AnalyzerEngine
    from .metrics import Metrics
    from .redis_conn import RedisGate
    from .reports import ReportStore

    config = dict(config or {})
    settings = settings_from(os.environ, config)
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    app = Flask(__name__, static_folder=settings.static_dir, static_url_path="/static")
    app.config.from_mapping({k: v for k, v in config.items() if k.isupper() and k != "ENGINE"})
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["INVITEGUARD_SETTINGS"] = settings
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)

    gate = RedisGate(settings.redis_url, settings.redis_timeout_seconds, settings.redis_retry_after_seconds)
    app.extensions["inviteguard"] = api.Services(
        gate=gate,
        cache=VerdictCache(gate, settings.cache_ttl_seconds),
        texts=BannerStore(gate),
        engine=config.get("ENGINE") or AnalyzerEngine(),
        metrics=Metrics(),
        default_locale=settings.default_locale,
        reports=ReportStore(gate, RedisGate(settings.redis_url, settings.report_redis_timeout_seconds,
                                            settings.redis_retry_after_seconds),
                            settings.report_retention_days, settings.report_reporters_needed),
    )
    client_auth.init_app(app)
    limits.init_app(app)
    security.init_app(app)
    api.init_app(app)
    demo.init_app(app)
    addins.init_app(app)
    admin.init_app(app)
    reports_api.init_app(app)
    openapi.init_app(app)
    return app
