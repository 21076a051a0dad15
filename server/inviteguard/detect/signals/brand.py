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
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from ..model import Evidence, TextBlock
from ..rules import Brand, load_brands, load_lexicon
from ..view import skeleton_of
from .platform import Relay, in_stranger_text, relay
from .reading import BLOCKS_KEPT, Reading, name_letters
from .text import Match, org_domain, trie_pattern, unspaced_script

_NAMING = frozenset({"organizer_name", "from_name"})
# Fields that give a name rather than sign with it: a text names its sender in its own words.
_SENDER_FIELDS = _NAMING | {"subject"}


@dataclass(frozen=True)
class BrandMention:
    brand: Brand
    as_written: str
    source: str
    lookalike: bool


_JOINED = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class _BrandIndex:
    pattern: re.Pattern[str]  # every name as whole words, its words joined by a space, a hyphen or nothing
    by_name: dict[str, Brand]  # a name's skeleton with its words run together
    # Names in scripts written without spaces between words, found anywhere inside a run (Korean
    # attaches its particles): longest first, and the characters they begin with.
    unspaced: tuple[tuple[str, Brand], ...]
    unspaced_starts: re.Pattern[str]


@cache
def _brand_index() -> _BrandIndex:
    spaced: dict[str, Brand] = {}
    unspaced: dict[str, Brand] = {}
    for brand in load_brands():
        for name in brand.names:
            written = skeleton_of(name)
            (unspaced if any(unspaced_script(c) for c in written) else spaced).setdefault(written, brand)
    by_name: dict[str, Brand] = {}
    for name, brand in spaced.items():
        by_name.setdefault(_JOINED.sub("", name), brand)
    body = trie_pattern(spaced, space=r"[\s\-]?")
    return _BrandIndex(re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])"), by_name,
                       tuple(sorted(unspaced.items(), key=lambda item: -len(item[0]))),
                       re.compile("[" + "".join(sorted({re.escape(name[0]) for name in unspaced})) + "]"))


def _named(text: str, index: _BrandIndex) -> Iterator[tuple[int, int, Brand]]:
    """Where `text` (a skeleton) names a brand: names of spaced scripts as whole words, through one
    trie of them all (linear, whatever the list's length); names in unspaced scripts anywhere."""
    for found in index.pattern.finditer(text):
        brand = index.by_name.get(_JOINED.sub("", found.group()))
        if brand is not None:
            yield found.start(), found.end(), brand
    if index.unspaced and index.unspaced_starts.search(text):
        for name, brand in index.unspaced:
            start = text.find(name)
            while start >= 0:
                yield start, start + len(name), brand
                start = text.find(name, start + len(name))


@cache
def _plain(brand: Brand) -> frozenset[str]:
    """A brand's real spellings, lower-cased, with and without spaces (once per brand)."""
    return frozenset(n.lower() for n in brand.names) | {n.lower().replace(" ", "") for n in brand.names}


# Digits and an at sign written for the letters they resemble inside a word ("W3stpac", "P@yPal";
# 0 and 1 are folded by every skeleton already): a word of three letters or more with fewer of them
# than letters reads as its letters, the same width, so "A4" and "5G" stay as they are, and so do
# the groups of a hyphenated id ("INV2-USP5-F3IJ"). Not "$": "Micro$oft" is a reader's jibe.
_LEET = str.maketrans({"3": "e", "4": "a", "5": "s", "7": "t", "@": "a"})
_LEET_WORD = re.compile(r"(?<![\w@\-])[\w@]*[3457@][\w@]*(?![\w@]|-\w)")
LEET_LETTERS_MIN = 3


def _letters_for_digits(text: str) -> str | None:
    """The skeleton with each disguised word's digits read as letters, or None if it has none."""
    def read(word: re.Match[str]) -> str:
        letters = sum(c.isalpha() for c in word.group())
        leet = sum(c in "3457@" for c in word.group())
        return word.group().translate(_LEET) if letters >= LEET_LETTERS_MIN and leet < letters else word.group()
    read_text = _LEET_WORD.sub(read, text)
    return read_text if read_text != text else None


# A name spelled out letter by letter ("U B S Switzerland", "P a y P a l", thin spaces as often
# as not): a disguise no reader is slowed by. Three letters at least, so initials ("B T") stay
# initials. The letters are read run together, right-aligned in the run's width ("  ubs
# switzerland") so a name's other words still follow them and every position stays where it was.
_LETTER_BY_LETTER = re.compile(r"(?<![^\W_])[^\W\d_](?: [^\W\d_]){2,40}(?![^\W_])")


def _spelled_out(text: str, index: _BrandIndex) -> Iterator[tuple[int, int, Brand]]:
    runs = [(found.start(), found.end()) for found in _LETTER_BY_LETTER.finditer(text)]
    if not runs:
        return
    starts = [start for start, _ in runs]
    joined = _LETTER_BY_LETTER.sub(lambda run: run.group().replace(" ", "").rjust(len(run.group())), text)
    for start, end, brand in _named(joined, index):
        # The run the name begins in, if any (runs are in order: a bisection, not a scan per name).
        run = bisect_right(starts, start) - 1
        if run >= 0 and start < runs[run][1]:
            yield runs[run][0], end, brand


_Named = tuple[int, int, Brand]


# Depends on the skeleton text alone: a message's other inputs find their shared blocks here.
@lru_cache(maxsize=BLOCKS_KEPT)
def _names_in(text: str) -> tuple[tuple[_Named, ...], frozenset[_Named]]:
    """Where a skeleton text names a brand, in order: as written, with digits for letters, then
    spelled out letter by letter; and the spelled-out ones apart, which are look-alikes."""
    index = _brand_index()
    named = list(_named(text, index))
    disguised = _letters_for_digits(text)
    if disguised is not None:
        named += [(start, end, brand) for start, end, brand in _named(disguised, index)
                  if disguised[start:end] != text[start:end]]
    spelled = set(_spelled_out(text, index))
    return (*named, *spelled), frozenset(spelled)


def _mentions(reading: Reading) -> tuple[BrandMention, ...]:
    found = []
    for block_index, (block, skel) in enumerate(zip(reading.blocks, reading.skeletons, strict=True)):
        named, spelled = _names_in(skel.text)
        for skel_start, skel_end, brand in named:
            start, end = skel.span(skel_start, skel_end)
            if reading.in_boilerplate(block_index, start, end):
                # A platform naming its parent in its own footer ("Venmo is a service of PayPal").
                continue
            as_written = block.text[start:end]
            # Turkish capital İ lower-cases to i and a combining dot: the same letter, no look-alike.
            normalised = re.sub(r"[\s\-]+", " ", as_written.lower().replace("\u0307", ""))
            lookalike = (skel_start, skel_end, brand) in spelled or (
                normalised not in _plain(brand) and normalised.replace(" ", "") not in _plain(brand))
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
    # A relayed message sent from the stranger's own free mailbox (an Outlook.com or iCloud
    # account's invite) carries the name they gave it: Outlook shows it as the organiser's.
    chosen = ("organizer_name", "from_name") if relayed and load_lexicon().is_freemail(reading.sender_domain) \
        else ("organizer_name",)
    claimed, owned = [], []
    for mention in mentions(reading):
        orgs = _orgs(mention.brand)
        if relayed:
            # A stranger's text naming a brand; the platform naming itself is not, except in the
            # name the stranger chose: the platform never writes its own name in an invite's
            # organiser or a stranger's mailbox ("Apple Billing" organising an iCloud invite,
            # "Microsoft 365 Subscription Review" sending one from Outlook.com).
            if mention.lookalike or mention.brand.name != relay_brand or mention.source in chosen:
                claimed.append(mention)
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


NAME_SHOWN = 80  # characters of the stranger's chosen name a reason quotes


def _template_words(reading: Reading) -> frozenset[tuple[str, int, int]]:
    """The payment words of the subjects ("Cobrança de <name>", "Invoice from <name>"): a desk's
    word there ("cobrança" is billing too) is the platform's template, not the stranger's name."""
    return frozenset((block.text, match.start, match.end)
                     for match, block in reading.listed("payment_terms", lambda block: block.source == "subject"))


def _posed_desk(reading: Reading, fields: frozenset[str]) -> tuple[Match, TextBlock] | None:
    template = _template_words(reading) if "subject" in fields else frozenset()
    return next(((match, block) for match, block in reading.listed(
        "department_words", lambda block: block.source in fields and in_stranger_text(reading, block))
        if (block.text, match.start, match.end) not in template), None)


def _posed_organisation(reading: Reading, relayed: Relay) -> tuple[str, str, str] | None:
    """The name the stranger chose, the organisation word in it and where it stands: a desk in the
    invite's organiser or the sender's display name ("<name> via DocuSign"), then, where the
    platform's subject is its template around that name ("Invoice from <name>", "<name> requested
    $20"), a desk or a brand there."""
    hit = _posed_desk(reading, _NAMING)
    if hit is not None:
        match, block = hit
        return block.text[:NAME_SHOWN], match.text, block.source
    if not relayed.platform.names_in_subject:
        return None
    hit = _posed_desk(reading, frozenset({"subject"}))
    if hit is not None:
        match, block = hit
        return match.text, match.text, block.source
    named = next((mention for mention in mentions(reading) if mention.source == "subject"), None)
    return (named.as_written, named.brand.name, named.source) if named is not None else None


def stranger_poses_as_organisation(reading: Reading) -> Iterable[Evidence]:
    """relay.stranger_poses_as_organisation: the name a stranger chose on the platform is a bank, a
    billing desk or a fraud department ("Danske Bank Kortservice", "Accounts Receivable via
    Docusign"), or, where the platform prints it in its subject, a brand, the platform's own among
    them ("PayPal Resolution Center requested $420.00"). Real people who share a file, send an
    invite or ask for money use their own names; the platform never checks the name, so any
    organisation may be claimed, in any language."""
    relayed = relay(reading)
    if relayed is None:
        return
    posed = _posed_organisation(reading, relayed)
    if posed is None:
        return
    display_name, word, where = posed
    yield Evidence("relay.stranger_poses_as_organisation", {
        "display_name": display_name, "organisation_word": word, "name_where": where,
        "platform": relayed.platform.name})


def anonymous_sender(reading: Reading) -> Iterable[Evidence]:
    """sender.unnamed: mail sent in its own right (no platform relayed it) that never says who
    sends it: not the organisation's internal mail or mail to its own people, and neither the domain's name nor a name
    from the display name appears in the text, nor the name of the brand whose proven domain sent
    it, as the brand data spells it in any script (Bank of Georgia signing "საქართველოს ბანკი" from
    bankofgeorgia.ge). Companies and colleagues sign; a domain bought for a campaign hides behind
    the brand it imitates."""
    if relay(reading) is None and reading.sender_domain and not (
            reading.internal or reading.writes_to_itself or reading.sender_names_itself
            or any(m.source not in _SENDER_FIELDS for m in brand_view(reading).owned)):
        yield Evidence("sender.unnamed", {"sender_domain": reading.sender_domain})


def freemail_sender(reading: Reading) -> Iterable[Evidence]:
    """sender.freemail: sent in its own right from a mailbox provider anyone can sign up for."""
    domain = reading.sender_domain
    if load_lexicon().is_freemail(domain) and relay(reading) is None:
        yield Evidence("sender.freemail", {"sender_domain": domain})


LABEL_SEGMENTS_LOOKED_AT = 8  # hyphen-separated parts of a domain label; DNS allows 63 characters
BRAND_LABEL_MIN = 4  # shorter labels ("my", "gov", "sa") are parts of too many ordinary domains


@cache
def _brand_labels() -> dict[str, Brand]:
    """What each brand's name reads as inside a domain label: its own domains' labels and its names
    run together ("kuronekoyamato", "bankofamerica", "bankid")."""
    labels: dict[str, Brand] = {}
    for brand in load_brands():
        written = [org_domain(d).partition(".")[0] for d in brand.domains] + list(brand.names)
        for letters in map(name_letters, written):
            # A domain label's letters; an unspaced-script name is no label.
            if letters.isascii() and len(letters) >= BRAND_LABEL_MIN:
                labels.setdefault(letters, brand)
    return labels


def _label_brand(label: str) -> Brand | None:
    """The brand a domain label is built on, as whole hyphen-separated parts ("bankid-fornyelse",
    "kuroneko-yamato-delivery", "secure-paypa1-billing"), never inside a word ("applebees",
    "purchase"): a label that merely contains a short name is someone else's."""
    labels = _brand_labels()
    parts = label.split("-")[:LABEL_SEGMENTS_LOOKED_AT]
    if len(parts) < 2:
        return None  # the brand's name under another suffix is its own or a typo, not this shape
    for first in range(len(parts)):
        for last in range(first + 1, len(parts) + 1):
            brand = labels.get(name_letters("".join(parts[first:last])))
            if brand is not None:
                return brand
    return None


def _bought_domain(reading: Reading) -> str:
    """The sender's domain when the mail is sent in its own right from a domain someone registered:
    never a relayed message (its From is the platform's), a free mailbox or internal mail."""
    domain = reading.sender_domain
    if not domain or reading.internal or relay(reading) is not None or load_lexicon().is_freemail(domain):
        return ""
    return domain


def domain_names_brand(reading: Reading) -> Iterable[Evidence]:
    """sender.domain_names_brand: mail sent in its own right from a domain built on a brand's name
    with words around it ("paypal-resolution.com", "bankid-fornyelse.no") that the brand does not
    own."""
    domain = _bought_domain(reading)
    if not domain:
        return
    org = org_domain(domain)
    brand = _label_brand(org.partition(".")[0])
    if brand is not None and org not in _orgs(brand):
        yield Evidence("sender.domain_names_brand", {"sender_domain": domain, "brand": brand.name})


def domain_poses_as_government(reading: Reading) -> Iterable[Evidence]:
    """sender.domain_poses_as_government: mail sent in its own right from a domain that joins a
    word for "government" to other words with hyphens ("impots-gouv-avis.fr", "kontraktor-gov-bn.com"),
    outside any government suffix."""
    domain = _bought_domain(reading)
    if not domain:
        return
    lexicon = load_lexicon()
    suffix = org_domain(domain).partition(".")[2]
    if not suffix or set(suffix.split(".")) & (lexicon.government_labels | {"mil"}):
        return  # a government's own domain (gov.uk, gouv.fr, .gov) or no registrable name
    for label in domain.removesuffix("." + suffix).split(".")[:LABEL_SEGMENTS_LOOKED_AT]:
        parts = label.split("-")[:LABEL_SEGMENTS_LOOKED_AT]
        word = next((part for part in parts if part in lexicon.government_labels), None)
        if len(parts) >= 2 and word is not None:
            yield Evidence("sender.domain_poses_as_government", {"sender_domain": domain, "government_word": word})
            return
