"""Banner rendering: hostile facts stay inert text, notifications fit 150 characters and still
name the key fact, levels map as DESIGN.md says, locales fall back de-AT -> de -> en."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from inviteguard.banner.render import (
    BANNER_STYLE,
    BANNER_STYLE_CSP_HASH,
    NOTIFICATION_LIMIT,
    _rendered,
    banner,
    inert,
    render,
    response_body,
)
from inviteguard.banner.texts import (
    build_texts,
    load_default_texts,
    load_raw_defaults,
    locale_texts_from,
    resolve_locale,
)
from inviteguard.detect.model import Reason, Verdict

TEXTS = load_default_texts()
LURE = "combo.platform_callback_lure"
HOSTILE = [
    '<img src=x onerror=alert(1)>',
    "{{7*7}}",
    "{% for x in range(9999999) %}x{% endfor %}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "\u202eesu eht lla yaP",  # right-to-left override
    "\u2066call\u2069 \u200f+1 808",
    '"><script>alert(1)</script>',
    "line\r\nInjected: header",
]


def lure_verdict(**facts: object) -> Verdict:
    evidence = {"platform": "Apple iCloud Calendar", "says": "Apple", "channel": "a calendar invite",
                "how_anyone": "anyone with an iCloud account can make Apple send an invite",
                "authenticated": True, "checks": "DKIM and DMARC", "auth_domain": "email.apple.com",
                "phone": "+1 808 555 0199", "where": "description", "brand": "PayPal", "amount": "$599.00",
                **facts}
    return Verdict("phishing", 96, (Reason(LURE, 60, evidence), Reason("forward.srs", 3, {
        "return_path": "SRS0=ab=email.apple.com=noreply@contoso.onmicrosoft.com",
        "forwarder": "contoso.onmicrosoft.com",
        "original_domain": "email.apple.com"})), "test-rules")


def all_rendered(body: dict) -> list[str]:
    out = [body["banner"][k] for k in ("title", "text", "notification")]
    out += [r[k] for r in body["reasons"] for k in ("title", "detail")]
    return out


@pytest.mark.parametrize("payload", HOSTILE)
@pytest.mark.parametrize("field", ["phone", "brand", "amount", "platform", "says"])
@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
def test_hostile_facts_stay_inert(payload: str, field: str, locale: str) -> None:
    body = response_body(lure_verdict(**{field: payload}), "fp", TEXTS, locale, cached=False)
    fragment = body["banner"]["html"]
    # Nothing the attacker wrote becomes markup: the fragment has exactly the tags of a harmless one.
    assert "<img" not in fragment and "<script" not in fragment
    assert re.findall(r"<(\w+)", fragment) == re.findall(r"<(\w+)", response_body(
        lure_verdict(), "fp", TEXTS, locale, cached=False)["banner"]["html"])
    for text in [fragment, *all_rendered(body)]:
        assert "49" not in text.replace("+1 808 555 0199", "")  # {{7*7}} was never evaluated
        assert not re.search("[\u202a-\u202e\u2066-\u2069\u200e\u200f\r]", text)
    visible = html.unescape(re.sub(r"<style>.*?</style>|<[^>]+>", "", fragment))
    cleaned = inert(payload)
    if field in {"phone", "brand", "amount"}:
        assert cleaned in visible, "the hostile text is shown, as text"


def test_hostile_subject_and_organizer_facts_are_escaped_in_every_reason() -> None:
    payload = '<img src=x onerror=alert(1)>{{7*7}}\u202e'
    verdict = Verdict("suspicious", 55, (
        Reason("invite.organizer_claims_brand", 20, {"brand": "PayPal", "display_name": payload, "organizer": payload}),
        Reason("payment.dispute_hook", 10, {"hook": payload}),
        Reason("urgency.language", 5, {"urgency_phrase": payload}),
    ), "r")
    body = response_body(verdict, "fp", TEXTS, "en", cached=False)
    assert "&lt;img src=x onerror=alert(1)&gt;{{7*7}}" in body["banner"]["html"]
    assert body["reasons"][0]["detail"].count("<img src=x onerror=alert(1)>{{7*7}}") == 2  # plain text, as written
    assert "\u202e" not in str(body)


def test_banner_html_is_self_contained_and_accessible() -> None:
    fragment = banner(lure_verdict(), TEXTS["en"])["html"]
    assert fragment.startswith('<div class="ig-banner ig-banner--danger" role="alert" lang="en"')
    assert f"<style>{BANNER_STYLE}</style>" in fragment
    assert "prefers-color-scheme:dark" in BANNER_STYLE
    assert 'aria-hidden="true"' in fragment  # the icon is decoration; the text says it all
    assert "<script" not in fragment and " on" not in re.sub(r"<style>.*?</style>", "", fragment).split(">", 1)[0]
    assert "http" not in fragment  # nothing fetched from anywhere
    assert BANNER_STYLE_CSP_HASH.startswith("'sha256-")


def test_levels_map_to_banner_levels() -> None:
    suspicious = Verdict("suspicious", 50, (Reason("callback.phone", 20, {"phone": "+1 808 555 0199",
                                                                           "where": "body"}),), "r")
    clean = Verdict("clean", 0, (), "r")
    assert banner(lure_verdict(), TEXTS["en"])["level"] == "danger"
    assert banner(suspicious, TEXTS["en"])["level"] == "warning"
    assert 'ig-banner--warning' in banner(suspicious, TEXTS["en"])["html"]
    assert banner(clean, TEXTS["en"]) == {"level": "none", "title": "", "text": "", "html": "", "notification": ""}


def test_notification_names_the_key_fact() -> None:
    note = banner(lure_verdict(), TEXTS["en"])["notification"]
    assert note == "Scam risk: asks you to call +1 808 555 0199 about a $599.00 PayPal charge"


@given(phone=st.text(max_size=400), brand=st.text(max_size=400), amount=st.text(max_size=400))
def test_notification_never_exceeds_150_characters(phone: str, brand: str, amount: str) -> None:
    for locale in TEXTS:
        note = banner(lure_verdict(phone=phone, brand=brand, amount=amount), TEXTS[locale])["notification"]
        assert 0 < len(note) <= NOTIFICATION_LIMIT
        assert "\n" not in note


def test_long_facts_are_shortened_before_the_text_is_cut() -> None:
    note = banner(lure_verdict(brand="PayPal " + "Holdings " * 30), TEXTS["en"])["notification"]
    assert len(note) <= NOTIFICATION_LIMIT
    assert "+1 808 555 0199" in note and note.startswith("Scam risk: asks you to call")


@pytest.mark.parametrize(("requested", "expected"), [
    ("de-AT", "de"), ("de_CH", "de"), ("DE", "de"), ("fr-CA", "fr"), ("es-419", "es"), ("en-GB", "en"),
    ("pt-BR", "en"), ("", "en"), (None, "en"), ("zz-Latn-ZZ", "en"), ("de-\u202e", "de"),
])
def test_locale_fallback(requested: str | None, expected: str) -> None:
    assert resolve_locale([requested], TEXTS.keys()) == expected
    body = response_body(lure_verdict(), "fp", TEXTS, requested, cached=False)
    assert f'lang="{expected}"' in body["banner"]["html"]


def test_locale_fallback_takes_the_first_wish_we_have() -> None:
    assert resolve_locale(["pt-BR", "fr-BE", "de"], TEXTS.keys()) == "fr"
    assert resolve_locale(["pt"], TEXTS.keys(), default="es") == "es"


def test_a_reason_missing_in_a_locale_falls_back_to_english() -> None:
    raw = load_raw_defaults()
    partial = build_texts({"en": raw["en"], "de": {"locale": "de", "banner": raw["de"]["banner"], "reasons": {}}})
    body = response_body(lure_verdict(), "fp", partial, "de", cached=False)
    english = response_body(lure_verdict(), "fp", TEXTS, "en", cached=False)
    assert body["reasons"][0]["title"] == english["reasons"][0]["title"]
    assert body["banner"]["title"] == TEXTS["de"].banner["phishing"]["title"]


def test_a_reason_without_any_text_shows_its_id() -> None:
    bare = {"en": locale_texts_from({}, "en")}
    body = response_body(Verdict("suspicious", 50, (Reason("new.signal", 40, {}),), "r"), "fp", bare, "en", False)
    assert body["reasons"][0]["title"] == "new.signal"


def test_translated_banners_read_in_their_language() -> None:
    assert banner(lure_verdict(), TEXTS["de"])["notification"].startswith("Betrugsgefahr")
    assert banner(lure_verdict(), TEXTS["fr"])["notification"].startswith("Risque d’arnaque")
    assert banner(lure_verdict(), TEXTS["es"])["notification"].startswith("Riesgo de estafa")
    german = response_body(lure_verdict(), "fp", TEXTS, "de-AT", cached=False)["reasons"][0]["detail"]
    assert "jeder mit einem iCloud-Konto" in german and "Kalendereinladung" in german


def test_response_body_has_exactly_the_contract_keys() -> None:
    body = response_body(lure_verdict(), "fp", TEXTS, "en", cached=True)
    assert list(body) == ["verdict", "score", "reasons", "banner", "fingerprint", "cached", "rules_version"]
    assert body["reasons"][1]["evidence"]["forwarder"] == "contoso.onmicrosoft.com"
    degraded = response_body(lure_verdict(), "fp", TEXTS, "en", cached=False, degraded=True)
    assert degraded["degraded"] is True


@pytest.mark.parametrize(("where", "facts", "expected"), [
    ("description", {}, "Its notes claim a $599.00 PayPal charge and ask you to call +1 808 555 0199."),
    ("body", {}, "Its text claims a $599.00 PayPal charge and asks you to call +1 808 555 0199."),
    ("location", {"amount": "", "alert": "account locked"},
     'Its location warns of "account locked" at PayPal and asks you to call +1 808 555 0199.'),
    ("summary", {"amount": ""}, "Its title asks you to call +1 808 555 0199 about PayPal."),
])
def test_the_lure_reason_reads_as_english(where: str, facts: dict, expected: str) -> None:
    """The verb agrees with the place: "its notes claim", but "its text claims" (issue 16)."""
    detail = response_body(lure_verdict(where=where, **facts), "fp", TEXTS, "en", cached=False)["reasons"][0]["detail"]
    assert expected in " ".join(detail.split())


def test_a_text_rendered_again_with_the_same_facts_is_kept_and_the_same():
    """A campaign's copies render the same reasons with the same facts: rendered once. A fact's
    type is part of what was rendered (True and 1 are equal to Python, not to the reader)."""
    _rendered.cache_clear()
    source = "Call {{ phone }} ({{ flag }})"
    first = render(source, {"phone": "+1 808 555 0143", "flag": True}, html=True)
    again = render(source, {"phone": "+1 808 555 0143", "flag": True}, html=True)
    assert first == again == "Call +1 808 555 0143 (True)"
    assert _rendered.cache_info().hits == 1
    assert render(source, {"phone": "+1 808 555 0143", "flag": 1}, html=True) == "Call +1 808 555 0143 (1)"
    assert render(source, {"phone": "<b>x</b>", "flag": 1}, html=True) == "Call &lt;b&gt;x&lt;/b&gt; (1)"
