"""Trusted-platform relay: the message really comes from a service that carries a stranger's text.

Passing authentication is part of the explanation, not a reason to trust: "Apple really sent
this, and anyone with an iCloud account can make Apple send an invite". Which parts of such a
message a stranger wrote is platform data (rules/platforms.yaml, `stranger_fields`); the other
signals ask `in_stranger_text` before they let a sentence count in the message's favour.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from ..model import Evidence, TextBlock
from ..rules import NamedRelay, Platform, load_lexicon, load_named_relay, load_noted_relay, load_platforms
from .forwarding import list_original_sender, srs_original_domain
from .reading import Reading, name_letters
from .text import Match, PhraseList, domain_matches, org_domain, passes, unspaced_script


@dataclass(frozen=True)
class Relay:
    platform: Platform
    matched: str  # the address, domain or PRODID that named the platform
    authenticated: bool
    checks: tuple[str, ...]  # SPF/DKIM/DMARC that passed for the platform
    auth_domain: str


@cache
def _markers(platform: Platform) -> PhraseList:
    return PhraseList(platform.markers)


def _identities(reading: Reading) -> tuple[list[str], list[str]]:
    """(addresses, domains) that claim to have sent the message, most telling first."""
    message = reading.message
    addresses = [a.address for a in (message.from_, message.sender) if a and a.address]
    original = list_original_sender(message)
    if original:
        addresses.append(original)
    domains = [a.rpartition("@")[2] for a in addresses]
    if message.return_path:
        domains.append(srs_original_domain(message.return_path) or message.return_path.rpartition("@")[2])
    domains.extend(message.dkim_domains)
    return addresses, [d for d in domains if d]


def _matches(platform: Platform, addresses: list[str], domains: list[str], prodids: list[str]) -> str:
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


def _template_says(reading: Reading, phrases: PhraseList) -> bool:
    return reading.first(phrases, lambda block: block.source in ("subject", "body")) is not None


def _is_invite(reading: Reading) -> bool:
    message = reading.message
    if message.is_invite:
        return True
    # No calendar part: the invitation template may still say what the message is. Outlook without
    # Mailbox 1.14 gives neither the calendar part nor the item class, so there its subject or body
    # may say so. Elsewhere only the subject may ("Sam invited you to ...", "Invitation: ..."), as
    # an invite's template writes it: a Yahoo mail quoting Gibbon's "Decline and Fall" in its body
    # was judged a Yahoo Calendar invite, and the reason told the reader so.
    unknown_item = message.kind == "outlook" and not (message.item is not None and message.item.item_class)
    where = ("subject", "body") if unknown_item else ("subject",)
    return reading.first_listed("invite_markers", lambda block: block.source in where) is not None


def _links_say(reading: Reading, platform: Platform) -> bool:
    """A link only a stranger-text message carries (PayPal's /myaccount/transfer/requests/): the
    template's words differ in every language and inflection, its links do not. A marker's closing
    slash is optional: ".../transfer/requests" is the same page."""
    markers = [marker.rstrip("/") for marker in platform.link_markers]
    return any(marker in link.lower() for link in reading.message.links for marker in markers)


# A mail address in brackets after a name, as share and request templates write whom they speak
# for ("Anna (anna@gmail.com)"); its domain is the first group. A receipt lists its seller's
# address on a line of its own: that seller is the reader's choice, no stranger introducing
# themselves. Bounded: a label at most 63 characters.
_ADDRESS = re.compile(r"[(<\[]\s?[\w.+-]{1,64}@((?:[\w-]{1,63}\.){1,8}[\w-]{2,63})\s?[)>\]]")
ADDRESSES_LOOKED_AT = 20  # per block


def _names_a_stranger(reading: Reading, platform: Platform) -> bool:
    """The template introduces someone by their mail address ("Anna (anna@gmail.com) shared a
    file with you"), as a share or a request names who sent it in every language its template
    comes in. The platform's own addresses and the reader's domain are no stranger."""
    readers = {a.domain.lower() for a in reading.message.recipients if a.domain}
    for block in reading.blocks:
        if block.source not in ("subject", "body"):
            continue
        for looked, found in enumerate(_ADDRESS.finditer(block.text)):
            if looked >= ADDRESSES_LOOKED_AT:
                break
            domain = found.group(1).lower()
            if not domain_matches(domain, platform.domains) and domain not in readers:
                return True
    return False


def _relays(platform: Platform, reading: Reading) -> bool:
    if platform.relays_when == "invite":
        return _is_invite(reading)
    if platform.relays_when == "marker":
        return (_links_say(reading, platform) or _template_says(reading, _markers(platform)) or _is_invite(reading)
                or _names_a_stranger(reading, platform))
    return True


def _authentication(reading: Reading, platform: Platform) -> tuple[bool, tuple[str, ...], str]:
    auth = reading.message.auth
    candidates = [r.domain for r in auth if r.domain and domain_matches(r.domain, platform.domains)]
    for domain in dict.fromkeys(candidates):
        direct = passes(reading.boundary_auth, domain, ("spf", "dkim", "dmarc"))
        arc = passes([a for a in auth if a.header == "arc-authentication-results"], domain, ("spf", "dkim", "dmarc"))
        checks = tuple(c.upper() for c in direct or arc)
        if checks:
            return True, checks, domain
    return False, (), ""


NAME_LOOKED_AT = 200  # characters of a sender's name searched for "via <service>"
SERVICE_NAME_MAX = 40
NAME_MIN = 4  # "Lydia" may stand for lydia-app.com; a shorter first word names too many services


def _service_named(display_name: str, separators: tuple[str, ...]) -> str:
    """The service a sender's name says relayed the message: "Anne via Qonto" and "Anne (via
    Qonto)" -> "Qonto"; "" when the name says no such thing."""
    text = display_name[:NAME_LOOKED_AT].strip().strip("\"'").strip()
    if text.endswith(")") and "(" in text:
        opened = text.rfind("(")
        text = f"{text[:opened]} {text[opened + 1:-1]}"
    lowered = text.lower()
    cut = -1
    for separator in separators:
        spaced = not any(unspaced_script(c) for c in separator)
        found = lowered.rfind(f" {separator} ") if spaced else lowered.rfind(separator)
        if found > 0 and found + len(separator) > cut:
            cut = found + len(separator) + (2 if spaced else 0)
    service = text[cut:].strip() if cut > 0 else ""
    return service if len(service) <= SERVICE_NAME_MAX else ""


def _names_its_domain(service: str, domain: str) -> bool:
    """"Qonto" for qonto.com, "Lydia" for lydia-app.com, "Booking.com" for mchat.booking.com: the
    service's name is its domain's, or the domain itself as services that bear it write it."""
    registered = org_domain(domain)
    label = registered.partition(".")[0]
    first_word = label.partition("-")[0]
    names = {name_letters(label), name_letters(registered)} | (
        {name_letters(first_word)} if len(first_word) >= NAME_MIN else set())
    return bool(service) and name_letters(service) in names


def _named_relay(reading: Reading) -> Relay | None:
    """A service missing from the platform list whose sender's name says it relays someone."""
    sender = reading.message.from_
    if sender is None or not sender.name or not sender.domain:
        return None
    spec = load_named_relay()
    service = _service_named(sender.name, spec.separators)
    if not _names_its_domain(service, sender.domain):
        return None
    return _unlisted_relay(reading, "named_relay", service, sender.domain, spec)


def _noted_relay(reading: Reading) -> Relay | None:
    """A service missing from the platform list that writes as itself ("KlikPay" from
    klikpay.pl) and labels someone else's words in its body ("Wiadomość od nadawcy:"). A mailbox
    anyone can open names no service."""
    sender = reading.message.from_
    if sender is None or not sender.name or not sender.domain or load_lexicon().is_freemail(sender.domain):
        return None
    if not _names_its_domain(sender.name, sender.domain):
        return None
    if not any(_labels(match, block) for match, block in reading.listed("relay_notes", lambda b: b.source == "body")):
        return None
    return _unlisted_relay(reading, "noted_relay", sender.name.strip(), sender.domain, load_noted_relay())


LABEL_GAP = 2  # characters between a label and its colon ("Message from the sender :")


def _labels(match: Match, block: TextBlock) -> bool:
    """The phrase is a label: a colon follows it ("Message from the sender:"), as templates set
    the words they introduce apart; "a message from our CEO" in a newsletter is no label."""
    return block.text[match.end:match.end + LABEL_GAP + 1].lstrip().startswith(":")


def _unlisted_relay(reading: Reading, kind: str, service: str, sender_domain: str, spec: NamedRelay) -> Relay:
    platform = Platform(id=kind, name=service, says=service, brand="", domains=(org_domain(sender_domain),),
                        addresses=(), prodids=(), channel=spec.channel, relays_when="always", markers=(),
                        link_markers=(), stranger_fields=spec.stranger_fields, how_anyone=spec.how_anyone)
    authenticated, checks, auth_domain = _authentication(reading, platform)
    return Relay(platform, sender_domain, authenticated, checks, auth_domain)


def find_relay(reading: Reading) -> Relay | None:
    addresses, domains = _identities(reading)
    prodids = [i.prodid.lower() for i in reading.message.invites if i.prodid]
    for platform in load_platforms():
        matched = _matches(platform, addresses, domains, prodids)
        if matched and _relays(platform, reading):
            authenticated, checks, auth_domain = _authentication(reading, platform)
            return Relay(platform, matched, authenticated, checks, auth_domain)
    return _named_relay(reading) or _noted_relay(reading)


def relay(reading: Reading) -> Relay | None:
    return reading.memo(find_relay)


def in_stranger_text(reading: Reading, block: TextBlock) -> bool:
    """A stranger wrote this block (the message was relayed and the platform lets strangers write
    this part of it)."""
    found = relay(reading)
    # A file's name is part of the attachment whoever attached it chose.
    source = "attachment" if block.source == "file_name" else block.source
    return found is not None and source in found.platform.stranger_fields


def trusted_relay(reading: Reading) -> Iterable[Evidence]:
    """relay.trusted_platform: which platform relayed the text, and whether that is proven."""
    found = relay(reading)
    if found is None:
        return
    platform = found.platform
    yield Evidence("relay.trusted_platform", {
        "platform": platform.name, "platform_id": platform.id, "says": platform.says,
        "how_anyone": platform.how_anyone, "channel": platform.channel, "matched": found.matched,
        "authenticated": found.authenticated, "checks": found.checks, "auth_domain": found.auth_domain,
    })
