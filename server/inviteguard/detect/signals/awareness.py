"""Scam awareness: a newsletter or IT notice that describes callback scams, quoting their amounts,
brands and "call to cancel" wording, is a warning, not a lure."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from ..model import Evidence, ParsedMessage
from ..rules import load_lexicon
from .text import PhraseList, first_phrase


@cache
def _awareness() -> PhraseList:
    return PhraseList(load_lexicon().scam_awareness)


def warning_about_scams(message: ParsedMessage) -> Iterable[Evidence]:
    """trust.scam_awareness"""
    found = first_phrase(message, _awareness())
    if found:
        yield Evidence("trust.scam_awareness", {"awareness_phrase": found[0].text})
