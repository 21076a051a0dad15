"""A message's inputs share the work that depends on a block's text alone (reading.BLOCKS_KEPT):
each reading gets what it would have worked out itself, and no reading's copy is another's."""

from inviteguard.detect.evaluation import views_of
from inviteguard.detect.signals import Reading, payment, phone, wording
from inviteguard.detect.signals import reading as reading_module

LURE = ("From: billing@example.org\r\nSubject: Renewal 349,99 EUR\r\n\r\n"
        "Ihr Abo wurde verlaengert: 349,99 EUR wurden abgebucht. Nicht Sie? Rufen Sie an: +49 30 5550 1234.\r\n")


def _read(reading: Reading) -> tuple:
    return (reading.skeletons, reading.vocabulary, payment.amounts(reading), wording.renditions(reading),
            phone.mentions(reading))


def test_a_second_reading_of_the_same_blocks_reads_them_as_the_first_did():
    first, again = Reading(views_of(LURE.encode())[0]), Reading(views_of(LURE.encode())[0])
    assert _read(again) == _read(first)
    assert any(payment.amounts(first))
    # Each reading's amounts are its own lists: what one caller does with them touches no other.
    assert all(a is not b for a, b in zip(payment.amounts(first), payment.amounts(again), strict=True))


def test_every_input_reads_its_blocks_as_a_fresh_process_would():
    readings = [Reading(message) for message in views_of(LURE.encode())]
    shared = [_read(r) for r in readings]
    for cached in (reading_module.block_skeleton, reading_module._phrases_in, payment._amounts_of,
                   wording._block_tokens):
        cached.cache_clear()
    assert [_read(Reading(message)) for message in views_of(LURE.encode())] == shared


def test_the_shared_work_is_bounded():
    for cached in (reading_module.block_skeleton, reading_module._phrases_in, payment._amounts_of,
                   wording._block_tokens):
        assert cached.cache_info().maxsize == reading_module.BLOCKS_KEPT
