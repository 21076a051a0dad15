"""The opt-in event-based Outlook manifest: the standard add-in plus a launch event on the header mail
flow stamps, in schema order, served beside the standard manifest and built by `build-addins`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from inviteguard import create_app
from inviteguard.addins import outlook_event_based
from inviteguard.addins.outlook_manifest import deployment_addin_id, render_outlook_manifest
from inviteguard.addins.routes import build_addins
from inviteguard.mailflow.stamp import VERDICT
from test_outlook_addin import BASE, NS, XSI_TYPE, order_problems

STATIC = Path(__file__).resolve().parents[2] / "static" / "outlook"


def render_variant(**kwargs) -> str:
    return render_outlook_manifest(BASE, deployment_addin_id(BASE), "0.1.0", template=outlook_event_based.TEMPLATE,
                                   **kwargs)


def test_the_variant_is_the_standard_add_in_plus_one_launch_event():
    standard = render_outlook_manifest(BASE, deployment_addin_id(BASE), "0.1.0")
    variant = render_variant()
    assert variant.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(variant)
    assert order_problems(root) == []
    assert root.find("o:Id", NS).text == ET.fromstring(standard).find("o:Id", NS).text
    desktop = root.find(".//v11:DesktopFormFactor", NS)
    [launch] = [p for p in desktop.findall("v11:ExtensionPoint", NS) if p.get(XSI_TYPE) == "LaunchEvent"]
    [event] = launch.findall("v11:LaunchEvents/v11:LaunchEvent", NS)
    assert event.attrib == {"Type": "OnMessageReadWithCustomHeader", "FunctionName": outlook_event_based.HANDLER,
                            "HeaderName": VERDICT}
    runtime = root.find(".//v11:Runtimes/v11:Runtime", NS).get("resid")
    assert launch.find("v11:SourceLocation", NS).get("resid") == runtime
    assert f'Office.actions.associate("{outlook_event_based.HANDLER}"' in (STATIC / "readevent.js").read_text()
    # Apart from the launch event, nothing differs.
    same = ET.canonicalize(ET.tostring(_without_launch_event(root)), strip_text=True)
    assert same == ET.canonicalize(ET.tostring(ET.fromstring(standard)), strip_text=True)
    assert order_problems(ET.fromstring(render_variant(entra_client_id="6a7b3c1e-0000-4000-8000-00000000abcd"))) == []


def _without_launch_event(root: ET.Element) -> ET.Element:
    desktop = root.find(".//v11:DesktopFormFactor", NS)
    for point in desktop.findall("v11:ExtensionPoint", NS):
        if point.get(XSI_TYPE) == "LaunchEvent":
            desktop.remove(point)
    return root


def test_served_beside_the_standard_manifest_and_built_with_it(tmp_path: Path):
    app = create_app({"TESTING": True, "PUBLIC_URL": BASE, "ALLOW_OPEN_API": True})  # manifests only
    response = app.test_client().get("/addin/outlook/manifest-event-based.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert b'Type="OnMessageReadWithCustomHeader"' in response.data
    assert b"OnMessageReadWithCustomHeader" not in app.test_client().get("/addin/outlook/manifest.xml").data
    runtime = app.test_client().get("/addin/outlook/runtime.js").get_data(as_text=True)
    assert (STATIC / "readevent.js").read_text() in runtime
    written = build_addins(tmp_path, BASE)
    assert tmp_path / "outlook-manifest-event-based.xml" in written
    assert "OnMessageReadWithCustomHeader" in (tmp_path / "outlook-manifest-event-based.xml").read_text()
