"""What readers' reports contribute to a verdict, as the analyze endpoint asks for it.

The web layer defines the question and `reports` answers it (its ReportStore implements
ReportFeedback), so analyze never imports the report store and the layers stay one-way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..detect.analyzer import Feedback
from ..detect.model import ParsedMessage


@dataclass(frozen=True)
class Standing:
    """What reports say about one campaign, as far as it changes a verdict."""

    campaign_reporters: int
    phones_generation: int
    reporters_needed: int

    @property
    def counted_reporters(self) -> int:
        return self.campaign_reporters if 0 < self.reporters_needed <= self.campaign_reporters else 0

    @property
    def cache_tag(self) -> str:
        """Part of the verdict-cache key. It changes when a campaign reaches the threshold, with
        every reporter after that ("N colleagues"), and whenever the reputation set changes, so
        those verdicts are judged afresh on the next open; below the threshold it stays ""."""
        if not self.counted_reporters and not self.phones_generation:
            return ""
        return f"reporters={self.counted_reporters};phones={self.phones_generation}"


NO_STANDING = Standing(0, 0, 0)


class ReportFeedback(Protocol):
    def standing(self, fingerprint: str) -> Standing: ...

    def feedback(self, message: ParsedMessage, standing: Standing) -> Feedback: ...
