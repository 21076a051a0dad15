"""Urgency: pressure to act before thinking."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from ..model import Evidence, ParsedMessage
from ..rules import load_lexicon
from .text import PhraseList, first_phrase


@cache
def _urgency() -> PhraseList:
    return PhraseList(load_lexicon().urgency)


def language(message: ParsedMessage) -> Iterable[Evidence]:
    """urgency.language"""
    found = first_phrase(message, _urgency())
    if found:
        yield Evidence("urgency.language", {"urgency_phrase": found[0].text})
