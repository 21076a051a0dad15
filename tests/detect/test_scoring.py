"""Scoring and the rules data: combinations, caps, thresholds, and no orphaned rule or text."""

from dataclasses import replace
from pathlib import Path

import yaml
from inviteguard.detect import signals
from inviteguard.detect.analyzer import Feedback, analyze
from inviteguard.detect.model import Evidence, OutlookItem
from inviteguard.detect.parse import parse_outlook, parse_raw
from inviteguard.detect.rules import load_rules, parse_rules
from inviteguard.detect.scoring import score

from .conftest import REPO, fixture_bytes

TEXTS = REPO / "server" / "inviteguard" / "banner" / "locales"
SIGNAL_SOURCES = REPO / "server" / "inviteguard" / "detect" / "signals"


def test_every_emitted_signal_has_a_rule_and_every_rule_is_emitted():
    rules = load_rules()
    emitted = set()
    for path in SIGNAL_SOURCES.glob("*.py"):
        source = path.read_text()
        emitted |= {sid for sid in rules.signals if f'"{sid}"' in source}
    assert emitted == set(rules.signals), "rules without a signal, or signals without a rule"


def test_every_rule_and_combo_has_a_reason_text_in_english():
    rules = load_rules()
    english = yaml.safe_load((TEXTS / "en.yaml").read_text())["reasons"]
    ids = set(rules.signals) | {combo.id for combo in rules.combos}
    assert ids == set(english), f"missing: {ids - set(english)}, orphaned: {set(english) - ids}"
    for rid in ids:
        assert {"title", "detail", "notification"} <= set(english[rid]), rid


def test_combo_naming_an_unknown_signal_is_rejected():
    data = yaml.safe_load((Path(signals.__file__).parent.parent / "rules" / "signals.yaml").read_text())
    data["combos"]["combo.platform_callback_lure"]["requires"].append(["no.such_signal"])
    try:
        parse_rules(data)
    except ValueError as error:
        assert "no.such_signal" in str(error)
    else:
        raise AssertionError("an unknown signal in a combo must not load")


def test_group_cap_limits_repetition():
    rules = load_rules()
    many = [Evidence("urgency.language", {"urgency_phrase": "now"})] * 10
    assert score(many, rules).score == rules.signals["urgency.language"].weight


def test_headline_combination_is_phishing_on_its_own():
    rules = load_rules()
    verdict = score([
        Evidence("relay.trusted_platform", {"platform": "Apple iCloud Calendar"}),
        Evidence("callback.phone", {"phone": "+1 808 555 0199"}),
        Evidence("payment.charge_claim", {"amount": "$599.00"}),
    ], rules)
    assert verdict.level == "phishing"
    assert verdict.reasons[0].id == "combo.platform_callback_lure"
    assert verdict.reasons[0].evidence["amount"] == "$599.00"


def test_headline_reason_names_platform_phone_amount_and_brand():
    body = analyze(parse_raw(fixture_bytes("icloud_direct/paypal_599_en.eml")))
    headline = body.verdict.reasons[0]
    assert headline.id == "combo.platform_callback_lure"
    assert {"platform", "phone", "amount", "brand", "checks"} <= set(headline.evidence)
    assert headline.evidence["brand"] == "PayPal"


def test_an_invoice_mention_is_not_a_charge_claim():
    # A genuine PayPal invoice whose seller note gives a phone number must stay quiet.
    verdict = score([
        Evidence("relay.trusted_platform", {"platform": "PayPal invoices and money requests"}),
        Evidence("callback.phone", {"phone": "(555) 010-7788"}),
        Evidence("payment.claim", {"amount": "$240.00", "payment_term": "invoice"}),
    ], load_rules())
    assert verdict.level == "clean"


def test_a_scam_warning_vetoes_the_generic_callback_combination():
    found = [Evidence("callback.phone", {}), Evidence("brand.impersonation", {"brand": "PayPal"}),
             Evidence("payment.charge_claim", {}), Evidence("payment.dispute_hook", {})]
    assert score(found, load_rules()).level == "phishing"
    warned = score([*found, Evidence("trust.scam_awareness", {"awareness_phrase": "scammers"})], load_rules())
    assert warned.level == "clean"


def test_icloud_attack_with_and_without_the_ics():
    raw = fixture_bytes("icloud_list_srs/" + sorted(
        p.name for p in (REPO / "tests/data/emls/icloud_list_srs").glob("*.eml"))[0])
    full = analyze(parse_raw(raw))
    assert full.verdict.level == "phishing"
    header_block = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode()
    notes = full.message.invites[0].description
    outlook = analyze(parse_outlook(header_block, notes, "text", None,
                                    OutlookItem("IPM.Schedule.Meeting.Request", full.message.subject)))
    assert outlook.verdict.level == "phishing"


def test_fingerprint_ignores_per_recipient_headers():
    raw = fixture_bytes("icloud_direct/paypal_599_en.eml")
    first = analyze(parse_raw(raw)).fingerprint
    other = (b"To: someone.else@contoso.com\r\nMessage-ID: <x@y>\r\nReceived: from a by b\r\n"
             b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n") + raw
    assert analyze(parse_raw(other)).fingerprint == first
    # ...but a different lure is a different campaign (a constant fingerprint would pass above).
    message = parse_raw(raw)
    invite = message.invites[0]
    other_lure = replace(message, invites=(replace(invite, description=invite.description + " Call +1 808 555 0177"),))
    assert analyze(other_lure).fingerprint != first


def test_reports_raise_a_clean_message_to_suspicious():
    raw = b"From: Friend <friend@icloud.com>\r\nSubject: hi\r\n\r\nCall me at +1 808 555 0199\r\n"
    message = parse_raw(raw)
    assert analyze(message).verdict.level == "clean"
    reported = analyze(message, Feedback(campaign_reporters=2)).verdict
    assert reported.level != "clean" and reported.reasons[0].id == "feedback.campaign_reported"
    by_phone = analyze(message, Feedback(reported_phones=frozenset({"+18085550199"}))).verdict
    assert "feedback.reported_phone" in {r.id for r in by_phone.reasons}
