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


@dataclass(frozen=True)
class _BrandView:
    """What the brand signals share, worked out once per message."""

    message: ParsedMessage
    found: tuple[BrandMention, ...]  # every brand mention
    claimed: tuple[BrandMention, ...]  # mentions of brands the sender does not own
    owned: tuple[BrandMention, ...]  # plain mentions of a brand the authenticated sender owns
    relay_brand: str  # the relaying platform's own brand ("Apple"), "" when not relayed


def _brand_orgs(brand: Brand) -> set[str]:
    return {org_domain(d) for d in brand.domains}


def _view(message: ParsedMessage) -> _BrandView:
    relay = next(iter(trusted_relay(message)), None)
    relay_brand = str(relay.facts["says"]) if relay else ""
    sender_org = authenticated_sender_org(message)
    from_domain = sender_domain(message)
    # With no authentication results at all (a bare .ics, Outlook without headers) fall back to the
    # From domain: we cannot prove it, but we should not accuse the brand's own mail.
    unproven_org = org_domain(from_domain) if not message.auth and from_domain else ""
    found = mentions(message)
    claimed, owned = [], []
    for mention in found:
        orgs = _brand_orgs(mention.brand)
        if sender_org in orgs:
            if not mention.lookalike:
                owned.append(mention)
        elif not (mention.brand.name == relay_brand and not mention.lookalike) and unproven_org not in orgs:
            claimed.append(mention)  # a platform naming itself is not a claim
    return _BrandView(message, found, tuple(claimed), tuple(owned), relay_brand)


def _impersonation(view: _BrandView) -> Iterable[Evidence]:
    """brand.impersonation and brand.homoglyph"""
    if not view.claimed:
        return
    lookalike = next((m for m in view.claimed if m.lookalike), None)
    first = lookalike or view.claimed[0]
    facts = {"brand": first.brand.name, "brand_where": first.source, "sender_domain": sender_domain(view.message)}
    yield Evidence("brand.impersonation", facts)
    if lookalike:
        yield Evidence("brand.homoglyph", {**facts, "brand_as_written": lookalike.as_written})


def _display_name_claim(view: _BrandView) -> Iterable[Evidence]:
    """invite.organizer_claims_brand: organizer or sender display name claims a brand it isn't."""
    mention = next((m for m in view.claimed if m.source in ("organizer_name", "from_name")), None)
    if mention:
        message = view.message
        organizer = next((i.organizer.address for i in message.invites if i.organizer), "")
        yield Evidence("invite.organizer_claims_brand", {
            "brand": mention.brand.name, "display_name": mention.as_written,
            "organizer": organizer or (message.from_.address if message.from_ else ""),
        })


def _sender_is_brand_owner(view: _BrandView) -> Iterable[Evidence]:
    """trust.sender_is_brand_owner: the authenticated sender owns the brand the text names,
    and is not acting as a relay for someone else's text."""
    if view.owned and not view.relay_brand:
        yield Evidence("trust.sender_is_brand_owner", {
            "brand": view.owned[0].brand.name, "sender_domain": sender_domain(view.message)})


def _freemail_business(view: _BrandView) -> Iterable[Evidence]:
    """sender.freemail_business: a receipt or brand notice from a free mailbox anyone can open."""
    domain = sender_domain(view.message)
    if not domain or domain not in load_lexicon().freemail_domains or view.message.is_invite:
        return
    if view.claimed or any(m.source == "from_name" for m in view.found):
        yield Evidence("sender.freemail_business", {
            "sender_domain": domain, "brand": view.claimed[0].brand.name if view.claimed else ""})


def claims(message: ParsedMessage) -> Iterable[Evidence]:
    """Every brand signal, from one look at the message's brand mentions and its sender."""
    view = _view(message)
    for signal in (_impersonation, _display_name_claim, _sender_is_brand_owner, _freemail_business):
        yield from signal(view)
