"""The admin console's report triage page (/admin/reports): only analysts and admins get it, and
in Debian's headless Chromium against a live server (real WSGI server, real Redis, two report
destinations) it lists seeded reports grouped by campaign, newest first, with each destination's
delivery state; filters by verdict, status and date; pages with `before`; downloads the original
.eml byte for byte; and shows a hostile subject, reporter, comment and delivery error as inert
text. Screenshots (light and dark) go to tests/artifacts/admin/."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
from admin_helpers import PASSWORD, account, admin_app, log_in
from flask.testing import FlaskClient
from inviteguard import create_app
from inviteguard.reports.store import DeliveryState, ReportStore
from inviteguard.runtime.config import Settings
from inviteguard.runtime.organisation import LiveSettings
from inviteguard.runtime.redis_conn import RedisGate
from inviteguard.runtime.redis_server import EmbeddedRedis
from playwright.sync_api import Browser, Dialog, Locator, Page
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "admin"
EMLS = Path(__file__).parents[1] / "data" / "emls"
FRIEND_INVITE = EMLS / "icloud_friend" / "book_club_en.eml"  # clean
SCAM_INVITE = EMLS / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"  # phishing
TRIAGE_DB = 2  # its own database: this server has report destinations, the shared live server has none
ANALYST = "triage-analyst"
HOSTILE_SUBJECT = "<img src=x onerror=alert(1)> PayPal receipt"
HOSTILE_COMMENT = "<script>alert(2)</script><img src=x onerror=alert(3)>"
HOSTILE_REPORTER = "mallory+<svg/onload=alert(4)>@contoso.com"
HOSTILE_ERROR = "550 <img src=x onerror=alert(5)>"



# ------------------------------------------------------------------ who gets the page

def test_only_analysts_and_admins_get_the_triage_page(redis_server: EmbeddedRedis,
                                                      redis_client: redis.Redis) -> None:
    app = admin_app(redis_server.url)
    anonymous = app.test_client().get("/admin/reports")
    assert anonymous.status_code == 303 and anonymous.location.endswith("/admin/login?next=/admin/reports")
    for name, roles in (("ed", ["editor"]), ("ann", ["analyst"]), ("root", ["admin"])):
        account(redis_client, name, *roles)
    editor = logged_in(app.test_client(), "ed")
    refused = editor.get("/admin/reports")
    assert refused.status_code == 403 and b'id="triage"' not in refused.data
    assert b'href="/admin/reports"' not in editor.get("/admin/").data  # not offered either
    analyst = logged_in(app.test_client(), "ann")
    page = analyst.get("/admin/reports")
    assert page.status_code == 200 and b'id="triage"' in page.data and b"admin/reports.js" in page.data
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    assert b"<script>" not in page.data  # the CSP would block an inline script anyway
    assert b'href="/admin/">Console' not in page.data  # an analyst has no console to go back to
    landing = analyst.get("/admin/")
    assert landing.status_code == 303 and landing.location == "/admin/reports"
    admin = logged_in(app.test_client(), "root")
    assert admin.get("/admin/reports").status_code == 200
    assert b'href="/admin/reports"' in admin.get("/admin/").data


def logged_in(client: FlaskClient, name: str) -> FlaskClient:
    log_in(client, name)
    return client


# ------------------------------------------------------------------ the page in a browser

@dataclass(frozen=True)
class Seeded:
    """Report ids of the seeded reports, oldest first: two of the friend invite's campaign
    (alice, then bob) around one of the hostile scam (mallory)."""

    alice: str
    mallory: str
    bob: str
    hostile_eml: bytes


@pytest.fixture(scope="module")
def triage_server(redis_server: EmbeddedRedis) -> Iterator[str]:
    """The real app with an SMTP and a webhook destination (nobody delivers: the test records
    the worker's results itself) behind a real threaded WSGI server; yields its base URL."""
    url = f"{redis_server.url}?db={TRIAGE_DB}"
    redis.Redis.from_url(url).flushdb()
    app = create_app({"REDIS_URL": url, "SOC_SMTP_HOST": "127.0.0.1", "SOC_SMTP_TO": "soc@contoso.com",
                      "REPORT_WEBHOOK_URL": "http://127.0.0.1:9/hook", "REPORT_WEBHOOK_SECRET": "s"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="triage_server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def hostile_copy(raw: bytes) -> bytes:
    """The scam with a subject that is HTML, folded continuation lines and all replaced."""
    return re.sub(rb"(?m)^Subject: .*(\r?\n[ \t].*)*", f"Subject: {HOSTILE_SUBJECT}".encode(), raw, count=1)


def submit(server: str, raw: bytes, reporter: str, comment: str) -> str:
    response = requests.post(f"{server}/api/v1/reports", data=raw, timeout=30,
                             headers={"Content-Type": "message/rfc822"},
                             params={"reporter": reporter, "comment": comment, "category": "phishing"})
    assert response.status_code == 202, response.text
    return response.json()["report_id"]


@pytest.fixture(scope="module")
def seeded(triage_server: str, redis_server: EmbeddedRedis) -> Seeded:
    url = f"{redis_server.url}?db={TRIAGE_DB}"
    account(redis.Redis.from_url(url), ANALYST, "analyst")
    hostile = hostile_copy(SCAM_INVITE.read_bytes())
    alice = submit(triage_server, FRIEND_INVITE.read_bytes(), "alice@contoso.com", "asks me to call")
    mallory = submit(triage_server, hostile, HOSTILE_REPORTER, HOSTILE_COMMENT)
    bob = submit(triage_server, FRIEND_INVITE.read_bytes(), "bob@contoso.com", "")
    # What the delivery worker would have recorded, through the store calls it makes.
    gate = RedisGate(url, 5.0, 0.0)
    store = ReportStore(gate, gate, LiveSettings(Settings(), gate.client, 60.0))
    now = time.time()
    store.record_delivery(alice, "smtp", DeliveryState("delivered", 1, "", now))
    store.record_delivery(alice, "webhook", DeliveryState("delivered", 1, "", now))
    store.record_delivery(mallory, "smtp", DeliveryState("delivered", 1, "", now))
    store.record_delivery(mallory, "webhook", DeliveryState("failed", 5, HOSTILE_ERROR, now))
    store.record_delivery(bob, "smtp", DeliveryState("retrying", 2, "451 try again later", now))
    return Seeded(alice, mallory, bob, hostile)


@dataclass
class Watched:
    """What the page did that it must not: dialogs, script errors, CSP reports, requests for `x`."""

    page: Page
    problems: list[str]


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []

    def dialog(d: Dialog) -> None:
        problems.append(f"dialog: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}")
            if msg.type == "error" and not msg.location["url"].endswith("/favicon.ico") else None)
    page.on("request", lambda r: problems.append(f"request: {r.url}") if r.url.endswith("/x") else None)
    yield Watched(page, problems)
    context.close()


def campaigns(page: Page) -> Locator:
    return page.locator("#campaigns article.campaign")


def row(page: Page, report_id: str) -> Locator:
    return page.locator(f'tr[data-report-id="{report_id}"]')


def wait_for_campaigns(page: Page, count: int) -> None:
    # A function, not an expression: the page's CSP forbids evaluating strings.
    page.wait_for_function("(n) => document.querySelectorAll('#campaigns article.campaign').length === n "
                           "&& document.getElementById('triage').getAttribute('aria-busy') === 'false'", arg=count)


def open_logged_in(page: Page, url: str) -> None:
    """Opens `url` as the analyst: the login page first, then back to `url`, query and all."""
    page.goto(url)
    page.wait_for_selector("#login-form")
    page.fill("#username", ANALYST)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url(url)


def test_analyst_triages_reports_in_the_browser(watched: Watched, triage_server: str, seeded: Seeded) -> None:
    page = watched.page
    open_logged_in(page, f"{triage_server}/admin/reports")
    wait_for_campaigns(page, 2)

    # Grouped by campaign, in the order of their newest report; reports newest first inside.
    friend, scam = campaigns(page).nth(0), campaigns(page).nth(1)
    assert [r.get_attribute("data-report-id") for r in friend.locator("tbody tr").all()] == [seeded.bob, seeded.alice]
    assert [r.get_attribute("data-report-id") for r in scam.locator("tbody tr").all()] == [seeded.mallory]
    assert page.inner_text("#summary").startswith("3 reports in 2 campaigns, newest first.")
    assert page.locator("#older").is_hidden()  # nothing older to load
    facts = friend.locator(".facts").inner_text()
    assert re.search(r"Reports\s+2", facts) and re.search(r"Distinct reporters\s+2", facts)
    assert friend.get_attribute("data-fingerprint") in facts
    assert scam.locator("h3 .badge").inner_text() == "phishing"

    # Delivery per destination: state, attempts, last error.
    assert row(page, seeded.alice).locator(".delivery").inner_text().split("\n") == [
        "smtp: delivered (1 attempt)", "webhook: delivered (1 attempt)"]
    assert row(page, seeded.bob).locator(".delivery").inner_text().split("\n") == [
        "smtp: retrying (2 attempts; last error: 451 try again later)", "webhook: pending"]
    assert row(page, seeded.mallory).locator(".delivery").inner_text().split("\n") == [
        "smtp: delivered (1 attempt)", f"webhook: failed (5 attempts; last error: {HOSTILE_ERROR})"]

    # Hostile text is shown literally and stays inert: no element, no dialog, no request for `x`.
    assert scam.locator("h3 .subject").inner_text() == HOSTILE_SUBJECT
    assert row(page, seeded.mallory).locator(".comment").inner_text() == HOSTILE_COMMENT
    assert row(page, seeded.mallory).locator(".reporter").inner_text() == HOSTILE_REPORTER
    assert row(page, seeded.mallory).locator(".badge.trust-self-asserted").count() == 1
    assert page.locator("#triage img, #triage script, #triage svg").count() == 0

    # Accessible names: the table region is named by its campaign, each download by its report.
    assert page.get_by_role("region", name=HOSTILE_SUBJECT).count() == 1
    assert page.get_by_role("link", name=re.compile(r"Download \.eml reported by bob@contoso\.com")).count() == 1

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "triage.png"), full_page=True)
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(21, 23, 27)"
    page.screenshot(path=str(ARTIFACTS / "triage-dark.png"), full_page=True)
    page.emulate_media(color_scheme="light")

    # The original .eml downloads byte for byte.
    with page.expect_download() as download:
        row(page, seeded.mallory).get_by_role("link", name=re.compile("Download")).click()
    assert Path(download.value.path()).read_bytes() == seeded.hostile_eml
    assert download.value.suggested_filename == f"report-{seeded.mallory}.eml"

    # The analyst confirms the friend invite's campaign: every reader's copy says phishing at once.
    def reader_sees() -> str:
        answer = requests.post(f"{triage_server}/api/v1/analyze", data=FRIEND_INVITE.read_bytes(), timeout=30,
                               headers={"Content-Type": "message/rfc822"})
        return answer.json()["verdict"]

    assert reader_sees() == "clean"
    friend.get_by_role("button", name="Confirm as phishing").click()
    page.wait_for_function("() => document.getElementById('summary').textContent.includes('confirmed as phishing')")
    assert "confirmed as phishing by triage-analyst" in friend.locator(".facts").inner_text()
    assert friend.get_by_role("button", name="Confirm as phishing").is_disabled()
    assert reader_sees() == "phishing"
    friend.get_by_role("button", name="Clear: not phishing").click()
    page.wait_for_function("() => document.getElementById('summary').textContent.includes('cleared by')")
    assert reader_sees() == "clean"

    # Filter by verdict, from the keyboard: pick an option, Enter submits the form.
    page.select_option("#verdict", "phishing")
    page.focus("#since")
    page.keyboard.press("Enter")
    wait_for_campaigns(page, 1)
    assert campaigns(page).locator("tbody tr").get_attribute("data-report-id") == seeded.mallory
    assert "verdict=phishing" in page.url  # kept in the address, so a reload or a link keeps it
    page.reload()
    wait_for_campaigns(page, 1)
    assert page.input_value("#verdict") == "phishing"

    # By delivery status, then by date; "Clear filters" shows everything again.
    page.select_option("#verdict", "")
    page.select_option("#status", "retrying")
    page.click("#apply")
    wait_for_campaigns(page, 1)
    assert campaigns(page).locator("tbody tr").get_attribute("data-report-id") == seeded.bob
    page.select_option("#status", "")
    page.fill("#since", "2999-01-01")
    page.click("#apply")
    wait_for_campaigns(page, 0)
    assert page.inner_text("#summary") == "No reports match these filters."
    page.click("#clear")
    wait_for_campaigns(page, 2)
    assert page.input_value("#since") == "" and "since" not in page.url
    assert watched.problems == [], watched.problems


def test_older_reports_load_with_before_into_their_campaigns(watched: Watched, triage_server: str,
                                                             seeded: Seeded) -> None:
    page = watched.page
    open_logged_in(page, f"{triage_server}/admin/reports?limit=2")
    wait_for_campaigns(page, 2)
    assert page.locator("tbody tr").count() == 2 and "not loaded yet" in page.inner_text("#summary")
    older = page.get_by_role("button", name="Load older reports")
    older.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 3")
    # alice's report, the oldest, joins bob's campaign instead of starting a new one.
    assert [r.get_attribute("data-report-id") for r in campaigns(page).nth(0).locator("tbody tr").all()] == [
        seeded.bob, seeded.alice]
    assert older.is_hidden()
    assert page.evaluate("document.activeElement.id") == "summary"  # focus stays by the list
    assert watched.problems == [], watched.problems
