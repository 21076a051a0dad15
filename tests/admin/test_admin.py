"""Admin console authentication: accounts, sessions (ended by a password reset, a role change or
deletion), cookies, CSRF, login throttling (counted atomically, per account and address, never
locking the owner out), roles, the `require_role` guard other blueprints use, errors that leak
nothing, and the create-user command."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import threading
from pathlib import Path

import inviteguard
import pytest
import redis
from admin_helpers import PASSWORD, account, admin_app, log_in, login_form_token
from flask import Blueprint, Flask, jsonify
from flask.testing import FlaskClient
from inviteguard import create_app
from inviteguard.admin.sessions import LoginThrottle
from inviteguard.admin.users import (
    AccountError,
    authenticate,
    create_sso_user,
    create_user,
    delete_user,
    get_user,
    list_users,
    set_password,
    set_roles,
)
from inviteguard.admin.views import require_role, safe_next
from inviteguard.runtime.redis_server import EmbeddedRedis


@pytest.fixture
def admin(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> Flask:
    return admin_app(redis_server.url)


@pytest.fixture
def web(admin: Flask) -> FlaskClient:
    return admin.test_client()


# ------------------------------------------------------------------ accounts

def test_password_is_stored_as_argon2id_hash(redis_client: redis.Redis) -> None:
    create_user(redis_client, "Alice", PASSWORD, ["editor"])
    stored = redis_client.hget("ig:admin:user:alice", "password_hash").decode()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert authenticate(redis_client, "ALICE", PASSWORD) == get_user(redis_client, "alice")
    assert authenticate(redis_client, "alice", PASSWORD + "x") is None
    assert authenticate(redis_client, "nobody", PASSWORD) is None


@pytest.mark.parametrize(("name", "password", "roles", "message"), [
    ("bob", "short", ["editor"], "at least 12"),
    ("bob", PASSWORD, [], "at least one role"),
    ("bob", PASSWORD, ["superuser"], "unknown role"),
    ("bob smith", PASSWORD, ["editor"], "user name"),
    ("", PASSWORD, ["editor"], "user name"),
])
def test_bad_accounts_are_refused(redis_client: redis.Redis, name: str, password: str, roles: list[str],
                                  message: str) -> None:
    with pytest.raises(AccountError, match=message):
        create_user(redis_client, name, password, roles)


def test_account_lifecycle(redis_client: redis.Redis) -> None:
    create_user(redis_client, "carol", PASSWORD, ["analyst"])
    with pytest.raises(AccountError, match="already exists"):
        create_user(redis_client, "carol", PASSWORD, ["analyst"])
    assert set_roles(redis_client, "carol", ["editor", "analyst"]).roles == {"editor", "analyst"}
    set_password(redis_client, "carol", "another long password")
    assert authenticate(redis_client, "carol", "another long password") is not None
    assert [u.name for u in list_users(redis_client)] == ["carol"]
    assert delete_user(redis_client, "carol") and get_user(redis_client, "carol") is None


def test_sso_account_cannot_log_in_with_any_password(redis_client: redis.Redis) -> None:
    create_sso_user(redis_client, "sso.0123abcd", "dave@example.com", ["editor"])
    assert authenticate(redis_client, "sso.0123abcd", "") is None
    assert authenticate(redis_client, "sso.0123abcd", "not a real password, only spends the same time") is None
    with pytest.raises(AccountError, match="single sign-on"):
        set_password(redis_client, "sso.0123abcd", PASSWORD)
    with pytest.raises(AccountError, match="single sign-on"):
        create_user(redis_client, "sso.0123abcd", PASSWORD, ["admin"], replace=True)


def test_admin_role_implies_the_others(redis_client: redis.Redis) -> None:
    create_user(redis_client, "root", PASSWORD, ["admin"])
    create_user(redis_client, "ed", PASSWORD, ["editor"])
    root, ed = get_user(redis_client, "root"), get_user(redis_client, "ed")
    assert root is not None and ed is not None
    assert root.may("editor") and root.may("analyst") and root.may("admin")
    assert ed.may("editor") and not ed.may("analyst") and not ed.may("admin")


# ------------------------------------------------------------------ login, session, cookies

def test_unauthenticated_html_gets_the_login_page_and_api_gets_401(web: FlaskClient) -> None:
    page = web.get("/admin/")
    assert page.status_code == 303 and page.headers["Location"].startswith("/admin/login")
    login = web.get(page.headers["Location"])
    assert login.status_code == 200 and b'name="password"' in login.data
    for method, path in [("GET", "/admin/api/texts"), ("GET", "/admin/api/users"), ("POST", "/admin/api/texts"),
                         ("GET", "/admin/api/versions/1"), ("GET", "/admin/api/org")]:
        response = web.open(path, method=method, json={})
        assert response.status_code == 401
        assert response.get_json() == {"error": {"code": "unauthenticated",
                                                 "message": "Log in to the InviteGuard admin console first"}}


def test_login_page_says_how_to_create_the_first_account_until_one_exists(web: FlaskClient,
                                                                        redis_client: redis.Redis,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(sys.executable).parents[2])  # where `bash scripts/serve.sh` runs the service
    page = web.get("/admin/login").get_data(as_text=True)
    assert "No account exists yet" in page
    assert "<code>.venv/bin/inviteguard admin create-user admin --role admin</code>" in page
    create_user(redis_client, "alice", "a long enough passphrase", ["admin"])
    assert "No account exists yet" not in web.get("/admin/login").get_data(as_text=True)


def test_login_sets_a_hardened_session_cookie(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    app = create_app({"REDIS_URL": redis_server.url, "TESTING": True})  # Secure cookies: the default
    account(redis_client, "ed", "editor")
    web = app.test_client()
    web.base_url = "https://localhost"
    page = web.get("/admin/login", base_url="https://localhost")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = web.post("/admin/login", base_url="https://localhost",
                        data={"username": "ed", "password": PASSWORD, "csrf_token": token})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-ig_admin="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    csp = response.headers.get("Content-Security-Policy") or web.get("/admin/", base_url="https://localhost").headers[
        "Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and "script-src 'self'" in csp
    session = web.get("/admin/api/session", base_url="https://localhost")
    assert session.status_code == 200 and session.get_json()["user"] == "ed"


def test_login_and_logout(web: FlaskClient, redis_client: redis.Redis) -> None:
    account(redis_client, "ed", "editor")
    headers = log_in(web, "ed")
    console = web.get("/admin/")
    assert console.status_code == 200 and b"ed (editor)" in console.data
    assert "'unsafe-inline'" not in console.headers["Content-Security-Policy"]
    assert b"<script src=" in console.data and b"<script>" not in console.data and b" onclick=" not in console.data
    assert web.post("/admin/logout", data={"csrf_token": headers["X-CSRF-Token"]}).status_code == 303
    assert web.get("/admin/api/session").status_code == 401
    assert not redis_client.keys("ig:admin:session:*")


def test_wrong_password_says_nothing_about_the_account(web: FlaskClient, redis_client: redis.Redis) -> None:
    account(redis_client, "ed", "editor")
    wrong = web.post("/admin/login", data={"username": "ed", "password": "nope nope nope",
                                           "csrf_token": login_form_token(web)})
    unknown = web.post("/admin/login", data={"username": "ghost", "password": "nope nope nope",
                                             "csrf_token": login_form_token(web)})
    assert wrong.status_code == unknown.status_code == 401
    assert b"Wrong user name or password." in wrong.data and b"Wrong user name or password." in unknown.data


def test_login_form_needs_its_csrf_token(web: FlaskClient, redis_client: redis.Redis) -> None:
    account(redis_client, "ed", "editor")
    login_form_token(web)
    response = web.post("/admin/login", data={"username": "ed", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403 and web.get("/admin/api/session").status_code == 401


def guess(web: FlaskClient, name: str, password: str, address: str) -> int:
    return web.post("/admin/login", data={"username": name, "password": password,
                                          "csrf_token": login_form_token(web)},
                    environ_base={"REMOTE_ADDR": address}).status_code


def test_login_is_throttled_per_account_and_address_without_locking_the_owner_out(
        redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    app = admin_app(redis_server.url, ADMIN_LOGIN_ATTEMPTS=3)
    account(redis_client, "ed", "editor")
    attacker, owner = app.test_client(), app.test_client()
    assert [guess(attacker, "ed", "wrong guess!!", "203.0.113.9") for _ in range(3)] == [401, 401, 401]
    blocked = attacker.post("/admin/login", data={"username": "ed", "password": PASSWORD,
                                                  "csrf_token": login_form_token(attacker)},
                            environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert attacker.get("/admin/api/session").status_code == 401
    # The owner, elsewhere, is not locked out by someone else's guesses.
    assert guess(owner, "ed", PASSWORD, "198.51.100.7") == 303
    # Spraying many accounts from one address is throttled by the address's own, larger count.
    sprayed = [guess(attacker, f"user{n}", "wrong guess!!", "203.0.113.9") for n in range(12)]
    assert sprayed[-1] == 429 and sprayed.count(401) < 12


def test_parallel_guesses_are_counted_before_any_is_checked(redis_client: redis.Redis) -> None:
    # Issue 13: 40 parallel guesses got 16 tries with a limit of 10 (check, then record).
    throttle = LoginThrottle(redis_client, limit=10)
    allowed: list[bool] = []
    start = threading.Barrier(40)

    def one_guess() -> None:
        start.wait()
        allowed.append(throttle.attempt("203.0.113.9", "ed") == 0)

    threads = [threading.Thread(target=one_guess) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 10


def test_a_right_password_clears_the_accounts_count_from_that_address(redis_client: redis.Redis) -> None:
    throttle = LoginThrottle(redis_client, limit=2)
    assert throttle.attempt("10.0.0.1", "ed") == 0 and throttle.attempt("10.0.0.1", "ED") == 0
    assert 0 < throttle.attempt("10.0.0.1", "ed") <= 900
    assert throttle.attempt("10.0.0.2", "ed") == 0  # another address: the owner
    throttle.succeeded("10.0.0.2", "ed")
    assert throttle.attempt("10.0.0.2", "ed") == 0 and throttle.attempt("10.0.0.2", "ed") == 0


@pytest.mark.parametrize(("target", "expected"), [
    ("/admin/?tab=history", "/admin/?tab=history"),
    ("https://evil.example/admin/", "/admin/"),
    ("//evil.example/admin", "/admin/"),
    ("/\\evil.example", "/admin/"),
    ("/api/v1/analyze", "/admin/"),
    (None, "/admin/"),
    ("/admin/\r\nSet-Cookie: x=1", "/admin/"),
    ("/admin/\x00", "/admin/"),
    ("//evil.exampleOy&[} \\", "/admin/"),  # found by bench/fuzz_http.py: urlsplit raised, a 500
])
def test_login_redirect_stays_inside_the_console(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


# ------------------------------------------------------------------ CSRF and roles

def test_state_changes_without_the_csrf_token_are_refused(web: FlaskClient, redis_client: redis.Redis) -> None:
    account(redis_client, "root", "admin")
    headers = log_in(web, "root")
    edit = {"edits": {"de": {"reasons": {"callback.phone": {"title": "Neu"}}}}}
    for response in (web.post("/admin/api/texts", json=edit),
                     web.post("/admin/api/texts", json=edit, headers={"X-CSRF-Token": "guess"}),
                     web.post("/admin/api/versions/0/rollback"),
                     web.put("/admin/api/org", json={"org_name": "X"}),
                     web.post("/admin/api/users", json={"name": "mallory", "password": PASSWORD, "roles": ["admin"]}),
                     web.post("/admin/logout")):
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "csrf_failed"
    assert get_user(redis_client, "mallory") is None
    assert web.post("/admin/api/texts", json=edit, headers=headers).status_code == 200


def test_editor_cannot_manage_users(web: FlaskClient, redis_client: redis.Redis) -> None:
    account(redis_client, "ed", "editor")
    headers = log_in(web, "ed")
    assert web.get("/admin/api/users").status_code == 403
    created = web.post("/admin/api/users", json={"name": "eve", "password": PASSWORD, "roles": ["admin"]},
                       headers=headers)
    assert created.status_code == 403 and created.get_json()["error"]["code"] == "forbidden"
    assert web.put("/admin/api/users/ed", json={"roles": ["admin"]}, headers=headers).status_code == 403
    assert get_user(redis_client, "eve") is None and get_user(redis_client, "ed").roles == {"editor"}
    assert b'id="tab-users"' not in web.get("/admin/").data


def test_analyst_cannot_edit_banner_text(web: FlaskClient, redis_client: redis.Redis) -> None:
    account(redis_client, "ann", "analyst")
    headers = log_in(web, "ann")
    assert web.get("/admin/api/texts").status_code == 403
    assert web.post("/admin/api/texts", json={"edits": {}}, headers=headers).status_code == 403


def test_admin_manages_accounts(web: FlaskClient, redis_client: redis.Redis) -> None:
    account(redis_client, "root", "admin")
    headers = log_in(web, "root")
    created = web.post("/admin/api/users", json={"name": "Ed", "password": PASSWORD, "roles": ["editor"]},
                       headers=headers)
    assert created.status_code == 200 and created.get_json()["roles"] == ["editor"]
    assert web.post("/admin/api/users", json={"name": "x", "password": "short", "roles": ["editor"]},
                    headers=headers).status_code == 422
    assert web.put("/admin/api/users/ed", json={"roles": ["editor", "analyst"]}, headers=headers).status_code == 200
    assert get_user(redis_client, "ed").roles == {"editor", "analyst"}
    assert web.put("/admin/api/users/root", json={"roles": ["editor"]}, headers=headers).status_code == 422
    assert web.delete("/admin/api/users/root", headers=headers).status_code == 422
    names = [u["name"] for u in web.get("/admin/api/users").get_json()["users"]]
    assert names == ["ed", "root"]
    assert web.delete("/admin/api/users/ed", headers=headers).status_code == 200
    assert web.delete("/admin/api/users/ed", headers=headers).status_code == 404


def test_a_role_change_ends_open_sessions(web: FlaskClient, redis_client: redis.Redis) -> None:
    account(redis_client, "ed", "editor")
    log_in(web, "ed")
    assert web.get("/admin/api/texts").status_code == 200
    set_roles(redis_client, "ed", ["editor"])  # the same roles: nothing changes
    assert web.get("/admin/api/texts").status_code == 200
    set_roles(redis_client, "ed", ["analyst", "editor"])
    assert web.get("/admin/api/texts").status_code == 401
    log_in(web, "ed")
    delete_user(redis_client, "ed")
    assert web.get("/admin/api/texts").status_code == 401


def test_a_password_reset_ends_every_other_session(admin: Flask, redis_client: redis.Redis,
                                                   redis_server: EmbeddedRedis,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from inviteguard.cli import main

    account(redis_client, "root", "admin")
    account(redis_client, "ed", "editor")
    ed_laptop, ed_phone, root = admin.test_client(), admin.test_client(), admin.test_client()
    log_in(ed_laptop, "ed")
    log_in(ed_phone, "ed")
    headers = log_in(root, "root")
    assert root.put("/admin/api/users/ed", json={"roles": ["editor"], "password": "a brand new password"},
                    headers=headers).status_code == 200
    assert ed_laptop.get("/admin/api/session").status_code == 401
    assert ed_phone.get("/admin/api/session").status_code == 401
    # An admin changing their own password stays logged in here, nowhere else.
    root_elsewhere = admin.test_client()
    log_in(root_elsewhere, "root")
    assert root.put("/admin/api/users/root", json={"roles": ["admin"], "password": "another new password"},
                    headers=headers).status_code == 200
    assert root.get("/admin/api/session").status_code == 200
    assert root_elsewhere.get("/admin/api/session").status_code == 401
    # The command line's --replace is a password reset too.
    log_in(ed_laptop, "ed", "a brand new password")
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["admin", "create-user", "ed", "--role", "editor", "--password-stdin", "--replace",
                 "--redis-url", redis_server.url]) == 0
    assert ed_laptop.get("/admin/api/session").status_code == 401


def test_require_role_guards_other_blueprints(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> None:
    app = admin_app(redis_server.url)
    reports = Blueprint("reports_probe", __name__)

    @reports.get("/api/v1/probe-reports")
    @require_role("analyst")
    def listing() -> object:
        return jsonify({"reports": []})

    @reports.post("/api/v1/probe-reports/<rid>/triage")
    @require_role("analyst")
    def triage(rid: str) -> object:
        return jsonify({"triaged": rid})

    app.register_blueprint(reports)
    account(redis_client, "ann", "analyst")
    account(redis_client, "ed", "editor")
    web = app.test_client()
    assert web.get("/api/v1/probe-reports").status_code == 401
    log_in(web, "ed")
    assert web.get("/api/v1/probe-reports").status_code == 403
    web = app.test_client()
    headers = log_in(web, "ann")
    assert web.get("/api/v1/probe-reports").get_json() == {"reports": []}
    assert web.post("/api/v1/probe-reports/1/triage").status_code == 403
    assert web.post("/api/v1/probe-reports/1/triage", headers=headers).get_json() == {"triaged": "1"}


def test_redis_down_gives_503_without_details(redis_client: redis.Redis) -> None:
    web = admin_app("redis://127.0.0.1:9/0").test_client()
    web.set_cookie("ig_admin", "some-token")
    response = web.get("/admin/api/texts")
    assert response.status_code == 503
    assert response.get_json() == {"error": {"code": "store_unavailable",
                                             "message": "The settings store is unavailable; try again shortly"}}
    assert b"127.0.0.1" not in web.get("/admin/", headers={"Accept": "text/html"}).data


# ------------------------------------------------------------------ inviteguard admin create-user

def test_create_user_command(redis_server: EmbeddedRedis, redis_client: redis.Redis,
                             monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from inviteguard.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    status = main(["admin", "create-user", "Erin", "--role", "editor", "--role", "analyst", "--password-stdin",
                   "--redis-url", redis_server.url])
    assert status == 0 and "erin (analyst, editor)" in capsys.readouterr().out
    assert authenticate(redis_client, "erin", PASSWORD) is not None
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["admin", "create-user", "frank", "--role", "editor", "--password-stdin",
                 "--redis-url", redis_server.url]) == 2
    assert "at least 12" in capsys.readouterr().err


def test_create_user_command_prompts_with_getpass(redis_server: EmbeddedRedis, redis_client: redis.Redis,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from inviteguard.cli import main

    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSWORD)
    assert main(["admin", "create-user", "gina", "--role", "admin", "--redis-url", redis_server.url]) == 0
    assert get_user(redis_client, "gina").roles == {"admin"}


def test_create_user_command_uses_the_embedded_redis(tmp_path: object) -> None:
    """Without REDIS_URL the account lands in the embedded Redis that `inviteguard serve` uses."""
    var_dir = str(tmp_path)
    command = [sys.executable, "-m", "inviteguard.cli", "admin", "create-user", "hal", "--role", "analyst",
               "--password-stdin"]
    # The package under test, not whichever copy is installed (a worktree's tests run its own code).
    env = {"INVITEGUARD_VAR_DIR": var_dir, "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(Path(inviteguard.__file__).resolve().parents[1])}
    done = subprocess.run(command, input=PASSWORD + "\n", capture_output=True, text=True, env=env, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    with EmbeddedRedis(f"{var_dir}/redis") as embedded:
        assert get_user(redis.Redis.from_url(embedded.url), "hal") is not None


def test_lone_surrogates_in_console_json_are_no_500(web: FlaskClient, redis_client: redis.Redis) -> None:
    # Found by bench/fuzz_http.py: a banner text with "\udfff" could not be stored (UnicodeEncodeError).
    account(redis_client, "root", "admin")
    headers = log_in(web, "root")
    found = b'{"edits": {"de": {"banner": {"suspicious": {"text": "\\\\\\u202e;\\f@6|\\udfff{{ org_name }}"}}}}}'
    texts = web.post("/admin/api/texts", headers={**headers, "Content-Type": "application/json"}, data=found)
    assert texts.status_code in (200, 422), texts.get_data(as_text=True)
    org = web.put("/admin/api/org", headers={**headers, "Content-Type": "application/json"},
                  data=b'{"org_name": "Contoso \\ud800", "soc_contact": "soc\\udfff@contoso.com"}')
    assert org.status_code == 200 and org.get_json()["org_name"] == "Contoso \ufffd"
