"""Banner texts: the shipped defaults in banner/locales/<locale>.yaml, edits layered over them, and
which locale a reader gets.

Every locale is completed from English, so a reason the translators have not reached yet still
explains itself (in English) instead of showing its id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

TEXTS_DIR = Path(__file__).resolve().parent / "locales"
FALLBACK_LOCALE = "en"
LEVELS = ("phishing", "suspicious", "clean")
REASON_FIELDS = ("title", "detail", "notification")
BANNER_FIELDS = ("title", "text")


@dataclass(frozen=True)
class ReasonText:
    title: str
    detail: str
    notification: str


@dataclass(frozen=True)
class LocaleTexts:
    locale: str
    banner: Mapping[str, Mapping[str, str]]  # level -> {"title", "text"}
    reasons: Mapping[str, ReasonText]


def _strings(data: object, fields: Iterable[str], where: str) -> dict[str, str]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} must be a mapping")
    out = {}
    for name in fields:
        value = data.get(name, "")
        if not isinstance(value, str):
            raise ValueError(f"{where}.{name} must be a string")
        out[name] = value
    return out


def merge_texts(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` wins field by field; what it leaves out comes from `base`."""
    merged: dict[str, Any] = {"locale": override.get("locale", base.get("locale"))}
    for section in ("banner", "reasons"):
        combined: dict[str, dict[str, str]] = {}
        for source in (base.get(section) or {}, override.get(section) or {}):
            for key, fields in source.items():
                combined.setdefault(key, {}).update(fields or {})
        merged[section] = combined
    return merged


def locale_texts_from(data: Mapping[str, Any], locale: str) -> LocaleTexts:
    """Validates one locale's raw data (YAML or an admin edit) into LocaleTexts."""
    banner_raw = data.get("banner") or {}
    reasons_raw = data.get("reasons") or {}
    if not isinstance(banner_raw, Mapping) or not isinstance(reasons_raw, Mapping):
        raise ValueError(f"{locale}: banner and reasons must be mappings")
    banner = {level: MappingProxyType(_strings(banner_raw.get(level, {}), BANNER_FIELDS,
                                               f"{locale}.banner.{level}"))
              for level in LEVELS}
    reasons = {str(rid): ReasonText(**_strings(fields, REASON_FIELDS, f"{locale}.reasons.{rid}"))
               for rid, fields in reasons_raw.items()}
    return LocaleTexts(locale, MappingProxyType(banner), MappingProxyType(reasons))


def load_raw_defaults(texts_dir: Path = TEXTS_DIR) -> dict[str, dict[str, Any]]:
    """{locale: raw mapping} from every <locale>.yaml shipped in `texts_dir`."""
    raw = {}
    for path in sorted(texts_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, Mapping):
            raise ValueError(f"{path} must hold a mapping")
        raw[str(data.get("locale") or path.stem).lower()] = dict(data)
    return raw


def build_texts(raw: Mapping[str, Mapping[str, Any]]) -> dict[str, LocaleTexts]:
    """Every locale completed from English."""
    english = raw.get(FALLBACK_LOCALE, {})
    built = {locale: locale_texts_from(data if locale == FALLBACK_LOCALE else merge_texts(english, data),
                                       locale)
             for locale, data in raw.items()}
    return built or {FALLBACK_LOCALE: locale_texts_from({}, FALLBACK_LOCALE)}


def load_default_texts(texts_dir: Path = TEXTS_DIR) -> dict[str, LocaleTexts]:
    return build_texts(load_raw_defaults(texts_dir))


def content_hash(raw: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]


def locale_candidates(requested: str | None) -> list[str]:
    """"de-AT" -> ["de-at", "de"]; "pt_BR" -> ["pt-br", "pt"]."""
    if not requested:
        return []
    tag = requested.strip().replace("_", "-").lower()
    subtags = [s for s in tag.split("-") if s]
    return ["-".join(subtags[:n]) for n in range(len(subtags), 0, -1)]


def resolve_locale(requested: Iterable[str | None], available: Iterable[str],
                   default: str = FALLBACK_LOCALE) -> str:
    """The first requested locale we have, trying each one's parents (de-AT -> de), else `default`,
    else English."""
    have = set(available)
    for wish in requested:
        for candidate in locale_candidates(wish):
            if candidate in have:
                return candidate
    return default if default in have else FALLBACK_LOCALE
