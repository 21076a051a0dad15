"""What verified colleagues' reports and the security team's triage say about this campaign and
the numbers it asks readers to call."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Evidence

CAMPAIGN_REPORTED = "feedback.campaign_reported"


def from_reports(found: Iterable[Evidence], campaign_reporters: int, reporters_needed: int,
                 reported_phones: frozenset[str], campaign_confirmed: bool) -> Iterable[Evidence]:
    """feedback.campaign_confirmed, feedback.campaign_reported and feedback.reported_phone"""
    if campaign_confirmed:
        yield Evidence("feedback.campaign_confirmed", {})
    if reporters_needed and campaign_reporters >= reporters_needed:
        yield Evidence(CAMPAIGN_REPORTED, {"reporters": campaign_reporters})
    if reported_phones:
        for evidence in found:
            if evidence.signal == "callback.phone":
                numbers = evidence.facts.get("numbers", ())
                hit = next((n for n in numbers if n in reported_phones), None) if isinstance(numbers, tuple) else None
                if hit:
                    yield Evidence("feedback.reported_phone", {"reported_phone": hit})
                    return
