"""The domain data that flows api -> analyzer -> banner -> cache.

Everything here is a frozen dataclass: a parsed message, the evidence a signal found in it, and
the verdict scoring made of that evidence. Nothing here knows of Flask, Redis or Jinja.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Level = Literal["phishing", "suspicious", "clean"]
# Where a piece of text was found; reasons name it ("its notes claim ..."). `address` is the mail
# addresses a reader sees (sender, reply-to, an invite's organiser and guests), where the phone
# signal finds numbers run into identifiers; they are not part of the canonical view's texts.
TextSource = Literal[
    "subject", "body", "summary", "description", "location", "organizer_name", "from_name", "attachment", "file_name",
    "address",
]
EvidenceValue = str | int | float | bool | tuple[str, ...]


@dataclass(frozen=True)
class Address:
    name: str
    address: str  # lower-cased addr-spec, "" when absent

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2] if "@" in self.address else ""


@dataclass(frozen=True)
class AuthResult:
    """One method's result from an Authentication-Results style header."""

    method: str  # spf | dkim | dmarc | compauth | arc
    result: str  # pass | fail | softfail | neutral | none | temperror | permerror | ...
    domain: str  # the domain the result speaks for (header.d, smtp.mailfrom, header.from)
    header: str  # authentication-results | arc-authentication-results
    instance: int = 0  # ARC instance (i=), 0 for Authentication-Results


@dataclass(frozen=True)
class Attendee:
    address: str
    name: str
    role: str
    partstat: str


@dataclass(frozen=True)
class Invite:
    """One VEVENT of a calendar invite, reduced to what a reader sees."""

    method: str  # REQUEST, CANCEL, PUBLISH ... ("" when absent)
    prodid: str
    summary: str
    description: str
    location: str
    organizer: Address | None
    attendees: tuple[Attendee, ...]
    start: str  # ISO text as given; display only
    zone: str = ""  # DTSTART's TZID as written: an Olson name ("Africa/Lusaka") or a Windows one
    notes_html: str = ""  # X-ALT-DESC rendered, when it says something DESCRIPTION does not
    # COMMENT, CONTACT, the number or address the event's link (URL) dials or writes to, and the
    # reminders' (VALARM) descriptions
    comment: str = ""
    conference: str = ""  # the conferencing link the calendar itself carries (X-GOOGLE-CONFERENCE, URL)
    # The conference the calendar service attached itself (Google Meet's X-GOOGLE-CONFERENCE,
    # Teams' X-MICROSOFT-* links): properties its user interface gives a stranger no way to write.
    attested_conference: str = ""


@dataclass(frozen=True)
class TextBlock:
    """One piece of what the reader sees, in canonical form (view.py)."""

    source: TextSource
    text: str
    name: str = ""  # attachment file name; "text/plain" or "text/html" for a body alternative
    truncated: bool = False  # its middle was left out (head and tail kept)


@dataclass(frozen=True)
class OutlookItem:
    """Item fields Office.js gives an add-in even when it cannot give the raw message."""

    item_class: str = ""
    subject: str = ""
    sender: str = ""
    start: str = ""
    end: str = ""
    location: str = ""
    attachments: tuple[str, ...] = ()  # the attachments' file names, as the reading pane lists them


@dataclass(frozen=True)
class AttachedFile:
    """An attachment whose bytes the Outlook add-in read, as Outlook names and types it; a picture
    the body draws by cid: with its content id (Outlook's contentId), "" for any other."""

    name: str
    content_type: str
    data: bytes
    content_id: str = ""


@dataclass(frozen=True)
class ParsedMessage:
    headers: tuple[tuple[str, str], ...]  # (lower-case name, decoded unfolded value), in order
    subject: str
    from_: Address | None
    sender: Address | None
    reply_to: tuple[Address, ...]
    recipients: tuple[Address, ...]  # To + Cc
    return_path: str
    auth: tuple[AuthResult, ...]
    dkim_domains: tuple[str, ...]  # d= of every DKIM-Signature, lower-case
    body: str  # readable body text (plain preferred, else HTML rendered to text)
    invites: tuple[Invite, ...]
    attachments: tuple[TextBlock, ...]  # text extracted from attached documents
    kind: Literal["eml", "ics", "outlook"]
    item: OutlookItem | None = None
    problems: tuple[str, ...] = field(default=())  # what could not be read, said plainly
    # The one canonical view: every piece of reader-visible text, labelled with where it sits.
    # Every signal, the campaign fingerprint and the banner's evidence read this.
    texts: tuple[TextBlock, ...] = field(default=())
    links: tuple[str, ...] = field(default=())  # web links in the bodies and notes, in order
    # The digits of numbers written to dodge a filter (invisible characters between digits,
    # full-width digits outside East Asian text, mathematical digits), which `texts` show as
    # plain digits (view.disguised_numbers).
    disguised_numbers: tuple[str, ...] = field(default=())

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    def header_values(self, name: str) -> tuple[str, ...]:
        name = name.lower()
        return tuple(value for key, value in self.headers if key == name)

    @property
    def is_invite(self) -> bool:
        return bool(self.invites) or (self.item is not None and self.item.item_class.startswith(
            "IPM.Schedule.Meeting"))


@dataclass(frozen=True)
class Evidence:
    """What one signal found. `facts` are the values reason texts may name."""

    signal: str  # id in rules/signals.yaml, e.g. "callback.phone"
    facts: Mapping[str, EvidenceValue] = field(default_factory=dict)
    # How much of its weight the signal adds: 1 for a fact; a graded signal's measure (the wording
    # model's log-odds, never below 0) otherwise.
    strength: float = 1.0


@dataclass(frozen=True)
class Reason:
    id: str
    weight: float  # what it added to the verdict's log-odds (policy reasons: +-100)
    evidence: Mapping[str, EvidenceValue]
    group: str = ""  # the fact it speaks of; several reasons of one group say one thing


@dataclass(frozen=True)
class Verdict:
    level: Level
    score: int  # 0..100
    reasons: tuple[Reason, ...]  # strongest first
    rules_version: str
