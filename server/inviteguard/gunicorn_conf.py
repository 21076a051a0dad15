"""Gunicorn settings shipped with InviteGuard: `gunicorn -c <this file> inviteguard.wsgi:app`.

Each value can be overridden with the usual gunicorn flags or GUNICORN_CMD_ARGS; the INVITEGUARD_*
variables below are what `inviteguard serve` sets.
"""

import multiprocessing
import os
from typing import Any

from prometheus_client import multiprocess

bind = os.environ.get("INVITEGUARD_BIND", "127.0.0.1:8080")
# Analysis is CPU-bound; more processes than cores only queue. Two threads per worker keep
# keep-alive connections and Redis round trips from blocking a core.
workers = int(os.environ.get("INVITEGUARD_WORKERS") or min(2 * multiprocessing.cpu_count() + 1, 16))
worker_class = "gthread"
threads = 2
timeout = 30  # a verdict that takes this long is a bug; gunicorn restarts the worker
graceful_timeout = 20
keepalive = 5
max_requests = 20_000  # recycles workers so a slow leak can never become an outage
max_requests_jitter = 2_000
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
# Method and path only: query strings carry report comments (older add-ins), reporter addresses and
# the OIDC code and state, none of which belongs in a log.
access_log_format = '%(t)s %(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Only the proxy addresses named here may set X-Forwarded-* (see INVITEGUARD_TRUSTED_PROXIES).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def when_ready(server: object) -> None:
    # Runs in the master before any worker is forked: warnings meant for the whole server are
    # said here once, not once per worker.
    from inviteguard.admin.cli import hint_first_account
    from inviteguard.web.client_auth import warn_once_before_workers

    warn_once_before_workers()
    hint_first_account()


def child_exit(server: object, worker: Any) -> None:
    # A dead worker's live gauges must not linger in the shared metrics directory.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
