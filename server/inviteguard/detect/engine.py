"""The analyzer as the service sees it: fingerprint, verdict key, judge, rules version.

A seam, like the injected `messenger` of the add-in tests: the app takes any object with these
methods from `create_app({"ENGINE": ...})`; the default is the real analyzer. Tests wrap the real
analyzer in it to count how often it runs.
"""

from __future__ import annotations

from typing import Protocol

from .analyzer import NO_FEEDBACK, Feedback, callback_numbers, campaign_fingerprint, judge, verdict_key
from .model import ParsedMessage, Verdict
from .parse import parse_raw
from .rules import load_rules

# A message that takes every part of the analysis once (HTML, a calendar part, a number, amounts,
# a brand, two languages), so a worker loads and compiles its rules before its first reader.
_WARM_UP = (b"From: Billing <billing@example.org>\r\nTo: reader@example.com\r\nSubject: Invoice\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=w\r\n\r\n--w\r\n"
            b"Content-Type: text/html; charset=utf-8\r\n\r\n"
            b"<p>You paid $599.00 to PayPal. Not you? Call +1 808 555 0199.</p>\r\n--w\r\n"
            b"Content-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n"
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//InviteGuard//warm-up//EN\r\nMETHOD:REQUEST\r\n"
            b"BEGIN:VEVENT\r\nUID:warm-up\r\nDTSTART:20260101T100000Z\r\nSUMMARY:Rechnung\r\n"
            b"DESCRIPTION:Sie haben 49\\,00 EUR bezahlt.\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n--w--\r\n")


class Engine(Protocol):
    def fingerprint(self, message: ParsedMessage) -> str: ...

    def verdict_key(self, message: ParsedMessage) -> str: ...

    def judge(self, message: ParsedMessage, feedback: Feedback = NO_FEEDBACK) -> Verdict: ...

    def rules_version(self) -> str: ...


class AnalyzerEngine:
    """The real detection engine: inviteguard.analyzer and the rules it loads."""

    def fingerprint(self, message: ParsedMessage) -> str:
        return campaign_fingerprint(message)

    def verdict_key(self, message: ParsedMessage) -> str:
        return verdict_key(message)

    def judge(self, message: ParsedMessage, feedback: Feedback = NO_FEEDBACK) -> Verdict:
        return judge(message, feedback)

    def rules_version(self) -> str:
        return load_rules().version

    def warm(self) -> None:
        """Loads and compiles the rules now (seconds: every language's vocabulary) rather than
        while the first reader after a worker starts waits for a verdict."""
        message = parse_raw(_WARM_UP)
        self.fingerprint(message)
        self.verdict_key(message)
        self.judge(message)
        callback_numbers(message)
