"""The one entry point the API, the CLI and the eval share: parse -> signals -> scoring.

What the eval measures is exactly what users get because every caller goes through here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import unicodedata
from dataclasses import dataclass, field

from . import scoring, signals
from .model import Evidence, ParsedMessage, Verdict
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


def _normal(text: str) -> str:
    # NFKC folds full-width and other compatibility digits, so obfuscated copies still match.
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def campaign_fingerprint(message: ParsedMessage) -> str:
    """Identifies one campaign across all its copies.

    Built from what the attacker wrote and who sent it, never from per-recipient headers (To,
    Message-ID, Received, Date, the SRS hash), so 5,000 copies of one list invite share it.
    """
    sender = message.from_.address if message.from_ else ""
    parts = [message.kind, sender]
    if message.invites:
        for invite in message.invites:
            organizer = invite.organizer.address if invite.organizer else ""
            parts += [organizer, invite.summary, invite.description, invite.location]
    else:
        parts += [message.subject, message.body]
        parts += [block.text for block in message.attachments]
    digest = hashlib.sha256("\x1f".join(_normal(p) for p in parts).encode("utf-8"))
    return digest.hexdigest()[:32]


def callback_numbers(message: ParsedMessage) -> tuple[str, ...]:
    """Every number the message gives to call (E.164, dial-ins left out): what reports count."""
    return signals.phone.all_numbers(message)


def collect_evidence(message: ParsedMessage, feedback: Feedback = NO_FEEDBACK) -> tuple[Evidence, ...]:
    found: list[Evidence] = []
    for signal in signals.ALL:
        found.extend(signal(message))
    found.extend(signals.feedback.from_reports(found, feedback.campaign_reporters, feedback.reporters_needed,
                                               feedback.reported_phones, feedback.campaign_confirmed))
    return tuple(found)


def judge(message: ParsedMessage, feedback: Feedback = NO_FEEDBACK, rules: Rules | None = None) -> Verdict:
    rules = rules or load_rules()
    evidence = collect_evidence(message, feedback)
    verdict = scoring.score(evidence, rules)
    reported = signals.feedback.CAMPAIGN_REPORTED
    if verdict.level != "phishing" or not any(e.signal == reported for e in evidence):
        return verdict
    if scoring.score([e for e in evidence if e.signal != reported], rules).level == "phishing":
        return verdict
    # Colleagues' reports raise a campaign to suspicious at most: "phishing" takes the detector's
    # own findings or an analyst's confirmation.
    return dataclasses.replace(verdict, level="suspicious", score=min(verdict.score, rules.phishing_threshold - 1))


def analyze(message: ParsedMessage, feedback: Feedback = NO_FEEDBACK, rules: Rules | None = None) -> Analysis:
    return Analysis(message, judge(message, feedback, rules), campaign_fingerprint(message))

