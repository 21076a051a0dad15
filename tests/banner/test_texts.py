"""The shipped banner texts: every locale has every reason the English file has, uses only
placeholders the English text of that reason uses, and every template compiles in the sandbox."""

from __future__ import annotations

import re
from typing import Any, get_args

import pytest
from inviteguard.banner.texts import LEVELS, REASON_FIELDS, load_raw_defaults
from inviteguard.detect.model import TextSource
from inviteguard.detect.rules import load_rules
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

RAW = load_raw_defaults()
ENGLISH = RAW["en"]
TRANSLATIONS = sorted(set(RAW) - {"en"})
ENV = SandboxedEnvironment(autoescape=True)


def placeholders(source: str) -> set[str]:
    return meta.find_undeclared_variables(ENV.parse(source))


def reason_placeholders(reason: dict[str, Any]) -> set[str]:
    return set().union(*(placeholders(reason.get(field, "")) for field in REASON_FIELDS))


def test_the_four_product_languages_ship() -> None:
    assert {"en", "de", "fr", "es"} <= set(RAW)


@pytest.mark.parametrize("locale", TRANSLATIONS)
def test_every_locale_has_every_reason_and_field(locale: str) -> None:
    texts = RAW[locale]
    assert texts["locale"] == locale
    assert set(texts["reasons"]) == set(ENGLISH["reasons"])
    for reason_id, fields in texts["reasons"].items():
        assert set(fields) == set(REASON_FIELDS), reason_id
        assert all(isinstance(v, str) and v.strip() for v in fields.values()), reason_id
    for level in LEVELS:
        assert set(texts["banner"][level]) == {"title", "text"}
        assert bool(texts["banner"][level]["title"]) == bool(ENGLISH["banner"][level]["title"])


@pytest.mark.parametrize("locale", TRANSLATIONS)
def test_translations_use_only_known_placeholders(locale: str) -> None:
    for reason_id, fields in RAW[locale]["reasons"].items():
        known = reason_placeholders(ENGLISH["reasons"][reason_id])
        unknown = reason_placeholders(fields) - known
        assert not unknown, f"{locale} {reason_id} uses {sorted(unknown)}, English uses only {sorted(known)}"
    for level in LEVELS:
        assert not placeholders(RAW[locale]["banner"][level]["title"] + RAW[locale]["banner"][level]["text"])


@pytest.mark.parametrize("locale", sorted(RAW))
def test_every_template_compiles_in_the_sandbox(locale: str) -> None:
    for fields in RAW[locale]["reasons"].values():
        for field in REASON_FIELDS:
            ENV.from_string(fields[field])


def test_every_scored_reason_has_english_text() -> None:
    rules = load_rules()
    scored = set(rules.signals) | {combo.id for combo in rules.combos}
    missing = scored - set(ENGLISH["reasons"])
    assert not missing, f"reasons without text: {sorted(missing)}"


PLACES = re.compile(r"set places = \{(.*?)\}")


@pytest.mark.parametrize("locale", sorted(RAW))
def test_every_place_a_number_can_stand_has_a_name(locale: str) -> None:
    """Templates name where the evidence stands (`where` is a TextSource id); a place missing from
    a template's list would fall back to "the text" and misdirect the reader."""
    named = 0
    for reason_id, fields in RAW[locale]["reasons"].items():
        for field in REASON_FIELDS:
            for listed in PLACES.findall(fields[field]):
                assert set(re.findall(r'"(\w+)":', listed)) == set(get_args(TextSource)), (reason_id, field)
                named += 1
    assert named


@pytest.mark.parametrize("locale", sorted(RAW))
def test_no_template_shows_a_place_by_its_id(locale: str) -> None:
    """`where` is an id ("organizer_name"); readers are shown the place's name from the list."""
    shown = [(reason_id, field) for reason_id, fields in RAW[locale]["reasons"].items()
             for field in REASON_FIELDS if re.search(r"\{\{\s*where\s*\}\}", fields[field])]
    assert shown == []


@pytest.mark.parametrize("locale", TRANSLATIONS)
def test_no_translation_shows_a_platforms_english_facts(locale: str) -> None:
    """`how_anyone` and `channel` arrive in English from the platform data; a translated sentence
    says them in its own words (it showed "… zugestellt, aber anyone with an iCloud account can …")."""
    shown = [(reason_id, field) for reason_id, fields in RAW[locale]["reasons"].items()
             for field in REASON_FIELDS if re.search(r"\{\{\s*(?:how_anyone|channel)\s*\}\}", fields[field])]
    assert shown == []
