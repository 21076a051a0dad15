"""Load the rules data (weights, combinations, thresholds, platforms, conferencing services, brands,
the vocabulary of each language, currencies, the wording model).

The data lives in YAML beside this file so that a weight change is a data diff; this module only
reads it into typed, frozen objects and checks that it hangs together.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class SignalRule:
    id: str
    weight: float  # fitted log-odds (inviteguard fit)
    group: str  # the fact it speaks of; reasons show one per group


@dataclass(frozen=True)
class Combo:
    id: str
    weight: float
    requires: tuple[frozenset[str], ...]  # each: at least one of these signals
    none_of: frozenset[str]
    explained_with: tuple[str, ...]  # present ones lend their facts to the reason, not weight
    group: str


@dataclass(frozen=True)
class Policy:
    """A signal that sets bounds on the level instead of adding weight: what colleagues' reports
    and analysts decide is not fitted from messages."""

    id: str
    floor: str | None  # the level is at least this
    cap: str | None  # the level is at most this
    group: str


@dataclass(frozen=True)
class Platform:
    id: str
    name: str
    says: str
    brand: str
    domains: tuple[str, ...]
    addresses: tuple[str, ...]
    prodids: tuple[str, ...]
    channel: str  # what the reader received: "a calendar invite"
    relays_when: str  # always | invite | marker
    markers: tuple[str, ...]
    link_markers: tuple[str, ...]  # substrings of links only stranger-text messages carry
    stranger_fields: frozenset[str]  # TextSource names a stranger writes
    how_anyone: str
    boilerplate: tuple[str, ...] = ()  # sentences the service itself writes into every message
    names_in_subject: bool = False  # its subject template prints the name the stranger chose


@dataclass(frozen=True)
class NamedRelay:
    """A service not in the platform list that names itself as the relay in the sender's name
    ("Imprimerie du Marais via Qonto" from qonto.com), or writes as itself and labels someone's
    note (`noted_relay`, no separators): what reasons say about it."""

    separators: tuple[str, ...]  # the words between the stranger's name and the service's
    channel: str
    how_anyone: str
    stranger_fields: frozenset[str]


@dataclass(frozen=True)
class ConferencingProvider:
    id: str
    name: str
    join_links: tuple[str, ...]


@dataclass(frozen=True)
class Script:
    names: tuple[str, ...]  # starts of its letters' Unicode names
    regions: tuple[str, ...]


@dataclass(frozen=True)
class Currency:
    code: str
    prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    regions: tuple[str, ...]


@dataclass(frozen=True)
class Brand:
    name: str
    names: tuple[str, ...]
    domains: tuple[str, ...]
    phones: tuple[str, ...] = ()  # E.164 numbers the brand publishes for its customers


# The phrase lists each language file has; every one is matched on confusable skeletons.
PHRASE_LISTS = ("charge_claims", "charge_verbs", "payment_terms", "payment_demands", "dispute_hooks", "account_alerts",
                "callback_cues", "urgency", "scam_awareness", "invite_markers", "department_words",
                "fee_demands", "refund_offers", "tech_support", "bank_change", "phone_only", "new_number",
                "code_disclosure", "relay_notes", "reader_called", "family_emergency", "reassurances")


@dataclass(frozen=True)
class Language:
    """One language's vocabulary (rules/lexicon/<code>.yaml)."""

    code: str
    regions: tuple[str, ...]  # phone regions this language suggests, most likely first
    phrases: dict[str, tuple[str, ...]]  # PHRASE_LISTS name -> phrases
    number_words: tuple[str, ...]  # amounts written in letters
    currency_words: tuple[str, ...]
    digit_words: dict[str, int] = field(default_factory=dict)  # "eight" -> 8: numbers spelled digit by digit
    common_words: frozenset[str] = frozenset()  # everyday words that tell the language ("vous", "und")
    group_words: dict[str, int] = field(default_factory=dict)  # "sixty" -> 60, "hundred" -> 100: numbers read in groups
    group_joiners: frozenset[str] = frozenset()  # "and", "und", "y": join a group's tens and units
    plus_words: frozenset[str] = frozenset()  # "plus", "más": a "+" read aloud
    then_words: frozenset[str] = frozenset()  # "then", "puis": carry a number said in parts to its next part
    repeat_words: dict[str, int] = field(default_factory=dict)  # "double" -> 2: the next digit said that many times


@dataclass(frozen=True)
class Lexicon:
    languages: tuple[Language, ...]
    freemail_domains: frozenset[str]
    government_labels: frozenset[str]
    text_gateway_domains: frozenset[str]

    def is_freemail(self, domain: str) -> bool:
        """A mailbox provider anyone can sign up for (or a subdomain of one: a trial tenant)."""
        labels = domain.lower().split(".")
        return any(".".join(labels[i:]) in self.freemail_domains for i in range(len(labels)))

    def phrases(self, name: str) -> tuple[str, ...]:
        """One list across every language, each phrase once."""
        return tuple(dict.fromkeys(p for language in self.languages for p in language.phrases[name]))


@dataclass(frozen=True)
class Rules:
    version: str
    bias: float
    phishing_threshold: int  # score (100 x probability) from which a message is phishing
    suspicious_threshold: int
    signals: dict[str, SignalRule]
    combos: tuple[Combo, ...]
    policy: dict[str, Policy]
    flag_requires: frozenset[str] = frozenset()  # no signal of these: clean
    notes: dict[str, str] = field(default_factory=dict)  # said, never weighed: signal id -> group
    # Weighed evidence of these alone (nothing else with a weight above 0): at most suspicious.
    alone_at_most_suspicious: frozenset[str] = frozenset()

    def capped_alone(self, weighed: Collection[str]) -> bool:
        """Whether the signals weighed above 0 are only ones that alone make no phishing verdict."""
        return bool(weighed) and set(weighed) <= self.alone_at_most_suspicious


class RulesError(ValueError):
    """The rules data is inconsistent; raised at load so a bad edit never reaches a verdict."""


# libyaml's loader where the wheel has it: the pure-Python one takes seconds over the lexicons.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - _LOADER is a safe loader, C or Python


def _read(name: str) -> Any:
    return _yaml(resources.files(__package__).joinpath(name).read_text("utf-8"))


LEVELS = ("clean", "suspicious", "phishing")


def parse_rules(data: dict[str, Any]) -> Rules:
    signals = {sid: SignalRule(sid, float(spec["weight"]), str(spec["group"])) for sid, spec in data["signals"].items()}
    combos = []
    for cid, spec in data["combos"].items():
        requires = tuple(frozenset(alternatives) for alternatives in spec["requires"])
        none_of = frozenset(spec.get("none_of", []))
        explained_with = tuple(spec.get("explained_with", []))
        unknown = set().union(*requires, none_of, explained_with) - signals.keys()
        if unknown:
            raise RulesError(f"combo {cid} names unknown signals {sorted(unknown)}")
        combos.append(Combo(cid, float(spec["weight"]), requires, none_of, explained_with, str(spec["group"])))
    policy = {}
    for pid, spec in data.get("policy", {}).items():
        bounds = (spec.get("floor"), spec.get("cap"))
        if any(b is not None and b not in LEVELS for b in bounds) or bounds == (None, None):
            raise RulesError(f"policy {pid} needs a floor or cap among {LEVELS}")
        policy[pid] = Policy(pid, bounds[0], bounds[1], str(spec["group"]))
    notes = {nid: str(spec["group"]) for nid, spec in (data.get("notes") or {}).items()}
    weighed_too = notes.keys() & (signals.keys() | policy.keys())
    if weighed_too:
        raise RulesError(f"notes are never weighed or bounding: {sorted(weighed_too)} are signals or policy too")
    model = data["model"]
    flag_requires = frozenset(model.get("flag_requires", []))
    if flag_requires - signals.keys():
        raise RulesError(f"flag_requires names unknown signals {sorted(flag_requires - signals.keys())}")
    alone = frozenset(model.get("alone_at_most_suspicious", []))
    if alone - signals.keys():
        raise RulesError(f"alone_at_most_suspicious names unknown signals {sorted(alone - signals.keys())}")
    return Rules(str(data["version"]), float(model["bias"]), int(model["thresholds"]["phishing"]),
                 int(model["thresholds"]["suspicious"]), signals, tuple(combos), policy, flag_requires, notes, alone)


@cache
def load_rules() -> Rules:
    return parse_rules(_read("signals.yaml"))


@dataclass(frozen=True)
class WordingModel:
    """A logistic model of the words and word pairs of a message (`inviteguard fit` fits it from
    the same corpora as the weights): the log-odds that its wording is a callback lure's."""

    intercept: float
    weights: dict[str, float]  # word or "word word" (on confusable skeletons) -> log-odds


@cache
def load_wording() -> WordingModel:
    data = json.loads(resources.files(__package__).joinpath("wording.json").read_text("utf-8"))
    weights = data["weights"]
    if not isinstance(weights, dict) or any(not isinstance(w, (int, float)) for w in weights.values()):
        raise RulesError("wording.json: weights are token -> number")
    return WordingModel(float(data["intercept"]), {str(k): float(v) for k, v in weights.items()})


@cache
def load_platforms() -> tuple[Platform, ...]:
    return _named_where_written(_distinct(tuple(
        Platform(
            id=p["id"], name=p["name"], says=p["says"], brand=p["brand"],
            domains=tuple(p.get("domains", [])), addresses=tuple(p.get("addresses", [])),
            prodids=tuple(p.get("prodids", [])), channel=p["channel"], relays_when=p["relays_when"],
            markers=tuple(p.get("markers", [])), link_markers=tuple(p.get("link_markers", [])),
            stranger_fields=frozenset(p["stranger_fields"]),
            how_anyone=p["how_anyone"], boilerplate=tuple(p.get("boilerplate", [])),
            names_in_subject=bool(p.get("names_in_subject", False)),
        )
        for p in _read("platforms.yaml")["platforms"]
    )))


def _named_where_written(platforms: tuple[Platform, ...]) -> tuple[Platform, ...]:
    """The platforms, refused if one prints the stranger's chosen name in a subject it does not
    list among the fields a stranger writes: the name would be read as the platform's own words."""
    unwritten = sorted(p.id for p in platforms if p.names_in_subject and "subject" not in p.stranger_fields)
    if unwritten:
        raise RulesError(f"platforms.yaml: names_in_subject without subject in stranger_fields: {unwritten}")
    return platforms


def _distinct(platforms: tuple[Platform, ...]) -> tuple[Platform, ...]:
    """The platforms, refused if two share an id or a domain: which of them matched would depend
    on their order in the file, and an edit to one would silently leave the other in force."""
    for label, keys in (("id", [p.id for p in platforms]), ("domain", [d for p in platforms for d in p.domains])):
        twice = sorted(key for key, times in Counter(keys).items() if times > 1)
        if twice:
            raise RulesError(f"platforms.yaml: more than one platform has the {label} {twice}")
    return platforms


@cache
def load_named_relay() -> NamedRelay:
    spec = _read("platforms.yaml")["named_relay"]
    return NamedRelay(tuple(str(s).lower() for s in spec["separators"]), spec["channel"], spec["how_anyone"],
                      frozenset(spec["stranger_fields"]))


@cache
def load_noted_relay() -> NamedRelay:
    spec = _read("platforms.yaml")["noted_relay"]
    return NamedRelay((), spec["channel"], spec["how_anyone"], frozenset(spec["stranger_fields"]))


@cache
def load_conferencing() -> tuple[ConferencingProvider, ...]:
    return tuple(ConferencingProvider(p["id"], p["name"], tuple(p["join_links"]))
                 for p in _read("conferencing.yaml")["providers"])


@cache
def load_scripts() -> tuple[Script, ...]:
    return tuple(Script(tuple(s["names"]), tuple(s["regions"])) for s in _read("scripts.yaml")["scripts"])


@cache
def load_currencies() -> tuple[Currency, ...]:
    return tuple(Currency(c["code"], tuple(c.get("prefixes", [])), tuple(c.get("suffixes", [])),
                          tuple(c.get("regions", []))) for c in _read("currencies.yaml")["currencies"])


# A brand name is words of letters and digits with single spaces: the matcher builds one trie of
# them (signals/text.trie_pattern), where a `*` or other punctuation would mean something else.
_BRAND_NAME = re.compile(r"[^\W_]+(?: [^\W_]+)*")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def parse_brands(data: dict[str, Any]) -> tuple[Brand, ...]:
    brands = tuple(Brand(b["name"], tuple(b["names"]), tuple(b["domains"]), tuple(b.get("phones", ())))
                   for b in data["brands"])
    odd = [name for brand in brands for name in brand.names if not _BRAND_NAME.fullmatch(name)]
    if odd:
        raise RulesError(f"brand names are words of letters and digits with single spaces: {odd[:5]}")
    unwritten = [phone for brand in brands for phone in brand.phones if not _E164.fullmatch(str(phone))]
    if unwritten:
        raise RulesError(f"brand phones are quoted E.164 numbers (\"+18882211161\"): {unwritten[:5]}")
    return brands


@cache
def load_brands() -> tuple[Brand, ...]:
    return parse_brands(_read("brands.yaml"))


def _language(data: dict[str, Any]) -> Language:
    missing = [name for name in PHRASE_LISTS if name not in data]
    if missing:
        raise RulesError(f"lexicon {data.get('language')} lacks {missing}")
    # `*` ends a stem (the last word may go on) and means nothing anywhere else.
    misplaced = [p for name in PHRASE_LISTS for p in data[name] if "*" in str(p)[:-1] or str(p).strip() in {"", "*"}]
    if misplaced:
        raise RulesError(f"lexicon {data.get('language')}: `*` may only end a phrase: {misplaced[:5]}")
    words = data.get("number_words") or {}
    return Language(
        code=str(data["language"]), regions=tuple(data.get("regions", [])),
        phrases={name: tuple(str(p) for p in data[name]) for name in PHRASE_LISTS},
        number_words=tuple(str(w) for group in words.values() for w in group),
        currency_words=tuple(str(w) for w in data.get("currency_words", [])),
        digit_words=_valued_words(data, "digit_words", DIGIT_VALUES),
        common_words=_quoted_words(data, "common_words", single=True),
        group_words=_valued_words(data, "group_words", GROUP_VALUES),
        group_joiners=_quoted_words(data, "group_joiners"),
        plus_words=_quoted_words(data, "plus_words"),
        then_words=_quoted_words(data, "then_words"),
        repeat_words=_valued_words(data, "repeat_words", REPEAT_VALUES),
    )


def _quoted_words(data: dict[str, Any], key: str, single: bool = False) -> frozenset[str]:
    """A list of quoted lower-case words (`single`: one word each). YAML reads an unquoted `on`
    (Finnish "is") as True and `null` (German zero) as None: every entry must be a quoted word."""
    words = data.get(key) or []
    if any(not isinstance(w, str) or not w.strip() or w != w.lower() or (single and len(w.split()) != 1)
           for w in words):
        raise RulesError(f"lexicon {data.get('language')}: {key} are quoted {'single ' if single else ''}"
                         "lower-case words")
    return frozenset(words)


def _valued_words(data: dict[str, Any], key: str, values: frozenset[int]) -> dict[str, int]:
    """`value: [quoted lower-case words]`, each value one of `values`: word -> value."""
    valued = data.get(key) or {}
    if set(valued) - values:
        raise RulesError(f"lexicon {data.get('language')}: {key} has values outside its range: "
                         f"{sorted(set(valued) - values)[:5]}")
    language = data.get("language")
    return {word: int(value) for value, words in valued.items()
            for word in _quoted_words({"language": language, f"{key} {value}": words}, f"{key} {value}")}


DIGIT_VALUES = frozenset(range(10))
# A group is read as its value's digits: ten to ninety-nine, whole hundreds, and a thousand after a
# digit ("ocho mil", 8000).
GROUP_VALUES = frozenset(range(10, 100)) | frozenset(range(100, 1000, 100)) | {1000}
# "Double seven, triple zero": a digit said twice or three times in one word.
REPEAT_VALUES = frozenset({2, 3})


@cache
def load_lexicon() -> Lexicon:
    folder = resources.files(__package__).joinpath("lexicon")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    languages = tuple(_language(_yaml(f.read_text("utf-8"))) for f in files)
    mail = _read("mail.yaml")
    return Lexicon(languages, frozenset(mail["freemail_domains"]), frozenset(mail["government_labels"]),
                   frozenset(mail["text_gateway_domains"]))
