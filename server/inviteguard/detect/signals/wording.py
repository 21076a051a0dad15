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

import math
import re
from collections.abc import Iterable
from functools import cache, lru_cache
from itertools import pairwise

from ..model import Evidence
from ..rules import WordingModel, load_wording
from .reading import BLOCKS_KEPT, Reading
from .text import WORD_CHAR

BLOCK_CHARS = 5_000  # characters of each block read: a lure's wording is in its first screens
# The most log-odds the wording may lend: 3 and 6 cross-validate alike; the smaller lets it dominate less.
STRENGTH_MAX = 3.0
WORDS_SHOWN = 3
# A longer word is also read as its first letters, its stem: inflected forms share it ("zahl~" for
# Zahlung, Zahlungen, zahlungspflichtig; "płat~" for płatność, płatności). Held out by batch,
# 4 letters from 6 up gave the most recall at the same ham rate (3, 5 and 6 letters, and none, less).
STEM_CHARS = 4
STEM_FROM = 6
STEM_MARK = "~"

# Scripts written without spaces between words (Han, kana, Thai, Lao, Myanmar, Khmer): a run of
# them is a whole sentence, never a word, so it is read as its pairs of adjacent characters.
_UNSPACED = ("\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf"
             "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f")
_WORD = re.compile(rf"[{_UNSPACED}]+|(?:(?![{_UNSPACED}]){WORD_CHAR})+")
_UNSPACED_RUN = re.compile(rf"[{_UNSPACED}]+")
_DIGIT = re.compile(r"\d")


def _units(text: str) -> list[str]:
    """The words of a text, and the character pairs of its runs of an unspaced script, in order."""
    units: list[str] = []
    for word in _WORD.findall(text):
        if _UNSPACED_RUN.fullmatch(word) and len(word) > 1:
            units += (word[i:i + 2] for i in range(len(word) - 1))
        else:
            units.append(word)
    return units


def _is_address(part: str) -> bool:
    return "@" in part or "://" in part or part.startswith("www.")


# A block's tokens depend on its skeleton text alone, and a message's inputs share most of their blocks.
@lru_cache(maxsize=BLOCKS_KEPT)
def _block_tokens(text: str) -> frozenset[str]:
    # Words with digits are amounts, dates, ids and numbers, and mail addresses and links name
    # this message's people and sites: the message's own, not a lure's wording (a reader's
    # "gmail.com" under a calendar template had become a lure's word).
    worded = " ".join(part for part in text[:BLOCK_CHARS].split() if not _is_address(part))
    words = [w for w in _units(worded) if not _DIGIT.search(w)]
    stems = {word[:STEM_CHARS] + STEM_MARK for word in words
             if len(word) >= STEM_FROM and not _UNSPACED_RUN.search(word)}
    return frozenset({*words, *stems, *(f"{a} {b}" for a, b in pairwise(words))})


# A client shows one body alternative: an HTML one the plain text, a text-only one the HTML. Read
# together, a decoy alternative's ordinary words ("your parcel is on its way") pull a lure in the
# other back towards ordinary mail; so each is also judged as its own readers see it.
_ALTERNATIVES = ("text/plain", "text/html")


def renditions(reading: Reading) -> tuple[frozenset[str], ...]:
    """The tokens of every block and of the message as each kind of client shows it (`_renditions`),
    worked out once per reading: the signal and the fit both read them."""
    return reading.memo(_renditions)


def _renditions(reading: Reading) -> tuple[frozenset[str], ...]:
    """The tokens of every block, which the model is fitted on: the words (and the stems of the
    longer ones) and adjacent word pairs, on skeletons (lower case, look-alikes folded), an
    unspaced script's character pairs as its words. Then, when the message has both body
    alternatives (parse.py keeps the HTML one only when it says more), the tokens of the message
    as each kind of client shows it: without the HTML body, and without the plain one."""
    per_block = [_block_tokens(skel.text) for skel in reading.skeletons]
    every = frozenset().union(*per_block)
    shown = {block.name for block in reading.blocks if block.source == "body"}
    if not shown.issuperset(_ALTERNATIVES):
        return (every,)
    return (every, *(
        frozenset().union(*(found for block, found in zip(reading.blocks, per_block, strict=True)
                            if not (block.source == "body" and block.name == hidden)))
        for hidden in _ALTERNATIVES))


def log_odds(model: WordingModel, present: Iterable[str]) -> float:
    """The model's log-odds for these tokens. fsum: exact whatever order a set hands the tokens in,
    which differs between processes (hash seeds), so every worker and fit process gets the same."""
    return model.intercept + math.fsum(model.weights.get(token, 0.0) for token in present)


def strength(value: float) -> float:
    """What log-odds above 0 lend the signal."""
    return min(value, STRENGTH_MAX)


@cache  # tokens come from the fitted model, a bounded set
def _written_pattern(token: str) -> re.Pattern[str]:
    """Where a token stands in a skeleton text: a word bounded as a word, a stem as the word it
    begins, character pairs inside their run, and a pair of overlapping pairs ("不正 正な") as the
    three characters they cover."""
    if token.endswith(STEM_MARK):  # the first word it begins
        return re.compile(rf"(?<!{WORD_CHAR})" + re.escape(token.removesuffix(STEM_MARK)) + WORD_CHAR + "*")
    parts = [re.escape(part) for part in token.split(" ")]
    if not _UNSPACED_RUN.search(token):
        return re.compile(rf"(?<!{WORD_CHAR})" + r"\s+".join(parts) + rf"(?!{WORD_CHAR})")
    spaced = r"\s*".join(parts)
    first, *rest = token.split(" ")
    if len(rest) == 1 and first[-1:] == rest[0][:1] and _UNSPACED_RUN.fullmatch(rest[0]):
        return re.compile(re.escape(first + rest[0][1:]) + "|" + spaced)
    return re.compile(spaced)


def _as_written(reading: Reading, token: str) -> str:
    """A token (read on skeletons: "payrnent") as the message writes it ("payment")."""
    pattern = _written_pattern(token)
    for block, skel in zip(reading.blocks, reading.skeletons, strict=True):
        found = pattern.search(skel.text, 0, BLOCK_CHARS)
        if found:
            start, end = skel.span(found.start(), found.end())
            return " ".join(block.text[start:end].split())
    return token


def lure_wording(reading: Reading) -> Iterable[Evidence]:
    """wording.reads_like_lures: the words read like the lures the model was fitted on."""
    model = load_wording()
    present = max(renditions(reading), key=lambda shown: log_odds(model, shown))
    value = log_odds(model, present)
    if value > 0:
        # The words that added most: only worked out for a message the model reads as a lure.
        adding = sorted((token for token in present if model.weights.get(token, 0.0) > 0),
                        key=lambda token: (-model.weights[token], token))
        # A stem and its word read as the same written word: each is shown once.
        written = dict.fromkeys(_as_written(reading, token) for token in adding[:2 * WORDS_SHOWN])
        words = ", ".join(list(written)[:WORDS_SHOWN])
        yield Evidence("wording.reads_like_lures", {"lure_words": words}, strength=strength(value))
