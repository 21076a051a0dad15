"""Text helpers the signals share: phrase lists matched on confusable skeletons, domains.

Phrase lists are our own data (rules/lexicon/), so compiling them into a regex is safe; attacker
text is only ever the subject of a search, never part of a pattern. Both sides are compared as
UTS #39 skeletons (view.skeleton), so look-alike letters from any script match the letter they
imitate. Phrases in scripts written without spaces (Japanese, Chinese, Korean) match anywhere;
the others as whole words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from publicsuffixlist import PublicSuffixList

from ..model import AuthResult
from ..view import Skeleton, skeleton_of


@dataclass(frozen=True)
class Match:
    start: int  # in the canonical text
    end: int
    text: str  # as written in the canonical text


def _combining_marks() -> str:
    """Every combining mark of the Basic Multilingual Plane, as ranges of a regex class."""
    ranges: list[list[int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(z)) if z > a else "") for a, z in ranges)


# A character of a word. Python's \w leaves out combining marks, and Indic scripts write their
# vowels with them: "രാവിലെ" (morning) is letters and vowel signs, and with \w alone a word
# seemed to begin after each sign, so "വില" (price) was found inside it. So a phrase never starts
# after a mark. It may still end before one: an Indic phrase ending in a consonant finds the
# consonant's inflected forms ("അക്കൗണ്ട്" finds "അക്കൗണ്ടിൽ"), as the lexicons are written.
WORD_CHAR = rf"[\w{_combining_marks()}]"

# Bullets and middle dots set between a number's groups, of digits or of words ("O2O • 7946 •
# O5I8", "seis cero uno · tres ocho dos"): •, ·, ∙ and ⋅.
BULLETS = "\u2022\u00b7\u2219\u22c5"


def unspaced_script(char: str) -> bool:
    """A character of a script written without spaces between words."""
    name = unicodedata.name(char, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC", "THAI", "LAO", "MYANMAR", "KHMER"))


# A phrase ending in `*` is a stem: its last word may go on ("sperr*": gesperrt is not, but
# sperrung, sperren are). Inflecting languages (fi, cs, pl, tr) need far fewer entries so.
STEM = "*"
_STEP = {" ": r"\s+", STEM: WORD_CHAR + "*"}


def trie_pattern(phrases: Iterable[str], space: str = _STEP[" "]) -> str:
    """One regex branch per shared prefix ("pay(?:ment|pal)") instead of one per phrase, so
    the engine tries one path at each position rather than every phrase: the lists are long and
    searched over every text block. `space` is what a space in a phrase matches."""
    steps = {**_STEP, " ": space}
    trie: dict[str, dict] = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        # A stem's `*` (the rest of a word) is tried last, so a longer phrase still wins.
        branches = [steps.get(char, re.escape(char)) + emit(child)
                    for char, child in sorted(node.items(), key=lambda item: (item[0] == STEM, item[0])) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # A phrase may end here or go on; greedy `?` prefers the longer phrase.
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


# A phrase that ends with a letter ends a word; one that ends with a symbol ("requests $") may
# be followed by anything.
_WORD_END = r"(?:(?<=\w)(?!\w)|(?<!\w))"


def _scan(phrases: set[str], before: str = "", after: str = "") -> str:
    """A pattern that, at each position where one of `phrases` starts (`before` holding there),
    matches that position's first character and captures in group 1 the phrase found there and
    `after`, from that position on (a lookahead inside a one-character lookbehind). As the pattern
    opens with the set of the phrases' first characters, re's search skips every other position in
    its own loop; and as a match takes one character, the next one is tried at the very next
    position, so phrases that overlap are all found."""
    first = "".join(re.escape(c) for c in sorted({p[0] for p in phrases}))
    return rf"[{first}](?<={before}(?=((?:{trie_pattern(phrases)}){after})).)"


# The phrases that start a word are split by their first character into this many scans. At a
# position only the scan of its character can match, so the matches are those of one scan; but
# re's parser holds a pattern's whole tree while it compiles it, and one pattern of every
# language's phrases took 150 MB at its peak, which a worker's heap kept.
AT_WORD_SCANS = 8


def _by_first_character(phrases: set[str], parts: int) -> list[set[str]]:
    """`phrases` in up to `parts` sets of about equal length, no first character in two of them."""
    by_first: dict[str, set[str]] = {}
    for phrase in phrases:
        by_first.setdefault(phrase[0], set()).add(phrase)
    total = sum(map(len, phrases))
    split: list[set[str]] = [set()]
    size = 0
    for first in sorted(by_first):
        if size >= total / parts * len(split):
            split.append(set())
        split[-1] |= by_first[first]
        size += sum(map(len, by_first[first]))
    return [part for part in split if part]


@dataclass(frozen=True)
class PhraseMatch:
    match: Match
    lists: frozenset[str]  # the phrase lists (rules/lexicon) it belongs to, or a shorter phrase inside it does
    languages: frozenset[str]


class Vocabulary:
    """Every phrase of every list of every language, found in one pass over a skeleton.

    A lookahead finds, at each position, the longest phrase that starts there, so overlapping
    phrases are all seen; a phrase also counts for the lists of every shorter phrase it begins
    with ("payment of" inside "payment of your invoice"). One pass instead of one per list and
    language: the lists are long and every text block is searched.
    """

    def __init__(self, entries: Iterable[tuple[str, str, str]]) -> None:
        owners: dict[str, set[tuple[str, str]]] = {}
        for phrase, list_name, language in entries:
            key = skeleton_of(phrase)
            if key.rstrip(STEM):
                owners.setdefault(key, set()).add((list_name, language))
        # 55,000 phrases share about 3,000 distinct (lists, languages) pairs: one object each
        # instead of two frozensets a phrase (26 MB a worker).
        shared: dict[tuple[frozenset[str], frozenset[str]], tuple[frozenset[str], frozenset[str]]] = {}
        self._owners = {key: shared.setdefault(lists, lists)
                        for key in owners for lists in (self._with_prefixes(key, owners),)}
        self._longest_stem = max((len(k) for k in owners if k.endswith(STEM)), default=0)
        # Scans, each tried only where its phrases' first characters stand (_scan): phrases that
        # start a word, at word starts, in AT_WORD_SCANS parts; the few that start with a symbol;
        # and those of unspaced scripts, which match inside a run of text.
        worded = {k for k in owners if not any(unspaced_script(c) for c in k)}
        at_word = {k for k in worded if re.match(r"\w", k)}
        scans = []
        for part in _by_first_character(at_word, AT_WORD_SCANS):
            scans.append(_scan(part, rf"(?<!{WORD_CHAR})", _WORD_END))
        if worded - at_word:
            scans.append(_scan(worded - at_word, after=_WORD_END))
        if set(owners) - worded:
            scans.append(_scan(set(owners) - worded))
        self._scans = tuple(re.compile(scan) for scan in scans)

    @staticmethod
    def _with_prefixes(key: str, owners: dict[str, set[tuple[str, str]]]) -> tuple[frozenset[str], frozenset[str]]:
        found = set(owners[key])
        if not key.endswith(STEM) and key + STEM in owners:
            # The word itself is also a stem with no ending, maybe of other lists: Finnish
            # "laskutus" (billing) is a payment term, and "laskutus*" a department's name.
            found |= owners[key + STEM]
        for end in range(1, len(key)):
            shorter = key[:end]
            # A stem's word going on is not the whole word: "laskutusosasto" is no "laskutus".
            if shorter in owners and key[end] != STEM and (not key[end].isalnum() or not shorter[-1].isalnum()
                                                           or unspaced_script(shorter[-1])):
                found |= owners[shorter]
            if shorter + STEM in owners and key[end] != STEM:
                found |= owners[shorter + STEM]
        return frozenset(n for n, _ in found), frozenset(lang for _, lang in found)

    def _owner(self, matched: str) -> tuple[frozenset[str], frozenset[str]]:
        """The lists of the phrase that matched: itself, or the longest stem it goes on from."""
        key = " ".join(matched.split())
        if key in self._owners:
            return self._owners[key]
        for end in range(min(len(key), self._longest_stem), 0, -1):
            stem = key[:end] + STEM
            if stem in self._owners:
                return self._owners[stem]
        raise KeyError(matched)

    def matches(self, skel: Skeleton, canonical: str) -> list[PhraseMatch]:
        hits = sorted(((hit.start(1), hit.end(1), hit.group(1)) for scan in self._scans
                       for hit in scan.finditer(skel.text) if hit.group(1)), key=lambda h: (h[0], -h[1]))
        found = []
        owners: dict[str, tuple[frozenset[str], frozenset[str]]] = {}  # a long text repeats its words
        for skel_start, skel_end, matched in hits:
            start, end = skel.span(skel_start, skel_end)
            # The pattern lets a phrase's spaces be any run of white space (a line break included)
            # and a stem's last word go on.
            owner = owners.get(matched)
            if owner is None:
                owner = owners[matched] = self._owner(matched)
            found.append(PhraseMatch(Match(start, end, canonical[start:end]), *owner))
        return found


class PhraseList:
    """Case- and look-alike-insensitive search for a fixed list of phrases, on skeletons."""

    def __init__(self, phrases: Iterable[str]) -> None:
        skeletons = {skeleton_of(p) for p in phrases} - {""}
        worded = {s for s in skeletons if not any(unspaced_script(c) for c in s)}
        unspaced = skeletons - worded
        branches = []
        if worded:
            # Whole words: a phrase that starts (ends) with a letter may not start (end) inside a
            # word; one that starts or ends with a symbol ("requests $") needs no boundary there.
            branches.append(rf"(?:(?<!{WORD_CHAR})(?=\w)|(?!{WORD_CHAR}))(?:{trie_pattern(worded)}){_WORD_END}")
        if unspaced:
            branches.append(f"(?:{trie_pattern(unspaced)})")
        self._pattern = re.compile("|".join(branches)) if branches else None

    def finditer(self, skel: Skeleton, canonical: str) -> Iterator[Match]:
        if self._pattern is None:
            return
        for found in self._pattern.finditer(skel.text):
            start, end = skel.span(found.start(), found.end())
            yield Match(start, end, canonical[start:end])

    def search(self, skel: Skeleton, canonical: str) -> Match | None:
        return next(self.finditer(skel, canonical), None)


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


@lru_cache(maxsize=1024)
def org_domain(domain: str) -> str:
    """The registrable domain (email.apple.com -> apple.com), so subdomains compare equal."""
    domain = domain.strip(".").lower()
    return _psl().privatesuffix(domain) or domain


def domain_matches(domain: str, candidates: Iterable[str]) -> bool:
    """`domain` is one of `candidates` (lower-case) or a subdomain of one."""
    labels = domain.lower().split(".")
    return not {".".join(labels[i:]) for i in range(len(labels))}.isdisjoint(candidates)


def passes(auth: Iterable[AuthResult], domain: str, methods: tuple[str, ...] = ("dkim", "dmarc")) -> list[str]:
    """Methods that passed for `domain` (or its organisational domain) in trusted results."""
    org = org_domain(domain)
    found = []
    for result in auth:
        if result.method in methods and result.result in ("pass", "bestguesspass") and result.domain:
            if result.domain == domain or org_domain(result.domain) == org:
                if result.method not in found:
                    found.append(result.method)
    return found
