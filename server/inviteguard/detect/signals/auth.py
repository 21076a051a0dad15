"""Authentication of the From domain, as our own boundary recorded it, and From domains built to
look like the reader's own organisation's."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Evidence
from ..rules import load_lexicon
from .platform import relay
from .reading import Reading, name_letters
from .text import org_domain

_FAILING = ("fail", "softfail", "permerror")


def from_domain_fails(reading: Reading) -> Iterable[Evidence]:
    """auth.from_domain_fails: DMARC or Microsoft's composite auth failed for the From domain."""
    domain = reading.sender_domain
    if not domain:
        return
    for result in reading.boundary_auth:
        if (result.method in ("dmarc", "compauth")
                and result.result in _FAILING and result.domain
                and org_domain(result.domain) == org_domain(domain)):
            yield Evidence("auth.from_domain_fails", {"domain": domain, "method": result.method.upper()})
            return


def internal_sender(reading: Reading) -> Iterable[Evidence]:
    """trust.internal_sender: the organisation writes to itself, proven (DMARC or aligned DKIM at
    our boundary, or Exchange's own internal mail): an IT notice, an awareness mail quoting a lure.
    Never for a relayed message, whose From is the platform's; a free mailbox proves no organisation."""
    if reading.writes_to_itself and relay(reading) is None:
        yield Evidence("trust.internal_sender", {"sender_domain": reading.sender_domain})


NAME_MIN = 4  # letters of an organisation's name worth imitating ("abc" is inside too many names)
LABEL_MAX = 63  # DNS's longest label: anything longer is no domain
RECIPIENTS_LOOKED_AT = 50


def _one_edit_apart(a: str, b: str) -> bool:
    """One letter changed, added or dropped ("northwlnd" for "northwind")."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    shorter, longer = sorted((a, b), key=len)
    return any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


def _imitates(sender_label: str, recipient_label: str) -> bool:
    if sender_label == recipient_label:
        return False  # the organisation's own domain in another country ("fabrikam.fr" to "fabrikam.be")
    if not NAME_MIN <= len(recipient_label) <= LABEL_MAX or len(sender_label) > LABEL_MAX:
        return False
    # Read as letters: "harborpoint-health" and "tai1spin" read as "harborpointhealth" and "tailspin".
    sender_plain, recipient_plain = name_letters(sender_label), name_letters(recipient_label)
    return bool(recipient_plain) and (recipient_plain in sender_plain or _one_edit_apart(sender_plain, recipient_plain))


def imitates_recipient_org(reading: Reading) -> Iterable[Evidence]:
    """sender.imitates_recipient_org: mail from a domain built on the reader's own organisation's
    name but not its own ("fabrikam-helpdesk.com", "contoso-county.net", "northwlnd.example" to
    fabrikam.com, contosocounty.gov, northwind.example): the help desk, payroll or benefits team
    that is not. Never for a relayed message (its From is the platform's) or a free mailbox."""
    domain, lexicon = reading.sender_domain, load_lexicon()
    if not domain or relay(reading) is not None or lexicon.is_freemail(domain):
        return
    sender_label = org_domain(domain).partition(".")[0]
    for recipient in reading.message.recipients[:RECIPIENTS_LOOKED_AT]:
        if not recipient.domain or lexicon.is_freemail(recipient.domain):
            continue
        recipient_label = org_domain(recipient.domain).partition(".")[0]
        if _imitates(sender_label, recipient_label):
            yield Evidence("sender.imitates_recipient_org", {"sender_domain": domain,
                                                             "recipient_domain": org_domain(recipient.domain)})
            return
