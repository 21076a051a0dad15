"""Signals: small pure functions ParsedMessage -> Iterable[Evidence].

They know nothing of Flask, Redis or weights; rules/signals.yaml gives each signal its weight.
"""

from collections.abc import Callable, Iterable

from ..model import Evidence, ParsedMessage
from . import auth, awareness, brand, feedback, forwarding, payment, phone, platform, urgency

Signal = Callable[[ParsedMessage], Iterable[Evidence]]

ALL: tuple[Signal, ...] = (
    platform.trusted_relay,
    forwarding.srs,
    forwarding.list_expansion,
    forwarding.reader_not_attendee,
    auth.from_domain_fails,
    phone.callback_numbers,
    payment.claim,
    payment.charge_claim,
    payment.dispute_hook,
    payment.account_alert,
    brand.claims,
    urgency.language,
    awareness.warning_about_scams,
)

__all__ = ["ALL", "Signal", "feedback"]
