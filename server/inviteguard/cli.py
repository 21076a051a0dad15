"""`inviteguard serve | analyze | eval | worker | build-addins`.

`analyze --json` prints exactly the body the HTTP API returns (same analyzer, same renderer), and
`eval` measures that same analyzer, so its figures are what users get.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .admin import cli as admin_cli
from .banner.render import response_body
from .banner.texts import load_default_texts
from .detect import evaluation
from .detect.analyzer import analyze
from .detect.parse import InputError, parse_raw
from .web import client_auth


def _read(path: str) -> bytes:
    return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()


def _summary(body: dict[str, object], name: str) -> str:
    reasons = body["reasons"]
    assert isinstance(reasons, list)
    lines = [f"{name}: {str(body['verdict']).upper()} (score {body['score']})"]
    lines += [f"  - {r['title']}: {r['detail']}" for r in reasons if isinstance(r, dict)][:6]
    return "\n".join(lines)


def cmd_analyze(args: argparse.Namespace) -> int:
    texts = load_default_texts()
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
        body = response_body(result.verdict, result.fingerprint, texts, args.locale, cached=False)
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
    analyze_cmd.set_defaults(run=cmd_analyze)

    eval_cmd = commands.add_parser("eval", help="measure recall and false positives on DIR/labels.csv")
    eval_cmd.add_argument("directory")
    eval_cmd.add_argument("--outlook-path", action="store_true",
                          help="feed each message as Outlook without the ICS would: headers + body text")
    eval_cmd.add_argument("--no-item-class", action="store_true",
                          help="with --outlook-path: leave out the item class too, as some Outlook clients do")
    eval_cmd.add_argument("--progress", action="store_true", help="print progress to stderr")
    eval_cmd.set_defaults(run=cmd_eval)

    worker = commands.add_parser("worker", help="deliver stored reports to the SOC mailbox / webhook")
    worker.add_argument("--redis-url", default=None, help="the Redis the service stores reports in (or REDIS_URL)")
    worker.add_argument("--metrics-port", type=int, default=None, help="serve Prometheus metrics on this port")
    worker.set_defaults(run=cmd_worker)

    build = commands.add_parser("build-addins", help="write the Outlook manifest and Thunderbird XPI to a folder")
    build.add_argument("--out", default="dist")
    build.add_argument("--public-url", default=None, help="base URL the add-ins call (default: INVITEGUARD_PUBLIC_URL)")
    build.set_defaults(run=cmd_build_addins)

    admin_cli.add_commands(commands)
    client_auth.add_commands(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
