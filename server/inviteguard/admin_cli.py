"""`inviteguard admin create-user NAME --role ROLE [--role ROLE] [--password-stdin | --sso-only]`.

Writes to the Redis the service uses: REDIS_URL (or --redis-url), else the embedded Redis under
the var directory, which is started for the moment if `inviteguard serve` is not running.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

from .config import settings_from
from .redis_conn import connect_redis
from .redis_server import EmbeddedRedis
from .users import ROLES, AccountError, create_user


@contextmanager
def service_redis(redis_url: str | None) -> Iterator[Any]:
    url = redis_url or settings_from(os.environ).redis_url
    if url:
        yield connect_redis(url, timeout=5.0)
        return
    embedded = EmbeddedRedis(Path(settings_from(os.environ).var_dir) / "redis")
    if embedded.socket_path.exists():
        client = redis.Redis(unix_socket_path=str(embedded.socket_path), socket_timeout=5.0)
        try:
            client.ping()
        except redis.RedisError:
            pass  # a stale socket of a stopped server: start our own below
        else:
            yield client  # `inviteguard serve` is running: use its server
            return
    with embedded:
        yield redis.Redis.from_url(embedded.url, socket_timeout=5.0)


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
