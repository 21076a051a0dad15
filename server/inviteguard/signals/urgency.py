"""Urgency: pressure to act before thinking."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from ..model import Evidence, ParsedMessage
from ..rules import load_lexicon
from .text import PhraseList


@cache
def _urgency() -> PhraseList:
    return PhraseList(load_lexicon().urgency)


def language(message: ParsedMessage) -> Iterable[Evidence]:
    """urgency.language"""
    for block in message.texts:
        found = _urgency().search(block.text)
        if found:
            yield Evidence("urgency.language", {"urgency_phrase": found.text})
            return
