"""The wording model's signal: graded, only ever adding suspicion, read on skeletons."""

import pytest
from inviteguard.detect.analyzer import collect_evidence
from inviteguard.detect.model import Evidence
from inviteguard.detect.parse import parse_raw
from inviteguard.detect.rules import WordingModel, load_rules, load_wording
from inviteguard.detect.scoring import score
from inviteguard.detect.signals import Reading, wording

LURE = ("Your Norton 360 subscription has been renewed and $349.99 was charged to your card today. "
        "If you did not authorize this charge, call our billing department immediately to cancel "
        "and get a full refund.")
LUNCH = "Shall we have lunch at noon tomorrow? The new place on Main Street has a terrace."


def reading(body: str, subject: str = "x") -> Reading:
    return Reading(parse_raw(f"From: a@example.org\r\nSubject: {subject}\r\n\r\n{body}\r\n".encode()))


def every_token(read: Reading) -> frozenset[str]:
    """The tokens of every block, which the model is fitted on."""
    return wording.renditions(read)[0]


def found(body: str) -> list[Evidence]:
    return list(wording.lure_wording(reading(body)))


def test_a_lure_reads_like_lures_and_names_its_words_as_written():
    [evidence] = found(LURE)
    assert 0 < evidence.strength <= wording.STRENGTH_MAX
    words = str(evidence.facts["lure_words"]).split(", ")
    assert words and all(w.lower() in LURE.lower() for w in words)  # "payment", never the skeleton "payrnent"


def test_ordinary_mail_lends_no_wording():
    assert found(LUNCH) == []


def test_ordinary_words_added_to_a_lure_never_make_it_look_safer():
    """The strength is the model's log-odds above 0: padding can pull it to nothing, never below,
    so every message scores at least what it scores without the wording signal."""
    padded = LURE + " " + " ".join([LUNCH] * 40)
    for body in (LURE, padded, LUNCH):
        evidence = collect_evidence(parse_raw(f"From: a@example.org\r\nSubject: x\r\n\r\n{body}\r\n".encode()))
        without = [e for e in evidence if e.signal != "wording.reads_like_lures"]
        assert score(evidence, load_rules()).score >= score(without, load_rules()).score
        assert all(e.strength > 0 for e in evidence)
    model = load_wording()
    padded_value = wording.log_odds(model, every_token(reading(padded)))
    assert padded_value < wording.log_odds(model, every_token(reading(LURE)))


def test_look_alike_letters_read_as_the_letters_they_imitate():
    disguised = LURE.replace("a", "\u0430").replace("o", "\u043e")  # Cyrillic a and o
    assert every_token(reading(disguised)) == every_token(reading(LURE))


def test_numbers_are_no_wording():
    assert not any(c.isdigit() for token in every_token(reading(LURE)) for c in token)


def test_addresses_and_links_are_no_wording():
    """They name the message's people and sites: "gmail.com" under a calendar template is not a
    lure's word, though the reader of many lures had a free mailbox."""
    text = "Reschedule with the front desk. anna.berg@gmail.com https://calendar.google.com/x www.clinic.example"
    assert every_token(reading(text)) == every_token(reading("Reschedule with the front desk."))


def test_the_weight_counts_as_many_times_as_the_strength():
    rule = load_rules().signals["wording.reads_like_lures"]
    [reason] = score([Evidence("wording.reads_like_lures", {"lure_words": "charged"}, strength=2.5)],
                     load_rules()).reasons
    assert reason.weight == pytest.approx(2.5 * rule.weight)


def test_an_unspaced_script_is_read_as_character_pairs():
    """A run of kanji and kana is a sentence, not a word: read as its adjacent pairs of characters."""
    found_tokens = every_token(reading("お客様のアカウントで不正な利用"))
    assert {"不正", "正な", "利用", "アカ"} <= found_tokens
    assert "お客様のアカウントで不正な利用" not in found_tokens
    assert {"不正 正な"} <= found_tokens  # pairs of pairs: the three characters they cover


def test_longer_words_are_also_read_as_their_stem():
    inflected = every_token(reading("Zahlungen Zahlung zahlungspflichtig Rechnung"))
    assert {"zahl~", "rech~"} <= inflected
    assert "zahlung" in inflected  # the word itself stays
    assert not any(token.endswith("~") for token in every_token(reading("tak nie")))  # short words


def test_a_word_with_vowel_signs_is_one_word():
    # Tokens are skeletons: the spacing vowel signs stay, the non-spacing marks are dropped.
    assert {"രാവിലെ", "बिलकल"} <= every_token(reading("രാവിലെ बिलकुल"))


def test_stems_and_character_pairs_are_shown_as_the_message_writes_them():
    kanji = reading("不正な利用")
    assert wording._as_written(kanji, "不正 正な") == "不正な"
    german = reading("Ihre ZAHLUNGSPFLICHTIGE Rechnung")
    assert wording._as_written(german, "zahl~") == "ZAHLUNGSPFLICHTIGE"


def alternatives(plain: str, html: str) -> bytes:
    return ("From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + plain + "\r\n"
            "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>" + html + "</p>\r\n--b--\r\n").encode()


@pytest.mark.parametrize("plain, html", [(LUNCH, LURE), (LURE, LUNCH)], ids=["decoy plain", "decoy html"])
def test_a_decoy_alternative_does_not_water_down_the_lure_the_other_shows(plain: str, html: str) -> None:
    """A client shows one body alternative: the lure's wording is judged as the readers of its
    alternative see it, not diluted by a harmless twin ("your parcel is on its way") in the other."""
    model, message = load_wording(), Reading(parse_raw(alternatives(plain, html)))
    alone = wording.log_odds(model, every_token(reading(LURE)))
    judged = max(wording.log_odds(model, shown) for shown in wording.renditions(message))
    assert judged == pytest.approx(alone)
    assert wording.log_odds(model, every_token(message)) < alone  # read as one text, the decoy pulls it down
    [both], [single] = wording.lure_wording(message), found(LURE)
    assert both.strength == single.strength


def test_alternatives_that_agree_are_read_once() -> None:
    assert len(wording.renditions(Reading(parse_raw(alternatives(LURE, LURE))))) == 1  # every block, once


def test_the_signal_takes_the_alternative_its_readers_see_where_the_whole_reads_as_ordinary(monkeypatch) -> None:
    """With a model where the decoy's words outweigh the lure's, the whole message reads as
    ordinary mail (no evidence), the HTML alternative alone as a lure: the signal is that one's."""
    model = WordingModel(0.0, {"refund": 1.0, "parcel": -2.0})
    monkeypatch.setattr(wording, "load_wording", lambda: model)
    message = Reading(parse_raw(alternatives("Your parcel is on its way.", "Call about your refund.")))
    assert wording.log_odds(model, every_token(message)) < 0
    [evidence] = wording.lure_wording(message)
    assert evidence.strength == pytest.approx(1.0) and evidence.facts["lure_words"] == "refund"
