"""The verdict cache's key is exactly what the verdict depends on (issue 13, finding 1).

A message whose key equals another's must get the other's verdict, whatever was changed between
them; a change the verdict depends on must change the key. Hypothesis mutates every field of the
parsed message, one at a time and together, over lures and hams of every channel.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inviteguard.detect.analyzer import judge, verdict_key
from inviteguard.detect.model import Address, AuthResult, OutlookItem, ParsedMessage, TextBlock
from inviteguard.detect.parse import parse_raw

from .conftest import fixture_bytes

FIXTURES = (
    "icloud_direct/paypal_599_en.eml", "icloud_list_srs/paypal_599_allstaff_srs0_en.eml",
    "b3_icloud_personal/icp05_de_grillabend.eml", "b4_bank_fraud_alert/bank_en_chase_walmart.eml",
    "b4_security_awareness/sa_en_ap_callback_refresher.eml", "b5_meet_dialin/fi-7dfda3.eml",
    "b6_paypal_invoice/pp06_ko_invoice_htmlonly.eml", "b7_quickbooks_invoice/water_heater_replacement.eml",
    "b8_zoho_invoice/h_en_agency_overdue.eml", "b4_venmo_request/venmo_en_coinbase_btc.eml",
)
HEADERS = ("to", "message-id", "received", "date", "delivered-to", "x-mailer", "list-id", "resent-from",
           "x-ms-exchange-organization-authas", "x-ms-exchange-organization-expandedtoaddress", "x-original-to")
WORDS = ("Call", "+1 808 555 0199", "PayPal", "Norton", "you paid $599", "not you?", "Rechnung", "überfällig",
         "Hi Tom", "ＰａｙＰａｌ", "\u200b", "0800 555 0123", "refund", "invoice", "Kind regards")


@cache
def base(name: str) -> ParsedMessage:
    return parse_raw(fixture_bytes(name))


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


addresses = st.builds(lambda local, domain, name: Address(name, f"{local}@{domain}"),
                      st.sampled_from(["tom.walker", "all-staff", "ap", "jane"]),
                      st.sampled_from(["contoso.com", "fabrikam.com", "northwind.example", "gmail.com"]),
                      st.sampled_from(["", "Tom Walker", "All Staff"]))
text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)


def mutation(message: ParsedMessage) -> st.SearchStrategy[ParsedMessage]:
    replace = dataclasses.replace
    texts = message.texts
    return st.one_of(
        st.tuples(st.sampled_from(HEADERS), text).map(
            lambda kv: replace(message, headers=(*message.headers, kv))),
        st.lists(addresses, max_size=3).map(lambda r: replace(message, recipients=tuple(r))),
        st.sampled_from(["", "bounces@contoso.com", "SRS0=ab=cd=email.apple.com=noreply@contoso.onmicrosoft.com",
                         "SRS0=zz=yy=email.apple.com=noreply@other.onmicrosoft.com"]).map(
            lambda rp: replace(message, return_path=rp)),
        st.just(replace(message, auth=message.auth[1:])),
        st.just(replace(message, auth=(*message.auth, AuthResult(
            "dmarc", "fail", message.from_.domain if message.from_ else "", "authentication-results")))),
        st.just(replace(message, subject=fullwidth(message.subject))),
        st.sampled_from([None, OutlookItem("IPM.Schedule.Meeting.Request", message.subject),
                         OutlookItem("", message.subject), OutlookItem("IPM.Note", message.subject)]).map(
            lambda item: replace(message, item=item)),
        st.tuples(st.integers(0, max(0, len(texts) - 1)), text).map(
            lambda it: replace(message, texts=tuple(
                dataclasses.replace(b, text=b.text + " " + it[1]) if i == it[0] else b
                for i, b in enumerate(texts)))),
        st.just(replace(message, texts=tuple(
            dataclasses.replace(b, text=unicodedata.normalize("NFKC", fullwidth(b.text))) if b.source == "subject"
            else b for b in texts))),
        # Fields the canonical view already holds: the signals never read them, so nor does the key.
        text.map(lambda t: replace(message, body=message.body + t)),
        text.map(lambda t: replace(message, problems=(*message.problems, t))),
        st.just(replace(message, attachments=(*message.attachments, TextBlock("attachment", "x")))),
    )


def same_verdict(a: ParsedMessage, b: ParsedMessage) -> bool:
    first, second = judge(a), judge(b)
    return (first.level, first.score, [(r.id, r.evidence) for r in first.reasons]) == \
        (second.level, second.score, [(r.id, r.evidence) for r in second.reasons])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_equal_keys_mean_equal_verdicts_under_any_mutation(data: st.DataObject) -> None:
    original = base(data.draw(st.sampled_from(FIXTURES)))
    changed = data.draw(mutation(original))
    if data.draw(st.booleans()):
        changed = data.draw(mutation(changed))
    assert verdict_key(changed) != verdict_key(original) or same_verdict(changed, original)


def test_the_poisoning_copies_of_the_review_have_keys_of_their_own():
    """A full-width copy of a campaign (which once shared its fingerprint and scored clean) and the
    same invite with another item class are other keys, so neither can answer for the real one."""
    real = base("icloud_direct/paypal_599_en.eml")
    wide = dataclasses.replace(real, texts=tuple(dataclasses.replace(b, text=fullwidth(b.text)) for b in real.texts))
    assert verdict_key(wide) != verdict_key(real)
    item = dataclasses.replace(real, item=OutlookItem("IPM.Schedule.Meeting.Request", real.subject))
    assert verdict_key(item) != verdict_key(dataclasses.replace(real, item=OutlookItem("", real.subject)))


def test_the_original_sender_a_list_kept_is_in_the_key():
    """A group that rewrote From keeps the original sender in a header the platform signal reads
    (round 108): a post whose original sender was Google Forms and one whose was anyone else differ
    only there, and must not share a verdict."""
    headers = ("From: 'Google Forms' via staff <staff@univ.example>\r\nX-BeenThere: staff@univ.example\r\n"
               "List-ID: <staff.univ.example>\r\nSubject: Refund\r\nX-Original-Sender: {}\r\n\r\n"
               "Refund of 450 EUR held: call our billing desk on +1 808 555 0199.\r\n")
    form = parse_raw(headers.format("forms-receipts-noreply@google.com").encode())
    person = parse_raw(headers.format("anna@univ.example").encode())
    assert not same_verdict(form, person)
    assert verdict_key(form) != verdict_key(person)
