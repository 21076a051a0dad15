"""Phone numbers a message asks the reader to call.

A linear candidate scan finds digit runs (tolerating the tricks scammers use to dodge filters:
O/o for 0, l/I/| for 1, spaced or dotted digits, full-width and other Unicode digits); only those
candidates go to `phonenumbers`, because running its matcher over long HTML-derived text is where
the time goes. Each number is then read in context: near "call us"/"contact" it is a callback
number; near "Meeting ID", "Conference ID", ",,123#" or "Dial by your location" it is a meeting
dial-in and is not held against the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

import phonenumbers

from ..model import Evidence, ParsedMessage, TextBlock
from ..rules import load_lexicon
from .text import PhraseList, fold_digits

Context = Literal["callback", "dialin", "plain"]

# Regions tried, in order, for numbers written without a country code.
REGIONS = ("US", "GB", "DE", "FR", "ES", "CA", "AU", "IN")
_LOOKALIKE = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"})
# A run of digits and look-alikes with separators. The run is bounded, so the scan stays linear.
# Not inside a word, URL or query string ("pin=3999618259371").
_SEPARATORS = r"() \t\u00a0\u202f.\-\u2010-\u2015\u2212/"  # spaces, dots, every dash, brackets
_CANDIDATE = re.compile(rf"(?<![\w=/&?%@])\+?\(?[0-9OoIl|][0-9OoIl|{_SEPARATORS}]{{5,28}}[0-9OoIl|]")
_TOKEN = re.compile(r"[0-9OoIl|]+")
# ",,123456#" after a number (also inside a tel: link just after it) is how dial-ins pass the
# conference id to the phone.
_DIALIN_TAIL = re.compile(r"\s*(?:,,|#|;)|[^\n]{0,40}?,,\d{3,}")
# "01 . 99 . 00": separators padded with spaces break the number up for filters, not for readers.
_PADDED_SEPARATOR = re.compile(r"\d\s+[.\-\u2010-\u2015\u2212/]\s+\d")
BEFORE_WINDOW = 90
CALL_VERB_WINDOW = 60  # "call Microsoft Billing Support at <number>"
MAX_DIGITS = 15  # E.164's longest number
# Each candidate costs a few phonenumbers parses; a block with more digit runs than any real
# message is read only that far, so hostile input cannot buy unbounded work.
MAX_CANDIDATES = 200
AFTER_WINDOW = 45
DIALIN_WINDOW = 600


@dataclass(frozen=True)
class PhoneMention:
    as_written: str
    e164: str
    toll_free: bool
    obfuscated: bool
    context: Context
    source: str


@cache
def _cues() -> tuple[PhraseList, PhraseList, PhraseList]:
    lexicon = load_lexicon()
    return PhraseList(lexicon.callback_cues), PhraseList(lexicon.call_verbs), PhraseList(lexicon.dialin_cues)


def _spans(raw: str) -> list[tuple[int, int]]:
    """Sub-spans of a candidate worth parsing, whole first.

    A run can swallow a neighbour ("+1 808 555 0199 (24/7)"), so when it has several digit groups
    we also try it without trailing, then leading, groups; the first valid number wins. Look-alike
    letters that belong to words ("Tel 800...") are never part of a span.
    """
    tokens = [t for t in _TOKEN.finditer(raw)]
    while tokens and not any(c.isdigit() for c in tokens[0].group()):
        tokens.pop(0)
    while tokens and not any(c.isdigit() for c in tokens[-1].group()):
        tokens.pop()
    if not tokens:
        return []
    choices = [(0, len(tokens))]
    if len(tokens) >= 3:
        choices += [(0, len(tokens) - drop) for drop in range(1, min(4, len(tokens)))]
        choices += [(drop, len(tokens)) for drop in range(1, min(3, len(tokens)))]
    spans = []
    for first, last in choices:
        start, end = tokens[first].start(), tokens[last - 1].end()
        while start > 0 and raw[start - 1] in "+(":
            start -= 1
        if end < len(raw) and raw[end] == ")":
            end += 1
        spans.append((start, end))
    return spans


def _is_obfuscated(as_written: str, folded: str) -> bool:
    if any(c in "OoIl|" for c in folded) or as_written != folded:
        return True
    if _PADDED_SEPARATOR.search(folded):
        return True
    groups = re.findall(r"\d+", folded)
    return len(groups) >= 6 and sum(len(g) == 1 for g in groups) >= 6


def _parse(digits: str) -> phonenumbers.PhoneNumber | None:
    regions: tuple[str | None, ...] = (None,) if digits.lstrip("(").startswith("+") else REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
    return None


def _context(text: str, start: int, end: int) -> Context:
    callback, call_verbs, dialin = _cues()
    if _DIALIN_TAIL.match(text, end):
        return "dialin"
    before = text[max(0, start - BEFORE_WINDOW):start]
    after = text[end:end + AFTER_WINDOW]
    near_callback = callback.search(before) or callback.search(after)
    # A callback cue right before the number wins over a dial-in heading further up: scammers
    # paste "Meeting ID" boilerplate to look like an invite.
    close_callback = call_verbs.search(text[max(0, start - CALL_VERB_WINDOW):start])
    if not close_callback:
        wide_before = text[max(0, start - DIALIN_WINDOW):start]
        if dialin.search(wide_before) or dialin.search(after):
            return "dialin"
    return "callback" if near_callback else "plain"


@lru_cache(maxsize=256)
def _mentions_in(text: str, source: str) -> tuple[PhoneMention, ...]:
    folded = fold_digits(text)
    found = []
    for count, candidate in enumerate(_CANDIDATE.finditer(folded)):
        if count >= MAX_CANDIDATES:
            break
        number = None
        for start, end in _spans(candidate.group()):
            cleaned, offset = candidate.group()[start:end], candidate.start() + start
            digits_only = sum(c.isdigit() for c in cleaned)
            if 7 <= digits_only <= MAX_DIGITS + 4 and sum(c in "OoIl|" for c in cleaned) <= 4:
                number = _parse(cleaned.translate(_LOOKALIKE))
                if number is not None:
                    break
        if number is None:
            continue
        as_written = text[offset:offset + len(cleaned)]
        found.append(PhoneMention(
            as_written=" ".join(as_written.split()),
            e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
            toll_free=phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.TOLL_FREE,
            obfuscated=_is_obfuscated(as_written, cleaned),
            context=_context(folded, offset, offset + len(cleaned)),
            source=source,
        ))
    return tuple(found)


def mentions(blocks: Iterable[TextBlock]) -> tuple[PhoneMention, ...]:
    return tuple(m for block in blocks for m in _mentions_in(block.text, block.source))


def callback_numbers(message: ParsedMessage) -> Iterable[Evidence]:
    """callback.phone, callback.obfuscated_phone, callback.toll_free."""
    found = mentions(message.texts)
    # An invite's title or location holds a number only to be seen and dialled.
    callbacks = [m for m in found if m.context == "callback"
                 or (m.context == "plain" and m.source in ("summary", "location", "subject"))]
    # A number written with look-alike characters is a lure even without a "call us" nearby:
    # nobody obfuscates a number they do not want dialled.
    callbacks += [m for m in found if m.obfuscated and m.context == "plain"]
    if not callbacks:
        return
    best = next((m for m in callbacks if m.obfuscated), callbacks[0])
    numbers = tuple(dict.fromkeys(m.e164 for m in callbacks))
    facts = {"phone": best.as_written, "e164": best.e164, "where": best.source, "numbers": numbers}
    yield Evidence("callback.phone", facts)
    if best.obfuscated:
        yield Evidence("callback.obfuscated_phone", facts)
    toll_free = next((m for m in callbacks if m.toll_free), None)
    if toll_free:
        yield Evidence("callback.toll_free", {"phone": toll_free.as_written, "e164": toll_free.e164})


def all_numbers(message: ParsedMessage) -> tuple[str, ...]:
    """Every non-dial-in number in the message, E.164; reports feed these to the reputation set."""
    return tuple(dict.fromkeys(m.e164 for m in mentions(message.texts) if m.context != "dialin"))
