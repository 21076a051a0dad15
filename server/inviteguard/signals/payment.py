"""Payment claims: an amount with purchase/charge/renewal language, the "not you? call us" hook,
and fake security alerts used in their place. English, German, French and Spanish."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from ..model import Evidence, ParsedMessage, TextBlock
from ..rules import load_lexicon
from .text import Match, PhraseList, fold_digits

_NUMBER = r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_PREFIX = r"US\$|C\$|A\$|USD|EUR|GBP|CAD|AUD|CHF|\$|€|£|¥|₹"
_SUFFIX = r"€|EUR|USD|\$|£|GBP|CHF|dollars?|euros?|Euro"
_AMOUNT = re.compile(
    rf"(?<![\w.,])(?:(?:{_PREFIX})\s?(?:\$\s?)?(?:{_NUMBER})|(?:{_NUMBER})\s?(?:{_SUFFIX}))(?![\w])",
    re.IGNORECASE)
# How close (in characters) an amount must be to purchase language to count as a claim.
CLAIM_WINDOW = 400


@cache
def _lists() -> tuple[PhraseList, PhraseList, PhraseList]:
    lexicon = load_lexicon()
    return (PhraseList(lexicon.payment_terms), PhraseList(lexicon.dispute_hooks),
            PhraseList(lexicon.account_alerts))


def amounts(text: str) -> list[Match]:
    folded = fold_digits(text)
    return [Match(m.start(), m.end(), " ".join(text[m.start():m.end()].split())) for m in _AMOUNT.finditer(folded)
            if any(c.isdigit() and c != "0" for c in m.group())]


def _claim_in(block: TextBlock) -> tuple[Match, Match] | None:
    terms = _lists()[0]
    for amount in amounts(block.text):
        window = block.text[max(0, amount.start - CLAIM_WINDOW):amount.end + CLAIM_WINDOW]
        term = terms.search(window)
        if term:
            return amount, term
    return None


def claim(message: ParsedMessage) -> Iterable[Evidence]:
    """payment.claim: an amount next to purchase, charge, renewal or refund language, or a
    subject that announces one ("Order Confirmation") when the amount is only in an image."""
    for block in message.texts:
        found = _claim_in(block)
        if found:
            amount, term = found
            yield Evidence("payment.claim", {"amount": amount.text, "payment_term": term.text,
                                             "claim_where": block.source})
            return
    subject_term = _lists()[0].search(message.subject)
    if subject_term:
        yield Evidence("payment.claim", {"amount": "", "payment_term": subject_term.text, "claim_where": "subject"})


def dispute_hook(message: ParsedMessage) -> Iterable[Evidence]:
    """payment.dispute_hook: "not you?", "if you did not authorize", "to cancel"."""
    hooks = _lists()[1]
    for block in message.texts:
        found = hooks.search(block.text)
        if found:
            yield Evidence("payment.dispute_hook", {"hook": found.text, "hook_where": block.source})
            return


def account_alert(message: ParsedMessage) -> Iterable[Evidence]:
    """lure.account_alert: a fake security alert ("new login attempt", "virus detected")."""
    alerts = _lists()[2]
    for block in message.texts:
        found = alerts.search(block.text)
        if found:
            yield Evidence("lure.account_alert", {"alert": found.text, "alert_where": block.source})
            return
