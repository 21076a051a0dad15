"""The analyzer as the service sees it: fingerprint, verdict key, judge, rules version.

A seam, like the injected `messenger` of the add-in tests: the app takes any object with these
methods from `create_app({"ENGINE": ...})`; the default is the real analyzer. Tests wrap the real
analyzer in it to count how often it runs.
"""

from __future__ import annotations

from typing import Protocol

from .analyzer import NO_FEEDBACK, Feedback, campaign_fingerprint, judge, verdict_key
from .model import ParsedMessage, Verdict
from .rules import load_rules


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
