"""Authentication of the From domain, as our own boundary recorded it."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Evidence, ParsedMessage
from .text import org_domain, sender_domain

_FAILING = ("fail", "softfail", "permerror")


def from_domain_fails(message: ParsedMessage) -> Iterable[Evidence]:
    """auth.from_domain_fails: DMARC or Microsoft's composite auth failed for the From domain."""
    domain = sender_domain(message)
    if not domain:
        return
    for result in message.auth:
        if (result.header == "authentication-results" and result.method in ("dmarc", "compauth")
                and result.result in _FAILING and result.domain
                and org_domain(result.domain) == org_domain(domain)):
            yield Evidence("auth.from_domain_fails", {"domain": domain, "method": result.method.upper()})
            return
