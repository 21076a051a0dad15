"""The opt-in event-based Outlook manifest: GET /addin/outlook/manifest-event-based.xml.

The standard manifest plus an OnMessageReadWithCustomHeader launch event on X-InviteGuard-Verdict,
the header mail flow stamps (inviteguard.mailflow), so classic Outlook on Windows shows the verdict
in the notification bar when a stamped message opens, without a click. A preview feature of
Outlook; addin_manifest/outlook/README.md says which clients run it.
"""

from __future__ import annotations

import flask

from . import outlook

TEMPLATE = "manifest-event-based.xml"
HEADER = "X-InviteGuard-Verdict"
HANDLER = "onStampedMessageRead"  # static/outlook/readevent.js associates it


def manifest_view() -> flask.Response:
    return outlook.manifest_view(TEMPLATE)


def register(bp: flask.Blueprint) -> None:
    prefix = (bp.url_prefix or "").rstrip("/")
    base = "/outlook" if prefix.endswith("/addin") else "/addin/outlook"
    bp.add_url_rule(f"{base}/manifest-event-based.xml", endpoint="outlook_manifest_event_based",
                    view_func=manifest_view)
