"""Forwarding: Sender Rewriting Scheme return paths, list expansion, a reader who was not invited.

None of these is bad on its own (lists forward invites every day); they explain how an invite
meant for "all-staff" reached this reader, and why the reader is not on its guest list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..model import Evidence, ParsedMessage

# SRS0=HHH=TT=orig-domain=orig-local@forwarder; SRS1=HHH=first-forwarder==HHH=TT=orig-domain=local@...
# and the "+SRS=" forms Microsoft 365 and some hosts use: bounces+SRS=HHH=TT=domain=local@tenant.
_SRS = re.compile(r"(?:^|[+=])SRS[01]?[=+-]", re.IGNORECASE)
_SRS_TAIL = re.compile(r"=([A-Za-z0-9]{2})=([A-Za-z0-9.-]+\.[A-Za-z]{2,})=([^=@]*)@[^@]+$")
_LIST_HEADERS = ("list-id", "list-post", "x-beenthere", "mailing-list", "resent-from", "resent-sender",
                 "x-forwarded-to", "x-forwarded-for")
_EXPANSION_NAME = re.compile(r"^x-ms-exchange-organization-(?:expanded|dl|distributionlist|expansion)", re.I)
_READER_HEADERS = ("delivered-to", "x-original-to", "x-ms-exchange-organization-originalenveloperecipients",
                   "envelope-to", "x-envelope-to")


def is_srs(return_path: str) -> bool:
    local = return_path.rpartition("@")[0]
    return bool(_SRS.search(local))


def srs_original_domain(return_path: str) -> str:
    """The original sender's domain inside an SRS address, or ""."""
    if not is_srs(return_path):
        return ""
    tail = _SRS_TAIL.search(return_path)
    return tail.group(2).lower() if tail else ""


def srs(message: ParsedMessage) -> Iterable[Evidence]:
    """forward.srs"""
    if message.return_path and is_srs(message.return_path):
        yield Evidence("forward.srs", {
            "return_path": message.return_path,
            "original_domain": srs_original_domain(message.return_path),
            "forwarder": message.return_path.rpartition("@")[2],
        })


def list_expansion(message: ParsedMessage) -> Iterable[Evidence]:
    """forward.list_expansion"""
    for name, value in message.headers:
        if name in _LIST_HEADERS or _EXPANSION_NAME.match(name):
            yield Evidence("forward.list_expansion", {"list_header": name, "list": value[:200]})
            return


def reader_not_attendee(message: ParsedMessage) -> Iterable[Evidence]:
    """forward.reader_not_attendee: the mailbox it was delivered to is not on the guest list."""
    attendees = {a.address for invite in message.invites for a in invite.attendees}
    if not attendees:
        return
    readers = set()
    for name in _READER_HEADERS:
        for value in message.header_values(name):
            readers.update(part.strip().strip("<>").lower() for part in value.split(",") if "@" in part)
    if readers and not readers & attendees:
        yield Evidence("forward.reader_not_attendee", {
            "reader": sorted(readers)[0], "attendees": tuple(sorted(attendees)[:5]),
        })
