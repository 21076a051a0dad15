"""Load the rules data (weights, combinations, thresholds, platforms, brands, lexicon).

The data lives in YAML beside this file so that a weight change is a data diff; this module only
reads it into typed, frozen objects and checks that it hangs together.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class SignalRule:
    id: str
    weight: int
    group: str


@dataclass(frozen=True)
class Combo:
    id: str
    weight: int
    requires: tuple[frozenset[str], ...]  # each: at least one of these signals
    none_of: frozenset[str]
    explained_with: tuple[str, ...]  # present ones lend their facts to the reason, not weight


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
    how_anyone: str


@dataclass(frozen=True)
class Brand:
    name: str
    names: tuple[str, ...]
    domains: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    callback_cues: tuple[str, ...]
    call_verbs: tuple[str, ...]
    dialin_cues: tuple[str, ...]
    payment_terms: tuple[str, ...]
    charge_claims: tuple[str, ...]
    scam_awareness: tuple[str, ...]
    dispute_hooks: tuple[str, ...]
    account_alerts: tuple[str, ...]
    urgency: tuple[str, ...]
    freemail_domains: frozenset[str]


@dataclass(frozen=True)
class Rules:
    version: str
    phishing_threshold: int
    suspicious_threshold: int
    group_caps: dict[str, int]
    signals: dict[str, SignalRule]
    combos: tuple[Combo, ...]


class RulesError(ValueError):
    """The rules data is inconsistent; raised at load so a bad edit never reaches a verdict."""


def _read(name: str) -> Any:
    return yaml.safe_load(resources.files(__package__).joinpath(name).read_text("utf-8"))


def parse_rules(data: dict[str, Any]) -> Rules:
    groups = {str(k): int(v) for k, v in data["groups"].items()}
    signals = {}
    for sid, spec in data["signals"].items():
        if spec["group"] not in groups:
            raise RulesError(f"signal {sid} names unknown group {spec['group']}")
        signals[sid] = SignalRule(sid, int(spec["weight"]), spec["group"])
    combos = []
    for cid, spec in data["combos"].items():
        requires = tuple(frozenset(alternatives) for alternatives in spec["requires"])
        none_of = frozenset(spec.get("none_of", []))
        explained_with = tuple(spec.get("explained_with", []))
        unknown = set().union(*requires, none_of, explained_with) - signals.keys()
        if unknown:
            raise RulesError(f"combo {cid} names unknown signals {sorted(unknown)}")
        combos.append(Combo(cid, int(spec["weight"]), requires, none_of, explained_with))
    thresholds = data["thresholds"]
    return Rules(str(data["version"]), int(thresholds["phishing"]), int(thresholds["suspicious"]), groups,
                 signals, tuple(combos))


@cache
def load_rules() -> Rules:
    return parse_rules(_read("signals.yaml"))


@cache
def load_platforms() -> tuple[Platform, ...]:
    return tuple(
        Platform(
            id=p["id"], name=p["name"], says=p["says"], brand=p["brand"],
            domains=tuple(p.get("domains", [])), addresses=tuple(p.get("addresses", [])),
            prodids=tuple(p.get("prodids", [])), channel=p["channel"], relays_when=p["relays_when"],
            markers=tuple(p.get("markers", [])), how_anyone=p["how_anyone"],
        )
        for p in _read("platforms.yaml")["platforms"]
    )


@cache
def load_brands() -> tuple[Brand, ...]:
    return tuple(Brand(b["name"], tuple(b["names"]), tuple(b["domains"])) for b in _read("brands.yaml")["brands"])


@cache
def load_lexicon() -> Lexicon:
    data = _read("lexicon.yaml")
    return Lexicon(
        callback_cues=tuple(data["callback_cues"]), call_verbs=tuple(data["call_verbs"]),
        dialin_cues=tuple(data["dialin_cues"]),
        payment_terms=tuple(data["payment_terms"]), charge_claims=tuple(data["charge_claims"]),
        scam_awareness=tuple(data["scam_awareness"]), dispute_hooks=tuple(data["dispute_hooks"]),
        account_alerts=tuple(data["account_alerts"]), urgency=tuple(data["urgency"]),
        freemail_domains=frozenset(data["freemail_domains"]),
    )


@cache
def load_confusables() -> dict[str, str]:
    table = {str(k): str(v) for k, v in _read("confusables.yaml")["confusables"].items()}
    if any(len(k) != 1 or len(v) != 1 for k, v in table.items()):
        raise RulesError("confusables must map one character to one character")
    return table
