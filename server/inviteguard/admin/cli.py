"""`inviteguard admin create-user NAME --role ROLE [--role ROLE] [--password-stdin | --sso-only]`.

Writes to the Redis the service uses: REDIS_URL (or --redis-url), else the embedded Redis under
the var directory, which is started for the moment if `inviteguard serve` is not running.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

import redis

from ..runtime.redis_server import service_redis
from .users import ROLES, AccountError, create_user


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise AccountError("the passwords differ")
    return first


def cmd_create_user(args: argparse.Namespace) -> int:
    try:
        password = None if args.sso_only else read_password(args.password_stdin)
        with service_redis(args.redis_url) as client:
            user = create_user(client, args.name, password, args.role, source="oidc" if args.sso_only else "local",
                               replace=args.replace)
    except AccountError as exc:
        print(f"cannot create the account: {exc}", file=sys.stderr)
        return 2
    except (redis.RedisError, RuntimeError) as exc:
        print(f"cannot reach Redis: {exc}", file=sys.stderr)
        return 2
    print(f"account {user.name} ({', '.join(sorted(user.roles))}) saved")
    return 0


def add_commands(commands: Any) -> None:
    """Adds `admin create-user` to the `inviteguard` command line."""
    admin = commands.add_parser("admin", help="manage admin-console accounts")
    actions = admin.add_subparsers(dest="admin_command", required=True)
    create = actions.add_parser("create-user", help="add an account (asks for the password)")
    create.add_argument("name")
    create.add_argument("--role", action="append", choices=ROLES, required=True,
                        help="editor (banner text), analyst (reports), admin (accounts); repeat for several")
    secret = create.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    secret.add_argument("--sso-only", action="store_true", help="no password: the account logs in by single sign-on")
    create.add_argument("--replace", action="store_true", help="overwrite an existing account's password and roles")
    create.add_argument("--redis-url", default=None, help="default: REDIS_URL, else the embedded Redis")
    create.set_defaults(run=cmd_create_user)
