"""Urgency: pressure to act before thinking, and to act only by phone."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Evidence
from .reading import Reading


def only_by_phone(reading: Reading) -> Iterable[Evidence]:
    """callback.phone_only: the phone is said to be the only way ("refunds by phone only", "nur
    telefonisch"). Callback lures close every other door so the reader calls; genuine mail offers
    the website or the app beside the number."""
    found = reading.first_listed("phone_only")
    if found:
        yield Evidence("callback.phone_only", {"phone_only_phrase": found[0].text, "phone_only_where": found[1].source})


def reader_called(reading: Reading) -> Iterable[Evidence]:
    """callback.reader_called: the reader is to be called ("reply with your mobile number and an
    officer will phone you", "Apple Care will call you at the booked time"). A lure that keeps its
    own number out of reach of any reader still ends in a call; where it gives no number, this is
    the call the warning is about."""
    found = reading.first_listed("reader_called")
    if found:
        yield Evidence("callback.reader_called", {"called_phrase": found[0].text, "called_where": found[1].source})


def language(reading: Reading) -> Iterable[Evidence]:
    """urgency.language"""
    found = reading.first_listed("urgency")
    if found:
        yield Evidence("urgency.language", {"urgency_phrase": found[0].text})
