"""`inviteguard serve | analyze | eval | worker | build-addins | relay | milter`.

`analyze --json` prints the body the HTTP API returns (same analyzer, same renderer, and the banner
texts and organisation settings the service's Redis holds, when there is one to read), and `eval`
measures that same analyzer, so its figures are what users get.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import redis

from .admin import cli as admin_cli
from .banner.render import response_body
from .banner.store import BannerStore
from .banner.texts import load_default_texts
from .detect import evaluation
from .detect.analyzer import analyze
from .detect.parse import InputError, parse_raw
from .runtime.config import settings_from
from .runtime.organisation import load_org_settings
from .runtime.redis_conn import RedisGate
from .runtime.redis_server import EmbeddedRedis
from .web import client_auth


def _read(path: str) -> bytes:
    return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()


def _summary(body: dict[str, object], name: str) -> str:
    reasons = body["reasons"]
    assert isinstance(reasons, list)
    lines = [f"{name}: {str(body['verdict']).upper()} (score {body['score']})"]
    lines += [f"  - {r['title']}: {r['detail']}" for r in reasons if isinstance(r, dict)][:6]
    return "\n".join(lines)


def _service_redis_url(given: str | None) -> str | None:
    """The Redis the service reads its texts from: --redis-url, REDIS_URL, else the embedded Redis
    of an `inviteguard serve` running in this folder; None when there is none (nothing is started)."""
    settings = settings_from(os.environ)
    if given or settings.redis_url:
        return given or settings.redis_url
    embedded = EmbeddedRedis(Path(settings.var_dir) / "redis")
    return embedded.url if embedded.socket_path.exists() else None


def _live_texts(redis_url: str | None) -> tuple[Mapping[str, Any], dict[str, str]]:
    """The banner texts and organisation placeholders the API would use now, or the shipped texts
    (saying so on stderr) when the service's Redis cannot be read."""
    if redis_url is None:
        return load_default_texts(), {}
    gate = RedisGate(redis_url, 2.0, 0.0)
    snapshot = BannerStore(gate).snapshot()
    if snapshot.degraded:
        print("analyze: the service's Redis could not be read; printing with the shipped banner texts",
              file=sys.stderr)
        return snapshot.texts, {}
    try:
        return snapshot.texts, load_org_settings(gate.client()).banner_context()
    except (redis.RedisError, ValueError):
        return snapshot.texts, {}


def cmd_analyze(args: argparse.Namespace) -> int:
    texts, organisation = _live_texts(_service_redis_url(args.redis_url))
    status = 0
    for path in args.files:
        try:
            result = analyze(parse_raw(_read(path)))
        except (OSError, InputError) as exc:
            message = exc.message if isinstance(exc, InputError) else str(exc)
            code = exc.code if isinstance(exc, InputError) else "unreadable_file"
            if args.json:
                print(json.dumps({"file": path, "error": {"code": code, "message": message}}))
            else:
                print(f"{path}: cannot analyze: {message}", file=sys.stderr)
            status = 2
            continue
        body = response_body(result.verdict, result.fingerprint, texts, args.locale, cached=False,
                             organisation=organisation)
        print(json.dumps(body, ensure_ascii=False) if args.json else _summary(body, path))
    return status


def cmd_eval(args: argparse.Namespace) -> int:
    try:
        cases = evaluation.read_labels(Path(args.directory))
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.directory}: {exc}", file=sys.stderr)
        return 2
    if args.no_item_class and not args.outlook_path:
        print("--no-item-class goes with --outlook-path", file=sys.stderr)
        return 2
    report = evaluation.evaluate(cases, outlook_path=args.outlook_path, progress=sys.stderr if args.progress else None,
                                 item_class=not args.no_item_class)
    print(evaluation.format_report(report))
    return 2 if report.unreadable else 0


def cmd_fit(args: argparse.Namespace) -> int:
    try:
        from .detect import fit
    except ImportError as exc:  # numpy and scipy are a development extra
        print(f"fit needs the fit extra (pip install -e '.[fit]'): {exc}", file=sys.stderr)
        return 2
    try:
        print(fit.run(args.directories, args.write))
    except (OSError, ValueError) as exc:
        print(f"cannot fit: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .runtime.config import settings_from
    from .runtime.serve import serve

    # The worker runs even with no destination in the environment: one saved in the console later
    # is picked up without a restart.
    return serve(args.host, args.port, args.workers, args.redis_url, settings_from(os.environ).delivery_in_serve)


def cmd_worker(args: argparse.Namespace) -> int:
    from .reports.delivery import run_worker

    return run_worker(args.redis_url, args.metrics_port)


def cmd_build_addins(args: argparse.Namespace) -> int:
    from .addins.routes import build_addins

    for written in build_addins(Path(args.out), args.public_url):
        print(written)
    return 0


def _mailflow_app(redis_url: str | None) -> tuple[Any, Any]:
    """The service's app (its analyzer, verdict cache and metrics) for a relay or milter process."""
    from . import create_app
    from .web.client_auth import SERVES_HTTP_API

    app = create_app({SERVES_HTTP_API: False, **({"REDIS_URL": redis_url} if redis_url else {})})
    return app.extensions["inviteguard"], app.config["INVITEGUARD_SETTINGS"]


def _mailflow_parts(args: argparse.Namespace) -> tuple[Any, Any] | None:
    from .mailflow.stamping import stamper_from
    from .runtime.config import ConfigError

    try:
        svc, settings = _mailflow_app(args.redis_url)
        if settings.redis_url is None:
            raise ConfigError("mail flow needs REDIS_URL (or --redis-url): the Redis the service caches verdicts in")
        stamper = stamper_from(svc, settings)
    except ValueError as exc:  # ConfigError too
        print(f"inviteguard {args.command}: {exc}", file=sys.stderr)
        return None
    if args.metrics_port:
        stamper.checker.metrics.serve(args.metrics_port)
    return stamper, settings


def cmd_relay(args: argparse.Namespace) -> int:
    from .mailflow.relay import build_relay, host_port, run_relay
    from .runtime.config import ConfigError

    parts = _mailflow_parts(args)
    if parts is None:
        return 2
    stamper, settings = parts
    try:
        listen, next_hop = host_port(args.listen, "--listen"), host_port(args.next_hop, "--next-hop")
        relay = build_relay(stamper, settings, next_hop, stamper.checker.metrics)
    except ConfigError as exc:
        print(f"inviteguard relay: {exc}", file=sys.stderr)
        return 2
    return run_relay(relay, listen, next_hop)


def cmd_milter(args: argparse.Namespace) -> int:
    from .mailflow.milter import run_milter

    parts = _mailflow_parts(args)
    if parts is None:
        return 2
    return run_milter(parts[0], args.listen, args.timeout)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="inviteguard", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web service (embedded Redis unless --redis-url/REDIS_URL)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: from CPU count)")
    serve.add_argument("--redis-url", default=None, help="use this Redis instead of the embedded one")
    serve.set_defaults(run=cmd_serve)

    analyze_cmd = commands.add_parser("analyze", help="analyze .eml/.ics files ('-' reads stdin)")
    analyze_cmd.add_argument("files", nargs="+")
    analyze_cmd.add_argument("--json", action="store_true", help="print the API's JSON, one object per line")
    analyze_cmd.add_argument("--locale", default="en")
    analyze_cmd.add_argument("--redis-url", default=None,
                             help="read the live banner texts here (default: REDIS_URL, else a running "
                                  "`inviteguard serve`'s embedded Redis, else the shipped texts)")
    analyze_cmd.set_defaults(run=cmd_analyze)

    eval_cmd = commands.add_parser("eval", help="measure recall and false positives on DIR/labels.csv")
    eval_cmd.add_argument("directory")
    eval_cmd.add_argument("--outlook-path", action="store_true",
                          help="feed each message as the Outlook add-in reads it without the ICS: headers, "
                               "body, item fields and the attachments it fetches")
    eval_cmd.add_argument("--no-item-class", action="store_true",
                          help="with --outlook-path: leave out the item class too, as some Outlook clients do")
    eval_cmd.add_argument("--progress", action="store_true", help="print progress to stderr")
    eval_cmd.set_defaults(run=cmd_eval)

    fit_cmd = commands.add_parser("fit", help="fit the model's weights and thresholds from labelled folders")
    fit_cmd.add_argument("directories", nargs="+", help="folders with labels.csv, as eval reads them")
    fit_cmd.add_argument("--write", action="store_true", help="write the fitted model into rules/signals.yaml")
    fit_cmd.set_defaults(run=cmd_fit)

    worker = commands.add_parser("worker", help="deliver stored reports to the SOC mailbox / webhook")
    worker.add_argument("--redis-url", default=None, help="the Redis the service stores reports in (or REDIS_URL)")
    worker.add_argument("--metrics-port", type=int, default=None, help="serve Prometheus metrics on this port")
    worker.set_defaults(run=cmd_worker)

    build = commands.add_parser("build-addins", help="write the Outlook manifest and Thunderbird XPI to a folder")
    build.add_argument("--out", default="dist")
    build.add_argument("--public-url", default=None, help="base URL the add-ins call (default: INVITEGUARD_PUBLIC_URL)")
    build.set_defaults(run=cmd_build_addins)

    relay = commands.add_parser("relay", help="SMTP gateway: stamp each message's verdict and pass it to the next hop")
    relay.add_argument("--listen", default="127.0.0.1:10025", help="HOST:PORT to take mail on")
    relay.add_argument("--next-hop", required=True, help="HOST:PORT to pass every message to")
    relay.add_argument("--redis-url", default=None, help="the service's Redis (or REDIS_URL)")
    relay.add_argument("--metrics-port", type=int, default=None, help="serve Prometheus metrics on this port")
    relay.set_defaults(run=cmd_relay)

    milter = commands.add_parser("milter", help="milter for Postfix/Sendmail: stamp each message's verdict")
    milter.add_argument("--listen", default="inet:10029@127.0.0.1",
                        help="libmilter socket: inet:PORT@HOST, inet6:PORT@HOST or unix:/path")
    milter.add_argument("--timeout", type=int, default=600, help="seconds libmilter waits on the MTA")
    milter.add_argument("--redis-url", default=None, help="the service's Redis (or REDIS_URL)")
    milter.add_argument("--metrics-port", type=int, default=None, help="serve Prometheus metrics on this port")
    milter.set_defaults(run=cmd_milter)

    admin_cli.add_commands(commands)
    client_auth.add_commands(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
