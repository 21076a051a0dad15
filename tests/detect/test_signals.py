"""Each signal family on real or fixture messages: what it finds, and what it must leave alone."""

import pytest
from inviteguard.detect.parse import parse_raw
from inviteguard.detect.signals import brand, forwarding, payment, phone, platform, urgency
from inviteguard.detect.signals.phone import _mentions_in

from .conftest import fixture_bytes


def facts(signal, message, signal_id):
    return next((dict(e.facts) for e in signal(message) if e.signal == signal_id), None)


def test_icloud_relay_is_named_and_authenticated():
    message = parse_raw(fixture_bytes("icloud_direct/paypal_599_en.eml"))
    found = facts(platform.trusted_relay, message, "relay.trusted_platform")
    assert found and found["platform_id"] == "icloud" and found["authenticated"] is True
    assert "DKIM" in found["checks"] and found["auth_domain"] == "email.apple.com"


def test_google_calendar_relay_from_real_sample(real_corpus):
    message = parse_raw((real_corpus / "phish/pp_sample-6663.eml").read_bytes())
    found = facts(platform.trusted_relay, message, "relay.trusted_platform")
    assert found and found["platform_id"] == "google_calendar"


def test_company_mail_is_not_a_relay():
    message = parse_raw(b"From: Jane <jane@fabrikam.com>\r\nSubject: quote\r\n\r\nSee attached.\r\n")
    assert list(platform.trusted_relay(message)) == []


def test_paypal_receipt_is_not_a_relay_but_a_money_request_is():
    receipt = parse_raw(b"From: service@paypal.com\r\nSubject: Receipt for your payment\r\n\r\nYou sent $5\r\n")
    request = parse_raw(b"From: service@paypal.com\r\nSubject: Geek Squad sent you a request for money\r\n\r\nx\r\n")
    assert list(platform.trusted_relay(receipt)) == []
    assert facts(platform.trusted_relay, request, "relay.trusted_platform")["platform_id"] == "paypal"


@pytest.mark.parametrize("return_path, original", [
    ("SRS0=AbCd=Q3=email.apple.com=noreply@contoso.onmicrosoft.com", "email.apple.com"),
    ("SRS1=XyZ1=fwd.example==AbCd=Q3=email.apple.com=noreply@contoso.com", "email.apple.com"),
    ("bounces+SRS=h1k2=QY=email.apple.com=noreply@contoso.onmicrosoft.com", "email.apple.com"),
    ("jane+SRS=h1k2=QY=google.com=calendar-notification@fabrikam.com", "google.com"),
])
def test_srs_forms(return_path, original):
    assert forwarding.is_srs(return_path.lower())
    assert forwarding.srs_original_domain(return_path.lower()) == original


def test_plain_return_path_is_not_srs():
    assert not forwarding.is_srs("bounces+12345@lists.example.org")


def test_list_forwarded_invite_shows_srs():
    message = parse_raw(fixture_bytes("icloud_list_srs/" + _first("icloud_list_srs")))
    assert facts(forwarding.srs, message, "forward.srs")


def _first(family):
    from .conftest import FIXTURES
    return sorted(p.name for p in (FIXTURES / "emls" / family).glob("*.eml"))[0]


@pytest.mark.parametrize("text, e164", [
    ("Not you? Call +1 808 555 0199 now", "+18085550199"),
    ("call +1 8O8 555 Ol99 (24/7)", "+18085550199"),              # letters for digits
    ("call 8 0 8 5 5 5 0 1 9 9 today", "+18085550199"),            # spaced digits
    ("appelez le 01 . 99 . 00 . 58 . 20", "+33199005820"),         # padded dots
    ("call ＋１ ８０８ ５５５ ０１９９", "+18085550199"),            # full-width
    ("call 1\u2011855\u2011555\u20110181 today", "+18555550181"),  # non-breaking hyphens
    ("call +١ ٨٠٨ ٥٥٥ ٠١٩٩", "+18085550199"),                       # Arabic-Indic digits
])
def test_callback_numbers_in_every_disguise(text, e164):
    mentions = _mentions_in(text, "description")
    assert [m.e164 for m in mentions] == [e164]
    assert mentions[0].context == "callback"


@pytest.mark.parametrize("text", [
    "Join by phone\n+1 406-686-3826 PIN: 214092#",
    "+1 323-849-4874,,73572842# United States, Los Angeles",
    "Dial by your location\n +1 669 900 9128 US (San Jose)\n +1 253 215 8782 US (Tacoma)",
    "Meeting ID: 939 688 0476",
    "Phone conference ID: 123 456 789#",
])
def test_dial_in_numbers_are_not_callbacks(text):
    assert all(m.context == "dialin" for m in _mentions_in(text, "description"))


def test_numbers_inside_urls_are_ignored():
    assert _mentions_in("https://tel.meet/abc?pin=3999618259371&hs=7", "body") == ()


def test_real_zoom_invite_has_no_callback(real_corpus):
    message = parse_raw((real_corpus / "ham/obmc_045ddabbef29.eml").read_bytes())
    assert list(phone.callback_numbers(message)) == []


@pytest.mark.parametrize("text, amount", [
    ("You paid $599.00 to PayPal", "$599.00"),
    ("a charge of USD 599 was made to your account", "USD 599"),
    ("Sie haben 599,00 € bezahlt", "599,00 €"),
    ("Your renewal: £349.99", "£349.99"),
    ("Vous avez payé EUR 1.299,00", "EUR 1.299,00"),
    ("Ha pagado US$ 499.99 por su pedido", "US$ 499.99"),
])
def test_payment_claims_in_four_languages(text, amount):
    message = parse_raw(f"From: a@example.org\r\nSubject: x\r\n\r\n{text}\r\n".encode())
    found = facts(payment.claim, message, "payment.claim")
    assert found and found["amount"] == amount


def test_amount_without_purchase_language_is_not_a_claim():
    message = parse_raw(b"From: a@example.org\r\nSubject: lunch\r\n\r\nThe tapas were $12 each, see you friday\r\n")
    assert list(payment.claim(message)) == []


@pytest.mark.parametrize("hook", ["Not you?", "Nicht Sie?", "Si vous n'êtes pas à l'origine",
                                  "Si no reconoce este cargo", "Se non ha autorizzato", "Não foi você?"])
def test_dispute_hooks(hook):
    message = parse_raw(f"From: a@example.org\r\n\r\n{hook} call us\r\n".encode())
    assert facts(payment.dispute_hook, message, "payment.dispute_hook")


@pytest.mark.parametrize("written, brand_name", [("PayPaI", "PayPal"), ("Nort0n", "Norton"),
                                                 ("Рaypal", "PayPal")])
def test_homoglyph_brands(written, brand_name):
    message = parse_raw(f"From: x@example.org\r\n\r\nYour {written} order was charged\r\n".encode())
    found = facts(brand.claims, message, "brand.homoglyph")
    assert found and found["brand"] == brand_name and found["brand_as_written"] == written


def test_brand_owner_is_not_an_impersonator():
    raw = (b"Authentication-Results: mx.contoso.com; dmarc=pass header.from=paypal.com\r\n"
           b"From: PayPal <service@paypal.com>\r\nSubject: Receipt for your payment\r\n\r\n"
           b"You sent $24.99 USD to Northwind. PayPal\r\n")
    message = parse_raw(raw)
    assert facts(brand.claims, message, "brand.impersonation") is None
    assert facts(brand.claims, message, "trust.sender_is_brand_owner")


def test_organizer_display_name_claiming_a_brand():
    message = parse_raw(fixture_bytes("icloud_direct/paypal_homoglyph_capital_i_en.eml"))
    found = facts(brand.claims, message, "invite.organizer_claims_brand")
    assert found and found["brand"] == "PayPal"


def test_urgency():
    message = parse_raw(b"From: a@example.org\r\n\r\nPlease respond immediately\r\n")
    assert facts(urgency.language, message, "urgency.language") == {"urgency_phrase": "immediately"}


def test_phrase_trie_finds_what_a_plain_alternation_finds():
    import re

    from inviteguard.detect.rules import load_lexicon
    from inviteguard.detect.signals.text import PhraseList

    phrases = load_lexicon().charge_claims + load_lexicon().dispute_hooks
    plain = re.compile(r"(?<!\w)(?:" + "|".join(
        re.escape(p).replace(r"\ ", r"\s+") for p in sorted(set(phrases), key=len, reverse=True)) + r")(?!\w)",
        re.IGNORECASE)
    text = ("Your subscription was charged $599. Not you? If you did not authorize it, call. Vous avez payé; "
            "il suo ordine; payment of 3; you paid; you paidx; NICHT SIE; se não autorizou")
    assert [m.text for m in PhraseList(phrases).finditer(text)] == [m.group() for m in plain.finditer(text)]
