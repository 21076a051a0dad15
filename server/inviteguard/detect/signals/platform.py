"""Trusted-platform relay: the message really comes from a service that carries a stranger's text.

Passing authentication is part of the explanation, not a reason to trust: "Apple really sent
this, and anyone with an iCloud account can make Apple send an invite".
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Evidence, ParsedMessage
from ..rules import Platform, load_platforms
from .forwarding import srs_original_domain
from .text import domain_matches, passes


def _identities(message: ParsedMessage) -> tuple[list[str], list[str]]:
    """(addresses, domains) that claim to have sent the message, most telling first."""
    addresses = [a.address for a in (message.from_, message.sender) if a and a.address]
    domains = [a.rpartition("@")[2] for a in addresses]
    if message.return_path:
        domains.append(srs_original_domain(message.return_path) or message.return_path.rpartition("@")[2])
    domains.extend(message.dkim_domains)
    return addresses, [d for d in domains if d]


def _matches(platform: Platform, addresses: list[str], domains: list[str], prodids: list[str]) -> str:
    """The identity that matched (an address, a domain or a PRODID), or ""."""
    for address in addresses:
        if address in platform.addresses:
            return address
    for domain in domains:
        if domain_matches(domain, platform.domains):
            return domain
    for prodid in prodids:
        if any(marker in prodid for marker in platform.prodids):
            return prodid
    return ""


def _relays(platform: Platform, message: ParsedMessage) -> bool:
    if platform.relays_when == "invite":
        return message.is_invite
    if platform.relays_when == "marker":
        where = (message.subject + "\n" + message.body).lower()
        return any(marker in where for marker in platform.markers)
    return True


def _auth_summary(message: ParsedMessage, platform: Platform) -> tuple[bool, tuple[str, ...], str]:
    """(authenticated, checks that passed, the domain they passed for)."""
    candidates = [r.domain for r in message.auth if r.domain and domain_matches(r.domain, platform.domains)]
    for domain in dict.fromkeys(candidates):
        direct = passes([a for a in message.auth if a.header == "authentication-results"], domain,
                        ("spf", "dkim", "dmarc"))
        arc = passes([a for a in message.auth if a.header == "arc-authentication-results"], domain,
                     ("spf", "dkim", "dmarc"))
        # A tuple, so each language's text lists it its own way ("SPF, DKIM, DMARC").
        checks = tuple(c.upper() for c in direct or arc)
        if checks:
            return True, checks, domain
    return False, (), ""


def trusted_relay(message: ParsedMessage) -> Iterable[Evidence]:
    """relay.trusted_platform: which platform relayed the text, and whether that is proven."""
    addresses, domains = _identities(message)
    prodids = [i.prodid.lower() for i in message.invites if i.prodid]
    for platform in load_platforms():
        matched = _matches(platform, addresses, domains, prodids)
        if not matched or not _relays(platform, message):
            continue
        authenticated, checks, auth_domain = _auth_summary(message, platform)
        yield Evidence("relay.trusted_platform", {
            "platform": platform.name,
            "platform_id": platform.id,
            "says": platform.says,
            "how_anyone": platform.how_anyone,
            "channel": platform.channel,
            "matched": matched,
            "authenticated": authenticated,
            "checks": checks,
            "auth_domain": auth_domain,
        })
        return
