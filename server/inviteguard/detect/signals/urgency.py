"""Urgency: pressure to act before thinking."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from ..model import Evidence
from ..rules import load_lexicon
from .reading import Reading
from .text import PhraseList


@cache
def _urgency() -> PhraseList:
    return PhraseList(load_lexicon().phrases("urgency"))


def language(reading: Reading) -> Iterable[Evidence]:
    """urgency.language"""
    found = reading.first(_urgency())
    if found:
        yield Evidence("urgency.language", {"urgency_phrase": found[0].text})
