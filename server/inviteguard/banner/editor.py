"""The banner editor's data work, without Flask: diffs between versions, the YAML export and
import, and the live preview (which renders with banner.py's `response_body`, the very function
the analyze API answers with).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from ..detect.model import Reason, Verdict
from .render import NOTIFICATION_LIMIT, render, response_body, with_organisation
from .texts import BANNER_FIELDS, FALLBACK_LOCALE, LEVELS, REASON_FIELDS, LocaleTexts, build_texts, merge_texts

EXPORT_FORMAT = 1
IMPORT_LIMIT_BYTES = 2 * 1024 * 1024
EDITABLE_LEVELS = tuple(level for level in LEVELS if level != "clean")  # a clean message shows no banner


@dataclass(frozen=True)
class FieldChange:
    field: str  # "de.reasons.callback.phone.detail"
    before: str
    after: str

    def as_json(self) -> dict[str, str]:
        diff = difflib.unified_diff(self.before.splitlines(), self.after.splitlines(), "before", "after",
                                    lineterm="", n=1)
        return {"field": self.field, "before": self.before, "after": self.after, "diff": "\n".join(diff)}


def flatten(raw: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """{locale: {"banner", "reasons"}} -> {"locale.section.key.field": text}."""
    flat = {}
    for locale, data in raw.items():
        for section in ("banner", "reasons"):
            for key, fields in (data.get(section) or {}).items():
                for field, text in (fields or {}).items():
                    flat[f"{locale}.{section}.{key}.{field}"] = text
    return flat


Raw = Mapping[str, Mapping[str, Any]]  # {locale: {"banner": {...}, "reasons": {...}}}


def changes_between(before: Raw, after: Raw) -> list[FieldChange]:
    old, new = flatten(before), flatten(after)
    return [FieldChange(name, old.get(name, ""), new.get(name, ""))
            for name in sorted(old.keys() | new.keys()) if old.get(name, "") != new.get(name, "")]


def edits_over(defaults: Raw, wanted: Raw) -> dict[str, Any]:
    """Only the fields of `wanted` that differ from the shipped `defaults`: an import that
    repeats a default leaves it a default, so a later release's improved wording still shows."""
    edits: dict[str, Any] = {}
    for locale, data in wanted.items():
        for section in ("banner", "reasons"):
            for key, fields in (data.get(section) or {}).items():
                shipped = ((defaults.get(locale) or {}).get(section) or {}).get(key) or {}
                for field, text in fields.items():
                    if shipped.get(field) != text:
                        entry = edits.setdefault(locale, {"banner": {}, "reasons": {}})
                        entry[section].setdefault(key, {})[field] = text
    return edits


# ------------------------------------------------------------------ YAML export and import

def export_yaml(raw: Mapping[str, Mapping[str, Any]], version: int) -> str:
    body = {"format": EXPORT_FORMAT, "version": version,
            "locales": {locale: {"banner": {level: dict(data.get("banner", {}).get(level, {}))
                                            for level in EDITABLE_LEVELS},
                                 "reasons": {rid: dict(fields)
                                             for rid, fields in sorted(data.get("reasons", {}).items())}}
                        for locale, data in sorted(raw.items())}}
    header = ("# InviteGuard banner texts, exported from version {v}. Edit, review, then import in the admin\n"
              "# console (Banner text -> Import YAML). Placeholders: see the console or banner/placeholders.yaml.\n")
    return header.format(v=version) + yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=100)


class ImportRejected(ValueError):
    """The YAML file cannot be imported; the message says where."""


def _strings(where: str, value: object, allowed: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ImportRejected(f"{where} must be a mapping")
    out = {}
    for field, text in value.items():
        if field not in allowed:
            raise ImportRejected(f"{where}: unknown field {field!r} (fields: {', '.join(allowed)})")
        if not isinstance(text, str):
            raise ImportRejected(f"{where}.{field} must be text")
        out[str(field)] = text
    return out


def parse_import(text: str, locales: set[str], reason_ids: set[str]) -> dict[str, dict[str, Any]]:
    """An exported file -> {locale: {"banner", "reasons"}}; structure only (texts are checked by
    text_checks like any edit). Unknown locales, levels, reasons and fields are refused, not dropped."""
    if len(text.encode("utf-8", "replace")) > IMPORT_LIMIT_BYTES:
        raise ImportRejected("the file is larger than 2 MB")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ImportRejected(f"not valid YAML: {exc}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("locales"), Mapping):
        raise ImportRejected("expected a mapping with a 'locales' section (as the export writes)")
    if data.get("format", EXPORT_FORMAT) != EXPORT_FORMAT:
        raise ImportRejected(f"unknown format {data.get('format')!r}")
    parsed: dict[str, dict[str, Any]] = {}
    for locale, content in data["locales"].items():
        if locale not in locales:
            raise ImportRejected(f"unknown locale {locale!r} (known: {', '.join(sorted(locales))})")
        if not isinstance(content, Mapping):
            raise ImportRejected(f"{locale} must be a mapping")
        banner, reasons = content.get("banner") or {}, content.get("reasons") or {}
        if not isinstance(banner, Mapping) or not isinstance(reasons, Mapping):
            raise ImportRejected(f"{locale}: banner and reasons must be mappings")
        entry: dict[str, Any] = {"banner": {}, "reasons": {}}
        for level, fields in banner.items():
            if level not in EDITABLE_LEVELS:
                raise ImportRejected(f"{locale}.banner: unknown level {level!r}")
            entry["banner"][level] = _strings(f"{locale}.banner.{level}", fields, BANNER_FIELDS)
        for reason_id, fields in reasons.items():
            if reason_id not in reason_ids:
                raise ImportRejected(f"{locale}.reasons: unknown reason {reason_id!r}")
            entry["reasons"][reason_id] = _strings(f"{locale}.reasons.{reason_id}", fields, REASON_FIELDS)
        parsed[str(locale)] = entry
    return parsed


# ------------------------------------------------------------------ preview

def draft_texts(live: Mapping[str, Mapping[str, Any]], locale: str, draft: Mapping[str, Any]) -> LocaleTexts:
    """The live texts of `locale` with the editor's unsaved `draft` over them, completed from
    English exactly as the store completes saved texts."""
    raw = {FALLBACK_LOCALE: live[FALLBACK_LOCALE], locale: merge_texts(live[locale], draft)}
    return build_texts(raw)[locale]


def preview_verdict(verdict: Verdict, focus: str | None, level: str) -> tuple[Verdict, bool]:
    """The sample's verdict shown at `level`, with the reason being edited as the strongest one
    (the banner names only the strongest). Returns whether the sample really has that reason;
    when it does not, the reason is shown without facts."""
    reasons = list(verdict.reasons)
    present = True
    if focus:
        found = next((r for r in reasons if r.id == focus), None)
        present = found is not None
        reasons = [found or Reason(focus, 0, {})] + [r for r in reasons if r.id != focus]
    return dataclasses.replace(verdict, level=level, reasons=tuple(reasons)), present


def preview_body(verdict: Verdict, fingerprint: str, texts: LocaleTexts, focus: str | None,
                 level: str, organisation: Mapping[str, str]) -> dict[str, Any]:
    shown, present = preview_verdict(verdict, focus, level)
    body = response_body(shown, fingerprint, {texts.locale: texts}, texts.locale, cached=False,
                         organisation=organisation)
    top = shown.reasons[0] if shown.reasons else None
    source = texts.reasons[top.id].notification if top and top.id in texts.reasons else ""
    untrimmed = render(source, with_organisation(top.evidence, organisation), html=False) if top else ""
    body["preview"] = {"focus_present": present, "sample_verdict": verdict.level,
                       "notification_length": len(body["banner"]["notification"]),
                       "notification_untrimmed_length": len(untrimmed), "notification_limit": NOTIFICATION_LIMIT}
    return body
