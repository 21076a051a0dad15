"""The Thunderbird add-on in a real Thunderbird: Debian's package under Xvfb, driven by Marionette
(and xdotool for real mouse clicks), against a real `inviteguard serve` and the XPI it serves.

A reader opens the iCloud lure, a genuine receipt and a copy of the lure whose HTML tries to hide
and fake the banner, switches between them quickly, opens the add-on's toolbar popup and clicks
Report. The tests check what that reader sees and what the service stores. scripts/test.sh installs
thunderbird, xvfb and xdotool when they are missing (as root); without them these tests fail, they
are never skipped.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from inviteguard.addins import thunderbird_xpi
from process_helpers import free_port, wait_until_ready

with warnings.catch_warnings():
    # marionette_driver imports mozinfo, which calls the deprecated distro.linux_distribution().
    warnings.simplefilter("ignore", DeprecationWarning)
    from marionette_driver.marionette import Marionette

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LURE = REPO / "server" / "inviteguard" / "admin" / "samples" / "icloud_paypal_599.eml"
BENIGN = REPO / "tests" / "data" / "emls" / "genuine_receipts" / "amazon_order_confirmation_en.eml"
ARTIFACTS = REPO / "tests" / "artifacts" / "thunderbird-real"
READER = "reader@contoso.com"  # the Local Folders account's identity: the report's reporter
BUTTON_ID = "inviteguard_inviteguard_invalid-messageDisplayAction-toolbarbutton"
ANALYST = ("tb-analyst", "tb-real-check-Pw1!")
MAX_LABEL = 16

# Issue 13, point 7, in a real message: the lure's HTML part gets a stylesheet that hides everything
# outside the body, a decoy with the banner's old host id, and a fake green "verified" box fixed on
# top of the page. Quoted-printable: short lines, "=" written as =3D.
HOSTILE_STYLE = """<style>
#trap { display: none; }
html > :not(body), inviteguard-banner, [popover] { display: none !important;
  visibility: hidden !important; opacity: 0 !important;
  content-visibility: hidden !important; height: 0 !important; }
.fake { position: fixed; top: 0; left: 0; right: 0; height: 160px;
  z-index: 2147483647; background: #1e7e34; color: #fff; margin: 0;
  font: 700 22px sans-serif; padding: 20px; }
</style>
"""
HOSTILE_BODY = """<div id=3D"trap"><div id=3D"inviteguard-banner-host"></div></div>
<p class=3D"fake">Verified by InviteGuard: this message is safe</p>
"""


def _tool(*candidates: str) -> str:
    for candidate in candidates:
        found = shutil.which(candidate) or (candidate if os.access(candidate, os.X_OK) else None)
        if found:
            return found
    pytest.fail(f"{candidates[0]} is missing: run `bash scripts/test.sh` as root, which installs Debian's "
                "thunderbird, xvfb and xdotool", pytrace=False)


def _message_id(raw: bytes) -> str:
    return (email.message_from_bytes(raw, policy=email.policy.compat32)["Message-ID"] or "").strip().strip("<>")


def _hostile_lure() -> bytes:
    raw = LURE.read_bytes().replace(b"\r\n", b"\n")
    raw = re.sub(rb"(?im)^Message-ID:.*$", b"Message-ID: <hostile-copy-1@icloud.example>", raw, count=1)
    raw = raw.replace(b"</head>", HOSTILE_STYLE.encode() + b"</head>", 1)
    return re.sub(rb"(<body[^>]*>)", lambda m: m.group(1) + b"\n" + HOSTILE_BODY.encode(), raw, count=1)


def _mbox_entry(raw: bytes) -> bytes:
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    lines = [b">" + line if line.startswith((b"From ", b">From ")) else line for line in lines]
    return b"From - Tue Nov 04 16:01:13 2025\n" + b"\n".join(lines).rstrip(b"\n") + b"\n\n"


def _prefs(marionette_port: int) -> dict[str, object]:
    return {
        # the unsigned XPI in the profile's extensions folder installs enabled, without a prompt
        "xpinstall.signatures.required": False,
        "extensions.autoDisableScopes": 0,
        "extensions.enabledScopes": 15,
        "extensions.update.enabled": False,
        "extensions.getAddons.cache.enabled": False,
        # no first-run UI, account wizard, telemetry or network chatter
        "mail.provider.suppress_dialog_on_startup": True,
        "mail.provider.enabled": False,
        "mail.shell.checkDefaultClient": False,
        "mail.shell.checkDefaultMail": False,
        "mail.spotlight.firstRunDone": True,
        "mail.winsearch.firstRunDone": True,
        "mail.rights.version": 1,
        "mailnews.start_page.enabled": False,
        "mailnews.start_page_override.mstone": "ignore",
        "mail.inappnotifications.enabled": False,
        "mailnews.database.global.indexer.enabled": False,
        "mailnews.auto_config_url": "http://127.0.0.1:9/none",
        "datareporting.policy.dataSubmissionEnabled": False,
        "datareporting.healthreport.uploadEnabled": False,
        "datareporting.policy.dataSubmissionPolicyBypassNotification": True,
        "toolkit.telemetry.reportingpolicy.firstRun": False,
        "toolkit.telemetry.enabled": False,
        "toolkit.telemetry.server": "http://127.0.0.1:9/none",
        "app.update.enabled": False,
        "app.normandy.enabled": False,
        "app.donation.eoy.version.viewed": 999,
        "calendar.integration.notify": False,
        "network.connectivity-service.enabled": False,
        "network.captive-portal-service.enabled": False,
        "network.trr.mode": 5,
        "network.dns.disablePrefetch": True,
        "services.settings.server": "http://127.0.0.1:9/none",
        "security.OCSP.enabled": 0,
        "browser.safebrowsing.malware.enabled": False,
        "browser.safebrowsing.phishing.enabled": False,
        "browser.region.update.enabled": False,
        "browser.region.network.url": "",
        "extensions.systemAddon.update.enabled": False,
        "marionette.port": marionette_port,
        # one Local Folders account, with the reader's identity
        "mail.accountmanager.accounts": "account1",
        "mail.accountmanager.defaultaccount": "account1",
        "mail.accountmanager.localfoldersserver": "server1",
        "mail.account.account1.server": "server1",
        "mail.account.account1.identities": "id1",
        "mail.identity.id1.useremail": READER,
        "mail.identity.id1.fullName": "Rita Reader",
        "mail.identity.id1.valid": True,
        "mail.server.server1.type": "none",
        "mail.server.server1.hostname": "Local Folders",
        "mail.server.server1.name": "Local Folders",
        "mail.server.server1.userName": "nobody",
        "mail.server.server1.directory-rel": "[ProfD]Mail/Local Folders",
    }


def _write_profile(profile: Path, xpi: bytes, marionette_port: int, messages: list[bytes]) -> None:
    (profile / "extensions").mkdir(parents=True)
    (profile / "extensions" / f"{thunderbird_xpi.ADDON_ID}.xpi").write_bytes(xpi)
    with (profile / "user.js").open("w") as prefs:
        for name, value in _prefs(marionette_port).items():
            prefs.write(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n")
    mail = profile / "Mail" / "Local Folders"
    mail.mkdir(parents=True)
    (mail / "Inbox").write_bytes(b"".join(_mbox_entry(raw) for raw in messages))
    for name in ("Junk", "Trash"):
        (mail / name).write_bytes(b"")


def _wait(predicate: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}", pytrace=False)
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes] | None, grace: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# Chrome-context scripts. `args` are the arguments; each returns plain data.
SELECT = """
const [messageId] = args;
const win = Services.wm.getMostRecentWindow("mail:3pane");
const tabmail = win.document.getElementById("tabmail");
tabmail.switchToTab(0);
const about3Pane = tabmail.currentAbout3Pane;
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const inbox = MailServices.accounts.localFoldersServer.rootFolder.getChildNamed("Inbox");
if (!about3Pane.gFolder || about3Pane.gFolder.URI !== inbox.URI) about3Pane.displayFolder(inbox.URI);
for (let i = 0; i < 150; i++) {
  const view = about3Pane.gDBView;
  if (view) {
    for (let row = 0; row < view.rowCount; row++) {
      if (view.getMsgHdrAt(row).messageId === messageId) {
        about3Pane.threadTree.selectedIndex = row;
        return row;
      }
    }
  }
  await new Promise((resolve) => win.setTimeout(resolve, 200));
}
return -1;
"""

# What the reader sees: the displayed message, the add-on's banner (our element is the one that is
# a child of <html>; chrome code can open its closed shadow root) and the toolbar button.
STATE = """
const win = Services.wm.getMostRecentWindow("mail:3pane");
const tab = win.document.getElementById("tabmail").currentTabInfo;
const aboutMessage = tab.chromeBrowser.contentWindow.messageBrowser.contentWindow;
const pane = aboutMessage.getMessagePaneBrowser();
const doc = pane.contentDocument;
const out = { messageId: aboutMessage.gMessage ? aboutMessage.gMessage.messageId : null, banner: null };
const host = doc && [...doc.documentElement.children].find((el) => el.localName === "inviteguard-banner");
if (host) {
  const root = host.openOrClosedShadowRoot;
  const box = root && root.querySelector("[role=alert], [role=status]");
  const rect = box ? box.getBoundingClientRect() : null;
  const y = rect ? rect.top + Math.min(rect.height / 2, 20) : 0;
  out.banner = {
    mode: root ? root.mode : null,
    pageSeesRoot: host.wrappedJSObject.shadowRoot !== null,
    text: box ? box.innerText.trim() : "",
    level: box ? (box.className.match(/ig-banner--(\\w+)/) || [null, box.className])[1] : "",
    rect: rect ? [rect.x, rect.y, rect.width, rect.height] : null,
    onTop: Boolean(rect) && [0.2, 0.5, 0.8].every((f) => doc.elementFromPoint(rect.left + rect.width * f, y) === host),
  };
}
const button = aboutMessage.document.getElementById(args[0]);
if (button) {
  const r = button.getBoundingClientRect();
  out.button = { label: button.label, tooltip: button.getAttribute("tooltiptext") || "",
                 badge: button.getAttribute("badge") || "",
                 x: Math.round(button.screenX + r.width / 2), y: Math.round(button.screenY + r.height / 2) };
}
return out;
"""

# The add-on's open popup (an extension page in a panel): where its Report button is, in screen
# pixels, and whether it is inside the popup's visible area without scrolling.
POPUP = """
for (const w of Services.wm.getEnumerator(null)) {
  for (const b of w.document.querySelectorAll("browser")) {
    const uri = b.currentURI ? b.currentURI.spec : "";
    if (!uri.startsWith("moz-extension:") || !uri.endsWith("/popup.html")) continue;
    const panel = b.closest("panel");
    if (panel && panel.state !== "open") continue;
    const actor = b.browsingContext.currentWindowGlobal.getActor("MarionetteCommands");
    const page = await actor.executeScript(`
      const button = document.getElementById("report");
      if (!button) return null;
      const r = button.getBoundingClientRect();
      return { x: r.x, y: r.y, w: r.width, h: r.height, hidden: document.getElementById("report-section").hidden,
               disabled: button.disabled, label: button.textContent,
               status: document.getElementById("report-status").textContent,
               title: document.getElementById("verdict-title").textContent,
               shownReasons: document.querySelectorAll("#reasons li").length,
               foldedReasons: document.querySelectorAll("#more-reasons-list li").length,
               innerHeight: window.innerHeight, scrollY: window.scrollY };`, [], {});
    // The panel's browser can name popup.html before its page has loaded: open, still loading.
    if (!page) return { loading: true };
    return { screenX: b.screenX, screenY: b.screenY, width: b.clientWidth, height: b.clientHeight, ...page };
  }
}
return null;
"""

JUNK_AND_INBOX = """
const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
const root = MailServices.accounts.localFoldersServer.rootFolder;
const ids = (name) => [...root.getChildNamed(name).messages].map((h) => h.messageId);
return { Inbox: ids("Inbox"), Junk: ids("Junk") };
"""

# Errors in the parent process: script errors (e.g. a promise rejected after its page unloaded)
# and console.error calls, which is how the WebExtensions framework reports an add-on's misuse of
# an API (e.g. asking for a display script id that is not registered).
CONSOLE_ERRORS = """
const scriptErrors = Services.console.getMessageArray()
  .filter((e) => e instanceof Ci.nsIScriptError && !(e.flags & Ci.nsIScriptError.warningFlag))
  .map((e) => `${e.errorMessage} @ ${e.sourceName}:${e.lineNumber}`);
const consoleErrors = Cc["@mozilla.org/consoleAPI-storage;1"].getService(Ci.nsIConsoleAPIStorage).getEvents()
  .filter((e) => e.level === "error")
  .map((e) => `${e.prefix || ""}: ${(e.arguments || []).map(String).join(" ")} @ ${e.filename}:${e.lineNumber}`);
return [...scriptErrors, ...consoleErrors];
"""

ADDON = """
const { AddonManager } = ChromeUtils.importESModule("resource://gre/modules/AddonManager.sys.mjs");
for (let i = 0; i < 240; i++) {
  const addon = await AddonManager.getAddonByID(args[0]);
  if (addon && addon.isActive && WebExtensionPolicy.getByID(args[0])) {
    return { active: true, version: addon.version, thunderbird: Services.appinfo.version };
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
return { active: false };
"""


@dataclass
class RealThunderbird:
    marionette: Any
    service: str
    pid: int
    work: Path
    service_log: Path
    ids: dict[str, str]
    x_env: dict[str, str]
    console_at_start: list[str] = field(default_factory=list)

    def js(self, body: str, *args: object, timeout: float = 60) -> Any:
        """Run `body` as an async chrome-context function with `args`."""
        wrapped = ("const done = arguments[arguments.length - 1];\n"
                   "const args = Array.prototype.slice.call(arguments, 0, arguments.length - 1);\n"
                   f"(async () => {{ {body} }})().then(done, (e) => done({{__error: String(e) + '\\n' + e.stack}}));")
        result = self.marionette.execute_async_script(wrapped, script_args=list(args),
                                                      script_timeout=int(timeout * 1000))
        if isinstance(result, dict) and "__error" in result:
            raise AssertionError(result["__error"])
        return result

    def select(self, name: str) -> None:
        assert self.js(SELECT, self.ids[name]) >= 0, f"{name} is not in the Inbox"

    def state(self) -> dict[str, Any]:
        return self.js(STATE, BUTTON_ID)

    def banner_on(self, name: str) -> dict[str, Any]:
        """Select message `name` and wait for the add-on's banner on it; the reader's view then."""
        self.select(name)
        return _wait(lambda: (s := self.state())["messageId"] == self.ids[name]
                     and s["banner"] and s["banner"]["text"] and s, 60, f"the banner on the {name}")

    def analyze_requests(self) -> int:
        """Analyze calls Thunderbird made, from the service's access log."""
        pattern = re.compile(r'"POST /api/v1/analyze[^"]*" 200 .*Thunderbird/')
        return sum(1 for line in self.service_log.read_text(errors="replace").splitlines() if pattern.search(line))

    def console_errors(self) -> list[str]:
        return [e for e in self.js(CONSOLE_ERRORS) if re.search(r"moz-extension:|inviteguard|^WebExtensions", e, re.I)]

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with self.marionette.using_context("chrome"):
            png = self.marionette.screenshot(format="binary")
        (ARTIFACTS / name).write_bytes(png)

    def focus(self) -> None:
        """Xvfb has no window manager: give Thunderbird's main window the X focus, or moving the
        pointer into the add-on's popup closes it at once."""
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(self.pid)], env=self.x_env,
                               capture_output=True, text=True, timeout=30, check=False).stdout.split()
        largest, area = None, 0
        for window in found:
            geometry = subprocess.run(["xdotool", "getwindowgeometry", window], env=self.x_env, capture_output=True,
                                      text=True, timeout=30, check=False).stdout
            size = re.search(r"Geometry: (\d+)x(\d+)", geometry)
            if size and int(size[1]) * int(size[2]) > area:
                largest, area = window, int(size[1]) * int(size[2])
        assert largest, "no Thunderbird window on the X display"
        subprocess.run(["xdotool", "windowfocus", "--sync", largest], env=self.x_env, check=True, timeout=30)

    def click(self, x: float, y: float) -> None:
        subprocess.run(["xdotool", "mousemove", str(round(x)), str(round(y)), "click", "1"], env=self.x_env, check=True,
                       timeout=30)


@pytest.fixture(scope="module")
def thunderbird() -> Iterator[RealThunderbird]:
    binary = _tool("/usr/lib/thunderbird/thunderbird", "thunderbird")
    xvfb = _tool("Xvfb")
    _tool("xdotool")
    work = Path(tempfile.mkdtemp(prefix="ig-tb-"))  # short: the embedded Redis' socket path is limited
    processes: list[subprocess.Popen[bytes]] = []
    marionette = None
    try:
        # 1. a live service, and the XPI it builds for itself
        port = free_port()
        service = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("INVITEGUARD_")}
        env["INVITEGUARD_ADMIN_COOKIE_SECURE"] = "false"  # the analyst logs in over plain http here
        service_log = work / "serve.log"
        with service_log.open("wb") as log:
            serve = subprocess.Popen([str(BIN / "inviteguard"), "serve", "--port", str(port), "--workers", "1"],
                                     cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
        processes.append(serve)
        wait_until_ready(service, serve, seconds=90)
        created = subprocess.run([str(BIN / "inviteguard"), "admin", "create-user", ANALYST[0], "--role", "analyst",
                                  "--password-stdin"], input=ANALYST[1] + "\n", text=True, cwd=work, env=env,
                                 capture_output=True, timeout=60, check=False)
        assert created.returncode == 0, created.stderr
        xpi = requests.get(f"{service}/addin/thunderbird.xpi", timeout=30)
        assert xpi.status_code == 200

        # 2. a profile with the add-on and three messages in a Local Folders Inbox
        messages = {"lure": LURE.read_bytes(), "benign": BENIGN.read_bytes(), "hostile": _hostile_lure()}
        ids = {name: _message_id(raw) for name, raw in messages.items()}
        assert len(set(ids.values())) == 3
        marionette_port = free_port()
        _write_profile(work / "profile", xpi.content, marionette_port, list(messages.values()))

        # 3. Xvfb and Thunderbird
        display_fd, display_write = os.pipe()
        xvfb_process = subprocess.Popen([xvfb, "-displayfd", str(display_write), "-screen", "0", "1400x1000x24",
                                         "-nolisten", "tcp"], pass_fds=(display_write,),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(xvfb_process)
        os.close(display_write)
        with os.fdopen(display_fd) as display_out:
            display = display_out.readline().strip()
        assert display, "Xvfb did not start"
        x_env = {**os.environ, "DISPLAY": f":{display}"}  # for Thunderbird and xdotool, not for other tests
        tb_env = {**x_env, "MOZ_CRASHREPORTER_DISABLE": "1", "MOZ_DISABLE_AUTO_SAFE_MODE": "1"}
        with (work / "thunderbird.log").open("wb") as tb_log:
            tb = subprocess.Popen([binary, "--profile", str(work / "profile"), "--no-remote", "--marionette",
                                   "--remote-allow-system-access"], env=tb_env, stdout=tb_log, stderr=subprocess.STDOUT)
        processes.append(tb)

        def listening() -> bool:
            assert tb.poll() is None, (work / "thunderbird.log").read_text(errors="replace")[-3000:]
            try:
                with socket.create_connection(("127.0.0.1", marionette_port), timeout=2) as probe:
                    return bool(probe.recv(64))  # Marionette greets every client
            except OSError:
                return False

        # Probe the port ourselves: marionette_driver's own polling leaks a socket per failed try.
        _wait(listening, 180, "Thunderbird's Marionette port")
        marionette = Marionette(host="127.0.0.1", port=marionette_port, startup_timeout=30)
        marionette.start_session()
        marionette.set_context("chrome")
        session = RealThunderbird(marionette, service, tb.pid, work, service_log, ids, x_env)
        addon = session.js(ADDON, thunderbird_xpi.ADDON_ID, timeout=90)
        assert addon["active"], f"the add-on is not active: {addon}"
        session.js('const w = Services.wm.getMostRecentWindow("mail:3pane"); w.moveTo(0, 0); w.resizeTo(1400, 1000);')
        session.select("benign")  # the Inbox is shown and the add-on has started
        _wait(lambda: session.analyze_requests() >= 1, 60, "the first analyze request")
        session.console_at_start = session.console_errors()
        yield session
    finally:
        if marionette is not None:
            try:
                marionette.execute_script("Services.startup.quit(Ci.nsIAppStartup.eAttemptQuit);")
            except Exception:  # quitting closes the connection under us
                pass
        for process in reversed(processes):
            _stop(process)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name in ("serve.log", "thunderbird.log"):
            if (work / name).exists():
                shutil.copy(work / name, ARTIFACTS / name)
        shutil.rmtree(work, ignore_errors=True)


def test_no_add_on_errors_at_start(thunderbird: RealThunderbird) -> None:
    assert thunderbird.console_at_start == []


def test_banner_on_the_lure_with_a_short_toolbar_label(thunderbird: RealThunderbird) -> None:
    state = thunderbird.banner_on("lure")
    thunderbird.screenshot("01_lure.png")
    banner = state["banner"]
    assert banner["level"] == "danger", banner
    assert banner["text"].startswith("Scam warning"), banner["text"]
    assert banner["mode"] == "closed" and banner["pageSeesRoot"] is False
    assert banner["rect"][3] > 40 and banner["onTop"], banner
    button = _wait(lambda: (s := thunderbird.state())["button"]["badge"] == "!" and s["button"], 30, "the badge")
    # A short label on the button; the whole verdict in its tooltip.
    assert 0 < len(button["label"]) <= MAX_LABEL, button
    assert button["tooltip"].startswith("InviteGuard: likely phishing — Scam warning"), button


def test_no_banner_on_a_benign_message(thunderbird: RealThunderbird) -> None:
    # The receipt was the first message shown: the add-on asked the service about it at start.
    assert thunderbird.analyze_requests() >= 1
    thunderbird.select("benign")
    # The add-on sets the button's title, badge and label in one batch of calls that Thunderbird
    # applies one by one: wait until the clean title and the plain label have both arrived.
    state = _wait(lambda: (s := thunderbird.state())["messageId"] == thunderbird.ids["benign"]
                  and s["button"]["tooltip"].startswith("InviteGuard: no known")
                  and s["button"]["label"] == "InviteGuard" and s, 30, "a clean verdict with the plain label")
    thunderbird.screenshot("02_benign.png")
    assert state["banner"] is None
    assert state["button"]["badge"] == ""


def test_a_hostile_message_neither_hides_nor_covers_the_banner(thunderbird: RealThunderbird) -> None:
    state = thunderbird.banner_on("hostile")
    thunderbird.screenshot("03_hostile.png")
    banner = state["banner"]
    assert banner["level"] == "danger"
    assert banner["rect"][3] > 40, banner
    assert banner["onTop"], "the message's fake 'verified' box covers the banner"


def test_switching_messages_quickly_logs_no_errors(thunderbird: RealThunderbird) -> None:
    # Each selection returns as soon as the row is selected, before the message has loaded.
    for name in ("lure", "benign", "hostile", "benign", "lure", "hostile", "lure", "benign", "lure") * 2:
        thunderbird.select(name)
    _wait(lambda: (s := thunderbird.state())["messageId"] == thunderbird.ids["lure"]
          and s["button"]["badge"] == "!", 60, "the last message's verdict")
    assert thunderbird.console_errors() == []


def test_report_from_the_popup(thunderbird: RealThunderbird) -> None:
    state = thunderbird.banner_on("lure")
    thunderbird.focus()
    thunderbird.click(state["button"]["x"], state["button"]["y"])
    # Thunderbird opens the panel small and then sizes it to its page (a fresh-clone run caught it
    # 90 pixels tall): wait for the panel the reader sees, then hold Report inside it.
    popup = _wait(lambda: (p := thunderbird.js(POPUP)) and not p.get("loading") and not p["hidden"]
                  and p["y"] + p["h"] <= min(p["height"], p["innerHeight"]) and p, 30, "the add-on's popup, sized")
    thunderbird.screenshot("04_popup.png")
    # One click: Report is inside the popup's visible area, unscrolled, whatever the reasons.
    assert popup["scrollY"] == 0
    assert 0 <= popup["y"] and popup["y"] + popup["h"] <= min(popup["height"], popup["innerHeight"]), popup
    assert popup["shownReasons"] == 3 and popup["foldedReasons"] > 0, popup
    thunderbird.click(popup["screenX"] + popup["x"] + popup["w"] / 2, popup["screenY"] + popup["y"] + popup["h"] / 2)

    # The service stored it, with the reader's address and the client.
    login = requests.Session()
    page = login.get(f"{thunderbird.service}/admin/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    login.post(f"{thunderbird.service}/admin/login", timeout=10, data={
        "username": ANALYST[0], "password": ANALYST[1], "csrf_token": token, "next": "/admin/"})

    def stored() -> list[dict[str, Any]]:
        listing = login.get(f"{thunderbird.service}/api/v1/reports", timeout=10)
        assert listing.status_code == 200, listing.text
        return listing.json()["reports"]

    [report] = _wait(stored, 60, "the report in the triage list")
    version = json.loads(requests.get(f"{thunderbird.service}/healthz", timeout=10).text)["version"]
    assert report["reporter"] == READER, report
    assert report["client"] == {"name": "thunderbird", "version": version}, report
    assert report["category"] == "phishing"
    assert "PayPal" in report["subject"]

    # Marked junk and moved to the Junk folder; the popup, now about a message that left, closed.
    folders = _wait(lambda: (f := thunderbird.js(JUNK_AND_INBOX)) and thunderbird.ids["lure"] in f["Junk"] and f,
                    30, "the lure in Junk")
    assert thunderbird.ids["lure"] not in folders["Inbox"]
    _wait(lambda: thunderbird.js(POPUP) is None, 30, "the popup to close")
    thunderbird.screenshot("05_after_report.png")
    assert thunderbird.console_errors() == []
