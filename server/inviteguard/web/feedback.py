"""What readers' reports and the security team's triage contribute to a verdict, as the analyze
endpoint asks for it.

The web layer defines the question and `reports` answers it (its ReportStore implements
ReportFeedback), so analyze never imports the report store and the layers stay one-way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from ..detect.analyzer import Feedback
from ..detect.model import ParsedMessage

Decision = Literal["", "confirmed", "cleared"]


@dataclass(frozen=True)
class Standing:
    """What reports say about one campaign, as far as it changes a verdict. Only verified
    reporters count; an analyst's decision overrides them; `policy` names the settings that
    decide whose mail reports may escalate (the organisation's own domains)."""

    verified_reporters: int
    decision: Decision
    phones_generation: int
    reporters_needed: int
    policy: str = ""

    @property
    def counted_reporters(self) -> int:
        if self.decision == "cleared":
            return 0
        return self.verified_reporters if 0 < self.reporters_needed <= self.verified_reporters else 0

    @property
    def cache_tag(self) -> str:
        """Part of the verdict-cache key. It changes when a campaign reaches the threshold, with
        every verified reporter after that ("N colleagues"), with an analyst's decision, whenever
        the confirmed-number set changes and when the policy does, so those verdicts are judged
        afresh on the next open; while none of that applies it stays ""."""
        if not self.counted_reporters and not self.decision and not self.phones_generation:
            return ""
        return (f"reporters={self.counted_reporters};decision={self.decision};phones={self.phones_generation};"
                f"policy={self.policy}")


NO_STANDING = Standing(0, "", 0, 0)


class ReportFeedback(Protocol):
    # Redis counters bumped after every change to any campaign's standing or to the confirmed
    # numbers: answers kept for exact copies are fenced by them (cache.AnswerCache).
    generation_keys: tuple[str, ...]

    def standing(self, fingerprint: str) -> Standing: ...

    def feedback(self, message: ParsedMessage, standing: Standing) -> Feedback: ...
