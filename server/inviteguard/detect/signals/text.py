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
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

import ahocorasick
from publicsuffixlist import PublicSuffixList

from ..model import AuthResult
from ..view import Skeleton, skeletons_of


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
# Pictographs and tildes set between a number's groups as bullets are ("07\U0001f53856\U0001f53841",
# "8 7 7 ~ 5 5 5 ~ 0 1 6 8", "zero 🔸 six"): arrows, geometric shapes, dingbats and other
# symbols, the emoji blocks, and "~" (NFKC's form of the full-width tilde). No one writes a number
# so but to keep it from a filter.
PICTOGRAPH_RANGES = ((0x2190, 0x21FF), (0x2300, 0x23FF), (0x25A0, 0x27BF), (0x2B00, 0x2BFF), (0x1F300, 0x1FAFF))
ODD_SEPARATORS = "~" + "".join(f"{chr(first)}-{chr(last)}" for first, last in PICTOGRAPH_RANGES)


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

# Runs of white space other than one plain space: a phrase's space stands for any such run.
_SPACE_RUNS = re.compile(r"(?! (?!\s))\s+")

# Where a phrase may start: at a word's start if it starts with a letter; anywhere if it starts
# with a symbol ("$ charged") or is written in a script without spaces.
_AT_WORD, _ANYWHERE, _UNSPACED = range(3)


_RE_WORD = re.compile(r"\w")


def _word_char(char: str) -> bool:
    r"""WORD_CHAR as a test: a letter, digit or underscore (re's \w), or a combining mark."""
    return char.isalnum() or char == "_" or unicodedata.category(char).startswith("M")


# What the automaton keeps a word with is one int of 31 bits (pyahocorasick's STORE_INTS holds a
# C int): its length (7 bits), where it may start (2), whether it ends with a letter (1), and the
# number of its owners' pair (20; see Vocabulary).
_LENGTH_MAX = 127
_PAIR_BITS = 20


def _packed(length: int, starts: int, ends_word: bool, pair: int) -> int:
    if length > _LENGTH_MAX or pair >> _PAIR_BITS:
        raise ValueError(f"a phrase of {length} characters or pair {pair} does not fit the vocabulary's ints")
    return ((length << 2 | starts) << 1 | ends_word) << _PAIR_BITS | pair


def _unpacked(packed: int) -> tuple[int, int, bool, int]:
    pair, packed = packed & ((1 << _PAIR_BITS) - 1), packed >> _PAIR_BITS
    return packed >> 3, packed >> 1 & 3, bool(packed & 1), pair


class _Spaced:
    """A skeleton's text with every run of white space made one space (as phrases are written),
    and the way back to the skeleton's offsets."""

    def __init__(self, text: str) -> None:
        parts = []
        # Where each piece starts, here and in the skeleton: a piece is the text between two runs.
        self._here, self._there = [0], [0]
        for run in _SPACE_RUNS.finditer(text):
            parts.append(text[self._there[-1]:run.start()] + " ")
            self._here.append(self._here[-1] + run.start() - self._there[-1] + 1)
            self._there.append(run.end())
        parts.append(text[self._there[-1]:])
        self.text = "".join(parts)

    def offset(self, at: int) -> int:
        """The skeleton offset of this text's character at `at`."""
        piece = bisect_right(self._here, at) - 1
        return self._there[piece] + at - self._here[piece]


@dataclass(frozen=True)
class PhraseMatch:
    match: Match
    lists: frozenset[str]  # the phrase lists (rules/lexicon) it belongs to, or a shorter phrase inside it does
    languages: frozenset[str]


class Vocabulary:
    """Every phrase of every list of every language, found in one pass over a skeleton.

    An Aho-Corasick automaton (pyahocorasick) finds every phrase that occurs; at each position the
    longest phrase starting there that is a whole word (or a stem's word going on) counts, so
    overlapping phrases are all seen; a phrase also counts for the lists of every shorter phrase
    it begins with ("payment of" inside "payment of your invoice"). One pass instead of one per
    list and language: the lists are long and every text block is searched. An automaton, not a
    regex: re took 11 seconds to compile 66,000 phrases into patterns, on every process's first
    message, and kept 60 MB a process.
    """

    def __init__(self, entries: Iterable[tuple[str, str, str]]) -> None:
        entries = list(entries)
        keys = skeletons_of(phrase for phrase, _, _ in entries)
        owners: dict[str, set[tuple[str, str]]] = {}
        for phrase, list_name, language in entries:
            key = keys[phrase]
            if key.rstrip(STEM):
                owners.setdefault(key, set()).add((list_name, language))
        words = {key.removesuffix(STEM) for key in owners}
        beginnings = _beginnings(words)
        # 66,000 phrases share about 3,000 distinct (lists, languages) pairs: each is kept once,
        # and a phrase holds its number (two frozensets a phrase took 26 MB a worker).
        numbers: dict[tuple[frozenset[str], frozenset[str]], int] = {}
        self._owners: list[tuple[frozenset[str], frozenset[str]]] = []
        owner_of: dict[str, int] = {}  # key -> its owner's number + 1
        for key in owners:
            lists = self._with_prefixes(key, owners, beginnings[key.removesuffix(STEM)])
            if lists not in numbers:
                numbers[lists] = len(self._owners)
                self._owners.append(lists)
            owner_of[key] = numbers[lists] + 1
        # A phrase and its stem ("laskutus", "laskutus*") are one word to find, ending whole or
        # going on; the automaton keeps, packed in one unboxed int (_packed), what it needs to say
        # whose the match is. A dict of the phrases took 8 MB a process, a tuple a word 12 MB.
        unspaced = {c for c in set().union(*words) if unspaced_script(c)}
        # Each word's owners as a whole phrase and as a stem (numbers + 1; 0 for none), as a pair
        # the words share.
        pairs: dict[tuple[int, int], int] = {}
        self._automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for word in words:
            starts = (_UNSPACED if not unspaced.isdisjoint(word)
                      else _AT_WORD if _RE_WORD.match(word) else _ANYWHERE)
            pair = pairs.setdefault((owner_of.get(word, 0), owner_of.get(word + STEM, 0)), len(pairs))
            self._automaton.add_word(word, _packed(len(word), starts, bool(_RE_WORD.match(word[-1])), pair))
        self._automaton.make_automaton()
        self._pairs = tuple(pairs)
        self._marked_only = _marked_only(entries, keys)

    @staticmethod
    def _with_prefixes(key: str, owners: dict[str, set[tuple[str, str]]], shorter_words: tuple[str, ...]
                       ) -> tuple[frozenset[str], frozenset[str]]:
        """The lists and languages of a key, of its stem with no ending, and of the shorter
        words its word begins with (`_beginnings`) as a whole phrase or a stem."""
        found = set(owners[key])
        if not key.endswith(STEM) and key + STEM in owners:
            # The word itself is also a stem with no ending, maybe of other lists: Finnish
            # "laskutus" (billing) is a payment term, and "laskutus*" a department's name.
            found |= owners[key + STEM]
        word = key.removesuffix(STEM)
        for shorter in shorter_words:
            after = word[len(shorter)]
            # A stem's word going on is not the whole word: "laskutusosasto" is no "laskutus".
            if shorter in owners and (not after.isalnum() or not shorter[-1].isalnum()
                                      or unspaced_script(shorter[-1])):
                found |= owners[shorter]
            if shorter + STEM in owners:
                found |= owners[shorter + STEM]
        return frozenset(n for n, _ in found), frozenset(lang for _, lang in found)

    def _longest(self, text: str) -> dict[tuple[int, int], tuple[int, int]]:
        """Per (start, kind of start), the end of the longest phrase found there and its owner's
        number: at one end a whole phrase before a stem, and a longer stem before a shorter one
        ("paym*" before "pay*" in "payments"), as a trie of them tried its branches."""
        longest: dict[tuple[int, int], tuple[int, int, int, int]] = {}  # (end, rank, length, owner)
        word_from = word_to = 0  # the last run of word characters a stem was followed through
        for last, packed in self._automaton.iter(text):
            length, start_kind, ends_word, pair = _unpacked(packed)
            whole, stem = self._pairs[pair]
            start, end = last + 1 - length, last + 1
            if start_kind == _AT_WORD and start and _word_char(text[start - 1]):
                continue
            found = []
            # _WORD_END: after a letter no letter (re's \w: a vowel sign may follow, see WORD_CHAR).
            if whole and (start_kind == _UNSPACED or not ends_word or not _RE_WORD.match(text[end:end + 1])):
                found.append((end, 1, length, whole - 1))
            if stem:
                # The rest of the word, as the pattern WORD_CHAR* took it. Matches come in the
                # order of their ends, so a run already followed is not followed again: linear.
                if not word_from <= end <= word_to:
                    word_from = word_to = end
                    while word_to < len(text) and _word_char(text[word_to]):
                        word_to += 1
                found.append((word_to, 0, length, stem - 1))
            if found:
                best = max(found)
                if best > longest.get((start, start_kind), (-1, 0, 0, 0)):
                    longest[(start, start_kind)] = best
        return {at: (end, owner) for at, (end, _, _, owner) in longest.items()}

    def matches(self, skel: Skeleton, canonical: str) -> list[PhraseMatch]:
        spaced = _Spaced(skel.text)
        hits = sorted(((start, end, owner) for (start, _), (end, owner) in self._longest(spaced.text).items()),
                      key=lambda h: (h[0], -h[1]))
        found = []
        for spaced_start, spaced_end, owner in hits:
            start, end = skel.span(spaced.offset(spaced_start), spaced.offset(spaced_end - 1) + 1)
            if spaced.text[spaced_start:spaced_end] in self._marked_only and not _has_marks(canonical[start:end]):
                continue
            found.append(PhraseMatch(Match(start, end, canonical[start:end]), *self._owners[owner]))
        return found


MARKED_WORD_CHARS = 5


def _has_marks(text: str) -> bool:
    return any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))


def _marked_only(entries: Iterable[tuple[str, str, str]], keys: dict[str, str]) -> frozenset[str]:
    """Keys of one short Latin word (MARKED_WORD_CHARS letters at most) that every phrase of theirs
    writes with a diacritic; such a word counts only where the text shows a diacritic on it too.
    Without its marks a short word is another language's word or a name: Vietnamese "khẩn"
    (urgent) is the "Khan" of a Lahore restaurant's name."""
    marked: set[str] = set()
    plain: set[str] = set()
    for phrase, _, _ in entries:
        key = keys[phrase]
        if len(key) <= MARKED_WORD_CHARS and key.isascii() and key.isalpha():
            (marked if _has_marks(phrase) else plain).add(key)
    return frozenset(marked - plain)


def _beginnings(words: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each word's shorter words that begin it, in one pass over the words in sorted order: a word
    that begins another sorts before it, and every word sorted between them begins with it too,
    so the words that begin the current one are a chain kept on a stack. Trying every beginning
    of the lists' 152,000 words took a sixth of a process's first message."""
    chain: list[str] = []
    beginnings: dict[str, tuple[str, ...]] = {}
    for word in sorted(words):
        while chain and not word.startswith(chain[-1]):
            chain.pop()
        beginnings[word] = tuple(chain)
        chain.append(word)
    return beginnings


class PhraseList:
    """Case- and look-alike-insensitive search for a fixed list of phrases, on skeletons."""

    def __init__(self, phrases: Iterable[str]) -> None:
        skeletons = set(skeletons_of(phrases).values()) - {""}
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


# A message's few domains are matched against every platform's, for each of its inputs.
@lru_cache(maxsize=64)
def _suffixes(domain: str) -> frozenset[str]:
    """The domain, lower-cased, and every domain it is a subdomain of."""
    labels = domain.lower().split(".")
    return frozenset(".".join(labels[i:]) for i in range(len(labels)))


def domain_matches(domain: str, candidates: Iterable[str]) -> bool:
    """`domain` is one of `candidates` (lower-case) or a subdomain of one."""
    return not _suffixes(domain).isdisjoint(candidates)


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
