"""Authentication of the From domain, as our own boundary recorded it."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Evidence
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
