"""Urgency: pressure to act before thinking."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Evidence
from .reading import Reading


def language(reading: Reading) -> Iterable[Evidence]:
    """urgency.language"""
    found = reading.first_listed("urgency")
    if found:
        yield Evidence("urgency.language", {"urgency_phrase": found[0].text})
