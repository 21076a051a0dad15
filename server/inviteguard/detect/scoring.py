"""Evidence + rules -> Verdict. Pure: the same evidence and rules always give the same verdict."""

from __future__ import annotations

from collections.abc import Iterable

from .model import Evidence, EvidenceValue, Level, Reason, Verdict
from .rules import Rules, RulesError


def _merge(evidence: Iterable[Evidence]) -> dict[str, dict[str, EvidenceValue]]:
    """Signal id -> facts; the first finding of a signal wins, later ones add missing facts."""
    present: dict[str, dict[str, EvidenceValue]] = {}
    for item in evidence:
        facts = present.setdefault(item.signal, {})
        for key, value in item.facts.items():
            facts.setdefault(key, value)
    return present


def _level(score: int, rules: Rules) -> Level:
    if score >= rules.phishing_threshold:
        return "phishing"
    if score >= rules.suspicious_threshold:
        return "suspicious"
    return "clean"


def score(evidence: Iterable[Evidence], rules: Rules) -> Verdict:
    present = _merge(evidence)
    unknown = present.keys() - rules.signals.keys()
    if unknown:
        raise RulesError(f"signals without a rule: {sorted(unknown)}")
    reasons: list[Reason] = []
    by_group: dict[str, int] = {}
    negative = 0
    for signal_id, facts in present.items():
        rule = rules.signals[signal_id]
        if rule.weight < 0:
            negative += rule.weight
        else:
            by_group[rule.group] = by_group.get(rule.group, 0) + rule.weight
        reasons.append(Reason(signal_id, rule.weight, facts))
    total = sum(min(points, rules.group_caps[group]) for group, points in by_group.items()) + negative
    for combo in rules.combos:
        if combo.none_of & present.keys():
            continue
        if all(alternatives & present.keys() for alternatives in combo.requires):
            facts: dict[str, EvidenceValue] = {}
            sources = [s for alternatives in combo.requires for s in sorted(alternatives & present.keys())]
            sources += [s for s in combo.explained_with if s in present]
            for signal_id in sources:
                for key, value in present[signal_id].items():
                    facts.setdefault(key, value)
            reasons.append(Reason(combo.id, combo.weight, facts))
            total += combo.weight
    final = max(0, min(100, total))
    reasons.sort(key=lambda r: (-r.weight, r.id))
    return Verdict(_level(final, rules), final, tuple(reasons), rules.version)

