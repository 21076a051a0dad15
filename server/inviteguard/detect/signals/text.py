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


def _unspaced(char: str) -> bool:
    """A character of a script written without spaces between words."""
    name = unicodedata.name(char, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "IDEOGRAPHIC", "THAI"))


def _trie_pattern(phrases: Iterable[str]) -> str:
    """One regex branch per shared prefix ("pay(?:ment|pal)") instead of one per phrase, so
    the engine tries one path at each position rather than every phrase: the lists are long and
    searched over every text block."""
    trie: dict[str, dict] = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [(r"\s+" if char == " " else re.escape(char)) + emit(child)
                    for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # A phrase may end here or go on; greedy `?` prefers the longer phrase.
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


class PhraseList:
    """Case- and look-alike-insensitive search for a fixed list of phrases, on skeletons."""

    def __init__(self, phrases: Iterable[str]) -> None:
        skeletons = {skeleton_of(p) for p in phrases} - {""}
        worded = {s for s in skeletons if not any(_unspaced(c) for c in s)}
        unspaced = skeletons - worded
        branches = []
        if worded:
            # Whole words: a phrase that starts (ends) with a letter may not start (end) inside a
            # word; one that starts or ends with a symbol ("requests $") needs no boundary there.
            branches.append(rf"(?:(?<!\w)(?=\w)|(?!\w))(?:{_trie_pattern(worded)})(?:(?<=\w)(?!\w)|(?<!\w))")
        if unspaced:
            branches.append(f"(?:{_trie_pattern(unspaced)})")
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
    domain = domain.lower()
    return any(domain == c or domain.endswith("." + c) for c in candidates)


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
