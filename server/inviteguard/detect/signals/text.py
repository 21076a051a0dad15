"""Text helpers the signals share: normalisation, phrase lists, domains.

Phrase lists are our own data (rules/lexicon.yaml), so compiling them into a regex is safe;
attacker text is only ever the subject of a search, never part of a pattern.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from publicsuffixlist import PublicSuffixList

from ..model import AuthResult, ParsedMessage


def _digit_table() -> dict[int, str]:
    # Full-width ASCII (U+FF01-FF5E) maps one to one onto ASCII, so offsets survive the folding.
    table: dict[int, str] = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
    for code in range(0x80, 0x20000):
        char = chr(code)
        if unicodedata.category(char) == "Nd":
            table[code] = str(unicodedata.digit(char))
    return table


_DIGITS = _digit_table()


@lru_cache(maxsize=512)
def fold_digits(text: str) -> str:
    """Map every Unicode decimal digit (Arabic-Indic, mathematical bold, ...) and full-width ASCII
    to ASCII, keeping offsets."""
    return text.translate(_DIGITS)


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    text: str  # as written


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
        # A phrase may end here or go on; greedy `?` prefers the longer phrase, as before.
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


class PhraseList:
    """Whole-word, case-insensitive search for a fixed list of phrases."""

    def __init__(self, phrases: Iterable[str]) -> None:
        body = _trie_pattern({p.lower() for p in phrases})
        self._pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)

    def search(self, text: str) -> Match | None:
        found = self._pattern.search(text)
        return Match(found.start(), found.end(), found.group(0)) if found else None

    def finditer(self, text: str) -> Iterable[Match]:
        for found in self._pattern.finditer(text):
            yield Match(found.start(), found.end(), found.group(0))


def first_phrase(message: ParsedMessage, phrases: PhraseList) -> tuple[Match, str] | None:
    """The first of `phrases` in the message's reader-visible text, and where it sits."""
    for block in message.texts:
        found = phrases.search(block.text)
        if found:
            return found, block.source
    return None


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


def sender_domain(message: ParsedMessage) -> str:
    return message.from_.domain if message.from_ else ""


def authenticated_sender_org(message: ParsedMessage) -> str:
    """The From organisation when DMARC (or aligned DKIM) passed for it; "" when unproven."""
    domain = sender_domain(message)
    if domain and passes([a for a in message.auth if a.header == "authentication-results"], domain):
        return org_domain(domain)
    return ""
