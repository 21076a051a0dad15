"""The adversarial suite: every evasion technique on every lure must still be judged phishing.

tests/detect/adversarial.py builds the lures as real messages of their channel and holds the
techniques; the unchanged lures are checked first, so a failure below is the technique's doing.
"""

import pytest
from inviteguard.detect.analyzer import judge
from inviteguard.detect.parse import parse_raw

from .adversarial import LURES, TECHNIQUES, build

# Techniques that change calendar parts; a PayPal invoice has none.
CALENDAR_ONLY = {"notes_only_in_x_alt_desc", "base64_encoded_calendar", "number_only_in_location",
                 "number_in_organizer_name", "number_only_as_a_whatsapp_guest", "number_only_in_the_events_link"}
CASES = [(lure, technique) for lure in LURES for technique in TECHNIQUES
         if not (LURES[lure].channel == "paypal" and technique in CALENDAR_ONLY)]


@pytest.mark.parametrize("lure", LURES)
def test_the_lures_themselves_are_phishing(lure):
    assert judge(parse_raw(build(LURES[lure]))).level == "phishing"


def test_there_are_at_least_thirty_techniques():
    assert len(TECHNIQUES) >= 30


@pytest.mark.parametrize(("lure", "technique"), CASES)
def test_evasion_stays_phishing(lure, technique):
    message = parse_raw(build(TECHNIQUES[technique](LURES[lure])))
    verdict = judge(message)
    assert verdict.level == "phishing", (verdict.score, [r.id for r in verdict.reasons])
