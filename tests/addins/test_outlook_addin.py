"""The Outlook add-in, end to end and offline.

- The manifest as the service renders it: element order, every URL on the deployment's base URL,
  escaping, resources and icons, then converted with office-addin-manifest-converter and validated
  with `office-addin-manifest validate` (JSON schema, offline; the XML validator needs the internet).
- The routes in addins_outlook.py, and the same routes on the live server.
- The client logic under `node --test` with office-addin-mock, against a stand-in and against the
  real service (live_server), which must not be skipped here.
- The task pane in real headless Chromium with a fake Office object and the real service;
  screenshots (light, dark, narrow) land in tests/artifacts/outlook/ for review.
"""

from __future__ import annotations

import base64
import email
import json
import os
import re
import shutil
import struct
import subprocess
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from email import policy
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask
from inviteguard.addins import outlook as addins_outlook
from inviteguard.addins.outlook_manifest import (
    ICON_SIZES,
    RESOURCE_ICON_SIZES,
    deployment_addin_id,
    manifest_version,
    normalize_public_url,
    render_outlook_manifest,
)
from playwright.sync_api import expect

REPO = Path(__file__).resolve().parents[2]
JS_DIR = REPO / "tests" / "addins" / "js"
NODE_MODULES_BIN = JS_DIR / "node_modules" / ".bin"
OUTLOOK_JS_TESTS = JS_DIR / "outlook"
STATIC = REPO / "static" / "outlook"
ARTIFACTS = REPO / "tests" / "artifacts" / "outlook"
PHISH_EML = REPO / "tests" / "data" / "emls" / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"
CLEAN_EML = OUTLOOK_JS_TESTS / "fixtures" / "colleague_lunch.eml"

BASE = "https://inviteguard.example.test/sec"
ENTRA_APP = "3f2a1c7e-9b1d-4e52-8c0a-6d7f1e2b3a45"
# JSON manifest schema version with spam reporting (ribbons context "spamReportingOverride").
SCHEMA_VERSION = "1.22"

NS = {
    "o": "http://schemas.microsoft.com/office/appforoffice/1.1",
    "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
    "v10": "http://schemas.microsoft.com/office/mailappversionoverrides",
    "v11": "http://schemas.microsoft.com/office/mailappversionoverrides/1.1",
}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

# XSD sequences (MS-OWEMXML) for the elements the manifest uses: children must appear in this order.
ELEMENT_ORDER: dict[str, list[str]] = {
    "OfficeApp": [
        "Id",
        "AlternateId",
        "Version",
        "ProviderName",
        "DefaultLocale",
        "DisplayName",
        "Description",
        "IconUrl",
        "HighResolutionIconUrl",
        "SupportUrl",
        "AppDomains",
        "Hosts",
        "Requirements",
        "FormSettings",
        "Permissions",
        "Rule",
        "DisableEntityHighlighting",
        "VersionOverrides",
    ],
    "VersionOverridesV1_0": ["Description", "Requirements", "Hosts", "Resources", "VersionOverrides"],
    "VersionOverridesV1_1": [
        "Description",
        "Requirements",
        "Hosts",
        "Resources",
        "WebApplicationInfo",
        "EquivalentAddins",
        "ExtendedPermissions",
    ],
    "MailHost": ["Runtimes", "DesktopFormFactor", "MobileFormFactor"],
    "FormFactor": ["FunctionFile", "ExtensionPoint"],
    "ReportPhishingCustomization": ["Control", "PreProcessingDialog", "SourceLocation"],
    "PreProcessingDialog": ["Title", "Description", "ReportingOptions", "FreeTextLabel", "MoreInfo"],
    "ReportingOptions": ["Title", "Option"],
    "MoreInfo": ["MoreInfoText", "MoreInfoUrl"],
    "Button": ["Label", "Supertip", "Icon", "Action"],
    "MobileButton": ["Label", "Icon", "Action"],
    "Supertip": ["Title", "Description"],
    "ShowTaskpane": ["TaskpaneId", "SourceLocation", "Title", "SupportsPinning"],
    "Group": ["Label", "Control"],
    "Resources": ["Images", "Urls", "ShortStrings", "LongStrings"],
    "WebApplicationInfo": ["Id", "Resource", "Scopes"],
    "Form": ["DesktopSettings", "TabletSettings", "PhoneSettings"],
    "DesktopSettings": ["SourceLocation", "RequestedHeight"],
}


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def order_key(element: ET.Element) -> str | None:
    """Which ELEMENT_ORDER entry governs this element's children."""
    name = local(element.tag)
    xsi = element.get(XSI_TYPE, "")
    if name == "OfficeApp":
        return "OfficeApp"
    if name == "VersionOverrides":
        return xsi
    if name == "Host" and xsi == "MailHost":
        return "MailHost"
    if name in ("DesktopFormFactor", "MobileFormFactor"):
        return "FormFactor"
    if name == "Control":
        return xsi if xsi in ("Button", "MobileButton") else None
    if name == "Action":
        return xsi if xsi == "ShowTaskpane" else None
    return name if name in ELEMENT_ORDER else None


def order_problems(root: ET.Element) -> list[str]:
    problems = []
    for element in root.iter():
        key = order_key(element)
        if key is None:
            continue
        sequence = ELEMENT_ORDER[key]
        last = -1
        for child in element:
            name = local(child.tag)
            if name not in sequence:
                problems.append(f"{key}: unexpected child {name}")
                continue
            position = sequence.index(name)
            if position < last:
                problems.append(f"{key}: {name} after {sequence[last]}")
            last = max(last, position)
    return problems


def render(base: str = BASE, **kwargs: Any) -> str:
    return render_outlook_manifest(base, deployment_addin_id(base), "0.1.0", **kwargs)


def all_urls(root: ET.Element) -> list[str]:
    urls = []
    for element in root.iter():
        for value in [*element.attrib.values(), element.text or ""]:
            value = value.strip()
            if re.match(r"^[a-z][a-z0-9+.-]*://", value, re.I) and not value.startswith("http://schemas."):
                urls.append(value)
    return urls


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


# ----------------------------------------------------------------------------- manifest


def test_manifest_element_order_follows_the_schema() -> None:
    for kwargs in ({}, {"entra_client_id": ENTRA_APP}):
        root = ET.fromstring(render(**kwargs))
        assert order_problems(root) == []
    # The checker itself notices a swap.
    broken = (
        render()
        .replace("<Permissions>ReadItem</Permissions>", "")
        .replace("<FormSettings>", "<Permissions>ReadItem</Permissions><FormSettings>")
    )
    assert order_problems(ET.fromstring(broken)) == ["OfficeApp: FormSettings after Permissions"]


def test_every_url_points_at_the_configured_base_url() -> None:
    root = ET.fromstring(render(entra_client_id=ENTRA_APP))
    urls = all_urls(root)
    # 4 in the base manifest, every icon, 4 resource URLs, the Entra resource
    assert len(urls) == 4 + len(RESOURCE_ICON_SIZES) + 4 + 1
    outside = [u for u in urls if not (u.startswith(BASE + "/") or u == f"api://inviteguard.example.test/{ENTRA_APP}")]
    assert outside == []
    resources = {e.get("id"): e.get("DefaultValue") for e in root.iterfind(".//v11:Resources/bt:Urls/bt:Url", NS)}
    assert resources == {
        "Taskpane.Url": f"{BASE}/static/outlook/taskpane.html",
        "Commands.Url": f"{BASE}/static/outlook/commands.html",
        "JSRuntime.Url": f"{BASE}/addin/outlook/runtime.js",
        "MoreInfo.Url": f"{BASE}/",
    }
    # Each URL names a file we ship (the runtime is assembled by addins_outlook).
    for url in urls:
        path = url.removeprefix(BASE + "/")
        if path.startswith("static/"):
            assert (REPO / path).is_file(), url


def test_base_url_is_escaped_for_xml_and_normalised() -> None:
    hostile = "https://ig.example.test/a&b<c>\"d'e/"
    root = ET.fromstring(render(hostile))  # parses: nothing broke out of an attribute
    assert root.find("o:SupportUrl", NS).get("DefaultValue") == "https://ig.example.test/a&b<c>\"d'e/"
    assert all(u.startswith("https://ig.example.test/a&b<c>\"d'e/") for u in all_urls(root))
    assert normalize_public_url("HTTPS://IG.Example.test/") == "https://ig.example.test"
    for bad in ("ftp://ig.example.test", "https://ig.example.test/?x=1", "ig.example.test", "https:///x"):
        with pytest.raises(ValueError):
            normalize_public_url(bad)
    with pytest.raises(ValueError):
        render_outlook_manifest(BASE, "not-a-guid", "0.1.0")


def test_id_is_stable_per_deployment_and_version_has_four_parts() -> None:
    root = ET.fromstring(render())
    assert root.find("o:Id", NS).text == deployment_addin_id(BASE) == deployment_addin_id(BASE + "/")
    assert uuid.UUID(deployment_addin_id(BASE)).version == 5
    assert deployment_addin_id(BASE) != deployment_addin_id("https://other.example.test")
    assert root.find("o:Version", NS).text == "0.1.0.0"
    assert manifest_version("1.2.3.dev4") == "1.2.3.0"
    assert manifest_version("2.0+local") == "2.0.0.0"
    assert manifest_version("0.0.0+unknown") == "0.0.0.0"


def test_manifest_declares_read_mode_pinning_spam_reporting_mobile_and_locales() -> None:
    root = ET.fromstring(render())
    assert root.find("o:Permissions", NS).text == "ReadItem"
    rule = root.find("o:Rule/o:Rule", NS)
    assert (rule.get(XSI_TYPE), rule.get("ItemType"), rule.get("FormType")) == ("ItemIs", "Message", "Read")
    overrides = {o.get("Locale") for o in root.find("o:DisplayName", NS)}
    assert overrides == {"de-DE", "fr-FR", "es-ES"}
    host = root.find(".//v11:Hosts/v11:Host", NS)
    runtime = host.find("v11:Runtimes/v11:Runtime", NS)
    assert runtime.get("resid") == "Commands.Url"
    assert runtime.find("v11:Override", NS).attrib == {"type": "javascript", "resid": "JSRuntime.Url"}
    desktop = host.find("v11:DesktopFormFactor", NS)
    points = {p.get(XSI_TYPE): p for p in desktop.findall("v11:ExtensionPoint", NS)}
    assert set(points) == {"MessageReadCommandSurface", "ReportPhishingCommandSurface"}
    pane = points["MessageReadCommandSurface"].find(".//v11:Action", NS)
    assert pane.find("v11:SupportsPinning", NS).text == "true"
    report = points["ReportPhishingCommandSurface"].find("v11:ReportPhishingCustomization", NS)
    assert report.find("v11:Control/v11:Action/v11:FunctionName", NS).text == "onSpamReport"
    assert report.find("v11:SourceLocation", NS).get("resid") == "Commands.Url"
    dialog = report.find("v11:PreProcessingDialog", NS)
    assert len(dialog.findall("v11:ReportingOptions/v11:Option", NS)) == 5
    assert dialog.find("v11:FreeTextLabel", NS) is not None
    mobile = host.find("v11:MobileFormFactor/v11:ExtensionPoint", NS)
    assert mobile.get(XSI_TYPE) == "MobileMessageReadCommandSurface"
    assert mobile.find(".//v11:Control", NS).get(XSI_TYPE) == "MobileButton"
    assert root.find(".//v11:WebApplicationInfo", NS) is None  # only with Entra


def test_resources_are_all_used_all_defined_localized_and_icons_are_real_pngs() -> None:
    xml = render()
    root = ET.fromstring(xml)
    defined = {e.get("id") for e in root.iterfind(".//v11:Resources/*/*", NS)}
    referenced = {e.get("resid") for e in root.iter() if e.get("resid")}
    assert referenced == defined
    for string in root.iterfind(".//v11:Resources/bt:ShortStrings/bt:String", NS):
        assert len(string.get("DefaultValue")) <= 125
        assert {o.get("Locale") for o in string} == {"de-DE", "fr-FR", "es-ES"}
    for string in root.iterfind(".//v11:Resources/bt:LongStrings/bt:String", NS):
        assert len(string.get("DefaultValue")) <= 250
        assert {o.get("Locale") for o in string} == {"de-DE", "fr-FR", "es-ES"}
    images = {e.get("id"): e.get("DefaultValue") for e in root.iterfind(".//bt:Images/bt:Image", NS)}
    assert set(images) == {f"Icon.{size}" for size in RESOURCE_ICON_SIZES}
    for resid, url in images.items():
        size = int(resid.split(".")[1])
        assert png_size(REPO / url.removeprefix(BASE + "/")) == (size, size)
    for size in ICON_SIZES:  # every PNG make_icons.py draws
        assert png_size(STATIC / "icons" / f"icon-{size}.png") == (size, size)
    for tag, size in (("o:IconUrl", 64), ("o:HighResolutionIconUrl", 128)):
        assert png_size(REPO / root.find(tag, NS).get("DefaultValue").removeprefix(BASE + "/")) == (size, size)
    for image in root.iterfind(".//v11:Icon/bt:Image", NS):
        size, scale = int(image.get("size")), int(image.get("scale", "1"))
        assert image.get("resid") == f"Icon.{size * scale}"


def test_entra_adds_web_application_info_last() -> None:
    root = ET.fromstring(render(entra_client_id=ENTRA_APP))
    v11 = root.find(".//v11:VersionOverrides", NS)
    assert [local(c.tag) for c in v11] == ["Requirements", "Hosts", "Resources", "WebApplicationInfo"]
    info = v11.find("v11:WebApplicationInfo", NS)
    assert info.find("v11:Id", NS).text == ENTRA_APP
    assert info.find("v11:Resource", NS).text == f"api://inviteguard.example.test/{ENTRA_APP}"


def node_bin(name: str) -> str:
    path = NODE_MODULES_BIN / name
    if not path.exists():
        pytest.fail(f"{path} missing: run `npm install` in tests/addins/js")
    return str(path)


@pytest.mark.parametrize("entra", [False, True], ids=["key-or-open", "entra"])
def test_converted_json_manifest_validates(tmp_path: Path, entra: bool) -> None:
    xml_path = tmp_path / "manifest.xml"
    xml_path.write_text(render(entra_client_id=ENTRA_APP if entra else None), encoding="utf-8")
    out = tmp_path / "json"
    schema = f"https://developer.microsoft.com/json-schemas/teams/v{SCHEMA_VERSION}/MicrosoftTeams.schema.json"
    env = {**os.environ, "OFFICE_ADDIN_USAGE_DATA_OPT_OUT": "true"}
    converted = subprocess.run(
        [
            node_bin("office-addin-manifest-converter"),
            "convert",
            str(xml_path),
            "-o",
            str(out),
            "--schema-override",
            schema,
            "--schema-version-override",
            SCHEMA_VERSION,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert converted.returncode == 0, converted.stdout + converted.stderr
    assert "error" not in (converted.stdout + converted.stderr).lower(), converted.stdout + converted.stderr
    manifest_json = out / "manifest.json"
    assert manifest_json.is_file(), converted.stdout
    validated = subprocess.run(
        [node_bin("office-addin-manifest"), "validate", str(manifest_json)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "not valid" not in validated.stdout, validated.stdout

    data = json.loads(manifest_json.read_text(encoding="utf-8"))
    assert data["id"] == deployment_addin_id(BASE)
    assert {a["languageTag"] for a in data["localizationInfo"]["additionalLanguages"]} == {"de-de", "fr-fr", "es-es"}
    extension = data["extensions"][0]
    spam = [r for r in extension["ribbons"] if "spamReportingOverride" in r["contexts"]]
    assert len(spam) == 1
    assert len(spam[0]["spamPreProcessingDialog"]["spamReportingOptions"]["options"]) == 5
    scripts = [r["code"].get("script") for r in extension["runtimes"] if r["code"].get("script")]
    assert scripts == [f"{BASE}/addin/outlook/runtime.js"]
    assert any(a.get("pinnable") for r in extension["runtimes"] for a in r.get("actions", []))
    assert ("webApplicationInfo" in data) is entra
    assert data["validDomains"] == ["https://inviteguard.example.test"]
    data.pop("$schema")
    json_urls = re.findall(r'"(https?://[^"]+)"', json.dumps(data))
    # "https://placeholder" is the converter's own filler for the mobile ribbon's unused tab.
    assert [u for u in json_urls if not u.startswith(BASE + "/") and u != "https://placeholder"] == [
        "https://inviteguard.example.test"
    ]


# ----------------------------------------------------------------------------- routes


@pytest.fixture
def routes_app() -> Flask:
    app = Flask("outlook_routes", static_folder=str(REPO / "static"), static_url_path="/static")
    app.config.update(PUBLIC_URL=BASE)
    bp = Blueprint("addins", __name__)
    addins_outlook.register(bp)
    app.register_blueprint(bp)
    return app


def test_manifest_route_serves_the_rendered_manifest(routes_app: Flask) -> None:
    response = routes_app.test_client().get("/addin/outlook/manifest.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.find("o:Id", NS).text == deployment_addin_id(BASE)
    assert all(u.startswith(BASE + "/") for u in all_urls(root))


def test_manifest_route_under_an_addin_prefixed_blueprint() -> None:
    app = Flask("outlook_prefixed", static_folder=str(REPO / "static"))
    bp = Blueprint("addins", __name__, url_prefix="/addin")
    addins_outlook.register(bp)
    app.register_blueprint(bp)
    response = app.test_client().get("/addin/outlook/manifest.xml", base_url="https://served.example.test")
    assert response.status_code == 200
    # Without PUBLIC_URL the manifest points at the URL the request came in on.
    assert ET.fromstring(response.data).find("o:SupportUrl", NS).get("DefaultValue") == "https://served.example.test/"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, {"auth": "none", "client_key": "", "timeout_ms": 2500, "max_report_bytes": 10485760}),
        ({"ADDIN_CLIENT_KEY": "k-1"},
         {"auth": "key", "client_key": "k-1", "timeout_ms": 2500, "max_report_bytes": 10485760}),
        (
            {"ENTRA_CLIENT_ID": ENTRA_APP, "ADDIN_CLIENT_KEY": "k-1"},
            {"auth": "entra", "client_key": "", "timeout_ms": 2500, "max_report_bytes": 10485760},
        ),
        (
            {"OUTLOOK_AUTH": "key", "ADDIN_CLIENT_KEY": "k-2", "OUTLOOK_TIMEOUT_MS": 2000, "MAX_BODY_BYTES": 5000},
            {"auth": "key", "client_key": "k-2", "timeout_ms": 2000, "max_report_bytes": 5000},
        ),
    ],
)
def test_config_route(routes_app: Flask, config: dict[str, Any], expected: dict[str, Any]) -> None:
    routes_app.config.update(config)
    response = routes_app.test_client().get("/addin/outlook/config.json")
    assert response.status_code == 200
    assert response.get_json() == expected
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("public_url", [BASE, "https://ig.contoso.com/inviteguard/"])
def test_well_known_lists_the_javascript_runtime(routes_app: Flask, public_url: str) -> None:
    """Classic Outlook on Windows lets its JavaScript-only runtime use CORS and SSO only for the
    scripts the origin lists at this well-known URI (Microsoft Learn: "Use single sign-on (SSO) or
    cross-origin resource sharing (CORS) in your event-based or spam-reporting Outlook add-in")."""
    routes_app.config.update(PUBLIC_URL=public_url)
    response = routes_app.test_client().get("/.well-known/microsoft-officeaddins-allowed.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    base = public_url.rstrip("/")
    assert response.get_json() == {"allowed": [f"{base}/addin/outlook/runtime.js"]}
    manifest = ET.fromstring(routes_app.test_client().get("/addin/outlook/manifest.xml").data)
    runtime = manifest.find(".//bt:Url[@id='JSRuntime.Url']", NS).get("DefaultValue")
    assert response.get_json()["allowed"] == [runtime]


def test_entra_deployments_get_web_application_info_in_the_served_manifest(routes_app: Flask) -> None:
    routes_app.config.update(ENTRA_CLIENT_ID=ENTRA_APP)
    root = ET.fromstring(routes_app.test_client().get("/addin/outlook/manifest.xml").data)
    assert root.find(".//v11:WebApplicationInfo/v11:Id", NS).text == ENTRA_APP


def test_runtime_route_joins_the_scripts_for_the_js_only_runtime(routes_app: Flask) -> None:
    response = routes_app.test_client().get("/addin/outlook/runtime.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    text = response.get_data(as_text=True)
    assert text.startswith(f"globalThis.InviteGuardBaseUrl = {json.dumps(BASE)};")
    positions = [text.index((STATIC / name).read_text(encoding="utf-8")) for name in addins_outlook.RUNTIME_SOURCES]
    assert positions == sorted(positions)


def test_pages_load_no_inline_script_and_only_our_files_and_office_js() -> None:
    for page in ("taskpane.html", "commands.html"):
        html = (STATIC / page).read_text(encoding="utf-8")
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I)
        assert scripts
        for attrs, body in scripts:
            assert body.strip() == "", f"inline script in {page}"
            src = re.search(r'src="([^"]+)"', attrs).group(1)
            assert src == "https://appsforoffice.microsoft.com/lib/1/hosted/office.js" or (STATIC / src).is_file()
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), f"inline handler in {page}"
        assert not re.search(r"\sstyle\s*=", html, re.I), f"inline style in {page}"
        assert "javascript:" not in html


# ----------------------------------------------------------------------------- live service


def _outlook_view(path: Path) -> dict[str, Any]:
    """A message as Outlook exposes it to an add-in: EML, header block, bodies, item fields."""
    raw = path.read_bytes()
    header_block = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0].decode("utf-8", "replace")
    message = email.message_from_bytes(raw, policy=policy.default)
    text = html = None
    item_class = "IPM.Note"
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/plain" and text is None and not part.get_filename():
            text = part.get_content()
        elif kind == "text/html" and html is None:
            html = part.get_content()
        elif kind == "text/calendar" and "REQUEST" in str(part.get_param("method", "")).upper():
            item_class = "IPM.Schedule.Meeting.Request"
    sender = message["From"].addresses[0]
    return {
        "eml": base64.b64encode(raw).decode("ascii"),
        "headers": header_block,
        "text": text or "",
        "html": html,
        "item": {
            "item_class": item_class,
            "subject": str(message["Subject"]),
            "from": {"displayName": sender.display_name, "emailAddress": sender.addr_spec},
        },
    }


@pytest.fixture(scope="module")
def outlook_fixtures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = {"phish": _outlook_view(PHISH_EML), "clean": _outlook_view(CLEAN_EML)}
    assert data["phish"]["item"]["item_class"] == "IPM.Schedule.Meeting.Request"
    path = tmp_path_factory.mktemp("outlook") / "fixtures.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_node_client_logic_offline_and_against_the_live_service(live_server: str, outlook_fixtures: Path) -> None:
    node = shutil.which("node")
    assert node, "node is required"
    env = {**os.environ, "INVITEGUARD_URL": live_server, "INVITEGUARD_OUTLOOK_FIXTURES": str(outlook_fixtures)}
    files = sorted(str(p) for p in OUTLOOK_JS_TESTS.glob("*.test.mjs"))
    assert len(files) >= 3
    result = subprocess.run(
        [node, "--test", "--test-reporter=tap", *files],
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert re.search(r"^# fail 0$", result.stdout, re.M), output[-3000:]
    assert re.search(r"^# skipped 0$", result.stdout, re.M), "live tests must run under pytest"
    passed_live = re.findall(r"^\s*ok \d+ - live:", result.stdout, re.M)
    assert len(passed_live) == 5, output[-3000:]


def test_live_server_serves_the_manifest_for_itself(live_server: str) -> None:
    with urllib.request.urlopen(f"{live_server}/addin/outlook/manifest.xml", timeout=10) as response:
        assert response.status == 200
        root = ET.fromstring(response.read())
    assert all(u.startswith(live_server + "/") for u in all_urls(root))
    for page in ("taskpane.html", "commands.html", "core.js", "icons/icon-80.png"):
        with urllib.request.urlopen(f"{live_server}/static/outlook/{page}", timeout=10) as response:
            # Read it all: a connection dropped mid-file leaves the dev server's file handle open.
            assert response.status == 200 and response.read(), page


# ----------------------------------------------------------------------------- task pane in Chromium

CSP = (
    "default-src 'self'; script-src 'self' https://appsforoffice.microsoft.com; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'"
)


def open_pane(
    browser: Any,
    live_server: str,
    fixtures: dict[str, Any],
    *,
    current: str | None = "phish",
    sets: str = "1.14",
    locale: str = "en-US",
    theme: dict[str, str] | None = None,
    color_scheme: str = "light",
    width: int = 360,
    routes: dict[str, Any] | None = None,
) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=color_scheme)
    fake = {"sets": sets, "locale": locale, "theme": theme, "items": fixtures, "current": current}
    page.add_init_script(script=f"window.__IG_FAKE = {json.dumps(fake)};")
    page.add_init_script(path=str(OUTLOOK_JS_TESTS / "fake_office_browser.js"))
    # Office.js must not be fetched in tests: the fake above stands in for it.
    page.route(
        "https://appsforoffice.microsoft.com/**",
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=""),
    )

    def with_csp(route: Any) -> None:
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})

    page.route("**/static/outlook/taskpane.html", with_csp)
    for pattern, handler in (routes or {}).items():
        page.route(pattern, handler)
    page.goto(f"{live_server}/static/outlook/taskpane.html")
    return page


def wait_state(page: Any, state: str) -> None:
    # expect() polls from Playwright's own world; wait_for_function would need 'unsafe-eval' under our CSP.
    expect(page.locator("body")).to_have_attribute("data-state", state, timeout=10_000)


def script_csp_violations(page: Any) -> list[Any]:
    return [v for v in page.evaluate("window.__igRecord.csp") if v["directive"].startswith("script-src")]


@pytest.fixture(scope="module")
def pane_fixtures(outlook_fixtures: Path) -> dict[str, Any]:
    return json.loads(outlook_fixtures.read_text(encoding="utf-8"))


def test_task_pane_shows_the_service_banner_and_reasons(
    browser: Any, live_server: str, pane_fixtures: dict[str, Any]
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = open_pane(browser, live_server, pane_fixtures)
    wait_state(page, "result")
    banner = page.locator("#banner")
    assert banner.get_attribute("data-level") == "danger"
    assert banner.get_attribute("data-verdict") == "phishing"
    assert page.locator("#banner [role=alert]").count() == 1
    assert "Scam warning" in banner.inner_text()
    assert "+1 (808) 555-0199" in banner.inner_text()
    assert page.locator("#reasons li").count() == 3  # the strongest three; the rest behind a disclosure
    assert page.locator("#reasons li").first.locator(".ig-reason-title").inner_text().strip()
    hidden = page.locator("#more-reasons li").count()
    assert hidden >= 1
    summary = page.locator("#more-reasons summary")
    assert summary.inner_text() == f"Show {hidden} more reasons"
    record = page.evaluate("window.__igRecord")
    assert record["calls"][:1] == ["phish:eml"]  # 1.14: the EML, not the parts
    [shown] = record["replace"]
    assert shown["key"] == "inviteguard"
    assert shown["details"]["type"] == "errorMessage"
    assert 0 < len(shown["details"]["message"]) <= 150
    assert script_csp_violations(page) == []
    assert page.locator("main").get_attribute("aria-busy") == "false"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    page.screenshot(path=str(ARTIFACTS / "taskpane-light.png"), full_page=True)
    assert not page.locator("#more-reasons li").first.is_visible()
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("#more-reasons li").first.is_visible()
    page.close()

    dark = open_pane(browser, live_server, pane_fixtures, color_scheme="dark")
    wait_state(dark, "result")
    assert dark.evaluate("document.documentElement.dataset.theme") == "dark"  # from prefers-color-scheme
    background = dark.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(31, 31, 31)"
    dark.screenshot(path=str(ARTIFACTS / "taskpane-dark.png"), full_page=True)
    dark.close()

    narrow = open_pane(browser, live_server, pane_fixtures, width=320)
    wait_state(narrow, "result")
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 320
    narrow.screenshot(path=str(ARTIFACTS / "taskpane-narrow.png"), full_page=True)
    narrow.close()


def test_office_dark_theme_wins_over_a_light_system(
    browser: Any, live_server: str, pane_fixtures: dict[str, Any]
) -> None:
    theme = {"bodyBackgroundColor": "#262626", "bodyForegroundColor": "#ffffff"}
    page = open_pane(browser, live_server, pane_fixtures, theme=theme, locale="de-DE")
    wait_state(page, "result")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(31, 31, 31)"
    assert page.locator("#report-button").inner_text() == "An Sicherheitsteam melden"
    assert page.evaluate("document.documentElement.lang") == "de-DE"
    page.screenshot(path=str(ARTIFACTS / "taskpane-office-dark-de.png"), full_page=True)
    page.close()


def test_pinned_pane_follows_the_selection(browser: Any, live_server: str, pane_fixtures: dict[str, Any]) -> None:
    page = open_pane(browser, live_server, pane_fixtures, sets="1.8")
    wait_state(page, "result")
    assert page.locator("#banner").get_attribute("data-level") in ("danger", "warning")
    assert "phish:headers" in page.evaluate("window.__igRecord.calls")
    page.evaluate("window.__igSelect('clean')")
    expect(page.locator("#banner")).to_have_attribute("data-verdict", "clean", timeout=10_000)
    assert page.locator("#banner").get_attribute("data-level") == "none"
    # A colleague's lunch invite: at most why it is trusted (its own organisation's mail).
    shown = page.evaluate("[...document.querySelectorAll('#reasons-section li')].map(li => li.dataset.reason)")
    assert all(reason.startswith("trust.") for reason in shown)
    assert page.evaluate("window.__igRecord.remove") == [{"item": "clean", "key": "inviteguard"}]
    page.evaluate("window.__igSelect(null)")
    wait_state(page, "no-item")
    assert page.locator("#report").is_hidden()
    page.close()


def test_service_failure_shows_a_neutral_message_never_safe(
    browser: Any, live_server: str, pane_fixtures: dict[str, Any]
) -> None:
    page = open_pane(
        browser,
        live_server,
        pane_fixtures,
        routes={"**/api/v1/analyze": lambda route: route.abort("connectionrefused")},
    )
    wait_state(page, "error")
    text = page.locator("main").inner_text()
    assert "couldn't check this message" in text
    assert "No known scam signs" not in text
    assert page.locator("#result").is_hidden()
    record = page.evaluate("window.__igRecord")
    assert record["remove"] == []
    assert record["replace"][0]["details"]["type"] == "informationalMessage"
    page.screenshot(path=str(ARTIFACTS / "taskpane-unavailable.png"), full_page=True)
    page.unroute("**/api/v1/analyze")
    page.locator("#retry").click()
    wait_state(page, "result")
    page.close()


def test_hostile_banner_and_reasons_stay_inert(browser: Any, live_server: str, pane_fixtures: dict[str, Any]) -> None:
    hostile = {
        "verdict": "phishing",
        "score": 99,
        "fingerprint": "x",
        "cached": False,
        "rules_version": "t",
        "reasons": [
            {"id": "x", "title": "<img src=x onerror=window.__pwned=1>", "detail": "<b>bold</b>", "evidence": {}}
        ],
        "banner": {
            "level": "danger",
            "title": "t",
            "text": "t",
            "notification": "n",
            "html": (
                '<div role="alert" onclick="window.__pwned=2"><p>Warning</p><script>window.__pwned=3</script>'
                '<img src=x onerror="window.__pwned=4"><a href="javascript:window.__pwned=5">x</a>'
                '<iframe srcdoc="<script>parent.__pwned=6</script>"></iframe></div>'
            ),
        },
    }
    page = open_pane(
        browser,
        live_server,
        pane_fixtures,
        routes={
            "**/api/v1/analyze": lambda route: route.fulfill(
                status=200, content_type="application/json", body=json.dumps(hostile)
            ),
        },
    )
    wait_state(page, "result")
    page.locator("#banner a").click()
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#banner img, #banner script, #banner iframe").count() == 0
    assert page.locator("#banner [onclick]").count() == 0
    assert page.locator("#banner a").get_attribute("href") is None
    assert page.locator("#reasons .ig-reason-title").inner_text() == "<img src=x onerror=window.__pwned=1>"
    assert page.locator("#reasons .ig-reason-detail").inner_text() == "<b>bold</b>"
    page.close()


def test_report_button_is_keyboard_reachable_retries_and_confirms(
    browser: Any, live_server: str, pane_fixtures: dict[str, Any]
) -> None:
    attempts: list[int] = []

    def flaky_reports(route: Any) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            route.fulfill(
                status=503,
                content_type="application/json",
                headers={"Retry-After": "1"},
                body=json.dumps({"error": {"code": "unavailable", "message": "try later"}}),
            )
        else:
            route.continue_()

    page = open_pane(browser, live_server, pane_fixtures, sets="1.5", routes={"**/api/v1/reports": flaky_reports})
    wait_state(page, "result")
    focused = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id"))
    assert {"report-category", "report-comment", "report-button"} <= set(focused)
    assert page.get_by_role("button", name="Report to security").count() == 1
    assert page.get_by_label("What is wrong with it?").count() == 1
    page.get_by_label("What is wrong with it?").select_option("callback")
    page.get_by_label("Anything else we should know? (optional)").fill("They want me to call")
    page.evaluate(
        """() => {
          window.__igStates = [];
          const status = document.getElementById("report-status");
          new MutationObserver(() => window.__igStates.push(status.dataset.state + ": " + status.textContent))
            .observe(status, { attributes: true, childList: true, characterData: true, subtree: true });
        }"""
    )
    page.locator("#report-button").focus()
    page.keyboard.press("Enter")
    status = page.locator("#report-status")
    expect(status).to_have_attribute("data-state", re.compile("^(done|failed)$"), timeout=15_000)
    states = page.evaluate("window.__igStates")
    assert "retrying: Couldn't reach InviteGuard — trying again (2 of 4)…" in states, states
    assert status.inner_text() in ("Thanks — our security team has it.", "Well spotted — this was a training exercise.")
    assert status.get_attribute("role") == "status"
    assert len(attempts) == 2
    page.close()


def test_mobile_says_the_check_is_weaker_and_a_failed_report_can_be_sent_again(
    browser: Any, live_server: str, pane_fixtures: dict[str, Any]
) -> None:
    """Outlook on iOS/Android (Mailbox 1.5): no EML and no header block, so the pane says the check
    is weaker there; a report the service never took keeps the form and offers Try again."""
    page = open_pane(browser, live_server, pane_fixtures, sets="1.5", width=320,
                     routes={"**/api/v1/reports": lambda route: route.abort("connectionrefused")})
    wait_state(page, "result")
    weaker = page.locator("#weaker")
    assert weaker.is_visible()
    assert "check is weaker" in weaker.inner_text()
    calls = page.evaluate("window.__igRecord.calls")
    assert "phish:eml" not in calls and "phish:headers" not in calls
    page.get_by_label("Anything else we should know? (optional)").fill("Got it on my phone")
    page.locator("#report-button").click()
    status = page.locator("#report-status")
    expect(status).to_have_attribute("data-state", "failed", timeout=30_000)
    assert page.locator("#report-button").inner_text() == "Try again"
    assert page.locator("#report-button").is_enabled()
    assert page.get_by_label("Anything else we should know? (optional)").input_value() == "Got it on my phone"
    page.screenshot(path=str(ARTIFACTS / "taskpane-mobile-failed-report.png"), full_page=True)
    page.unroute("**/api/v1/reports")
    page.locator("#report-button").click()
    expect(status).to_have_attribute("data-state", "done", timeout=30_000)
    assert page.locator("#report-button").inner_text() == "Report to security"
    page.close()

    desktop = open_pane(browser, live_server, pane_fixtures, sets="1.14")
    wait_state(desktop, "result")
    assert desktop.locator("#weaker").is_hidden()
    desktop.close()
