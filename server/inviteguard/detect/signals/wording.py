"""Wording: whether the message's words read like the callback lures of the training corpora.

The lexicons name the claims, pretexts and cues a lure makes, phrase by phrase, language by
language; a writer who words them otherwise walks past them. This signal weighs every word and
pair of words of the message instead, as a logistic model fitted by `inviteguard fit` from the
same labelled corpora as the weights (rules/wording.json). It reads the confusable skeletons of
the canonical view, so look-alike letters read as the letters they imitate.

It only ever adds suspicion: its strength is the model's log-odds when they are above 0, capped,
and nothing otherwise. Words of ordinary mail added to a lure can pull the model back to 0, never
below, so they cannot make a message look safer than the other signals say it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

from ..model import Evidence
from ..rules import WordingModel, load_wording
from .reading import Reading

BLOCK_CHARS = 5_000  # characters of each block read: a lure's wording is in its first screens
# The most log-odds the wording may lend: 3 and 6 cross-validate alike; the smaller lets it dominate less.
STRENGTH_MAX = 3.0
WORDS_SHOWN = 3

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")


def _block_tokens(text: str) -> set[str]:
    # Words with digits are amounts, dates, ids and numbers: this message's, not a lure's wording.
    words = [w for w in _WORD.findall(text[:BLOCK_CHARS]) if not _DIGIT.search(w)]
    return {*words, *(f"{a} {b}" for a, b in pairwise(words))}


def tokens(reading: Reading) -> frozenset[str]:
    """The words and adjacent word pairs of every block, on skeletons (lower case, look-alikes folded)."""
    found: set[str] = set()
    for skel in reading.skeletons:
        found |= _block_tokens(skel.text)
    return frozenset(found)


def log_odds(model: WordingModel, present: Iterable[str]) -> float:
    """The model's log-odds for these tokens."""
    return model.intercept + sum(model.weights.get(token, 0.0) for token in present)


def strength(value: float) -> float:
    """What log-odds above 0 lend the signal."""
    return min(value, STRENGTH_MAX)


def _as_written(reading: Reading, token: str) -> str:
    """A token (read on skeletons: "payrnent") as the message writes it ("payment")."""
    pattern = re.compile(rf"(?<!\w){re.escape(token)}(?!\w)")
    for block, skel in zip(reading.blocks, reading.skeletons, strict=True):
        found = pattern.search(skel.text, 0, BLOCK_CHARS)
        if found:
            start, end = skel.span(found.start(), found.end())
            return " ".join(block.text[start:end].split())
    return token


def lure_wording(reading: Reading) -> Iterable[Evidence]:
    """wording.reads_like_lures: the words read like the lures the model was fitted on."""
    model, present = load_wording(), tokens(reading)
    value = log_odds(model, present)
    if value > 0:
        # The words that added most: only worked out for a message the model reads as a lure.
        adding = sorted((token for token in present if model.weights.get(token, 0.0) > 0),
                        key=lambda token: (-model.weights[token], token))
        words = ", ".join(_as_written(reading, token) for token in adding[:WORDS_SHOWN])
        yield Evidence("wording.reads_like_lures", {"lure_words": words}, strength=strength(value))
