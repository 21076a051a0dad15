"""The Thunderbird add-on, end to end: package, manifest, linter, Node logic against the real
service, and the injected banner / popup / options page rendered in real headless Chromium.

Runs offline: addons-linter comes from tests/js/node_modules (pinned 10.13.0), Chromium from
/usr/bin/chromium (never downloaded), the service from the ``live_server`` fixture.
"""

from __future__ import annotations

import functools
import html.parser
import importlib.util
import io
import json
import os
import re
import shutil
import struct
import subprocess
import threading
import zipfile
import zlib
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import flask
import inviteguard
import pytest
import requests
from inviteguard.addins import thunderbird as addins_thunderbird
from inviteguard.addins import thunderbird_xpi

REPO = Path(__file__).resolve().parents[2]
JS_DIR = REPO / "tests" / "addins" / "js"
LINTER = JS_DIR / "node_modules" / "addons-linter" / "bin" / "addons-linter"
ARTIFACTS = REPO / "tests" / "artifacts"
FIXTURES = JS_DIR / "thunderbird" / "fixtures"
SERVICE_URL = "https://inviteguard.example.com"
CLIENT_KEY = "ck-test-123"
LOCALES = ("en", "de", "fr", "es")

# Exactly what the add-on may do, and nothing more (issue 8).
EXPECTED_PERMISSIONS = {
    "accountsRead",  # folders.query / accounts.get to find the account's junk folder
    "messagesMove",  # move the reported message to junk
    "messagesRead",  # messageDisplay, messages.getRaw, scripting.messageDisplay
    "messagesUpdate",  # messages.update(id, {junk: true})
    "notifications",  # the report confirmation
    "scripting",  # scripting.messageDisplay.registerScripts / executeScript for open messages
    "sensitiveDataUpload",  # it sends messages to a server: Thunderbird asks the user to agree
    "storage",  # options (local), enterprise policy (managed), tab state (session)
}
# addons-linter validates against Firefox's schema. These warnings are Thunderbird's own
# permissions (valid there, unknown to Firefox; sensitiveDataUpload is how Thunderbird declares
# that message content goes to a server) and Firefox's data-collection key, which Thunderbird does
# not use (its equivalent is sensitiveDataUpload; adding the Firefox key trades this warning for
# two "unsupported by min version" ones). Any other warning fails the test.
KNOWN_LINTER_WARNINGS = {
    ("MANIFEST_PERMISSIONS", 'Invalid permissions "accountsRead"'),
    ("MANIFEST_PERMISSIONS", 'Invalid permissions "messagesMove"'),
    ("MANIFEST_PERMISSIONS", 'Invalid permissions "messagesRead"'),
    ("MANIFEST_PERMISSIONS", 'Invalid permissions "messagesUpdate"'),
    ("MANIFEST_PERMISSIONS", 'Invalid permissions "sensitiveDataUpload"'),
    ("MISSING_DATA_COLLECTION_PERMISSIONS", 'The "data_collection_permissions" property is missing.'),
}
LIVE_NODE_TESTS = (
    "live: analyze on display puts the service's danger banner into the message",
    "live: a colleague's lunch invitation gets no banner",
    "live: the same raw bytes analysed twice are served from the service's cache",
    "live: a timeout against the real service is a neutral note",
    "live: Report stores the message, marks it junk, moves it to junk and confirms",
)


# ---------------------------------------------------------------------------------------------
# the package


@pytest.fixture(scope="module")
def xpi_bytes() -> bytes:
    return thunderbird_xpi.build_xpi(SERVICE_URL + "/", inviteguard.__version__, CLIENT_KEY)


@pytest.fixture(scope="module")
def xpi_files(xpi_bytes: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(xpi_bytes)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def manifest(xpi_files: dict[str, bytes]) -> dict:
    return json.loads(xpi_files["manifest.json"])


@pytest.fixture(scope="module")
def unpacked(xpi_bytes: bytes, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("xpi")
    with zipfile.ZipFile(io.BytesIO(xpi_bytes)) as archive:
        archive.extractall(target)
    return target


def test_xpi_bakes_in_the_deployment(xpi_files: dict[str, bytes], manifest: dict) -> None:
    defaults = json.loads(xpi_files["defaults.json"])
    assert defaults == {"serviceUrl": SERVICE_URL, "clientKey": CLIENT_KEY, "version": inviteguard.__version__}
    assert manifest["version"] == thunderbird_xpi.addon_version(inviteguard.__version__)
    assert manifest["host_permissions"] == ["https://inviteguard.example.com/*"]
    assert next(iter(xpi_files)) == "manifest.json"
    assert not any(name.startswith(("tools/", "README")) for name in xpi_files)
    for needed in ("background.js", "core.mjs", "display.js", "popup.html", "popup.mjs", "options.html"):
        assert needed in xpi_files


def test_xpi_is_deterministic_and_validates_its_inputs() -> None:
    one = thunderbird_xpi.build_xpi("http://localhost:8080", "1.2.3")
    two = thunderbird_xpi.build_xpi("http://localhost:8080/", "1.2.3")
    assert one == two
    files = zipfile.ZipFile(io.BytesIO(one))
    assert json.loads(files.read("manifest.json"))["host_permissions"] == ["http://localhost/*"]
    assert json.loads(files.read("defaults.json"))["clientKey"] == ""
    for bad in ("ftp://x.example", "inviteguard.example.com", "https://u:p@x.example", "https://x.example/?a=1"):
        with pytest.raises(ValueError):
            thunderbird_xpi.build_xpi(bad, "1.0")
    assert thunderbird_xpi.addon_version("0.1.0.dev3") == "0.1.0"
    assert thunderbird_xpi.addon_version("1.2+local") == "1.2"
    assert thunderbird_xpi.addon_version("2024.11.18.4.5") == "2024.11.18.4"
    with pytest.raises(ValueError):
        thunderbird_xpi.addon_version("dev")


def test_write_xpi_and_build_addins_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = thunderbird_xpi.write_xpi(tmp_path / "a" / "b.xpi", SERVICE_URL, "0.1.0", "k")
    assert zipfile.is_zipfile(path)
    monkeypatch.setenv("INVITEGUARD_PUBLIC_URL", "https://ig.corp.example")
    monkeypatch.setenv("INVITEGUARD_ADDIN_CLIENT_KEY", "from-env")
    [written] = addins_thunderbird.build_addins_command(tmp_path / "out")
    assert written == tmp_path / "out" / "inviteguard-thunderbird.xpi"
    defaults = json.loads(zipfile.ZipFile(written).read("defaults.json"))
    assert defaults["serviceUrl"] == "https://ig.corp.example"
    assert defaults["clientKey"] == "from-env"
    [explicit] = addins_thunderbird.build_addins_command(tmp_path / "x", "https://other.example", "")
    assert json.loads(zipfile.ZipFile(explicit).read("defaults.json"))["serviceUrl"] == "https://other.example"


@pytest.mark.parametrize("prefix", [None, "/addin"])
def test_xpi_route(prefix: str | None) -> None:
    app = flask.Flask("tb-route-test")
    app.config["PUBLIC_URL"] = "https://ig.corp.example/"
    app.config["ADDIN_CLIENT_KEY"] = "route-key"
    bp = flask.Blueprint("addins", "tb-route-test", url_prefix=prefix)
    addins_thunderbird.register(bp)
    app.register_blueprint(bp)
    client = app.test_client()
    response = client.get("/addin/thunderbird.xpi")
    assert response.status_code == 200
    assert response.mimetype == "application/x-xpinstall"
    assert "inviteguard-thunderbird.xpi" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    defaults = json.loads(archive.read("defaults.json"))
    assert defaults == {"serviceUrl": "https://ig.corp.example", "clientKey": "route-key",
                        "version": inviteguard.__version__}
    assert json.loads(archive.read("manifest.json"))["host_permissions"] == ["https://ig.corp.example/*"]
    again = client.get("/addin/thunderbird.xpi", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_xpi_route_without_public_url_uses_the_serving_url() -> None:
    app = flask.Flask("tb-route-test-2")
    bp = flask.Blueprint("addins", "tb-route-test-2")
    addins_thunderbird.register(bp)
    app.register_blueprint(bp)
    response = app.test_client().get("/addin/thunderbird.xpi", base_url="http://mail-gw.local:8080")
    defaults = json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("defaults.json"))
    assert defaults["serviceUrl"] == "http://mail-gw.local:8080"


def test_the_service_serves_its_own_xpi(live_server: str) -> None:
    """The real app (blueprint wired by create_app) hands out a package that points at itself."""
    response = requests.get(f"{live_server}/addin/thunderbird.xpi", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-xpinstall"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert json.loads(archive.read("defaults.json"))["serviceUrl"] == live_server
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["host_permissions"] == ["http://127.0.0.1/*"]
    assert manifest["version"] == thunderbird_xpi.addon_version(inviteguard.__version__)


def test_inviteguard_build_addins_writes_the_xpi(tmp_path: Path) -> None:
    from inviteguard.cli import main

    assert main(["build-addins", "--out", str(tmp_path), "--public-url", "https://ig.corp.example"]) == 0
    xpi = tmp_path / "inviteguard-thunderbird.xpi"
    assert json.loads(zipfile.ZipFile(xpi).read("defaults.json"))["serviceUrl"] == "https://ig.corp.example"


# ---------------------------------------------------------------------------------------------
# manifest, locales, icons, pages


def test_addons_linter_self_hosted(xpi_bytes: bytes, tmp_path: Path) -> None:
    assert LINTER.exists(), "run `npm install` in tests/addins/js"
    version = json.loads((LINTER.parent.parent / "package.json").read_text())["version"]
    assert version == "10.13.0"
    path = tmp_path / "inviteguard.xpi"
    path.write_bytes(xpi_bytes)
    run = subprocess.run(
        ["node", str(LINTER), "--self-hosted", "--output", "json", str(path)],
        cwd=JS_DIR, capture_output=True, text=True, timeout=180, check=False,
    )
    report = json.loads(run.stdout)
    assert report["errors"] == [], report["errors"]
    seen = set()
    for warning in report["warnings"]:
        key = next(
            (k for k in KNOWN_LINTER_WARNINGS if warning["code"] == k[0] and k[1] in warning["message"]),
            None,
        )
        assert key is not None, f"unexpected linter warning: {warning['code']}: {warning['message']}"
        seen.add(key)
    assert seen == KNOWN_LINTER_WARNINGS, "a known warning disappeared: update the list"
    assert report["notices"] == []


def test_thunderbird_manifest_keys(manifest: dict, xpi_files: dict[str, bytes]) -> None:
    """What addons-linter cannot check: Thunderbird's own keys and permissions."""
    assert manifest["manifest_version"] == 3
    gecko = manifest["browser_specific_settings"]["gecko"]
    assert gecko["id"] == thunderbird_xpi.ADDON_ID
    assert tuple(int(p) for p in gecko["strict_min_version"].split(".")) >= (128, 0)
    assert set(manifest["permissions"]) == EXPECTED_PERMISSIONS
    assert len(manifest["permissions"]) == len(EXPECTED_PERMISSIONS)
    assert manifest["optional_host_permissions"] == ["https://*/*"]
    action = manifest["message_display_action"]
    assert action["default_popup"] in xpi_files
    assert all(icon in xpi_files for icon in action["default_icon"].values())
    assert action["default_title"].startswith("__MSG_")
    assert action["default_label"] == "__MSG_actionLabel__"  # short text on the button, not the title
    assert manifest["background"] == {"scripts": ["background.js"], "type": "module"}
    assert manifest["options_ui"]["page"] in xpi_files
    assert all(icon in xpi_files for icon in manifest["icons"].values())
    assert manifest["default_locale"] == "en"
    for forbidden in ("browser_action", "content_scripts", "web_accessible_resources", "messagesModify"):
        assert forbidden not in manifest and forbidden not in manifest["permissions"]
    for name, text in (("name", manifest["name"]), ("description", manifest["description"])):
        key = re.fullmatch(r"__MSG_(\w+)__", text)
        assert key, name
        for lang in LOCALES:
            assert key.group(1) in json.loads(xpi_files[f"_locales/{lang}/messages.json"])
    # The display script is registered at runtime under its file name; make sure it ships.
    core = xpi_files["core.mjs"].decode()
    assert re.search(r'DISPLAY_SCRIPT = "display\.js"', core) and "display.js" in xpi_files


def _used_message_keys(xpi_files: dict[str, bytes]) -> set[str]:
    keys: set[str] = set()
    patterns = (
        r'(?:getMessage|\bt)\(\s*"([A-Za-z]+)"',
        r'data-i18n="([A-Za-z]+)"',
        r'title: "(actionTitle[A-Za-z]+)"',
        r'label: "(actionLabel[A-Za-z]*)"',
        r'getMessage\(\s*"([A-Za-z]+)"\s*,',
        r'return "(note[A-Za-z]+)"',
        r"__MSG_(\w+)__",
    )
    for name, data in xpi_files.items():
        if name.endswith((".js", ".mjs", ".html", "manifest.json")):
            text = data.decode()
            for pattern in patterns:
                keys.update(re.findall(pattern, text))
    return keys


def test_locales_are_complete(xpi_files: dict[str, bytes]) -> None:
    catalogs = {lang: json.loads(xpi_files[f"_locales/{lang}/messages.json"]) for lang in LOCALES}
    english = set(catalogs["en"])
    for lang, catalog in catalogs.items():
        assert set(catalog) == english, f"{lang}: {set(catalog) ^ english}"
        assert all(entry["message"].strip() for entry in catalog.values()), lang
    used = _used_message_keys(xpi_files)
    assert len(used) > 30
    assert used <= english, f"used but not translated: {used - english}"
    assert catalogs["en"]["reportThanks"]["message"] == "Thanks — our security team has it."
    assert catalogs["en"]["reportSimulation"]["message"] == "Well spotted — this was a training exercise."


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", (0, 0)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, kind
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height = size
    assert len(zlib.decompress(idat)) == height * (1 + 4 * width)
    return size


def test_icons_are_real_pngs_and_reproducible(xpi_files: dict[str, bytes]) -> None:
    icons = {name: data for name, data in xpi_files.items() if name.startswith("icons/")}
    for name, data in icons.items():
        size = int(re.search(r"-(\d+)\.png$", name).group(1))
        assert _png_size(data) == (size, size), name
    core = xpi_files["core.mjs"].decode()
    for icon in set(re.findall(r'icon: "(\w+)"', core)):
        assert f"icons/{icon}-16.png" in icons and f"icons/{icon}-32.png" in icons
    assert "icons/shield-64.png" in icons  # notification icon
    spec = importlib.util.spec_from_file_location(
        "make_icons", REPO / "addin_manifest" / "thunderbird" / "tools" / "make_icons.py"
    )
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)
    for name, (colour, mark) in make_icons.STYLES.items():
        for size in make_icons.SIZES[name]:
            assert icons[f"icons/{name}-{size}.png"] == make_icons.png(size, colour, mark), (name, size)


class _PageAudit(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k: v or "" for k, v in attrs}
        if tag == "script":
            self._in_script = True
            if not names.get("src"):
                self.problems.append("inline <script>")
        for name, value in names.items():
            if name.startswith("on"):
                self.problems.append(f"inline handler {name}")
            if value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name}")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = tag != "script" and self._in_script

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline script code")


def test_pages_have_no_inline_scripts(xpi_files: dict[str, bytes]) -> None:
    for name, data in xpi_files.items():
        if name.endswith(".html"):
            audit = _PageAudit()
            audit.feed(data.decode())
            assert audit.problems == [], (name, audit.problems)
    for name, data in xpi_files.items():
        if name.endswith((".js", ".mjs")):
            text = data.decode()
            for risky in (".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
                assert risky not in text, (name, risky)


# ---------------------------------------------------------------------------------------------
# the logic under Node, against the real service


def test_node_suite_against_the_live_service(live_server: str) -> None:
    env = {**os.environ, "INVITEGUARD_URL": live_server}
    run = subprocess.run(
        ["node", "--test", "--test-reporter=tap", "thunderbird/"],
        cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert re.search(r"^# fail 0$", output, re.M), output[-3000:]
    assert "# SKIP" not in output
    for name in LIVE_NODE_TESTS:
        assert re.search(rf"^\s*ok \d+ - {re.escape(name)}$", output, re.M), f"did not pass: {name}"


# ---------------------------------------------------------------------------------------------
# rendering in real Chromium


class _Handler(SimpleHTTPRequestHandler):
    # Module scripts need a JavaScript MIME type; mimetypes may not know .mjs.
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript", ".js": "text/javascript",
    }

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def page_server(unpacked: Path) -> Iterator[str]:
    """The unpacked XPI plus sample message pages, over HTTP (module scripts need an origin)."""
    shutil.copy(FIXTURES / "sample_message.html", unpacked / "sample_message.html")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(unpacked)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def live_analysis(live_server: str) -> dict:
    raw = (FIXTURES / "icloud_callback.eml").read_bytes()
    response = requests.post(
        f"{live_server}/api/v1/analyze", params={"locale": "en"}, data=raw,
        headers={"Content-Type": "message/rfc822", "X-InviteGuard-Locale": "en"}, timeout=10,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["banner"]["level"] == "danger"
    return body


FAKE_CONTENT_MESSENGER = """
window.__inviteGuardPayload = %s;
window.__messages = [];
// Test-side instrumentation: keep every shadow root the display script makes, so the test can look
// into a closed one (the message page cannot: host.shadowRoot stays null).
window.__roots = [];
const attachShadow = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) {
  const root = attachShadow.call(this, init);
  window.__roots.push({ host: this, mode: init.mode, root });
  return root;
};
window.messenger = {
  runtime: {
    connect: ({ name }) => {
      const listeners = [];
      window.__portName = name;
      window.__push = (message) => listeners.forEach((fn) => fn(message));
      return {
        name,
        onMessage: { addListener: (fn) => listeners.push(fn) },
        onDisconnect: { addListener: () => {} },
        postMessage: (message) => {
          window.__messages.push(message);
          if (message.type === "inviteguard:render-request") {
            setTimeout(() => window.__push({ type: "inviteguard:render", payload: window.__inviteGuardPayload }), 0);
          }
        },
      };
    },
  },
};
"""
HOST = "window.__roots.at(-1).host"
ROOT = "window.__roots.at(-1).root"
# The topmost element at three points across the banner's top band: the page sees only the host.
ON_TOP = f"""(() => {{
  const box = {ROOT}.querySelector('div > div').getBoundingClientRect();
  const y = box.top + Math.min(box.height / 2, 20);
  return [0.2, 0.5, 0.8].every((f) => document.elementFromPoint(box.left + box.width * f, y) === {HOST});
}})()"""


def _render(browser: object, page_server: str, payload: dict, shot: str, page_name: str = "sample_message.html",
            ) -> object:
    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.add_init_script(FAKE_CONTENT_MESSENGER % json.dumps(payload))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{page_server}/{page_name}")
    # Thunderbird injects the registered display script at document_end; do the same.
    page.add_script_tag(url=f"{page_server}/display.js")
    page.wait_for_function("window.__messages.length > 0")
    if payload.get("kind") in ("banner", "note"):
        page.wait_for_function("window.__roots.length > 0 && window.__roots.at(-1).host.isConnected")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    assert errors == []
    return page


def _banner_payload(analysis: dict) -> dict:
    banner = analysis["banner"]
    return {"kind": "banner", "level": banner["level"], "title": banner["title"], "text": banner["text"],
            "html": banner["html"], "label": "InviteGuard warning", "hint": "Use the InviteGuard button."}


def test_service_banner_renders_at_the_top_of_the_message(browser: object, page_server: str,
                                                          live_analysis: dict) -> None:
    page = _render(browser, page_server, _banner_payload(live_analysis), "thunderbird-banner-danger.png")
    try:
        assert page.evaluate("window.__portName") == "inviteguard-display"
        assert page.evaluate("window.__messages") == [{"type": "inviteguard:render-request"}]
        # A closed shadow root on an element the add-on made, before <body> (body styles never apply).
        assert page.evaluate("window.__roots.map((r) => r.mode)") == ["closed"]
        assert page.evaluate(f"{HOST}.shadowRoot") is None
        assert page.evaluate(f"{HOST}.parentNode === document.documentElement")
        assert page.evaluate(f"{HOST}.nextElementSibling === document.body")
        # In the top layer, drawn on top, and the message starts below it.
        assert page.evaluate(f"{ROOT}.querySelector('[popover]').matches(':popover-open')")
        box = page.evaluate(f"(() => {{ const r = {ROOT}.querySelector('[role=alert]').getBoundingClientRect();"
                            " return {y: r.y, height: r.height, bottom: r.bottom}; })()")
        message = page.locator("#message-text").bounding_box()
        assert box["height"] > 40 and box["bottom"] <= message["y"]
        assert page.evaluate(ON_TOP)
        title = live_analysis["banner"]["title"]
        assert title in page.evaluate(f"{ROOT}.querySelector('[role=alert]').innerText")
        # the service's stylesheet applies inside the shadow root (danger colours) ...
        border = page.evaluate(f"getComputedStyle({ROOT}.querySelector('[role=alert]')).borderLeftColor")
        assert border == "rgb(179, 38, 30)"
        # ... and nowhere else: the message's own paragraphs keep their look.
        assert page.evaluate("getComputedStyle(document.querySelector('#message-text')).borderLeftStyle") == "none"
        # the banner was seen: nothing told the background it is hidden
        assert {"type": "inviteguard:banner-hidden"} not in page.evaluate("window.__messages")
        # the pushed update path replaces, never stacks, banners
        page.evaluate("window.__push({type: 'inviteguard:render', payload: window.__inviteGuardPayload})")
        assert page.locator("inviteguard-banner").count() == 1
        page.evaluate("window.__push({type: 'inviteguard:render', payload: {kind: 'none'}})")
        assert page.locator("inviteguard-banner").count() == 0
    finally:
        page.close()


def test_the_message_can_neither_hide_nor_cover_nor_fake_the_banner(browser: object, page_server: str,
                                                                   live_analysis: dict, unpacked: Path) -> None:
    """Issue 13, point 7: a decoy with the old host id in a hidden block, `content-visibility` and
    every hiding rule on anything outside the body, and a fake green "verified" box fixed over the
    top of the page with the highest z-index."""
    shutil.copy(FIXTURES / "hostile_message.html", unpacked / "hostile_message.html")
    page = _render(browser, page_server, _banner_payload(live_analysis), "thunderbird-banner-hostile-page.png",
                   page_name="hostile_message.html")
    try:
        page.wait_for_function(f"{ROOT}.querySelector('[role=alert]').getBoundingClientRect().height > 40")
        assert page.evaluate(f"{HOST}.id") == ""
        assert page.evaluate(f"{HOST} !== document.getElementById('decoy')")
        assert page.evaluate(f"{ROOT}.querySelector('[role=alert]').checkVisibility("
                             "{opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true})")
        assert page.evaluate(ON_TOP), "the fake box is drawn over the banner"
        assert live_analysis["banner"]["title"] in page.evaluate(f"{ROOT}.querySelector('[role=alert]').innerText")
        assert {"type": "inviteguard:banner-hidden"} not in page.evaluate("window.__messages")
    finally:
        page.close()


def test_a_banner_that_cannot_be_shown_is_reported_to_the_background(browser: object, page_server: str,
                                                                      live_analysis: dict, unpacked: Path) -> None:
    """The re-check after rendering: a message that hides the whole document (its own lure too)
    leaves no way to draw anything, so the display script tells the background, which notifies."""
    hidden = (FIXTURES / "sample_message.html").read_text().replace(
        "</style>", "html { display: none !important; }\n</style>")
    (unpacked / "hidden_message.html").write_text(hidden)
    page = _render(browser, page_server, _banner_payload(live_analysis), "thunderbird-banner-hidden.png",
                   page_name="hidden_message.html")
    try:
        page.wait_for_function("window.__messages.some((m) => m.type === 'inviteguard:banner-hidden')")
    finally:
        page.close()


def test_banner_html_is_sanitised_again_and_attacker_text_stays_text(browser: object, page_server: str) -> None:
    hostile = {
        "kind": "banner", "level": "danger", "title": "<b>ignored</b>", "text": "",
        "label": "InviteGuard warning", "hint": "",
        "html": (
            '<div class="x" role="alert" onclick="window.__pwned=1"><p>Don\'t call &lt;img src=x&gt;</p>'
            "<script>window.__pwned=2</script><img src=x onerror=\"window.__pwned=3\">"
            '<a href="javascript:window.__pwned=4">link</a><a href="https://intranet.example/phish">help</a>'
            "<style>@import url(http://127.0.0.1:9/x.css); p{color:red}</style>"
            '<iframe src="http://127.0.0.1:9/"></iframe>'
            '<svg onload="window.__pwned=5"><path d="M0 0h1v1z"/></svg></div>'
        ),
    }
    page = _render(browser, page_server, hostile, "thunderbird-banner-hostile.png")
    try:
        assert page.evaluate("window.__pwned") is None
        page.evaluate(f"{ROOT}.querySelector('a').click()")
        assert page.evaluate("window.__pwned") is None
        assert page.evaluate(f"{ROOT}.querySelectorAll('script, img, iframe, [onclick], [onload]').length") == 0
        assert page.evaluate(f"{ROOT}.querySelector('p').textContent") == "Don't call <img src=x>"
        hrefs = page.evaluate(f"[...{ROOT}.querySelectorAll('a')].map(a => a.getAttribute('href'))")
        assert hrefs == [None, "https://intranet.example/phish"]
        assert page.evaluate(f"[...{ROOT}.querySelectorAll('style')].map(s => s.textContent)")[1:] == [""]
        assert page.evaluate(f"{ROOT}.querySelectorAll('svg path').length") == 1
    finally:
        page.close()


def test_neutral_note_and_plain_text_fallback(browser: object, page_server: str) -> None:
    note_text = "InviteGuard could not check this message right now. That says nothing about whether it is safe."
    page = _render(browser, page_server, {"kind": "note", "text": note_text}, "thunderbird-banner-note.png")
    try:
        assert note_text in page.evaluate(f"{ROOT}.querySelector('[role=status]').innerText")
        assert page.evaluate(f"{ROOT}.querySelectorAll('[role=alert]').length") == 0
        assert page.evaluate(ON_TOP)
    finally:
        page.close()
    fallback = {"kind": "banner", "level": "warning", "title": "Be careful <script>x</script>",
                "text": "Call +1 808 555 0199? <img src=x>", "html": "", "label": "InviteGuard warning",
                "hint": "Use the InviteGuard button in the message toolbar to report this message."}
    page = _render(browser, page_server, fallback, "thunderbird-banner-warning-text.png")
    try:
        text = page.evaluate(f"{ROOT}.querySelector('[role=alert]').innerText")
        assert "Be careful <script>x</script>" in text
        assert "<img src=x>" in text
        assert page.evaluate(f"{ROOT}.querySelectorAll('script, img').length") == 0
    finally:
        page.close()


FAKE_EXTENSION_PAGE_MESSENGER = """
const STRINGS = %s;
const STATE = %s;
const REPORT_RESULT = %s;
const GRANTED = %s;
const MANAGED = %s;
window.__sent = [];
window.__stored = {};
window.__requests = [];
window.__closed = false;
window.close = () => { window.__closed = true; };
// Whether code runs inside the dispatch of a user's click or submit (what Thunderbird requires of
// permissions.request): set in the capture phase, cleared once the dispatch is over.
window.__inEvent = false;
for (const type of ["click", "submit"]) {
  window.addEventListener(type, () => { window.__inEvent = true; }, true);
  window.addEventListener(type, () => { window.__inEvent = false; }, false);
}
let granted = GRANTED;
const substitute = (text, subs) => text.replace(/\\$([1-9])/g, (_, n) => String([].concat(subs ?? [])[n - 1] ?? ""));
window.messenger = {
  i18n: {
    getMessage: (k, subs) => (STRINGS[k] ? substitute(STRINGS[k].message, subs) : ""),
    getUILanguage: () => "en-US",
  },
  tabs: { query: async () => [{ id: 7, active: true }] },
  messageDisplay: { onMessagesDisplayed: { addListener: (fn) => { window.__displayed = fn; } } },
  permissions: {
    contains: async () => granted,
    request: (perms) => {
      window.__requests.push({ perms, inEvent: window.__inEvent });
      granted = true;
      return Promise.resolve(true);
    },
  },
  runtime: {
    getURL: (p) => "/" + p,
    sendMessage: async (message) => {
      window.__sent.push(message);
      if (message.type === "inviteguard:get-state") return window.__state || STATE;
      if (message.type === "inviteguard:report") return REPORT_RESULT;
      return undefined;
    },
  },
  storage: {
    managed: { get: async () => MANAGED },
    local: { get: async () => ({ clientKey: "local-key" }), set: async (v) => Object.assign(window.__stored, v) },
  },
};
"""
POPUP_SIZE = {"width": 420, "height": 600}  # Thunderbird's popups are at most 600 px high


def _strings() -> dict:
    return json.loads((REPO / "addin_manifest/thunderbird/_locales/en/messages.json").read_text())


def _open_extension_page(browser: object, page_server: str, name: str, state: object, report_result: object = None,
                         granted: bool = True, viewport: dict | None = None, managed: dict | None = None) -> object:
    page = browser.new_page(viewport=viewport or POPUP_SIZE)
    page.add_init_script(FAKE_EXTENSION_PAGE_MESSENGER % (
        json.dumps(_strings()), json.dumps(state), json.dumps(report_result), json.dumps(granted),
        json.dumps({"serviceUrl": "https://policy.example.com"} if managed is None else managed)))
    page.goto(f"{page_server}/{name}")
    return page


def _popup_state(analysis: dict, reasons: list[dict]) -> dict:
    banner = analysis["banner"]
    return {"tabId": 7, "messageId": 1, "status": "done", "verdict": analysis["verdict"], "title": banner["title"],
            "text": banner["text"], "reasons": reasons, "canReport": True, "reported": False}


def test_popup_puts_report_first_and_folds_the_reasons(browser: object, page_server: str,
                                                       live_analysis: dict) -> None:
    strings = _strings()
    reasons = [{"id": r["id"], "title": r["title"], "detail": r["detail"]} for r in live_analysis["reasons"]]
    reasons += [{"id": f"extra_{i}", "title": f"Extra reason {i}", "detail": "A long detail. " * 12} for i in range(9)]
    reasons.append({"id": "attacker_text", "title": "Organizer <img src=x onerror=alert(1)>",
                    "detail": "Notes: <b>call now</b>"})
    thanks = "Thanks — our security team has it."
    page = _open_extension_page(browser, page_server, "popup.html", _popup_state(live_analysis, reasons),
                                {"ok": True, "simulation": False, "message": thanks})
    try:
        page.wait_for_function("document.querySelectorAll('#reasons li').length > 0")
        assert page.inner_text("#verdict-title") == live_analysis["banner"]["title"]
        # Report is above the fold of a 600 px popup however many reasons there are.
        button = page.locator("#report").bounding_box()
        assert button["y"] + button["height"] <= POPUP_SIZE["height"], button
        assert page.evaluate("window.scrollY") == 0
        assert page.inner_text("#report") == strings["popupReportButton"]["message"]
        # The three strongest reasons in view, the rest one click away.
        assert page.locator("#reasons li").count() == 3
        assert [page.locator("#reasons li").nth(i).get_attribute("data-reason-id") for i in range(3)] == \
            [r["id"] for r in reasons[:3]]
        assert page.locator("#more-reasons-list li").count() == len(reasons) - 3
        assert not page.locator("#more-reasons-list").is_visible()
        assert page.inner_text("#more-reasons summary") == f"More reasons ({len(reasons) - 3})"
        page.click("#more-reasons summary")
        assert page.locator("#more-reasons-list li").last.is_visible()
        assert page.locator("#reasons img, #reasons b, #more-reasons-list img, #more-reasons-list b").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "thunderbird-popup.png"))
        page.evaluate("window.scrollTo(0, 0)")
        page.click("#comment-box summary")
        page.fill("#comment", "Got it twice")
        page.click("#report")
        page.wait_for_function("document.querySelector('#report').disabled "
                               f"&& document.querySelector('#report-status').textContent === {json.dumps(thanks)}")
        assert page.evaluate("window.__sent") == [
            {"type": "inviteguard:get-state", "tabId": 7},
            {"type": "inviteguard:report", "tabId": 7, "comment": "Got it twice"},
        ]
        # The message has moved away: the popup closes itself (the notification repeats "Thanks").
        page.wait_for_function("window.__closed === true")
    finally:
        page.close()


def test_popup_offers_try_again_and_follows_the_displayed_message(browser: object, page_server: str,
                                                                  live_analysis: dict) -> None:
    strings = _strings()
    failure = {"ok": False, "code": "network", "retry": True, "message": strings["reportFailed"]["message"]}
    page = _open_extension_page(browser, page_server, "popup.html", _popup_state(live_analysis, []), failure)
    try:
        page.wait_for_function("!document.querySelector('#report-section').hidden")
        assert page.locator("#reasons-section").is_hidden()
        page.click("#comment-box summary")
        page.fill("#comment", "keep me")
        page.click("#report")
        page.wait_for_function(f"document.querySelector('#report').textContent === "
                               f"{json.dumps(strings['popupTryAgain']['message'])}")
        assert page.is_enabled("#report")
        assert page.inner_text("#report-status") == strings["reportFailed"]["message"]
        assert page.input_value("#comment") == "keep me"
        assert page.evaluate("window.__closed") is False
        # Thunderbird shows another message in this tab: the popup re-renders for it.
        page.evaluate("""window.__state = {tabId: 7, messageId: 2, status: "done", verdict: "clean",
            title: "InviteGuard: no known warning signs", text: "", reasons: [], canReport: true, reported: false};
            window.__displayed({id: 7})""")
        page.wait_for_function("document.querySelector('#verdict-title').textContent === "
                               "'InviteGuard: no known warning signs'")
        assert page.inner_text("#report") == strings["popupReportButton"]["message"]
        assert page.inner_text("#report-status") == ""
    finally:
        page.close()


def test_options_page_respects_enterprise_policy(browser: object, page_server: str) -> None:
    page = _open_extension_page(browser, page_server, "options.html", None, viewport={"width": 600, "height": 520})
    try:
        page.wait_for_function("document.querySelector('#serviceUrl').value !== ''")
        assert page.input_value("#serviceUrl") == "https://policy.example.com"
        assert page.is_disabled("#serviceUrl")  # managed by policy
        assert page.input_value("#clientKey") == "local-key"
        assert page.is_enabled("#clientKey")
        assert page.is_visible("#managed-note")
        assert page.is_hidden("#permission-missing")
        # The reporter token: where to get it, and what its absence means.
        assert page.get_attribute("#sign-in", "href") == "https://policy.example.com/reporter/sign-in"
        assert page.is_visible("#unverified-note")
        page.fill("#reporterToken", "rt-123")
        assert page.is_hidden("#unverified-note")
        page.fill("#clientKey", "new-key")
        page.click("#save")
        page.wait_for_function("document.querySelector('#status').textContent.length > 0")
        assert page.evaluate("window.__stored") == {"clientKey": "new-key", "reporterToken": "rt-123"}
        assert page.evaluate("window.__requests") == []  # the policy's URL is not the user's to grant
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "thunderbird-options.png"), full_page=True)
    finally:
        page.close()


def test_options_page_asks_for_access_in_the_click(browser: object, page_server: str) -> None:
    """No access to the URL the package was built for (an upgrade, a revoked permission): the page
    says so, and both "Allow access" and Save ask Thunderbird while still handling the click."""
    page = _open_extension_page(browser, page_server, "options.html", None, granted=False, managed={},
                                viewport={"width": 600, "height": 520})
    try:
        page.wait_for_function("!document.querySelector('#permission-missing').hidden")
        assert page.input_value("#serviceUrl") == SERVICE_URL  # from the package's defaults.json
        assert SERVICE_URL in page.inner_text("#permission-text")
        page.click("#allow")
        page.wait_for_function("document.querySelector('#permission-missing').hidden")
        assert page.inner_text("#status") == _strings()["optionsPermissionGranted"]["message"]
        page.fill("#serviceUrl", "https://other.example.org/ig/")
        page.click("#save")
        page.wait_for_function("Object.keys(window.__stored).length > 0")
        assert page.evaluate("window.__stored")["serviceUrl"] == "https://other.example.org/ig"
        assert page.evaluate("window.__requests") == [
            {"perms": {"origins": ["https://inviteguard.example.com/*"]}, "inEvent": True},
            {"perms": {"origins": ["https://other.example.org/*"]}, "inEvent": True},
        ]
    finally:
        page.close()
