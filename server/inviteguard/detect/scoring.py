"""Evidence + rules -> Verdict. Pure: the same evidence and rules always give the same verdict.

A logistic model, its weights fitted from labelled corpora by `inviteguard fit`: the score is
100 x the probability that the message is a callback lure, from the bias plus the weight of every
signal and combination present. Policy signals (colleagues' reports, an analyst's decision) then
bound the level from below or above; they are decisions, not evidence to weigh. Notes (a message
read only in part) are said after everything else and change nothing.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

from .model import Evidence, EvidenceValue, Level, Reason, Verdict
from .rules import LEVELS, Rules, RulesError

# A policy reason that changed the level outranks any weighed one in the reasons list.
POLICY_WEIGHT = 100.0


def _merge(evidence: Iterable[Evidence]) -> tuple[dict[str, dict[str, EvidenceValue]], dict[str, float]]:
    """Signal id -> facts, and signal id -> strength; the first finding of a signal wins, later
    ones add missing facts; the strongest finding's strength counts."""
    present: dict[str, dict[str, EvidenceValue]] = {}
    strengths: dict[str, float] = {}
    for item in evidence:
        facts = present.setdefault(item.signal, {})
        for key, value in item.facts.items():
            facts.setdefault(key, value)
        strengths[item.signal] = max(strengths.get(item.signal, 0.0), item.strength)
    return present, strengths


def level_of(score: int, present: Collection[str], phishing_threshold: int, suspicious_threshold: int,
             flag_requires: Collection[str] = (), capped_alone: bool = False) -> tuple[Level, int]:
    """The level a score gives, and the score shown with it. A message with neither a number to
    call, nor a call promised to the reader, nor a platform relaying a stranger's text
    (`flag_requires`) is no callback lure at all: it is left clean, whatever else it says. One
    whose only weighed evidence alone makes no phishing verdict (`capped_alone`,
    Rules.alone_at_most_suspicious) is at most suspicious."""
    if flag_requires and not any(s in present for s in flag_requires):
        return "clean", min(score, suspicious_threshold - 1)
    if score >= phishing_threshold:
        return ("suspicious", phishing_threshold - 1) if capped_alone else ("phishing", score)
    return ("suspicious" if score >= suspicious_threshold else "clean"), score


def _bounded(level: Level, score: int, floors: list[str], caps: list[str], rules: Rules) -> tuple[Level, int]:
    rank = LEVELS.index(level)
    if floors:
        rank = max(rank, max(LEVELS.index(f) for f in floors))
    if caps:
        rank = min(rank, min(LEVELS.index(c) for c in caps))
    bounded: Level = LEVELS[rank]  # type: ignore[assignment]
    low = {"clean": 0, "suspicious": rules.suspicious_threshold, "phishing": rules.phishing_threshold}[bounded]
    high = {"clean": rules.suspicious_threshold - 1, "suspicious": rules.phishing_threshold - 1,
            "phishing": 100}[bounded]
    return bounded, min(max(score, low), high)


def score(evidence: Iterable[Evidence], rules: Rules) -> Verdict:
    present, strengths = _merge(evidence)
    unknown = present.keys() - rules.signals.keys() - rules.policy.keys() - rules.notes.keys()
    if unknown:
        raise RulesError(f"signals without a rule: {sorted(unknown)}")
    reasons: list[Reason] = []
    logit = rules.bias
    floors: list[str] = []
    caps: list[str] = []
    policy_reasons: list[Reason] = []
    notes: list[Reason] = []
    for signal_id, facts in present.items():
        if signal_id in rules.notes:
            notes.append(Reason(signal_id, 0.0, facts, rules.notes[signal_id]))
            continue
        if signal_id in rules.policy:
            policy = rules.policy[signal_id]
            floors += [policy.floor] if policy.floor else []
            caps += [policy.cap] if policy.cap else []
            policy_reasons.append(Reason(signal_id, 0.0, facts, policy.group))
            continue
        rule = rules.signals[signal_id]
        weight = rule.weight * strengths[signal_id]
        logit += weight
        reasons.append(Reason(signal_id, weight, facts, rule.group))
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
            reasons.append(Reason(combo.id, combo.weight, facts, combo.group))
            logit += combo.weight
    probability = 1 / (1 + math.exp(-max(-50.0, min(50.0, logit))))
    final = round(100 * probability)
    weighed = {reason.id for reason in reasons if reason.weight > 0}
    judged, final = level_of(final, present.keys(), rules.phishing_threshold, rules.suspicious_threshold,
                             rules.flag_requires, rules.capped_alone(weighed))
    level, final = _bounded(judged, final, floors, caps, rules)
    # A report or an analyst's decision that changed the level is the first thing to say; one that
    # did not is said after the message's own evidence.
    decisive = POLICY_WEIGHT if level != judged else 0.0
    reasons += [Reason(r.id, decisive, r.evidence, r.group) for r in policy_reasons]
    # A decisive report or decision first, then the combinations (each names the whole attack: who
    # relayed it, the number, the claim), then single signals; the weightiest first within each.
    combos = {combo.id for combo in rules.combos}
    reasons.sort(key=lambda r: (r.weight < POLICY_WEIGHT, r.id not in combos, -r.weight, r.id))
    return Verdict(level, final, (*reasons, *notes), rules.version)
