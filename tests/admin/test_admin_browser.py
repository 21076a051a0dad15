"""The admin console end to end in Debian's headless Chromium against the live server (real
WSGI server, real Redis): log in, edit a German reason text, watch the preview change, save,
analyze a German-locale message and get the new text, roll back and get the old text; a
template-injection attempt is rejected next to its field; a request without the CSRF token is
refused; an editor cannot manage users. Screenshots of the editor and each banner variant go to
tests/artifacts/admin/ for review."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from admin_helpers import PASSWORD
from conftest import LIVE_SERVER_DB
from inviteguard.admin.users import create_user, delete_user
from inviteguard.admin.views import BUILTIN_SAMPLE
from inviteguard.banner.store import BannerStore
from inviteguard.runtime.redis_conn import RedisGate
from inviteguard.runtime.redis_server import EmbeddedRedis
from playwright.sync_api import Browser, Page

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "admin"
REASON = "combo.platform_callback_lure"
EDITOR = "e2e-editor"
NEW_TITLE = "Geänderter Titel: Echte {{ says }}-Nachricht, fremder Text"



@pytest.fixture
def live_redis(redis_server: EmbeddedRedis, live_server: str) -> Iterator[redis.Redis]:
    """The live server's database, with an editor account; texts restored afterwards so other
    tests using the live server see the shipped ones."""
    url = f"{redis_server.url}?db={LIVE_SERVER_DB}"
    client = redis.Redis.from_url(url)
    create_user(client, EDITOR, PASSWORD, ["editor"], replace=True)
    yield client
    store = BannerStore(RedisGate(url, 5.0, 0.0))
    if store.current_number():
        store.rollback(0, "test cleanup")
    delete_user(client, EDITOR)


def analyze_title(live_server: str) -> str:
    response = requests.post(f"{live_server}/api/v1/analyze", timeout=30, json={
        "eml": base64.b64encode(BUILTIN_SAMPLE.read_bytes()).decode(), "locale": "de"})
    response.raise_for_status()
    return next(r["title"] for r in response.json()["reasons"] if r["id"] == REASON)


def log_in(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/admin/")
    page.wait_for_selector("#login-form")  # unauthenticated: the login page
    page.fill("#username", EDITOR)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector("#whoami")


def preview_title(page: Page) -> str:
    return page.inner_text("#taskpane-reasons li:first-child .reason-title")


def test_editor_edits_previews_saves_and_rolls_back(browser: Browser, live_server: str,
                                                    live_redis: redis.Redis) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text)
            if msg.type == "error" and "status of 4" not in msg.text else None)
    shipped = analyze_title(live_server)
    log_in(page, live_server)
    assert page.locator("#tab-users").count() == 0  # an editor is not offered account management

    # Pick the German headline reason; the preview renders the shipped text.
    page.select_option("#locale", "de")
    page.select_option("#reason", REASON)
    page.locator("#taskpane-reasons li .reason-title", has_text=shipped).wait_for()
    assert "Betrugswarnung" in page.inner_text("#taskpane-banner")
    assert page.inner_text("#thunderbird-banner") == page.inner_text("#taskpane-banner")
    counter = page.inner_text("#notification-counter")
    assert counter.endswith("/150") and 0 < int(counter.split("/")[0]) <= 150
    assert "+1 (808) 555-0199" in page.inner_text("#preview-notification")

    # Typing changes the preview (debounced request to the server's renderer).
    title = page.locator(f'[data-path="de.reasons.{REASON}.title"] textarea')
    title.fill(NEW_TITLE)
    page.locator("#taskpane-reasons li .reason-title",
                 has_text="Geänderter Titel: Echte Apple-Nachricht, fremder Text").wait_for()
    assert page.locator(f'[data-path="de.reasons.{REASON}.title"] dt', has_text="{{ says }}").count() == 1

    # A template-injection attempt is flagged next to its field and refused on save.
    detail = page.locator(f'[data-path="de.reasons.{REASON}.detail"] textarea')
    shipped_detail = detail.input_value()
    detail.fill("{{ cycler.__init__.__globals__ }}")
    error = page.locator(f'[data-path="de.reasons.{REASON}.detail"] .field-error')
    error.filter(has_text="Python internals").wait_for()
    page.click("#save")
    page.locator("#status", has_text="cannot be saved").wait_for()
    assert "Python internals" in error.inner_text()
    assert analyze_title(live_server) == shipped
    detail.fill(shipped_detail)
    error.filter(has_text="").wait_for(state="hidden")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "editor.png"), full_page=True)
    for variant in ("infobar", "taskpane", "thunderbird"):
        page.locator(f"#variant-{variant}").screenshot(path=str(ARTIFACTS / f"variant-{variant}.png"))

    # Save: the next analyze in German carries the new text.
    page.click("#save")
    page.locator("#status", has_text="is live").wait_for()
    assert analyze_title(live_server) == "Geänderter Titel: Echte Apple-Nachricht, fremder Text"

    # History shows the version with its author and diff; one click rolls back.
    page.click("#tab-history")
    live_row = page.locator("#versions tr", has_text="(live)")
    live_row.wait_for()
    assert EDITOR in live_row.inner_text()
    live_row.locator(".show-diff").click()
    live_row.locator("pre.diff", has_text="Geänderter Titel").wait_for()
    page.screenshot(path=str(ARTIFACTS / "history.png"), full_page=True)
    page.locator("#versions tr", has_text="shipped defaults").locator(".rollback").click()
    page.locator("#status", has_text="Rolled back").wait_for()
    assert analyze_title(live_server) == shipped

    # Without the CSRF token the server refuses a state change, even with a valid session.
    no_token = page.evaluate("""async () => {
        const r = await fetch("/admin/api/texts", {method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({edits: {de: {reasons: {"callback.phone": {title: "csrf"}}}}})});
        return [r.status, (await r.json()).error.code];
    }""")
    assert no_token == [403, "csrf_failed"]

    # An editor cannot manage accounts, token or not.
    as_editor = page.evaluate("""async () => {
        const token = document.querySelector('meta[name="csrf-token"]').content;
        const r = await fetch("/admin/api/users", {method: "POST",
            headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
            body: JSON.stringify({name: "intruder", password: "long enough password", roles: ["admin"]})});
        const list = await fetch("/admin/api/users");
        return [r.status, list.status];
    }""")
    assert as_editor == [403, 403]
    assert live_redis.exists("ig:admin:user:intruder") == 0
    assert problems == [], problems  # no CSP violation, no script error
    page.close()


def test_unauthenticated_api_gets_401_json(live_server: str) -> None:
    response = requests.get(f"{live_server}/admin/api/texts", timeout=10)
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "unauthenticated",
                                         "message": "Log in to the InviteGuard admin console first"}}
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
