"""Payment claims: an amount with purchase/charge/renewal language, the claim that the reader was
already charged, the "not you? call us" hook, and fake security alerts used in their place.
English, German, French and Spanish."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from functools import cache

from ..model import Evidence, ParsedMessage, TextBlock
from ..rules import load_lexicon
from .text import Match, PhraseList, first_phrase, fold_digits

_NUMBER = r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_PREFIX = r"US\$|C\$|A\$|R\$|USD|EUR|GBP|CAD|AUD|CHF|BRL|\$|€|£|¥|₹"
_SUFFIX = r"€|EUR|USD|\$|£|GBP|CHF|BRL|dollars?|euros?|Euro|BTC|ETH|USDT|USDC"
_AMOUNT = re.compile(
    rf"(?<![\w.,])(?:(?:{_PREFIX})\s?(?:\$\s?)?(?:{_NUMBER})|(?:{_NUMBER})\s?(?:{_SUFFIX}))(?![\w])",
    re.IGNORECASE)
# How close (in characters) an amount must be to purchase language to count as a claim.
CLAIM_WINDOW = 800


@cache
def _lists() -> tuple[PhraseList, PhraseList, PhraseList, PhraseList]:
    lexicon = load_lexicon()
    return (PhraseList(lexicon.payment_terms), PhraseList(lexicon.dispute_hooks),
            PhraseList(lexicon.account_alerts), PhraseList(lexicon.charge_claims))


def amounts(text: str) -> list[Match]:
    folded = fold_digits(text)
    return [Match(m.start(), m.end(), " ".join(text[m.start():m.end()].split())) for m in _AMOUNT.finditer(folded)
            if any(c.isdigit() and c != "0" for c in m.group())]


def _claim_in(block: TextBlock, terms: PhraseList) -> tuple[Match, Match] | None:
    """The first amount with one of `terms` within CLAIM_WINDOW characters of it.

    Terms are found once per block and looked up by position, so a block stuffed with amounts
    costs one scan, not one scan per amount.
    """
    found_terms = list(terms.finditer(block.text))
    if not found_terms:
        return None
    starts = [t.start for t in found_terms]
    for amount in amounts(block.text):
        index = bisect_left(starts, amount.start - CLAIM_WINDOW)
        if index < len(found_terms) and found_terms[index].start <= amount.end + CLAIM_WINDOW:
            return amount, found_terms[index]
    return None


def _claim(message: ParsedMessage, terms: PhraseList, signal: str) -> Iterable[Evidence]:
    """An amount next to one of `terms`, or a subject that uses one when the amount is only in an
    image ("Amazon Purchase Complete")."""
    for block in message.texts:
        found = _claim_in(block, terms)
        if found:
            amount, term = found
            yield Evidence(signal, {"amount": amount.text, "payment_term": term.text, "claim_where": block.source})
            return
    subject_term = terms.search(message.subject)
    if subject_term:
        yield Evidence(signal, {"amount": "", "payment_term": subject_term.text, "claim_where": "subject"})


def claim(message: ParsedMessage) -> Iterable[Evidence]:
    """payment.claim: an amount next to any purchase, invoice, renewal or refund language."""
    return _claim(message, _lists()[0], "payment.claim")


def charge_claim(message: ParsedMessage) -> Iterable[Evidence]:
    """payment.charge_claim: the reader is told money was already taken ("you paid $599")."""
    return _claim(message, _lists()[3], "payment.charge_claim")


def dispute_hook(message: ParsedMessage) -> Iterable[Evidence]:
    """payment.dispute_hook: "not you?", "if you did not authorize", "to cancel"."""
    found = first_phrase(message, _lists()[1])
    if found:
        yield Evidence("payment.dispute_hook", {"hook": found[0].text, "hook_where": found[1]})


def account_alert(message: ParsedMessage) -> Iterable[Evidence]:
    """lure.account_alert: a fake security alert ("new login attempt", "virus detected")."""
    found = first_phrase(message, _lists()[2])
    if found:
        yield Evidence("lure.account_alert", {"alert": found[0].text, "alert_where": found[1]})
