"""Scam awareness: a newsletter or IT notice that describes callback scams, quoting their amounts,
brands and "call to cancel" wording, is a warning, not a lure. Only in the sender's own words: a
stranger who writes "beware of scammers" into relayed notes is no evidence of safety."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Evidence
from .platform import in_stranger_text
from .reading import Reading

# Distinct awareness phrases a warning has; a lure borrows one ("beware of fraudsters") at most.
PHRASES_NEEDED = 2


def warning_about_scams(reading: Reading) -> Iterable[Evidence]:
    """trust.scam_awareness"""
    found: dict[str, str] = {}
    for match, _ in reading.listed("scam_awareness", lambda block: not in_stranger_text(reading, block)):
        found.setdefault(match.text.casefold(), match.text)
        if len(found) >= PHRASES_NEEDED:
            yield Evidence("trust.scam_awareness", {"awareness_phrase": next(iter(found.values()))})
            return
