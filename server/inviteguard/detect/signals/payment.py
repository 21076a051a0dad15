"""Payment claims: an amount of money, purchase or renewal language near it, the claim that the
reader was already charged, an overdue bill, the "not you? call us" hook, and fake security
alerts used in their place. Vocabulary from every language in rules/lexicon/, currencies from rules/currencies.yaml:
"$599.00", "599,00 €", "R$ 1.299,00", "¥89,800", "1 249,00 zł", "0.0482 BTC", and amounts in words
("five hundred and ninety-nine dollars")."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from .. import budget
from ..model import Evidence
from ..rules import load_currencies, load_lexicon
from ..view import skeleton_of
from .reading import BLOCKS_KEPT, Reading, block_skeleton
from .text import Match, trie_pattern, unspaced_script

# How close (in characters) an amount must be to purchase language to count as a claim.
CLAIM_WINDOW = 800
# How close a verb of money moving ("bezahlt", "renewed", "debited") must be to an amount.
VERB_WINDOW = 60
MAX_AMOUNTS = 200  # per block; a block stuffed with amounts is read only that far

# South Asia groups thousands, then hundreds: lakhs and crores ("₹1,86,400", "Rs 1,25,00,000").
_NUMBER = (r"\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d{1,2})?"
           r"|\d{1,3}(?:[,.' ]\d{3})+(?:[.,]\d{1,8})?|\d+(?:[.,]\d{1,8})?")


def _alternatives(symbols: Iterable[str]) -> str:
    """A trie of the symbols (see text.trie_pattern): a scan tried at every position of every
    block must not try a hundred currency symbols one by one."""
    return trie_pattern({s.lower() for s in symbols})


@cache
def _amount_pattern() -> re.Pattern[str]:
    currencies = load_currencies()
    prefixes = _alternatives(p for c in currencies for p in c.prefixes)
    suffixes = _alternatives(s for c in currencies for s in c.suffixes)
    # Only Latin letters and digits may not touch an amount: "89,800円です" is one, but the
    # Icelandic "upphæð 184.900" holds no dogecoin ("Ð" read without case is the "ð" of a word).
    latin = r"A-Za-z\u00c0-\u024f\u1e00-\u1eff"
    return re.compile(rf"(?<![{latin}0-9.,])(?:(?:{prefixes})\s?(?:{_NUMBER})(?:\s?(?:{suffixes}))?"
                      rf"|(?:{_NUMBER})\s?(?:{suffixes}))(?![A-Za-z0-9])", re.IGNORECASE)


@cache
def _words_pattern() -> re.Pattern[str] | None:
    """Amounts in letters, on skeletons: number words (and their joiners) before a currency word."""
    lexicon = load_lexicon()
    numbers = {skeleton_of(w) for language in lexicon.languages for w in language.number_words} - {""}
    money = {skeleton_of(w) for language in lexicon.languages for w in language.currency_words} - {""}
    if not numbers or not money:
        return None
    word = _alternatives(numbers)
    return re.compile(rf"(?<!\w)(?:{word})(?:[\s-]*(?:and|und|et|y|e|i|og|och|ja|a|si|ve|en)?[\s-]*(?:{word})){{0,8}}"
                      rf"\s*(?P<money>{_alternatives(money)})(?!\w)")


@dataclass(frozen=True)
class Amount:
    start: int
    end: int
    text: str


def _amounts_in(reading: Reading, index: int) -> list[Amount]:
    found = list(_amounts_of(reading.blocks[index].text))
    budget.check()
    return found


# A block's amounts depend on its text alone, and a message's inputs share most of their blocks.
@lru_cache(maxsize=BLOCKS_KEPT)
def _amounts_of(text: str) -> tuple[Amount, ...]:
    found: list[Amount] = []
    for count, match in enumerate(_amount_pattern().finditer(text)):
        if count >= MAX_AMOUNTS:
            break
        if any(c.isdigit() and c != "0" for c in match.group()) and not _letter_and_digit(match.group()):
            found.append(Amount(match.start(), match.end(), " ".join(match.group().split())))
    words = _words_pattern()
    if words is not None:
        skel = block_skeleton(text)
        for count, match in enumerate(words.finditer(skel.text)):
            if count >= MAX_AMOUNTS:
                break
            if _glued(skel.text, match.start("money")):
                continue
            start, end = skel.span(match.start(), match.end())
            found.append(Amount(start, end, text[start:end]))
    return tuple(sorted(found, key=lambda a: a.start))


def _letter_and_digit(written: str) -> bool:
    """A letter and one digit ("Q2 results", "R1 form", "k5"): a quarter, a level or a code, not
    money, though Q is the quetzal's sign and R the rand's; their amounts have more to them ("Q250",
    "R 12 480,55")."""
    letter, *rest = written.replace(" ", "")
    return len(rest) == 1 and letter.isascii() and letter.isalpha() and rest[0].isdigit()


def _glued(text: str, money_at: int) -> bool:
    """A currency word written onto the number word before it, in scripts that space their words:
    one word, not an amount ("padala", Tagalog for a remittance, read as Aymara "pä" and Hausa
    "dala"). "五百円" is an amount."""
    before, after = text[money_at - 1], text[money_at]
    return not (before.isspace() or before == "-" or unspaced_script(before) or unspaced_script(after))


def _all_amounts(reading: Reading) -> tuple[list[Amount], ...]:
    return tuple(_amounts_in(reading, index) for index in range(len(reading.blocks)))


def amounts(reading: Reading) -> tuple[list[Amount], ...]:
    """Per block, the amounts of money in it."""
    return reading.memo(_all_amounts)


_HEADLINES = frozenset({"subject", "summary"})


def _near(terms: list[Match], amount: Amount, window: int) -> Match | None:
    starts = [t.start for t in terms]
    index = bisect_left(starts, amount.start - window)
    if index < len(terms) and terms[index].start <= amount.end + window:
        return terms[index]
    return None


def _amount_near(reading: Reading, terms: str, window: int) -> tuple[Amount, Match, str] | None:
    per_block = amounts(reading)
    for index, block in enumerate(reading.blocks):
        if not per_block[index]:
            continue
        found = reading.listed_in(index, terms)
        for amount in per_block[index] if found else ():
            term = _near(found, amount, window)
            if term:
                return amount, term, block.source
    return None


def _claim(reading: Reading, terms: str, signal: str, headline_alone: bool,
           verbs: str | None = None) -> Iterable[Evidence]:
    """An amount next to one of `terms` (or right next to one of `verbs`); with `headline_alone`,
    also a term in the subject or title when the amount sits elsewhere (or only in an image)."""
    per_block = amounts(reading)
    found = _amount_near(reading, terms, CLAIM_WINDOW)
    if found is None and verbs is not None:
        found = _amount_near(reading, verbs, VERB_WINDOW)
    if found:
        amount, term, where = found
        yield Evidence(signal, {"amount": amount.text, "payment_term": term.text, "claim_where": where})
        return
    if headline_alone:
        headline = reading.first_listed(terms, lambda b: b.source in _HEADLINES)
        if headline:
            amount = next((a.text for block_amounts in per_block for a in block_amounts), "")
            yield Evidence(signal, {"amount": amount, "payment_term": headline[0].text,
                                    "claim_where": headline[1].source})


def amount(reading: Reading) -> Iterable[Evidence]:
    """payment.amount: an amount of money, anywhere the reader looks."""
    for block, block_amounts in zip(reading.blocks, amounts(reading), strict=True):
        if block_amounts:
            yield Evidence("payment.amount", {"amount": block_amounts[0].text, "amount_where": block.source})
            return


def claim(reading: Reading) -> Iterable[Evidence]:
    """payment.claim: an amount next to purchase, invoice, renewal or refund language."""
    return _claim(reading, "payment_terms", "payment.claim", headline_alone=False)


def charge_claim(reading: Reading) -> Iterable[Evidence]:
    """payment.charge_claim: the reader is told money was already taken ("you paid $599"). Word
    order varies ("Sie haben 599 € an PayPal bezahlt"), so a verb of money moving right next to
    the amount says it as well as a set phrase does."""
    return _claim(reading, "charge_claims", "payment.charge_claim", headline_alone=True, verbs="charge_verbs")


def dispute_hook(reading: Reading) -> Iterable[Evidence]:
    """payment.dispute_hook: "not you?", "if you did not authorize this", "to cancel this order"."""
    found = reading.first_listed("dispute_hooks")
    if found:
        yield Evidence("payment.dispute_hook", {"hook": found[0].text, "hook_where": found[1].source})


def demand(reading: Reading) -> Iterable[Evidence]:
    """payment.demand: a bill is overdue, a final notice, collections, service cut off unless paid."""
    found = reading.first_listed("payment_demands")
    if found:
        yield Evidence("payment.demand", {"demand": found[0].text, "demand_where": found[1].source})


def account_alert(reading: Reading) -> Iterable[Evidence]:
    """lure.account_alert: a fake security alert ("new login attempt", "virus detected")."""
    found = reading.first_listed("account_alerts")
    if found:
        yield Evidence("lure.account_alert", {"alert": found[0].text, "alert_where": found[1].source})



# The other reasons callback lures give to call, each a lexicon list, by the name reasons use.
PRETEXTS = {"fee_demands": "fee", "refund_offers": "refund", "tech_support": "tech_support",
            "bank_change": "bank_change", "new_number": "new_number", "code_disclosure": "code_disclosure",
            "family_emergency": "family_emergency"}


def pretext(reading: Reading) -> Iterable[Evidence]:
    """lure.pretext: a parcel held for a fee, a refund that "could not be paid", a virus that needs
    a technician, a supplier's "new bank details", a relative's "lost phone" and new number, a code
    to read out on the call, a grandchild arrested and waiting for bail: the first one the message uses."""
    for block, found in zip(reading.blocks, reading.vocabulary, strict=True):
        for phrase in found:
            kinds = [PRETEXTS[name] for name in PRETEXTS if name in phrase.lists]
            if kinds:
                yield Evidence("lure.pretext", {"pretext": phrase.match.text, "pretext_kind": kinds[0],
                                                "pretext_where": block.source})
                return
