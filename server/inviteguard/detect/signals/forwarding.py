"""Forwarding: Sender Rewriting Scheme return paths, list expansion, an invite addressed to people
who are not its guests.

None of these is bad on its own (lists forward invites every day); they explain how an invite
meant for "all-staff" reached this reader. None reads a per-recipient header (Delivered-To, the SRS
hash), so the 5,000 copies a list delivers are judged, and cached, as one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.utils import parseaddr

from ..model import Evidence, ParsedMessage
from .reading import Reading

# SRS0=HHH=TT=orig-domain=orig-local@forwarder; SRS1=HHH=first-forwarder==HHH=TT=orig-domain=local@...
# and the "+SRS=" forms Microsoft 365 and some hosts use: bounces+SRS=HHH=TT=domain=local@tenant.
_SRS = re.compile(r"(?:^|[+=])SRS[01]?[=+-]", re.IGNORECASE)
_SRS_TAIL = re.compile(r"=([A-Za-z0-9]{2})=([A-Za-z0-9.-]+\.[A-Za-z]{2,})=([^=@]*)@[^@]+$")
_LIST_HEADERS = ("list-id", "list-post", "x-beenthere", "mailing-list", "resent-from", "resent-sender",
                 "x-forwarded-to", "x-forwarded-for")
_EXPANSION_NAME = re.compile(r"^x-ms-exchange-organization-(?:expanded|dl|distributionlist|expansion)", re.I)


def is_srs(return_path: str) -> bool:
    local = return_path.rpartition("@")[0]
    return bool(_SRS.search(local))


def srs_original_domain(return_path: str) -> str:
    """The original sender's domain inside an SRS address, or ""."""
    if not is_srs(return_path):
        return ""
    tail = _SRS_TAIL.search(return_path)
    return tail.group(2).lower() if tail else ""


def srs(reading: Reading) -> Iterable[Evidence]:
    """forward.srs"""
    message = reading.message
    if message.return_path and is_srs(message.return_path):
        yield Evidence("forward.srs", {
            "original_domain": srs_original_domain(message.return_path),
            "forwarder": message.return_path.rpartition("@")[2],
        })


# Where a list that rewrote From to its own address keeps the original sender: Google Groups
# writes X-Original-Sender, Sympa and others X-Original-From.
_ORIGINAL_SENDER_HEADERS = ("x-original-sender", "x-original-from")
# Raw headers signals read besides these list headers (reading.py: whether mail is internal).
_OTHER_READ_HEADERS = frozenset({"x-ms-exchange-organization-authas", *_ORIGINAL_SENDER_HEADERS})
_MAILTO = re.compile(r"<mailto:([^>?\s]{1,254})")


def _is_list_header(name: str) -> bool:
    return name in _LIST_HEADERS or bool(_EXPANSION_NAME.match(name))


def reads_header(name: str) -> bool:
    """The raw headers a signal reads (the verdict key includes exactly these)."""
    return _is_list_header(name) or name in _OTHER_READ_HEADERS


def _list_addresses(message: ParsedMessage) -> set[str]:
    """The addresses a mailing list posts from, as its own headers name them."""
    found = {value.strip().lower() for value in message.header_values("x-beenthere")}
    for value in message.header_values("list-post"):
        found.update(m.group(1).lower() for m in _MAILTO.finditer(value[:1000]))
    return found


def list_original_sender(message: ParsedMessage) -> str:
    """The address a mailing list rewrote out of From, or "".

    A list that relays a post from a domain with a strict DMARC policy (Google Forms, PayPal) writes
    the post From its own address ("'Google Forms' via staff") and keeps the original sender in a
    header of its own. Read only when From is the list's own address, as its list headers name it:
    the list, not whoever wrote the post, says who that was.
    """
    sender = message.from_
    if sender is None or sender.address not in _list_addresses(message):
        return ""
    for name in _ORIGINAL_SENDER_HEADERS:
        for value in message.header_values(name):
            _, address = parseaddr(value[:1000])
            if "@" in address:
                return address.strip().lower()
    return ""


def list_expansion(reading: Reading) -> Iterable[Evidence]:
    """forward.list_expansion"""
    for name, value in reading.message.headers:
        if _is_list_header(name):
            yield Evidence("forward.list_expansion", {"list_header": name, "list": value[:200]})
            return


def reader_not_attendee(reading: Reading) -> Iterable[Evidence]:
    """forward.reader_not_attendee: the invite is addressed (To/Cc) to nobody on its guest list, as
    when an organiser invites a distribution list that forwards it."""
    message = reading.message
    attendees = {a.address for invite in message.invites for a in invite.attendees}
    addressed = {a.address for a in message.recipients}
    if attendees and addressed and not addressed & attendees:
        # Not who it was addressed to: that differs in each copy a list delivers.
        yield Evidence("forward.reader_not_attendee", {"attendees": tuple(sorted(attendees)[:5])})
