"""`inviteguard admin create-user NAME --role ROLE [--role ROLE] [--password-stdin] [--replace]`
and `inviteguard admin reporter-tokens list | revoke ID`.

Writes to the Redis the service uses: REDIS_URL (or --redis-url), else the embedded Redis under
the var directory, which is started for the moment if `inviteguard serve` is not running.
Single sign-on users need no account here: their roles come from the provider's claim.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import redis

from ..runtime.config import settings_from
from ..runtime.redis_conn import connect_redis
from ..runtime.redis_server import service_redis
from ..web.reporter_tokens import ReporterTokenStore
from .users import ROLES, AccountError, create_user, list_users

log = logging.getLogger(__name__)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise AccountError("the passwords differ")
    return first


def cmd_create_user(args: argparse.Namespace) -> int:
    try:
        password = read_password(args.password_stdin)
        with service_redis(args.redis_url) as client:
            user = create_user(client, args.name, password, args.role, replace=args.replace)
    except AccountError as exc:
        print(f"cannot create the account: {exc}", file=sys.stderr)
        return 2
    except (redis.RedisError, RuntimeError) as exc:
        print(f"cannot reach Redis: {exc}", file=sys.stderr)
        return 2
    print(f"account {user.name} ({', '.join(sorted(user.roles))}) saved")
    return 0


def first_account_command() -> str:
    """The command that creates the first account, as it can be pasted where the service runs:
    the console script next to this Python (.venv/bin/inviteguard for the usual install)."""
    script = Path(sys.executable).parent / "inviteguard"
    if not script.exists():
        return "inviteguard admin create-user admin --role admin"
    relative = os.path.relpath(script, Path.cwd())
    return f"{script if relative.startswith('..') else relative} admin create-user admin --role admin"


def has_no_accounts(client: Any) -> bool:
    return not list_users(client)


def hint_first_account() -> None:
    """Said once at start (by the gunicorn master) while no admin account exists."""
    settings = settings_from(os.environ)
    if not settings.redis_url:
        return
    try:
        client = connect_redis(settings.redis_url, timeout=2.0)
        empty = has_no_accounts(client)
        client.close()
    except redis.RedisError:
        return  # Redis trouble is reported elsewhere; no hint is better than a wrong one
    if empty:
        log.warning("no admin account exists yet; create the first one (it asks for a password): %s",
                    first_account_command())
def cmd_reporter_tokens(args: argparse.Namespace) -> int:
    try:
        with service_redis(args.redis_url) as client:
            store = ReporterTokenStore(client)
            if args.tokens_command == "revoke":
                if store.revoke(args.id):
                    print(f"reporter token {args.id} revoked")
                    return 0
                print(f"no reporter token with id {args.id}", file=sys.stderr)
                return 1
            for identity in store.listing():
                issued = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(identity.issued_at))
                print(f"{identity.token_id}\t{identity.address}\tissued {issued}\t{identity.issuer}")
            return 0
    except (redis.RedisError, RuntimeError) as exc:
        print(f"cannot reach Redis: {exc}", file=sys.stderr)
        return 2


def add_commands(commands: Any) -> None:
    """Adds `admin create-user` to the `inviteguard` command line."""
    admin = commands.add_parser("admin", help="manage admin-console accounts")
    actions = admin.add_subparsers(dest="admin_command", required=True)
    create = actions.add_parser("create-user", help="add an account (asks for the password)")
    create.add_argument("name")
    create.add_argument("--role", action="append", choices=ROLES, required=True,
                        help="editor (banner text), analyst (reports), admin (accounts); repeat for several")
    create.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    create.add_argument("--replace", action="store_true",
                        help="overwrite an existing account's password and roles (its sessions end)")
    create.add_argument("--redis-url", default=None, help="default: REDIS_URL, else the embedded Redis")
    create.set_defaults(run=cmd_create_user)
    tokens = actions.add_parser("reporter-tokens", help="list or revoke the tokens of verified reporters")
    tokens.add_argument("--redis-url", default=None, help="default: REDIS_URL, else the embedded Redis")
    token_actions = tokens.add_subparsers(dest="tokens_command", required=True)
    token_actions.add_parser("list", help="id, address, when issued and by which provider")
    revoke = token_actions.add_parser("revoke", help="revoke the token with this id")
    revoke.add_argument("id")
    tokens.set_defaults(run=cmd_reporter_tokens)
