"""One reading of one message: what the signals share, worked out once.

The signals are small functions of a Reading. What several of them need (the relaying platform,
which text a stranger wrote, the phone numbers, the amounts, skeletons of every block) is computed
the first time one asks and kept on the Reading, never in a process-wide cache keyed by attacker
text, so memory stays bounded by the message being analysed. The one exception is bounded: the
per-block work that depends on a block's text alone (its skeleton, the lexicon's phrases in it) is
kept for the last BLOCKS_KEPT texts, since `inviteguard fit` reads every message as three inputs
whose blocks are mostly the same texts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache, cached_property, lru_cache
from typing import Any, TypeVar

from ..model import AuthResult, ParsedMessage, TextBlock
from ..rules import load_brands, load_lexicon, load_platforms
from ..view import Skeleton, skeleton, skeleton_texts
from .text import Match, PhraseList, PhraseMatch, Vocabulary, org_domain, passes, unspaced_script

T = TypeVar("T")


@cache
def _boilerplate() -> PhraseList:
    return PhraseList(sentence for platform in load_platforms() for sentence in platform.boilerplate)


@cache
def _vocabulary() -> Vocabulary:
    return Vocabulary((phrase, name, language.code) for language in load_lexicon().languages
                      for name, phrases in language.phrases.items() for phrase in phrases)


# Blocks whose text-only work is kept: more than one input of a message has (its three inputs are
# read one after the other), so the next input finds its blocks' texts still there.
BLOCKS_KEPT = 32


@lru_cache(maxsize=BLOCKS_KEPT)
def block_skeleton(text: str) -> Skeleton:
    """A block text's skeleton (view.skeleton), worked out once for the readings that share the text."""
    return skeleton(text)


@lru_cache(maxsize=BLOCKS_KEPT)
def _phrases_in(text: str) -> tuple[PhraseMatch, ...]:
    """Every phrase of the lexicon in a block text, boilerplate or not (one pass)."""
    return tuple(_vocabulary().matches(block_skeleton(text), text))


# A sentence that says what the sender never does ("We will never ask for your bank details by
# phone", "Nous ne vous demanderons jamais vos coordonnées bancaires par téléphone") names what a
# lure asks for without asking it: its phrases are no claim, demand or pretext. Lures say such
# sentences too, so the sentence is no sign of safety either; it only stops counting. Verb-final
# languages put the "never" last ("電話で暗証番号をお尋ねすることはありません"), so the scope is the
# whole sentence around the phrase, within REASSURANCE_REACH characters either side of it.
REASSURANCE_REACH = 160
REASSURANCES_MAX = 8  # per block: a text repeating the phrase cannot make the scope check long
# With the ideographic full stop and the full-width "!", "?" and ";".
_SENTENCE_END = re.compile(r"[.!?;\n\u3002\uff01\uff1f\uff1b]")
_KEPT_IN_REASSURANCE = frozenset({"reassurances", "scam_awareness"})


def _reassured_sentences(text: str, phrases: list[PhraseMatch]) -> list[tuple[int, int]]:
    """The spans of the sentences holding a reassurance phrase."""
    spans: list[tuple[int, int]] = []
    for phrase in phrases:
        if "reassurances" not in phrase.lists or len(spans) >= REASSURANCES_MAX:
            continue
        start, end = phrase.match.start, phrase.match.end
        before = [m.end() for m in _SENTENCE_END.finditer(text, max(0, start - REASSURANCE_REACH), start)]
        after = _SENTENCE_END.search(text, end, end + REASSURANCE_REACH)
        spans.append((before[-1] if before else max(0, start - REASSURANCE_REACH),
                      after.start() if after else min(len(text), end + REASSURANCE_REACH)))
    return spans


# Display-name words that name a role, not who writes ("Billing Support", "Customer Service").
_ROLES = frozenset({
    "service", "services", "support", "billing", "customer", "customers", "team", "notification", "notifications",
    "noreply", "reply", "info", "information", "security", "updates", "update", "client", "clients", "account",
    "accounts", "alerts", "alert", "payment", "payments", "invoice", "invoices", "department", "center", "centre",
    "desk", "help", "helpdesk", "care", "online", "mail", "email", "admin", "office", "sales", "order", "orders",
    "receipt", "receipts", "from", "with", "your", "official", "member", "members", "bill", "itemized", "dept"})
_TRANSLITERATED = (("ae", "a"), ("oe", "o"), ("ue", "u"), ("ss", "s"))
_ADDRESS_LIKE = re.compile(r"@|://|[a-z0-9]\.[a-z]")  # a token that is an address, a link or a host name


@cache
def _not_a_name() -> frozenset[str]:
    """Display-name words that say nothing of who writes, as skeletons: roles, brand names (a
    display name "Binance" claims a brand, it does not sign), and every word of our own phrase
    lists ("E-Receipt Confirmation" names a document)."""
    lexicon = load_lexicon()
    words = set(_ROLES) | {w for brand in load_brands() for name in brand.names for w in name.split()}
    words |= {w for language in lexicon.languages for phrases in language.phrases.values() for p in phrases
              for w in p.split()}
    return frozenset(_squeeze(skeleton) for skeleton in skeleton_texts(words).values())


@cache
def _borrowed() -> tuple[tuple[str, ...], frozenset[str]]:
    """Brand names and role words a domain may be built of (longest first), and the brands' own
    organisation domains."""
    names = {_squeeze(skeleton(name).text) for brand in load_brands() for name in brand.names}
    names |= {_squeeze(skeleton(role).text) for role in _ROLES}
    owned = frozenset(org_domain(d) for brand in load_brands() for d in brand.domains)
    return tuple(sorted((n for n in names if n), key=len, reverse=True)), owned


# A message's inputs share their sender, and removing every name is a loop over thousands of them.
@lru_cache(maxsize=BLOCKS_KEPT)
def _distinctive(label: str, domain: str) -> str:
    """A domain's name without the brands and roles it borrows: "paypalsupport" says nothing of
    who sends it, "tailwindfederal" does. A brand's own domain keeps its name."""
    names, owned = _borrowed()
    if org_domain(domain) in owned:
        return label
    for name in names:
        label = label.replace(name, "")
    return label


def name_letters(name: str) -> str:
    """What a name or a domain label reads as, to compare one with another: its confusable
    skeleton, letters and digits only ("Qonto-Mail", "qonto mail" and a Greek-omicron "QONTO_MAIL" read alike)."""
    return _squeeze(skeleton(name).text)


def _squeeze(skeleton_text: str, keep_spaces: bool = False) -> str:
    """Letters and digits of any script only (spaces between words if asked), with the ways domain
    names spell umlauts and ß folded away ("mueller" reads as "müller")."""
    squeezed = re.sub(r"[\W_]+", " " if keep_spaces else "", skeleton_text)
    for written, plain in _TRANSLITERATED:
        squeezed = squeezed.replace(written, plain)
    return squeezed.strip()


class Reading:
    def __init__(self, message: ParsedMessage) -> None:
        self.message = message
        self._memo: dict[Callable[..., Any], Any] = {}
        self._boilerplate_spans: dict[int, tuple[tuple[int, int], ...]] = {}

    def memo(self, compute: Callable[[Reading], T]) -> T:
        """`compute(self)`, computed once per reading."""
        if compute not in self._memo:
            self._memo[compute] = compute(self)
        return self._memo[compute]

    @property
    def blocks(self) -> tuple[TextBlock, ...]:
        return self.message.texts

    @cached_property
    def skeletons(self) -> tuple[Skeleton, ...]:
        return tuple(block_skeleton(block.text) for block in self.blocks)

    @cached_property
    def vocabulary(self) -> tuple[tuple[PhraseMatch, ...], ...]:
        """Per block, every phrase of the lexicon found in it (one pass each), except inside a
        platform's own boilerplate ("PayPal is committed to preventing fraudulent emails") and,
        but for the warnings, inside a sentence that says what the sender never does."""
        found = []
        for index, block in enumerate(self.blocks):
            phrases = [p for p in _phrases_in(block.text) if not self.in_boilerplate(index, p.match.start, p.match.end)]
            negated = _reassured_sentences(block.text, phrases)
            found.append(tuple(p for p in phrases if not negated or p.lists & _KEPT_IN_REASSURANCE
                               or not any(start <= p.match.start and p.match.end <= end for start, end in negated)))
        return tuple(found)

    def in_boilerplate(self, index: int, start: int, end: int) -> bool:
        """Whether block `index`'s text from `start` to `end` lies inside a platform's own
        boilerplate sentence: the platform's words, not anyone else's. Each block is searched once,
        the first time it is asked about."""
        if index not in self._boilerplate_spans:
            block, skel = self.blocks[index], self.skeletons[index]
            self._boilerplate_spans[index] = tuple((m.start, m.end) for m in _boilerplate().finditer(skel, block.text))
        return any(span_start <= start and end <= span_end for span_start, span_end in self._boilerplate_spans[index])

    def listed(self, list_name: str, where: Callable[[TextBlock], bool] | None = None
               ) -> Iterator[tuple[Match, TextBlock]]:
        """Every match of one lexicon list (all languages), block by block, in blocks `where` accepts."""
        for block, found in zip(self.blocks, self.vocabulary, strict=True):
            if where is None or where(block):
                for phrase in found:
                    if list_name in phrase.lists:
                        yield phrase.match, block

    def first_listed(self, list_name: str, where: Callable[[TextBlock], bool] | None = None
                     ) -> tuple[Match, TextBlock] | None:
        return next(self.listed(list_name, where), None)

    def listed_in(self, index: int, list_name: str) -> list[Match]:
        """The matches of one lexicon list in block `index`, in order."""
        return [phrase.match for phrase in self.vocabulary[index] if list_name in phrase.lists]

    def find(self, phrases: PhraseList, where: Callable[[TextBlock], bool] | None = None
             ) -> Iterator[tuple[Match, TextBlock]]:
        """Every match of `phrases`, block by block, in blocks `where` accepts."""
        for block, skel in zip(self.blocks, self.skeletons, strict=True):
            if where is None or where(block):
                for match in phrases.finditer(skel, block.text):
                    yield match, block

    def first(self, phrases: PhraseList, where: Callable[[TextBlock], bool] | None = None
              ) -> tuple[Match, TextBlock] | None:
        return next(self.find(phrases, where), None)

    @cached_property
    def boundary_auth(self) -> tuple[AuthResult, ...]:
        """Results our own boundary recorded (not ARC's record of earlier hops)."""
        return tuple(a for a in self.message.auth if a.header == "authentication-results")

    @cached_property
    def sender_domain(self) -> str:
        return self.message.from_.domain if self.message.from_ else ""

    @cached_property
    def sender_names_itself(self) -> bool:
        """The text names its sender: the domain's name ("Tailwind Federal", or "Tailwind" alone,
        for tailwindfederal.com) or a distinctive word of the display name (a person signing with
        their name). A bank's alert and a colleague's invite say who they are; a lure sent from a
        domain bought for the campaign speaks only as the brand it imitates."""
        domain = self.sender_domain
        label = _distinctive(_squeeze(skeleton(org_domain(domain).split(".", 1)[0]).text), domain) if domain else ""
        # The display name, or without one the address's own part ("rohit.khare"): people sign
        # with their names. Beside a display name the address part is often a mailbox's role
        # ("w3.premium") whose everyday words any text may hold.
        sender = self.message.from_
        signed = (sender.name or sender.address.partition("@")[0]) if sender else ""
        # Latin words of four letters or more; names in scripts with denser letters ("KB국민카드")
        # from two.
        words = {w for w in _squeeze(skeleton(signed).text, keep_spaces=True).split()
                 if (len(w) >= 4 if w.isascii() else len(w) >= 2) and not w.isdigit() and w not in _not_a_name()}
        # Words of scripts written without spaces stand inside longer runs ("京东客服热线").
        unspaced = {w for w in words if any(unspaced_script(c) for c in w)}
        # A company that calls itself by its domain in prose ("bol.com b.v.", "Booking.com").
        own_domain = skeleton(org_domain(domain)).text if domain else ""
        for block, skel in zip(self.blocks, self.skeletons, strict=True):
            if block.source in ("from_name", "organizer_name", "subject"):
                continue
            tokens = skel.text.split()
            if own_domain and any(token.strip(".,;:()") == own_domain for token in tokens):
                return True
            # Not inside an address or a link: every message carries its sender's domain there.
            text = _squeeze(" ".join(token for token in tokens if not _ADDRESS_LIKE.search(token)), keep_spaces=True)
            joined = text.replace(" ", "")
            if len(label) >= 4 and label in joined:
                return True
            seen = set(text.split())
            # Unspaced names are read across the spaces a signature puts in them ("华信银行 信用卡中心"
            # signs for 华信银行信用卡中心).
            if words & seen or any(w in joined for w in unspaced):
                return True
            # A short name stands as a word of its own ("UPS", "DHL", "JD"), never inside one.
            if 2 <= len(label) < 4 and label in seen:
                return True
            # The domain's first word, when that is most of its name and no everyday word ("secure")
            # nor a brand the domain imitates ("paypa1-secure" does not name itself by "PayPal").
            if len(label) >= 4 and any(len(w) >= 6 and 2 * len(w) >= len(label) and label.startswith(w)
                                       and w not in _not_a_name() for w in seen):
                return True
        return False

    @cached_property
    def writes_to_itself(self) -> bool:
        """The proven sender organisation writes to its own people (a recipient in the same
        organisation): an IT notice, an awareness mail. A free mailbox proves no organisation.
        The sending mailbox itself is no such recipient: a hijacked mailbox writes "To: itself"
        and blind-copies its victims outside. Mail inside a Microsoft 365 organisation is proven
        by Exchange's own stamp, so it may be addressed that way too."""
        organisation = self.sender_org
        sender = self.message.from_.address if self.message.from_ else ""
        others = [r for r in self.message.recipients if r.domain and r.address != sender]
        return bool(organisation) and (any(org_domain(r.domain) == organisation for r in others)
                                       or (self.internal and not others))

    @cached_property
    def internal(self) -> bool:
        """Sent from inside the recipient's own Microsoft 365 organisation. Exchange Online sets
        this header on mail its own users send and strips X-MS-Exchange-Organization-* headers
        from mail that arrives from outside, so a sender cannot write it."""
        return any(value.strip().lower() == "internal"
                   for value in self.message.header_values("x-ms-exchange-organization-authas"))

    @cached_property
    def sender_org(self) -> str:
        """The From organisation when DMARC (or aligned DKIM) passed for it at our boundary, or the
        message is the organisation's own internal mail; "" when unproven, and for a mailbox
        provider anyone can sign up for: passing there proves a mailbox, not an organisation."""
        domain = self.sender_domain
        if not domain or load_lexicon().is_freemail(domain):
            return ""
        if self.internal or passes(self.boundary_auth, domain):
            return org_domain(domain)
        return ""
