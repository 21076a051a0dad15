"""Signals: small pure functions Reading -> Iterable[Evidence].

They know nothing of Flask, Redis or weights; rules/signals.yaml gives each signal its fitted
weight. Each reads the message's one canonical view through its Reading (reading.py).
"""

from collections.abc import Callable, Iterable

from ..model import Evidence
from . import auth, awareness, brand, coverage, feedback, forwarding, payment, phone, platform, urgency, wording
from .reading import Reading

Signal = Callable[[Reading], Iterable[Evidence]]

ALL: tuple[Signal, ...] = (
    platform.trusted_relay,
    brand.stranger_poses_as_organisation,
    forwarding.srs,
    forwarding.list_expansion,
    forwarding.reader_not_attendee,
    auth.from_domain_fails,
    auth.internal_sender,
    auth.imitates_recipient_org,
    phone.callback_numbers,
    payment.amount,
    payment.claim,
    payment.charge_claim,
    payment.demand,
    payment.dispute_hook,
    payment.account_alert,
    payment.pretext,
    brand.claims,
    brand.anonymous_sender,
    brand.freemail_sender,
    brand.domain_names_brand,
    brand.domain_poses_as_government,
    urgency.language,
    urgency.only_by_phone,
    urgency.reader_called,
    awareness.warning_about_scams,
    wording.lure_wording,
    coverage.partly_read,
)

__all__ = ["ALL", "Reading", "Signal", "feedback", "phone", "wording"]
