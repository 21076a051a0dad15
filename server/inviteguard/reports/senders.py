"""Whether a message really comes from a domain: the From domain (or a subdomain of it) with DMARC
pass as the receiving server recorded it. Used for simulation drills and for the organisation's
own domains, whose mail reports alone never escalate."""

from __future__ import annotations

from ..detect.model import ParsedMessage


def in_domains(domain: str, domains: frozenset[str]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in domains)


def dmarc_passed_for(message: ParsedMessage, domain: str) -> bool:
    """The receiving server (Authentication-Results, not ARC from hops before it) saw DMARC pass."""
    return any(r.method == "dmarc" and r.result == "pass" and r.header == "authentication-results"
               and r.domain.lower() == domain for r in message.auth)


def authenticated_from(message: ParsedMessage, domains: frozenset[str]) -> bool:
    """The message's From domain is one of `domains` and DMARC passed for it."""
    domain = message.from_.domain.lower() if message.from_ else ""
    return bool(domain) and in_domains(domain, domains) and dmarc_passed_for(message, domain)
