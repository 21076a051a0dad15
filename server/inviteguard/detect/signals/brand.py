"""Brand impersonation: text that speaks as a brand its sender does not own.

Brand names (rules/brands.yaml) are matched on confusable skeletons, so "PayPaI", "Nort0n",
a Cyrillic capital Er for P, Lisu or Cherokee look-alikes and full-width letters all read as the brand; a
spelling that differs from every real name is a look-alike. Who "speaks" differs by message:
- relayed by a platform: the stranger's text names the brand, so every mention of a brand other
  than the platform's own is a claim, and the platform's brand-owner trust never applies;
- sent by a proven sender (DMARC or aligned DKIM at our boundary, or the organisation's own
  internal mail) that names itself in the text: naming another brand is ordinary (a bank's alert
  names the merchant "WALMART.COM" or its payment service in the subject); claiming it as the
  sender or organiser name, or spelling it with look-alike letters, is not;
- a proven sender that never names itself (a domain bought for the campaign) speaks only as the
  brands it names, so each is a claim;
- unproven senders claim every brand they name that their From domain does not own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from ..model import Evidence
from ..rules import Brand, load_brands, load_lexicon
from ..view import skeleton_of
from .platform import relay
from .reading import Reading
from .text import org_domain

_NAMING = frozenset({"organizer_name", "from_name"})


@dataclass(frozen=True)
class BrandMention:
    brand: Brand
    as_written: str
    source: str
    lookalike: bool


# A run of these scripts is written without spaces between words, so a brand written in them is
# found anywhere inside a run; any other name only as whole words.
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class _BrandIndex:
    by_words: dict[str, Brand]  # a name's skeleton words, joined by one space and run together
    prefixes: frozenset[str]  # every name's first word, first two words, ...: where a run may go on
    unspaced: tuple[tuple[str, Brand], ...]  # names in scripts without spaces, longest first


@cache
def _brand_index() -> _BrandIndex:
    by_words: dict[str, Brand] = {}
    unspaced: dict[str, Brand] = {}
    for brand in load_brands():
        for name in brand.names:
            written = skeleton_of(name)
            if _UNSPACED.search(written):
                unspaced[written] = brand
                continue
            words = _WORD.findall(written)
            by_words.setdefault(" ".join(words), brand)
            by_words.setdefault("".join(words), brand)
    prefixes = frozenset(" ".join(key.split()[:count]) for key in by_words for count in range(1, len(key.split()) + 1))
    return _BrandIndex(by_words, prefixes, tuple(sorted(unspaced.items(), key=lambda item: -len(item[0]))))


def _joins(gap: str) -> bool:
    """What may stand between a name's words in the text: one space or one hyphen ("geek-squad")."""
    return gap == "-" or (len(gap) == 1 and gap.isspace())


def _longest_name(text: str, words: list[re.Match[str]], at: int, index: _BrandIndex) -> tuple[int, Brand] | None:
    """The longest name that begins with word `at`: how many words it takes, and its brand. The
    run grows only while it is the beginning of some name."""
    key = words[at].group()
    found = None
    end = at
    while key in index.prefixes:
        brand = index.by_words.get(key)
        if brand is not None:
            found = (end - at + 1, brand)
        end += 1
        if end == len(words) or not _joins(text[words[end - 1].end():words[end].start()]):
            break
        key = f"{key} {words[end].group()}"
    return found


def _named(text: str, index: _BrandIndex) -> Iterator[tuple[int, int, Brand]]:
    """Where `text` (a skeleton) names a brand: the longest name beginning at each word, whole words
    joined by single spaces or hyphens; then names in unspaced scripts anywhere. Linear: each word
    starts a walk no longer than the longest name."""
    words = list(_WORD.finditer(text))
    at = 0
    while at < len(words):
        found = _longest_name(text, words, at, index)
        if found:
            count, brand = found
            yield words[at].start(), words[at + count - 1].end(), brand
            at += count
        else:
            at += 1
    if index.unspaced and _UNSPACED.search(text):
        for name, brand in index.unspaced:
            start = text.find(name)
            while start >= 0:
                yield start, start + len(name), brand
                start = text.find(name, start + len(name))


def _plain(brand: Brand) -> set[str]:
    return {n.lower() for n in brand.names} | {n.lower().replace(" ", "") for n in brand.names}


def _mentions(reading: Reading) -> tuple[BrandMention, ...]:
    index = _brand_index()
    found = []
    for block, skel in zip(reading.blocks, reading.skeletons, strict=True):
        for skel_start, skel_end, brand in _named(skel.text, index):
            start, end = skel.span(skel_start, skel_end)
            as_written = block.text[start:end]
            # Turkish capital İ lower-cases to i and a combining dot: the same letter, no look-alike.
            normalised = re.sub(r"[\s\-]+", " ", as_written.lower().replace("\u0307", ""))
            lookalike = normalised not in _plain(brand) and normalised.replace(" ", "") not in _plain(brand)
            found.append(BrandMention(brand, as_written, block.source, lookalike))
    return tuple(found)


def mentions(reading: Reading) -> tuple[BrandMention, ...]:
    return reading.memo(_mentions)


def _orgs(brand: Brand) -> set[str]:
    return {org_domain(d) for d in brand.domains}


@dataclass(frozen=True)
class _BrandView:
    claimed: tuple[BrandMention, ...]  # mentions that speak as a brand the sender is not
    owned: tuple[BrandMention, ...]  # plain mentions of a brand the proven sender owns


def _view(reading: Reading) -> _BrandView:
    relayed = relay(reading)
    relay_brand = relayed.platform.brand if relayed else ""
    sender_org = reading.sender_org
    # Speaking in its own name: the organisation's own internal mail, or a sender that names
    # itself and is proven (or nothing at all was checked, as for mail that never crossed a
    # boundary that records authentication).
    own_words = reading.internal or (reading.sender_names_itself and (bool(sender_org) or not reading.message.auth))
    # With no authentication results at all (a bare .ics, Outlook without headers) fall back to the
    # From domain: we cannot prove it, but we should not accuse the brand's own mail of naming it.
    unproven_org = org_domain(reading.sender_domain) if not reading.message.auth and reading.sender_domain else ""
    claimed, owned = [], []
    for mention in mentions(reading):
        orgs = _orgs(mention.brand)
        if relayed:
            if mention.lookalike or mention.brand.name != relay_brand:
                claimed.append(mention)  # a stranger's text naming a brand; the platform naming itself is not
        elif sender_org in orgs or unproven_org in orgs:
            if not mention.lookalike:
                owned.append(mention)
            else:
                claimed.append(mention)
        elif not own_words or mention.lookalike or mention.source in _NAMING:
            claimed.append(mention)
    return _BrandView(tuple(claimed), tuple(owned) if not relayed else ())


def brand_view(reading: Reading) -> _BrandView:
    return reading.memo(_view)


def claims(reading: Reading) -> Iterable[Evidence]:
    """brand.impersonation, brand.homoglyph, invite.organizer_claims_brand,
    trust.sender_is_brand_owner, sender.freemail_business: one look at the brand mentions."""
    view = brand_view(reading)
    message = reading.message
    if view.claimed:
        lookalike = next((m for m in view.claimed if m.lookalike), None)
        first = lookalike or view.claimed[0]
        facts = {"brand": first.brand.name, "brand_where": first.source, "sender_domain": reading.sender_domain}
        yield Evidence("brand.impersonation", facts)
        if lookalike:
            yield Evidence("brand.homoglyph", {**facts, "brand_as_written": lookalike.as_written})
        naming = next((m for m in view.claimed if m.source in _NAMING), None)
        if naming:
            organizer = next((i.organizer.address for i in message.invites if i.organizer), "")
            yield Evidence("invite.organizer_claims_brand", {
                "brand": naming.brand.name, "display_name": naming.as_written,
                "organizer": organizer or (message.from_.address if message.from_ else "")})
    if view.owned:
        yield Evidence("trust.sender_is_brand_owner", {"brand": view.owned[0].brand.name,
                                                       "sender_domain": reading.sender_domain})
    domain = reading.sender_domain
    if (load_lexicon().is_freemail(domain) and not message.is_invite and relay(reading) is None
            and (view.claimed or any(m.source == "from_name" for m in mentions(reading)))):
        yield Evidence("sender.freemail_business", {
            "sender_domain": domain, "brand": view.claimed[0].brand.name if view.claimed else ""})


def anonymous_sender(reading: Reading) -> Iterable[Evidence]:
    """sender.unnamed: mail sent in its own right (no platform relayed it) that never says who
    sends it: not the organisation's internal mail or mail to its own people, and neither the domain's name nor a name
    from the display name appears in the text. Companies and colleagues sign; a domain bought
    for a campaign hides behind the brand it imitates."""
    if relay(reading) is None and reading.sender_domain and not (
            reading.internal or reading.writes_to_itself or reading.sender_names_itself):
        yield Evidence("sender.unnamed", {"sender_domain": reading.sender_domain})


def freemail_sender(reading: Reading) -> Iterable[Evidence]:
    """sender.freemail: sent in its own right from a mailbox provider anyone can sign up for."""
    domain = reading.sender_domain
    if load_lexicon().is_freemail(domain) and relay(reading) is None:
        yield Evidence("sender.freemail", {"sender_domain": domain})
