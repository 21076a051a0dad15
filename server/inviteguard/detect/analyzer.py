"""The one entry point the API, the CLI and the eval share: parse -> signals -> scoring.

What the eval measures is exactly what users get because every caller goes through here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from . import scoring, signals
from .model import Address, Evidence, ParsedMessage, Verdict
from .rules import Rules, load_rules


@dataclass(frozen=True)
class Feedback:
    """What readers' reports and the security team's triage taught us; the service fills it in
    (self-asserted reporters never count), the CLI leaves it empty."""

    campaign_reporters: int = 0  # distinct verified people who reported this campaign
    reporters_needed: int = 2  # from that many on, every copy is at least suspicious (never more)
    reported_phones: frozenset[str] = field(default_factory=frozenset)  # E.164 numbers an analyst confirmed
    campaign_confirmed: bool = False  # an analyst confirmed this campaign as phishing


NO_FEEDBACK = Feedback()


@dataclass(frozen=True)
class Analysis:
    message: ParsedMessage
    verdict: Verdict
    fingerprint: str


def campaign_fingerprint(message: ParsedMessage) -> str:
    """Identifies one campaign across all its copies, for grouping reports.

    Built from what the attacker wrote, as the reader sees it (the canonical view: a full-width
    or zero-width copy is the same campaign), and who sent it; never from per-recipient headers
    (To, Message-ID, Received, Date, the SRS hash), so 5,000 copies of one list invite share it.
    """
    sender = message.from_.address if message.from_ else ""
    organizers = [i.organizer.address for i in message.invites if i.organizer]
    parts = [message.kind, sender, *organizers, *(f"{b.source}\x1e{b.text}" for b in message.texts)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _return_path(message: ParsedMessage) -> str:
    # Signals read only the domains of a return path: the SRS hash and timestamp, and a VERP
    # bounce address, differ per copy and must not split one campaign's cache entry.
    original = signals.forwarding.srs_original_domain(message.return_path)
    domain = message.return_path.rpartition("@")[2]
    return f"srs:{original}@{domain}" if signals.forwarding.is_srs(message.return_path) else domain


def _recipients(message: ParsedMessage) -> list[object]:
    # Signals read of To and Cc only their domains (phone regions) and whether any of them is a
    # guest of the invite; each copy a list delivers has its own To.
    attendees = {a.address for invite in message.invites for a in invite.attendees}
    return [sorted({a.domain for a in message.recipients}), any(a.address in attendees for a in message.recipients)]


def _values(value: object) -> object:
    """A dataclass's field values, nested ones' too, as json writes dataclasses.astuple's (a list
    where astuple gives a tuple), without astuple's deep copy of every value: a sixth of the work
    of each list copy that the cache answers."""
    if dataclasses.is_dataclass(value):
        return [_values(getattr(value, f.name)) for f in dataclasses.fields(value)]
    if isinstance(value, tuple):
        return [_values(item) for item in value]
    return value


def verdict_key(message: ParsedMessage) -> str:
    """A hash of exactly what the signals read of a message, so equal keys get equal verdicts.

    Every field of the parsed message is in it except the raw header list, of which only the
    headers a signal reads are (`forwarding.reads_header`; a test keeps every other signal off the
    raw headers), the return path, reduced to the domains signals read, and To/Cc, reduced to what
    signals read of them. Report standing, rules and text versions are added by the cache;
    nothing per recipient is in it.
    """
    def address(a: Address | None) -> list[str] | None:
        return [a.name, a.address] if a else None

    data = {
        "kind": message.kind, "subject": message.subject, "from": address(message.from_),
        "sender": address(message.sender), "reply_to": [address(a) for a in message.reply_to],
        "recipients": _recipients(message), "return_path": _return_path(message),
        "auth": [_values(a) for a in message.auth], "dkim": list(message.dkim_domains),
        "texts": [_values(b) for b in message.texts], "links": list(message.links),
        "invites": [_values(i) for i in message.invites],
        "item": _values(message.item) if message.item else None,
        "headers": [[k, v] for k, v in message.headers if signals.forwarding.reads_header(k)],
        "problems": list(message.problems),  # what was not read: the verdict's note names it
        "disguised_numbers": list(message.disguised_numbers),
    }
    encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    return hashlib.sha256(encoded).hexdigest()[:40]


def callback_numbers(message: ParsedMessage) -> tuple[str, ...]:
    """Every number the message gives to call (E.164, dial-ins left out): what reports count."""
    return signals.phone.all_numbers(signals.Reading(message))


def collect_evidence(message: ParsedMessage, feedback: Feedback = NO_FEEDBACK) -> tuple[Evidence, ...]:
    return evidence_of(signals.Reading(message), feedback)


def evidence_of(reading: signals.Reading, feedback: Feedback = NO_FEEDBACK) -> tuple[Evidence, ...]:
    """Every signal's evidence from one reading of a message (the fit reads its wording from the
    same reading)."""
    found: list[Evidence] = []
    for signal in signals.ALL:
        found.extend(signal(reading))
    found.extend(signals.feedback.from_reports(found, feedback.campaign_reporters, feedback.reporters_needed,
                                               feedback.reported_phones, feedback.campaign_confirmed))
    return tuple(found)


def judged(reading: signals.Reading, feedback: Feedback = NO_FEEDBACK, rules: Rules | None = None
           ) -> tuple[tuple[Evidence, ...], Verdict]:
    """The evidence of one reading and its verdict: what `judge` answers, with the evidence the fit
    turns into a row of features."""
    evidence = evidence_of(reading, feedback)
    return evidence, scoring.score(evidence, rules or load_rules())


def judge(message: ParsedMessage, feedback: Feedback = NO_FEEDBACK, rules: Rules | None = None) -> Verdict:
    return judged(signals.Reading(message), feedback, rules)[1]


def analyze(message: ParsedMessage, feedback: Feedback = NO_FEEDBACK, rules: Rules | None = None) -> Analysis:
    return Analysis(message, judge(message, feedback, rules), campaign_fingerprint(message))

