"""Authentication of the From domain, as our own boundary recorded it."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Evidence
from .platform import relay
from .reading import Reading
from .text import org_domain

_FAILING = ("fail", "softfail", "permerror")


def from_domain_fails(reading: Reading) -> Iterable[Evidence]:
    """auth.from_domain_fails: DMARC or Microsoft's composite auth failed for the From domain."""
    domain = reading.sender_domain
    if not domain:
        return
    for result in reading.boundary_auth:
        if (result.method in ("dmarc", "compauth")
                and result.result in _FAILING and result.domain
                and org_domain(result.domain) == org_domain(domain)):
            yield Evidence("auth.from_domain_fails", {"domain": domain, "method": result.method.upper()})
            return


def internal_sender(reading: Reading) -> Iterable[Evidence]:
    """trust.internal_sender: the organisation writes to itself, proven (DMARC or aligned DKIM at
    our boundary, or Exchange's own internal mail): an IT notice, an awareness mail quoting a lure.
    Never for a relayed message, whose From is the platform's; a free mailbox proves no organisation."""
    if reading.writes_to_itself and relay(reading) is None:
        yield Evidence("trust.internal_sender", {"sender_domain": reading.sender_domain})
