"""Verdict -> what the reader sees: a banner (html, text, <=150-char notification) and the reasons.

Reason and banner texts are Jinja2 templates edited by the awareness team, so they run in a
SandboxedEnvironment. Evidence values come from the attacker (subject, organizer name, phone as
written, brand, amount): they are only ever template *variables*, escaped in HTML, stripped of
bidi and other invisible controls, never compiled as templates.
"""

from __future__ import annotations

import hashlib
import re
from base64 import b64encode
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import escape

from ..detect.model import EvidenceValue, Verdict
from .texts import FALLBACK_LOCALE, LocaleTexts, ReasonText, resolve_locale

NOTIFICATION_LIMIT = 150  # Outlook's notification message (infobar) limit
BANNER_REASONS = 1  # the banner says why with the strongest reason; the response carries all
VALUE_LIMIT = 200
SHORT_VALUE_LIMIT = 32  # when a notification overflows, facts are shortened before the text is cut
LEVEL_OF = {"phishing": "danger", "suspicious": "warning", "clean": "none"}

# Bidi embeddings, overrides and isolates (U+202A-E, U+2066-9) and marks let an attacker reorder
# what a reader sees ("moc.lapyap"); other controls hide text. Both are removed from facts.
_HIDDEN = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")

_html_env = SandboxedEnvironment(autoescape=True)
_text_env = SandboxedEnvironment(autoescape=False)

BANNER_STYLE = """\
.ig-banner{display:flex;gap:.75em;align-items:flex-start;box-sizing:border-box;margin:0 0 .75em;\
padding:.75em 1em;border:2px solid;border-left-width:.5em;border-radius:6px;\
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;text-align:start}
.ig-banner--danger{background:#fdecea;border-color:#b3261e;color:#410e0b}
.ig-banner--warning{background:#fff4e5;border-color:#9a5b00;color:#3d2600}
.ig-banner__icon{flex:none;width:1.75em;height:1.75em}
.ig-banner--danger .ig-banner__icon{color:#b3261e}.ig-banner--warning .ig-banner__icon{color:#9a5b00}
.ig-banner__title{margin:0 0 .25em;font-weight:700;font-size:1.05em}
.ig-banner__text{margin:0}
.ig-banner__reasons{margin:.5em 0 0;padding-left:1.2em}
.ig-banner__reasons li{margin:.2em 0}
@media (prefers-color-scheme:dark){
.ig-banner--danger{background:#3b0d0c;border-color:#f2b8b5;color:#fde7e5}
.ig-banner--warning{background:#362400;border-color:#ffcc80;color:#ffecc9}
.ig-banner--danger .ig-banner__icon{color:#f2b8b5}.ig-banner--warning .ig-banner__icon{color:#ffcc80}}
"""
# CSP pages that show the banner allow exactly this stylesheet by hash, not 'unsafe-inline'.
BANNER_STYLE_CSP_HASH = "'sha256-" + b64encode(hashlib.sha256(BANNER_STYLE.encode()).digest()).decode() + "'"

_ICONS = {
    # An octagon for danger and a triangle for a warning: the shape differs, not only the colour.
    "danger": '<path fill="currentColor" d="M7.9 1h8.2L23 7.9v8.2L16.1 23H7.9L1 16.1V7.9z"/>'
              '<path fill="#fff" d="M11 5.5h2v9h-2zM11 16.5h2v2h-2z"/>',
    "warning": '<path fill="currentColor" d="M12 1.5 23.5 22h-23z"/>'
               '<path fill="#fff" d="M11 8.5h2v7h-2zM11 17.2h2v2h-2z"/>',
}


class FactList(tuple[str, ...]):
    """A tuple fact that prints as "a, b" when a template shows it whole, and still loops/joins."""

    def __str__(self) -> str:
        return ", ".join(self)


def inert(value: EvidenceValue, limit: int = VALUE_LIMIT) -> str:
    """A fact as plain, single-line text with nothing that can reorder or hide what a reader sees."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, tuple | list):
        text = ", ".join(str(v) for v in value)
    else:
        text = str(value)
    text = _SPACE.sub(" ", _HIDDEN.sub("", text)).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def template_value(value: EvidenceValue, limit: int = VALUE_LIMIT) -> object:
    """What a template sees for a fact: strings made inert (autoescape escapes them in HTML),
    booleans and numbers kept so `{% if authenticated %}` and `{% if amount %}` mean what they say."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, tuple | list):
        return FactList(inert(v, limit) for v in value)
    return inert(value, limit)


def template_context(evidence: Mapping[str, EvidenceValue], limit: int = VALUE_LIMIT) -> dict[str, Any]:
    return {key: template_value(value, limit) for key, value in evidence.items()}


@lru_cache(maxsize=4096)
def compile_template(source: str, html: bool) -> Template:
    """Compiled once per distinct text; raises TemplateError for a broken one (the admin checks)."""
    return (_html_env if html else _text_env).from_string(source)


RENDERINGS_KEPT = 2048  # texts rendered with their facts: a campaign's copies render the same ones


def render(source: str, evidence: Mapping[str, EvidenceValue], html: bool, limit: int = VALUE_LIMIT) -> str:
    if not source:
        return ""
    # Each fact with its type: True and 1 are equal keys, but a text shows them differently.
    return _rendered(source, tuple((name, type(value), value) for name, value in evidence.items()), html, limit)


@lru_cache(maxsize=RENDERINGS_KEPT)
def _rendered(source: str, facts: tuple[tuple[str, type, EvidenceValue], ...], html: bool, limit: int) -> str:
    """A text rendered with these facts: a pure function of them, kept, so the thousand copies of
    one campaign answered from the verdict cache do not render the same reasons a thousand times."""
    try:
        rendered = compile_template(source, html).render(
            template_context({name: value for name, _, value in facts}, limit))
    except TemplateError:
        # A broken edit must not take the banner down; its raw text is still better than nothing.
        rendered = str(escape(source)) if html else source
    return rendered.strip()


def _reason_text(texts: LocaleTexts, reason_id: str) -> ReasonText:
    return texts.reasons.get(reason_id) or ReasonText(reason_id, "", "")


def with_organisation(evidence: Mapping[str, EvidenceValue],
                      organisation: Mapping[str, str] | None) -> Mapping[str, EvidenceValue]:
    """The facts a text sees: the reason's evidence plus the admin console's `org_name` and
    `soc_contact` (organisation facts win: evidence must never impersonate them)."""
    return {**evidence, **organisation} if organisation else evidence


def notification(verdict: Verdict, texts: LocaleTexts, organisation: Mapping[str, str] | None = None) -> str:
    """At most 150 characters that still name the key fact: facts shrink before the text is cut."""
    if verdict.level == "clean":
        return ""
    top = verdict.reasons[0] if verdict.reasons else None
    source = _reason_text(texts, top.id).notification if top else ""
    evidence = top.evidence if top else {}
    if not source:
        source, evidence = texts.banner[verdict.level]["title"], {}
    evidence = with_organisation(evidence, organisation)
    text = render(source, evidence, html=False)
    if len(text) > NOTIFICATION_LIMIT:
        text = render(source, evidence, html=False, limit=SHORT_VALUE_LIMIT)
    text = _SPACE.sub(" ", text)
    if len(text) > NOTIFICATION_LIMIT:
        text = text[: NOTIFICATION_LIMIT - 1].rstrip() + "…"
    return text


def _banner_html(level: str, title: str, text: str, details: list[str], locale: str) -> str:
    reasons = "".join(f"<li>{detail}</li>" for detail in details if detail)
    return (f'<div class="ig-banner ig-banner--{level}" role="alert" lang="{escape(locale)}" dir="ltr">'
            f"<style>{BANNER_STYLE}</style>"
            f'<svg class="ig-banner__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
            f"{_ICONS[level]}</svg>"
            f'<div class="ig-banner__body"><p class="ig-banner__title">{title}</p>'
            f'<p class="ig-banner__text">{text}</p>'
            + (f'<ul class="ig-banner__reasons">{reasons}</ul>' if reasons else "")
            + "</div></div>")


def banner(verdict: Verdict, texts: LocaleTexts, organisation: Mapping[str, str] | None = None) -> dict[str, str]:
    level = LEVEL_OF[verdict.level]
    if level == "none":
        return {"level": "none", "title": "", "text": "", "html": "", "notification": ""}
    base = texts.banner[verdict.level]
    top = verdict.reasons[:BANNER_REASONS]
    org = with_organisation({}, organisation)
    title = render(base["title"], org, html=False)
    text = render(base["text"], org, html=False)
    details = [render(_reason_text(texts, r.id).detail, with_organisation(r.evidence, organisation), html=False)
               for r in top]
    html_details = [render(_reason_text(texts, r.id).detail, with_organisation(r.evidence, organisation), html=True)
                    for r in top]
    return {
        "level": level,
        "title": title,
        "text": "\n".join([text, *(f"• {d}" for d in details if d)]).strip(),
        "html": _banner_html(level, render(base["title"], org, html=True), render(base["text"], org, html=True),
                             html_details, texts.locale),
        "notification": notification(verdict, texts, organisation),
    }


def _json_value(value: EvidenceValue) -> Any:
    return list(value) if isinstance(value, tuple | list) else value


def response_body(verdict: Verdict, fingerprint: str, texts: Mapping[str, LocaleTexts], locale: str | None,
                  cached: bool, degraded: bool = False,
                  organisation: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The analyze response, exactly as DESIGN.md specifies; the API and `inviteguard analyze --json`
    both print this. `locale` is what the client asked for; it falls back (de-AT -> de -> en)."""
    chosen = texts[resolve_locale([locale], texts.keys(), FALLBACK_LOCALE)] if texts else None
    if chosen is None:
        raise ValueError("no banner texts loaded")
    body: dict[str, Any] = {
        "verdict": verdict.level,
        "score": verdict.score,
        "reasons": [{"id": r.id,
                     "title": render(_reason_text(chosen, r.id).title, with_organisation(r.evidence, organisation),
                                     html=False),
                     "detail": render(_reason_text(chosen, r.id).detail, with_organisation(r.evidence, organisation),
                                      html=False),
                     "evidence": {k: _json_value(v) for k, v in r.evidence.items()}}
                    for r in verdict.reasons],
        "banner": banner(verdict, chosen, organisation),
        "fingerprint": fingerprint,
        "cached": cached,
        "rules_version": verdict.rules_version,
    }
    if degraded:
        body["degraded"] = True
    return body
