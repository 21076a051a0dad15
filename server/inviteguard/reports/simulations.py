"""Phishing simulations: the security-awareness team's drills are not incidents.

A report of a drill is answered `{"simulation": true}` (the add-in says "well spotted"), counted
apart and never forwarded to the SOC. An attacker who copied a matcher would have their real
phish silently swallowed, so both matchers are meant to be unforgeable: a header whose value is
the simulation vendor's per-tenant secret, or a sender domain the receiving server saw DMARC pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..detect.model import ParsedMessage
from ..runtime.organisation import header_matcher_items, sender_domain_items
from .senders import authenticated_from


@dataclass(frozen=True)
class HeaderMatcher:
    name: str  # lower-case header name
    value: str  # case-folded text the value must contain; "" matches any value

    def matches(self, message: ParsedMessage) -> bool:
        # Plain substring tests: configured text is never a pattern, message text never one either.
        return any(self.value in value.casefold() for value in message.header_values(self.name))


@dataclass(frozen=True)
class SimulationMatchers:
    headers: tuple[HeaderMatcher, ...] = ()
    sender_domains: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.headers or self.sender_domains)


def matchers_from(headers_setting: str, domains_setting: str) -> SimulationMatchers:
    headers = tuple(HeaderMatcher(name, value) for name, value in header_matcher_items(headers_setting))
    return SimulationMatchers(headers, sender_domain_items(domains_setting))


def is_simulation(message: ParsedMessage, matchers: SimulationMatchers) -> bool:
    if any(m.matches(message) for m in matchers.headers):
        return True
    return authenticated_from(message, matchers.sender_domains)
