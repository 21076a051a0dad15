"""The demo page and the banner HTML in real headless Chromium (Debian's /usr/bin/chromium, never a
downloaded browser): drop a sample .eml, see the banner; screenshots light and dark are saved to
tests/artifacts/ for review."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from inviteguard.banner.render import response_body
from inviteguard.banner.texts import load_default_texts
from inviteguard.detect.model import Reason, Verdict
from playwright.sync_api import Browser, Page

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
SAMPLES = [REPO / "tests" / "data" / "emls" / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml",
           REPO.parent / "shared" / "corpus" / "real" / "phish" / "pp_sample-6118.eml"]
SAMPLE = next((p for p in SAMPLES if p.exists()), None)



def open_demo(browser: Browser, live_server: str, scheme: str) -> tuple[Page, list[str]]:
    page = browser.new_page(color_scheme=scheme, viewport={"width": 1000, "height": 1100})
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("dialog", lambda dialog: problems.append(f"dialog opened: {dialog.message}"))
    page.goto(f"{live_server}/")
    page.wait_for_selector("body[data-ready='true']")
    return page, problems


def drop_file(page: Page, name: str, data: bytes) -> None:
    transfer = page.evaluate_handle("""([name, b64]) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, {type: "message/rfc822"}));
        return transfer;
    }""", [name, base64.b64encode(data).decode()])
    page.dispatch_event("#drop-zone", "dragover", {"dataTransfer": transfer})
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": transfer})


@pytest.mark.skipif(SAMPLE is None, reason="no sample .eml: neither tests/data/emls nor ../shared/corpus/real")
def test_dropping_an_eml_shows_the_banner(browser: Browser, live_server: str) -> None:
    assert SAMPLE is not None
    page, problems = open_demo(browser, live_server, "light")
    drop_file(page, SAMPLE.name, SAMPLE.read_bytes())
    banner = page.wait_for_selector("#banner [role='alert']", timeout=15_000)
    assert "Scam warning" in banner.inner_text()
    assert "ig-banner--danger" in banner.get_attribute("class")
    assert page.inner_text("#verdict") == "phishing"
    assert "call" in page.inner_text("#notification")
    assert page.locator("#reasons li").count() >= 3
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-light.png"), full_page=True)
    assert problems == [], problems  # no CSP violation, no script error
    page.close()


@pytest.mark.skipif(SAMPLE is None, reason="no sample .eml: neither tests/data/emls nor ../shared/corpus/real")
def test_pasting_in_dark_mode_in_german(browser: Browser, live_server: str) -> None:
    assert SAMPLE is not None
    page, problems = open_demo(browser, live_server, "dark")
    page.fill("#eml-text", SAMPLE.read_text(encoding="utf-8", errors="replace"))
    page.select_option("#locale", "de")
    page.click("#analyze-button")
    banner = page.wait_for_selector("#banner [role='alert']", timeout=15_000)
    assert "Betrugswarnung" in banner.inner_text()
    background = banner.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert background == "rgb(59, 13, 12)", "the banner follows prefers-color-scheme: dark"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-dark.png"), full_page=True)
    assert problems == [], problems
    page.close()


def test_a_bad_file_says_why(browser: Browser, live_server: str) -> None:
    page, problems = open_demo(browser, live_server, "light")
    drop_file(page, "empty.eml", b"   ")
    # A locator, not wait_for_function: the page's CSP (rightly) forbids evaluating strings.
    page.locator("#status", has_text="could not analyze").wait_for()
    assert page.is_hidden("#result")
    assert [p for p in problems if "422" not in p] == []  # the browser logs the 422 itself
    page.close()


HOSTILE = '<img src=x onerror=alert(1)>{{7*7}}\u202eenilno yaP'


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_hostile_banner_stays_inert_in_chromium(browser: Browser, scheme: str) -> None:
    verdict = Verdict("phishing", 99, (Reason("combo.platform_callback_lure", 60, {
        "platform": "Apple iCloud Calendar", "says": "Apple", "channel": "a calendar invite",
        "how_anyone": "anyone with an iCloud account can make Apple send an invite", "authenticated": True,
        "checks": "DKIM", "auth_domain": "email.apple.com", "where": "description",
        "phone": HOSTILE, "brand": HOSTILE, "amount": "$599"}),), "r")
    fragment = response_body(verdict, "fp", load_default_texts(), "en", cached=False)["banner"]["html"]
    page = browser.new_page(color_scheme=scheme, viewport={"width": 800, "height": 400})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_content(f"<!doctype html><html><body>{fragment}</body></html>")
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.locator("img").count() == 0
    text = page.inner_text("[role='alert']")
    assert "<img src=x onerror=alert(1)>{{7*7}}enilno yaP" in text
    assert "49" not in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"banner-hostile-{scheme}.png"))
    page.close()


@pytest.mark.skipif(SAMPLE is None, reason="no sample .eml: neither tests/data/emls nor ../shared/corpus/real")
def test_a_phone_width_page_folds_reasons_and_never_scrolls_sideways(browser: Browser, live_server: str) -> None:
    assert SAMPLE is not None
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_server}/")
    page.wait_for_selector("body[data-ready='true']")
    drop_file(page, SAMPLE.name, SAMPLE.read_bytes())
    page.wait_for_selector("#banner [role='alert']", timeout=15_000)
    reasons = page.locator("#reasons li").count() + page.locator("#more-reasons-list li").count()
    assert page.locator("#reasons li").count() == min(3, reasons)
    if reasons > 3:
        assert page.inner_text("#more-reasons summary") == f"{reasons - 3} more reasons"
        assert not page.locator("#more-reasons-list li").first.is_visible()
        page.click("#more-reasons summary")
        assert page.locator("#more-reasons-list li").first.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-390px.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()


def test_favicon_is_a_real_icon(live_server: str) -> None:
    import struct

    import requests

    response = requests.get(f"{live_server}/favicon.ico", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/vnd.microsoft.icon"
    reserved, kind, count = struct.unpack("<HHH", response.content[:6])
    assert (reserved, kind, count) == (0, 1, 1)
    width, height, _, _, planes, bits, size, offset = struct.unpack("<BBBBHHII", response.content[6:22])
    assert (width, height, planes, bits, offset) == (32, 32, 1, 32, 22)
    assert response.content[offset:offset + 8] == b"\x89PNG\r\n\x1a\n" and len(response.content) == offset + size
