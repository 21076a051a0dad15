"""Organisation settings the awareness team edits in the admin console, kept in Redis.

Each field overrides the deployment setting of the same meaning (config.py) once someone saves
it, so an installation works from environment variables alone and the console can take over
later. Long-running readers keep a `LiveSettings`: the settings with the overrides applied,
reread from Redis every few seconds, so a saved value reaches every web worker and the delivery
worker within INVITEGUARD_SETTINGS_REFRESH_SECONDS: reports (`report_reporters_needed`,
`own_domains`, simulation matchers) and delivery (`soc_smtp_to`, `report_webhook_url`) need no
knowledge of this module beyond `current()`.
`org_name` and `soc_contact` are the `{{ org_name }}` / `{{ soc_contact }}` placeholders of the
banner texts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import redis

from .config import Settings

log = logging.getLogger(__name__)

ORG_KEY = "ig:admin:org"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 field name: printable ASCII except ':'
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ADDRESS = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
TEXT_LIMITS = {"org_name": 120, "soc_contact": 200, "simulation_headers": 2000, "simulation_sender_domains": 2000,
               "own_domains": 2000, "soc_smtp_to": 1000, "report_webhook_url": 2000}
# Organisation fields that override a deployment setting of the same name.
OVERRIDES = ("report_reporters_needed", "own_domains", "simulation_headers", "simulation_sender_domains",
             "soc_smtp_to", "report_webhook_url")


class OrgSettingsError(ValueError):
    """A value we refuse; `field` names the form field it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class OrgSettings:
    org_name: str = ""
    soc_contact: str = ""
    report_reporters_needed: int | None = None  # None: the deployment setting
    own_domains: str | None = None
    simulation_headers: str | None = None
    simulation_sender_domains: str | None = None
    soc_smtp_to: str | None = None
    report_webhook_url: str | None = None
    updated_by: str = ""
    updated_at: float = 0.0

    def banner_context(self) -> dict[str, str]:
        """What banner texts see as `{{ org_name }}` and `{{ soc_contact }}`."""
        return {"org_name": self.org_name, "soc_contact": self.soc_contact}


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise OrgSettingsError(name, "must be text")
    value = value.strip()
    if _CONTROL.search(value):
        raise OrgSettingsError(name, "must be one line without control characters")
    if len(value) > TEXT_LIMITS[name]:
        raise OrgSettingsError(name, f"must be at most {TEXT_LIMITS[name]} characters")
    return value


def header_matcher_items(setting: str) -> tuple[tuple[str, str], ...]:
    """`"X-PHISHTEST: 7f3a; X-Simulation"` -> (name, value) pairs, lower-case name, case-folded
    value; a bare name has the value "" (any value)."""
    items = []
    for item in setting.split(";"):
        name, _, value = item.partition(":")
        if name.strip():
            items.append((name.strip().lower(), value.strip().casefold()))
    return tuple(items)


def sender_domain_items(setting: str) -> frozenset[str]:
    """`"drills.example, phish.test."` -> the lower-case domains."""
    return frozenset(d.strip().lower().rstrip(".") for d in setting.split(",") if d.strip())


def _check_simulation_headers(value: str) -> None:
    for name, _ in header_matcher_items(value):
        if not _HEADER_NAME.match(name):
            raise OrgSettingsError("simulation_headers", f"{name!r} is not a header name")


def _check_domains(value: str, field: str) -> None:
    for domain in sender_domain_items(value):
        if not _DOMAIN.match(domain):
            raise OrgSettingsError(field, f"{domain!r} is not a domain name")


def _check_addresses(value: str) -> None:
    for address in (a.strip() for a in value.split(",") if a.strip()):
        if not _ADDRESS.match(address):
            raise OrgSettingsError("soc_smtp_to", f"{address!r} is not an e-mail address")


def _check_webhook(value: str) -> None:
    if not value:
        return
    parts = urlsplit(value)
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and local)):
        raise OrgSettingsError("report_webhook_url", "must be an https:// URL (http only for localhost)")


def _reporters(data: Mapping[str, Any]) -> int | None:
    value = data.get("report_reporters_needed")
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise OrgSettingsError("report_reporters_needed", "must be a whole number") from None
    if isinstance(value, bool) or not 1 <= number <= 1000:
        raise OrgSettingsError("report_reporters_needed", "must be between 1 and 1000")
    return number


def org_settings_from(data: Mapping[str, Any], author: str, now: float) -> OrgSettings:
    """Validates a submitted form; raises OrgSettingsError naming the first bad field."""
    texts = {name: _text(data, name) for name in TEXT_LIMITS}
    _check_simulation_headers(texts["simulation_headers"] or "")
    _check_domains(texts["simulation_sender_domains"] or "", "simulation_sender_domains")
    _check_domains(texts["own_domains"] or "", "own_domains")
    _check_addresses(texts["soc_smtp_to"] or "")
    _check_webhook(texts["report_webhook_url"] or "")
    return OrgSettings(
        org_name=texts["org_name"] or "", soc_contact=texts["soc_contact"] or "",
        report_reporters_needed=_reporters(data), own_domains=texts["own_domains"],
        simulation_headers=texts["simulation_headers"],
        simulation_sender_domains=texts["simulation_sender_domains"], soc_smtp_to=texts["soc_smtp_to"],
        report_webhook_url=texts["report_webhook_url"], updated_by=author, updated_at=now)


def load_org_settings(client: Any) -> OrgSettings:
    blob = client.get(ORG_KEY)
    if blob is None:
        return OrgSettings()
    data = json.loads(blob)
    known = {f.name for f in dataclasses.fields(OrgSettings)}
    return OrgSettings(**{k: v for k, v in data.items() if k in known})


def save_org_settings(client: Any, data: Mapping[str, Any], author: str) -> OrgSettings:
    org = org_settings_from(data, author, time.time())
    client.set(ORG_KEY, json.dumps(dataclasses.asdict(org), ensure_ascii=False))
    return org


def apply_overrides(settings: Settings, org: OrgSettings) -> Settings:
    """`settings` with every organisation field someone has set (not None) in its place."""
    changes = {name: getattr(org, name) for name in OVERRIDES if getattr(org, name) is not None}
    return dataclasses.replace(settings, **changes)


def effective_settings(client: Any, settings: Settings) -> Settings:
    """The deployment settings with the console's overrides; for reports and delivery."""
    return apply_overrides(settings, load_org_settings(client))


class LiveSettings:
    """The deployment settings with the console's overrides as they are now: reread from Redis at
    most every `refresh_seconds`; while Redis cannot be read, the last values read (at first the
    deployment's own) stay in force."""

    def __init__(self, base: Settings, client: Callable[[], Any], refresh_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.base = base
        self.client = client
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._value = base
        self._digest = _digest(base)
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> Settings:
        return self.current_with_digest()[0]

    def current_with_digest(self) -> tuple[Settings, str]:
        """The settings and a digest of them: equal settings, equal digests, in every process
        (answers kept for exact copies are fenced by it, so they follow a change in seconds)."""
        with self._lock:
            if self.clock() - self._read_at >= self.refresh_seconds:
                self._read_at = self.clock()
                try:
                    value = apply_overrides(self.base, load_org_settings(self.client()))
                    if value != self._value:
                        self._value, self._digest = value, _digest(value)
                except (redis.RedisError, ValueError, TypeError) as exc:
                    log.warning("console settings not reread (keeping the last ones): %s", type(exc).__name__)
            return self._value, self._digest


def _digest(settings: Settings) -> str:
    return hashlib.sha256(repr(settings).encode("utf-8", "surrogatepass")).hexdigest()[:24]
