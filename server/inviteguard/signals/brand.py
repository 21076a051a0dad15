"""Brand impersonation: a brand named in the text or a display name that the authenticated
sender does not own, including look-alike spellings (rules/confusables.yaml)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from ..model import Evidence, ParsedMessage
from ..rules import Brand, load_brands, load_confusables, load_lexicon
from .platform import trusted_relay
from .text import authenticated_sender_org, org_domain, sender_domain


@cache
def _confusable_table() -> dict[int, str]:
    return str.maketrans(load_confusables())


def fold(text: str) -> str:
    return text.translate(_confusable_table()).lower()


@dataclass(frozen=True)
class BrandMention:
    brand: Brand
    as_written: str
    source: str
    lookalike: bool


@cache
def _brand_index() -> tuple[re.Pattern[str], dict[str, Brand]]:
    by_folded: dict[str, Brand] = {}
    for brand in load_brands():
        for name in brand.names:
            by_folded[fold(name)] = brand
    names = sorted(by_folded, key=len, reverse=True)
    body = "|".join(re.escape(n).replace(r"\ ", r"[\s\-]?") for n in names)
    return re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])"), by_folded


@lru_cache(maxsize=256)
def _mentions_in(text: str, source: str) -> tuple[BrandMention, ...]:
    pattern, by_folded = _brand_index()
    folded = fold(text)
    found = []
    for match in pattern.finditer(folded):
        key = re.sub(r"[\s\-]", " ", match.group())
        brand = by_folded.get(key) or by_folded.get(key.replace(" ", ""))
        if brand is None:
            continue
        as_written = text[match.start():match.end()]
        plain = {n.lower() for n in brand.names} | {n.lower().replace(" ", "") for n in brand.names}
        normalised = re.sub(r"[\s\-]+", " ", as_written.lower())
        lookalike = normalised not in plain and normalised.replace(" ", "") not in plain
        found.append(BrandMention(brand, as_written, source, lookalike))
    return tuple(found)


def mentions(message: ParsedMessage) -> tuple[BrandMention, ...]:
    return tuple(m for block in message.texts for m in _mentions_in(block.text, block.source))


def _owned_by_sender(brand: Brand, message: ParsedMessage) -> bool:
    org = authenticated_sender_org(message)
    return bool(org) and org in {org_domain(d) for d in brand.domains}


def _relay_brand(message: ParsedMessage) -> str:
    relay = next(iter(trusted_relay(message)), None)
    return str(relay.facts["says"]) if relay else ""


def _claimed(message: ParsedMessage) -> list[BrandMention]:
    """Mentions of brands the sender does not own (a platform naming itself is not a claim)."""
    relay_brand = _relay_brand(message)
    from_domain = sender_domain(message)
    claimed = []
    for mention in mentions(message):
        brand = mention.brand
        if brand.name == relay_brand and not mention.lookalike:
            continue
        if _owned_by_sender(brand, message):
            continue
        # With no authentication results at all (a bare .ics, Outlook without headers) fall back to
        # the From domain: we cannot prove it, but we should not accuse the brand's own mail.
        if not message.auth and from_domain and org_domain(from_domain) in {org_domain(d) for d in brand.domains}:
            continue
        claimed.append(mention)
    return claimed


def impersonation(message: ParsedMessage) -> Iterable[Evidence]:
    """brand.impersonation and brand.homoglyph"""
    claimed = _claimed(message)
    if not claimed:
        return
    lookalike = next((m for m in claimed if m.lookalike), None)
    first = lookalike or claimed[0]
    facts = {"brand": first.brand.name, "brand_where": first.source, "sender_domain": sender_domain(message)}
    yield Evidence("brand.impersonation", facts)
    if lookalike:
        yield Evidence("brand.homoglyph", {**facts, "brand_as_written": lookalike.as_written})


def display_name_claim(message: ParsedMessage) -> Iterable[Evidence]:
    """invite.organizer_claims_brand: organizer or sender display name claims a brand it isn't."""
    names = [m for m in _claimed(message) if m.source in ("organizer_name", "from_name")]
    if names:
        mention = names[0]
        organizer = next((i.organizer.address for i in message.invites if i.organizer), "")
        yield Evidence("invite.organizer_claims_brand", {
            "brand": mention.brand.name, "display_name": mention.as_written,
            "organizer": organizer or (message.from_.address if message.from_ else ""),
        })


def sender_is_brand_owner(message: ParsedMessage) -> Iterable[Evidence]:
    """trust.sender_is_brand_owner: the authenticated sender owns the brand the text names,
    and is not acting as a relay for someone else's text."""
    if _relay_brand(message):
        return
    for mention in mentions(message):
        if not mention.lookalike and _owned_by_sender(mention.brand, message):
            yield Evidence("trust.sender_is_brand_owner", {
                "brand": mention.brand.name, "sender_domain": sender_domain(message)})
            return


def freemail_business(message: ParsedMessage) -> Iterable[Evidence]:
    """sender.freemail_business: a receipt or brand notice from a free mailbox anyone can open."""
    domain = sender_domain(message)
    if not domain or domain not in load_lexicon().freemail_domains or message.is_invite:
        return
    claimed = _claimed(message)
    if claimed or any(m.source == "from_name" for m in mentions(message)):
        yield Evidence("sender.freemail_business", {"sender_domain": domain,
                                                    "brand": claimed[0].brand.name if claimed else ""})
