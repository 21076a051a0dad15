"""Checks an edited banner text before it can go live.

The renderer (banner.py) already runs templates in Jinja2's SandboxedEnvironment, but the sandbox
alone lets a template silently print nothing for `{{ ''.__class__ }}`, spin on nested loops, or
build a gigabyte string (`{{ "x" * 10**9 }}`, `{% set a = a ~ a %}` twenty times) — and Jinja folds
constant expressions while *compiling*, so some of that happens before any render limit applies.
So a text is checked in three steps, each with a message an editor can act on:

1. its syntax tree may only use what banner texts need: placeholders, `if`, a single level of
   `for` over a fact or a written-out list, `set` of literals, `~` joins, comparisons, `.get()`
   on a dictionary and a few harmless filters; no `_` attributes, arithmetic that can blow up,
   macros, includes or `range()`;
2. every name it prints is a placeholder of that text (or one it set itself);
3. it renders with the same renderer as the API, with example facts, with empty facts and with
   facts at their maximum length, within a time and an output-length budget, and prints no markup.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import TemplateError, nodes
from jinja2.sandbox import SandboxedEnvironment

from ..detect.rules import load_rules
from .render import VALUE_LIMIT, compile_template, template_context

PLACEHOLDERS_FILE = Path(__file__).resolve().parent / "placeholders.yaml"
MAX_SOURCE_CHARS = 6000
MAX_OUTPUT_CHARS = 5000  # a reason detail with every fact at its 200-character cap stays well below
MAX_RENDER_SECONDS = 0.2
ALLOWED_FILTERS = frozenset({"upper", "lower", "title", "capitalize", "trim", "default", "d", "join", "length",
                             "count", "first", "last", "e", "escape", "string", "truncate", "round", "int",
                             "abs", "list", "sort", "unique", "wordcount"})
ALLOWED_TESTS = frozenset({"defined", "undefined", "none", "string", "number", "sequence", "mapping", "in", "eq",
                           "ne", "true", "false", "boolean", "lower", "upper", "equalto", "sameas"})
ALLOWED_METHODS = frozenset({"get", "items", "keys", "values"})
LOOP_ATTRIBUTES = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length"})
SIMPLE_EXPRESSIONS = (nodes.Const, nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Slice, nodes.Call,
                      nodes.Filter, nodes.Test, nodes.CondExpr, nodes.Dict, nodes.Pair, nodes.List, nodes.Tuple,
                      nodes.Concat, nodes.Compare, nodes.Operand, nodes.And, nodes.Or, nodes.Not, nodes.Neg,
                      nodes.Pos, nodes.Add, nodes.Sub, nodes.Keyword)
STATEMENTS = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.For, nodes.Assign)
# Bounded text that still includes every character class renderers must cope with.
LONG_FACT = ("Ünïcödé <b>&amp;</b> \"quoted\" " * 20)[:VALUE_LIMIT]

_parser = SandboxedEnvironment()  # parsing only; rendering is banner.py's


class TextRejected(ValueError):
    """Why a text cannot be saved, in words for the editor."""


@dataclass(frozen=True)
class Placeholder:
    name: str
    kind: str  # text | flag | list
    example: object
    meaning: str


@dataclass(frozen=True)
class PlaceholderCatalog:
    facts: Mapping[str, Placeholder]
    organisation: Mapping[str, Placeholder]
    by_signal: Mapping[str, tuple[str, ...]]
    by_combo: Mapping[str, tuple[str, ...]]

    def for_reason(self, reason_id: str) -> tuple[Placeholder, ...]:
        names = self.by_signal.get(reason_id) or self.by_combo.get(reason_id) or ()
        return tuple(self.facts[n] for n in names) + tuple(self.organisation.values())

    def for_banner(self) -> tuple[Placeholder, ...]:
        """Banner titles and texts are rendered without evidence: only organisation facts."""
        return tuple(self.organisation.values())


def _placeholder(name: str, entry: Mapping[str, Any]) -> Placeholder:
    return Placeholder(name, str(entry["kind"]), entry["example"], str(entry["meaning"]))


@cache
def load_placeholders(path: Path = PLACEHOLDERS_FILE) -> PlaceholderCatalog:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    facts = {name: _placeholder(name, entry) for name, entry in data["facts"].items()}
    organisation = {name: _placeholder(name, entry) for name, entry in data["organisation"].items()}
    by_signal = {signal: tuple(keys) for signal, keys in data["signals"].items()}
    by_combo = {}
    for combo in load_rules().combos:
        # A combination's reason carries the facts of every signal it can combine or is explained with.
        signals = [s for group in combo.requires for s in sorted(group)] + list(combo.explained_with)
        keys = dict.fromkeys(k for s in signals for k in by_signal.get(s, ()))
        by_combo[combo.id] = tuple(keys)
    return PlaceholderCatalog(facts, organisation, by_signal, by_combo)


# ------------------------------------------------------------------ step 1: the syntax tree

def _method_name(call: nodes.Call) -> str | None:
    return call.node.attr if isinstance(call.node, nodes.Getattr) else None


def _is_loop_attribute(node: nodes.Getattr) -> bool:
    return isinstance(node.node, nodes.Name) and node.node.name == "loop" and node.attr in LOOP_ATTRIBUTES


def _check_node(node: nodes.Node, loop_depth: int, problems: list[str]) -> None:
    if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
        problems.append(f"reaches Python internals ({node.attr}); use only the listed placeholders")
        return
    if isinstance(node, nodes.Const) and isinstance(node.value, str) and node.value.startswith("_"):
        problems.append("names starting with '_' are Python internals and are not allowed")
        return
    if isinstance(node, nodes.Getattr) and _is_loop_attribute(node):
        return
    if isinstance(node, nodes.Getattr) and node.attr not in ALLOWED_METHODS:
        problems.append(f"'.{node.attr}' is not available; only .get(), .items(), .keys() and .values()")
        return
    if isinstance(node, nodes.Call) and _method_name(node) not in ALLOWED_METHODS:
        called = node.node.name if isinstance(node.node, nodes.Name) else f".{_method_name(node) or ''}"
        problems.append(f"calling {called}() is not allowed in banner texts")
        return
    if isinstance(node, nodes.Call) and (node.dyn_args or node.dyn_kwargs):
        problems.append("*args and **kwargs are not allowed in banner texts")
        return
    if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
        problems.append(f"the filter '{node.name}' is not available (allowed: {', '.join(sorted(ALLOWED_FILTERS))})")
        return
    if isinstance(node, nodes.Test) and node.name not in ALLOWED_TESTS:
        problems.append(f"the test '{node.name}' is not available")
        return
    if isinstance(node, nodes.For):
        if loop_depth or node.recursive:
            problems.append("loops inside loops are not allowed: a banner text must render in bounded time")
            return
        if not isinstance(node.iter, nodes.Name | nodes.List | nodes.Tuple | nodes.Dict | nodes.Call | nodes.Filter):
            problems.append("a loop may only run over a placeholder or a written-out list")
            return
        loop_depth += 1
    elif isinstance(node, nodes.TemplateData) and "<" in node.data:
        problems.append("banner texts are plain text: HTML markup ('<') is not allowed; the add-ins lay the text out")
        return
    elif not isinstance(node, STATEMENTS + SIMPLE_EXPRESSIONS):
        problems.append(_forbidden_message(node))
        return
    for child in node.iter_child_nodes():
        _check_node(child, loop_depth, problems)


def _forbidden_message(node: nodes.Node) -> str:
    if isinstance(node, nodes.Mul | nodes.Pow | nodes.Div | nodes.FloorDiv | nodes.Mod):
        return "arithmetic (* / // % **) is not allowed: it can build unbounded text"
    if isinstance(node, nodes.Macro | nodes.CallBlock):
        return "macros are not allowed in banner texts"
    if isinstance(node, nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends | nodes.Block):
        return "banner texts cannot include, import or extend other templates"
    return f"'{type(node).__name__}' is not allowed in banner texts"


def _assigned_names(tree: nodes.Template) -> set[str]:
    names = set()
    for target_owner in (*tree.find_all(nodes.Assign), *tree.find_all(nodes.For)):
        names.update(n.name for n in target_owner.target.find_all(nodes.Name))
        if isinstance(target_owner.target, nodes.Name):
            names.add(target_owner.target.name)
    return names


def _check_assignments(tree: nodes.Template, problems: list[str]) -> None:
    """`{% set %}` may hold literals and placeholders, not earlier `set` values: chains of
    `{% set b = a ~ a %}` double the text at each step."""
    assigned = {n.target.name for n in tree.find_all(nodes.Assign) if isinstance(n.target, nodes.Name)}
    for assign in tree.find_all(nodes.Assign):
        used = {n.name for n in assign.node.find_all(nodes.Name) if n.ctx == "load"}
        if used & assigned:
            problems.append(f"'set' may not build on another 'set' value ({sorted(used & assigned)[0]})")
            return


def _check_names(tree: nodes.Template, listed: tuple[str, ...], known_facts: Iterable[str],
                 problems: list[str]) -> None:
    """Any fact of any signal is accepted (it renders empty where the reason lacks it), so a
    rules change that moves a fact never blocks saving; a misspelt name is refused."""
    known = set(listed) | set(known_facts) | _assigned_names(tree) | {"loop"}
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in known:
            problems.append(f"unknown placeholder {{{{ {name.name} }}}}; this text can use: "
                            + (", ".join(sorted(listed)) or "no placeholders"))
            return


# ------------------------------------------------------------------ step 3: rendering

def _contexts(placeholders: Iterable[Placeholder]) -> list[dict[str, object]]:
    chosen = tuple(placeholders)
    examples = {p.name: tuple(p.example) if isinstance(p.example, list) else p.example for p in chosen}
    empty = {p.name: (False if p.kind == "flag" else () if p.kind == "list" else "") for p in chosen}
    longest = {p.name: (True if p.kind == "flag" else (LONG_FACT,) * 5 if p.kind == "list" else LONG_FACT)
               for p in chosen}
    return [examples, empty, longest]


def render_check(source: str, placeholders: Iterable[Placeholder]) -> list[str]:
    """Renders with banner.py's own compile and context functions, as HTML and as text."""
    problems: list[str] = []
    for facts in _contexts(placeholders):
        for html in (True, False):
            # The work the template makes, in this thread's CPU time and without its compilation:
            # a busy machine (wall-clock time) must not refuse a text that renders in microseconds.
            try:
                template = compile_template(source, html)
                started = time.thread_time()
                output = template.render(template_context(facts))
            except Exception as exc:  # any failure of an editor's template is a reason to refuse it
                return [f"it fails to render: {type(exc).__name__}: {exc}"]
            if time.thread_time() - started > MAX_RENDER_SECONDS:
                return ["it takes too long to render"]
            if len(output) > MAX_OUTPUT_CHARS:
                return [f"it renders more than {MAX_OUTPUT_CHARS} characters"]
    return problems


def check_template(source: str, placeholders: Iterable[Placeholder], known_facts: Iterable[str] = ()) -> None:
    """Raises TextRejected with the first problem found; returns when the text may be saved.
    `placeholders` are the ones listed for this field; `known_facts` every other accepted name."""
    chosen = tuple(placeholders)
    if len(source) > MAX_SOURCE_CHARS:
        raise TextRejected(f"the text is longer than {MAX_SOURCE_CHARS} characters")
    try:
        tree = _parser.parse(source)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise TextRejected(f"syntax error{f' on line {line}' if line else ''}: {exc.message}") from None
    problems: list[str] = []
    _check_node(tree, 0, problems)
    if not problems:
        _check_assignments(tree, problems)
    if not problems:
        _check_names(tree, tuple(p.name for p in chosen), known_facts, problems)
    if not problems:
        problems = render_check(source, chosen)
    if problems:
        raise TextRejected(problems[0])


def field_placeholders(catalog: PlaceholderCatalog, section: str, key: str) -> tuple[Placeholder, ...]:
    return catalog.for_banner() if section == "banner" else catalog.for_reason(key)


def check_edits(edits: Mapping[str, Any], catalog: PlaceholderCatalog) -> dict[str, str]:
    """{locale: {"banner": {level: {field: text}}, "reasons": {id: {field: text}}}} ->
    {"locale.section.key.field": problem} for every text that may not be saved."""
    problems = {}
    for locale, data in edits.items():
        for section in ("banner", "reasons"):
            for key, fields in ((data or {}).get(section) or {}).items():
                for field, text in (fields or {}).items():
                    if not isinstance(text, str):
                        problems[f"{locale}.{section}.{key}.{field}"] = "must be text"
                        continue
                    try:
                        check_template(text, field_placeholders(catalog, section, str(key)), catalog.facts)
                    except TextRejected as exc:
                        problems[f"{locale}.{section}.{key}.{field}"] = str(exc)
    return problems
