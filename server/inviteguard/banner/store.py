"""Banner texts, versioned in Redis so an edit takes effect on the next request in every worker.

Version 0 is what ships in banner/locales/*.yaml. Each save or rollback writes a new numbered
version holding the complete set of edits (per locale, per reason, per field) over the shipped
defaults; `ig:texts:current` names the live one. Every request reads that one small key, and a
worker loads a version's edits only the first time it sees it. The cache key carries
`version()`, so verdicts rendered with old texts are never served after an edit.

Redis down: readers get the shipped defaults and are told so (degraded); saves fail loudly.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from jinja2 import TemplateError

from ..runtime.redis_conn import RedisGate
from .render import compile_template
from .texts import (
    BANNER_FIELDS,
    LEVELS,
    REASON_FIELDS,
    TEXTS_DIR,
    LocaleTexts,
    build_texts,
    content_hash,
    load_raw_defaults,
    merge_texts,
    resolve_locale,
)

CURRENT_KEY = "ig:texts:current"
SEQUENCE_KEY = "ig:texts:seq"
HISTORY_KEY = "ig:texts:history"  # sorted set: version -> version
VERSION_KEY = "ig:texts:v:{}"


@dataclass(frozen=True)
class TextsSnapshot:
    version: str  # "<number>.<hash of the shipped defaults>": a deploy with new defaults counts too
    texts: Mapping[str, LocaleTexts]
    degraded: bool = False


@dataclass(frozen=True)
class VersionInfo:
    version: int
    author: str
    saved_at: float
    locales: tuple[str, ...]
    note: str


def _validate_edits(edits: Mapping[str, Any], known_locales: set[str]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for locale, data in edits.items():
        if locale not in known_locales:
            raise ValueError(f"unknown locale {locale!r}")
        if not isinstance(data, Mapping):
            raise ValueError(f"{locale}: edits must be a mapping")
        entry: dict[str, dict[str, dict[str, str]]] = {"banner": {}, "reasons": {}}
        sections = (("banner", LEVELS, BANNER_FIELDS), ("reasons", None, REASON_FIELDS))
        for section, allowed_keys, fields in sections:
            for key, values in (data.get(section) or {}).items():
                if allowed_keys is not None and key not in allowed_keys:
                    raise ValueError(f"{locale}.{section}: unknown key {key!r}")
                if not isinstance(values, Mapping):
                    raise ValueError(f"{locale}.{section}.{key} must be a mapping")
                for field, text in values.items():
                    if field not in fields or not isinstance(text, str):
                        raise ValueError(f"{locale}.{section}.{key}.{field} is not an editable text")
                    try:
                        compile_template(text, html=True)
                    except TemplateError as exc:
                        raise ValueError(f"{locale}.{section}.{key}.{field}: {exc}") from None
                    entry[section].setdefault(str(key), {})[field] = text
        clean[locale] = entry
    return clean


class BannerStore:
    def __init__(self, gate: RedisGate, texts_dir: Path = TEXTS_DIR) -> None:
        self.gate = gate
        self.defaults_raw = load_raw_defaults(texts_dir)
        self.defaults_hash = content_hash(self.defaults_raw)
        self.defaults = build_texts(self.defaults_raw)
        self._built: dict[int, Mapping[str, LocaleTexts]] = {0: self.defaults}
        self._lock = threading.Lock()

    # ---- reading (every request)

    def _edits(self, client: Any, number: int) -> dict[str, Any]:
        blob = client.get(VERSION_KEY.format(number))
        if blob is None:
            raise KeyError(f"banner text version {number} does not exist")
        return json.loads(blob)["edits"]

    def _texts_of(self, client: Any, number: int) -> Mapping[str, LocaleTexts]:
        built = self._built.get(number)
        if built is None:
            edits = self._edits(client, number)
            raw = {locale: merge_texts(data, edits.get(locale, {}))
                   for locale, data in self.defaults_raw.items()}
            built = build_texts(raw)
            with self._lock:
                self._built[number] = built
        return built

    def snapshot(self) -> TextsSnapshot:
        """The live texts and their version; the shipped defaults (degraded) when Redis fails."""
        try:
            client = self.gate.client()
            current = client.get(CURRENT_KEY)
            number = int(current or 0)
            return TextsSnapshot(f"{number}.{self.defaults_hash}", self._texts_of(client, number))
        except (redis.RedisError, KeyError, ValueError):
            self.gate.failed()
            return TextsSnapshot(f"0.{self.defaults_hash}", self.defaults, degraded=True)

    def get_texts(self, locale: str) -> LocaleTexts:
        """The live texts for `locale`, falling back as readers do (de-AT -> de -> en)."""
        texts = self.snapshot().texts
        return texts[resolve_locale([locale], texts.keys())]

    def version(self) -> str:
        return self.snapshot().version

    # ---- the admin console's operations

    def _current_edits(self, client: Any) -> dict[str, Any]:
        number = int(client.get(CURRENT_KEY) or 0)
        return self._edits(client, number) if number else {}

    def _publish(self, client: Any, edits: Mapping[str, Any], author: str, note: str) -> int:
        number = int(client.incr(SEQUENCE_KEY))
        record = {"edits": edits, "author": author, "saved_at": time.time(), "note": note,
                  "locales": sorted(edits)}
        pipe = client.pipeline(transaction=False)
        pipe.set(VERSION_KEY.format(number), json.dumps(record, ensure_ascii=False))
        pipe.zadd(HISTORY_KEY, {str(number): number})
        pipe.execute()
        # The version is complete before it goes live, so no reader ever sees half of it.
        client.set(CURRENT_KEY, number)
        return number

    def save(self, locale_texts: Mapping[str, Any], author: str) -> int:
        """Publishes edits ({locale: {"banner": {...}, "reasons": {...}}}) over the live ones;
        returns the new version number. Raises ValueError for an unknown locale or broken template."""
        edits = _validate_edits(locale_texts, set(self.defaults_raw))
        client = self.gate.client()
        combined = self._current_edits(client)
        for locale, data in edits.items():
            combined[locale] = merge_texts(combined.get(locale, {}), data)
            combined[locale].pop("locale", None)
        return self._publish(client, combined, author, note="edit")

    def versions(self) -> list[VersionInfo]:
        """Newest first; version 0, the shipped defaults, last."""
        client = self.gate.client()
        numbers = [int(n) for n in client.zrevrange(HISTORY_KEY, 0, -1)]
        infos = []
        for number in numbers:
            blob = client.get(VERSION_KEY.format(number))
            if blob is not None:
                record = json.loads(blob)
                infos.append(VersionInfo(number, record["author"], record["saved_at"],
                                         tuple(record["locales"]), record["note"]))
        infos.append(VersionInfo(0, "shipped defaults", 0.0, tuple(sorted(self.defaults_raw)), "defaults"))
        return infos

    def replace_all(self, locale_texts: Mapping[str, Any], author: str, note: str) -> int:
        """Publishes `locale_texts` as the complete set of edits (a YAML import): what it leaves
        out reverts to the shipped defaults."""
        edits = _validate_edits(locale_texts, set(self.defaults_raw))
        return self._publish(self.gate.client(), edits, author, note=note)

    def current_number(self) -> int:
        return int(self.gate.client().get(CURRENT_KEY) or 0)

    def effective_raw(self, version: int) -> dict[str, dict[str, Any]]:
        """{locale: {"banner", "reasons"}}: the shipped defaults with `version`'s edits over them,
        before English fills the gaps (what an editor sees and exports)."""
        edits = self._edits(self.gate.client(), version) if version else {}
        return {locale: merge_texts(data, edits.get(locale, {})) for locale, data in self.defaults_raw.items()}

    def previous_number(self, version: int) -> int:
        """The version that was live before `version` was published (0: the shipped defaults)."""
        earlier = self.gate.client().zrevrangebyscore(HISTORY_KEY, f"({version}", "-inf", start=0, num=1)
        return int(earlier[0]) if earlier else 0

    def rollback(self, version: int, author: str = "rollback") -> int:
        """Makes the texts of `version` live again as a new version (history is never rewritten)."""
        client = self.gate.client()
        edits = self._edits(client, version) if version else {}
        return self._publish(client, edits, author, note=f"rollback to {version}")
