"""InviteGuard: warns readers about callback phishing relayed through trusted platforms.

`create_app(config=None)`: defaults -> environment (INVITEGUARD_*, REDIS_URL) -> `config` ->
services (Redis gate, verdict cache, banner texts, metrics, analyzer) -> blueprints.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .runtime.version import VERSION as __version__

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["__version__", "create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The Flask app. `config` keys are setting names in any case (e.g. "REDIS_URL") or Flask
    config keys; "ENGINE" replaces the analyzer (tests count its calls)."""
    # Imported here, not at the top, so `import inviteguard` (the CLI, __version__) stays cheap.
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from .addins import routes as addins
    from .admin import reporter_signin, triage
    from .admin import views as admin
    from .banner.store import CURRENT_KEY as TEXTS_VERSION_KEY
    from .banner.store import BannerStore
    from .detect.engine import AnalyzerEngine
    from .mailflow import api as stamp_api
    from .reports import api as reports_api
    from .reports.store import ReportStore
    from .runtime.config import settings_from
    from .runtime.organisation import LiveSettings
    from .runtime.redis_conn import RedisGate
    from .web import api, client_auth, demo, limits, openapi, security
    from .web.cache import AnswerCache, VerdictCache
    from .web.metrics import Metrics

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
    # The console's settings over the environment's, as every worker sees them within seconds.
    live = LiveSettings(settings, gate.client, settings.settings_refresh_seconds)
    app.extensions["inviteguard.settings"] = live
    reports = ReportStore(gate, RedisGate(settings.redis_url, settings.report_redis_timeout_seconds,
                                          settings.redis_retry_after_seconds), live)
    engine = config.get("ENGINE")
    if engine is None:
        engine = AnalyzerEngine()
        engine.warm()  # in each worker as it starts, not on its first reader's message
    app.extensions["inviteguard"] = api.Services(
        gate=gate,
        cache=VerdictCache(gate, settings.cache_ttl_seconds),
        texts=BannerStore(gate),
        engine=engine,
        metrics=Metrics(),
        default_locale=settings.default_locale,
        feedback=reports,
        # An answer kept for an exact copy is served only while the texts, the settings (with the
        # console's) and every report standing are as they were when it was rendered (web/cache.py).
        answers=AnswerCache(gate, settings.cache_ttl_seconds, (TEXTS_VERSION_KEY, *reports.generation_keys)),
        settings=live,
    )
    client_auth.init_app(app)
    limits.init_app(app)
    security.init_app(app)
    api.init_app(app)
    demo.init_app(app)
    addins.init_app(app)
    admin.init_app(app)
    reports_api.init_app(app, reports)
    triage.init_app(app)
    stamp_api.init_app(app)
    reporter_signin.init_app(app)
    openapi.init_app(app)
    return app
