"""Every currency in rules/currencies.yaml is read as an amount the way its locales write it.

The examples there are the data's own claim; an example the amount pattern misses (a currency
whose symbol or word was never wired in) would leave a lure's "you were charged" unread.
"""

from __future__ import annotations

from importlib import resources

import pytest
import yaml
from inviteguard.detect.analyzer import collect_evidence
from inviteguard.detect.parse import parse_raw
from inviteguard.detect.signals import payment
from inviteguard.detect.signals.reading import Reading

CURRENCIES = yaml.safe_load(resources.files("inviteguard.detect.rules").joinpath("currencies.yaml").read_text())
EXAMPLES = [(c["code"], example) for c in CURRENCIES["currencies"] for example in c["examples"]]


@pytest.mark.parametrize(("code", "example"), EXAMPLES, ids=[f"{c}:{e}" for c, e in EXAMPLES])
def test_every_example_is_an_amount(code: str, example: str) -> None:
    raw = ("From: Billing <billing@fabrikam.example>\r\nTo: ana@contoso.com\r\nSubject: Receipt\r\n"
           f"Content-Type: text/plain; charset=utf-8\r\n\r\nTotal charged: {example} today.\r\n").encode()
    assert "payment.amount" in {e.signal for e in collect_evidence(parse_raw(raw))}, (code, example)


def test_a_symbol_that_ends_a_word_opens_no_amount() -> None:
    # Dogecoin's "Ð" is the "ð" of the Icelandic "upphæð" (amount) when case is ignored.
    raw = ("From: Bank <bank@fabrikam.example>\r\nTo: ana@contoso.com\r\nSubject: Kort\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nFærsla að upphæð 184.900 kr. var stöðvuð.\r\n").encode()
    reading = Reading(parse_raw(raw))
    assert [a.text for found in payment.amounts(reading) for a in found] == ["184.900 kr."]
