"""The banner editor: template checks, placeholders, preview with the API's renderer, versions
with diffs, rollback, YAML export/import, organisation settings and the test report."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
import yaml
from admin_helpers import account, admin_app, log_in
from flask import Flask
from flask.testing import FlaskClient
from inviteguard.admin.views import BUILTIN_SAMPLE
from inviteguard.banner.checks import TextRejected, check_edits, check_template, load_placeholders, render_check
from inviteguard.banner.texts import TEXTS_DIR, load_raw_defaults
from inviteguard.runtime.config import Settings
from inviteguard.runtime.organisation import OrgSettingsError, effective_settings, org_settings_from
from inviteguard.runtime.redis_server import EmbeddedRedis
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

SAMPLE = BUILTIN_SAMPLE.read_bytes()
REASON = "combo.platform_callback_lure"


@pytest.fixture
def admin(redis_server: EmbeddedRedis, redis_client: redis.Redis) -> Flask:
    # The test webhook listens on loopback, which report webhooks may reach only when allowed.
    return admin_app(redis_server.url, REPORT_WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8 ::1/128")


@pytest.fixture
def editor(admin: Flask, redis_client: redis.Redis) -> tuple[FlaskClient, dict[str, str]]:
    account(redis_client, "ed", "editor")
    web = admin.test_client()
    return web, log_in(web, "ed")


def analyze_de(web: FlaskClient) -> dict[str, object]:
    response = web.post("/api/v1/analyze", json={"eml": base64.b64encode(SAMPLE).decode(), "locale": "de"})
    assert response.status_code == 200
    return response.get_json()


def reason_title(body: dict[str, object], reason_id: str = REASON) -> str:
    return next(r["title"] for r in body["reasons"] if r["id"] == reason_id)  # type: ignore[union-attr, index]


# ------------------------------------------------------------------ placeholders and checks

def test_placeholders_cover_every_key_the_shipped_texts_use() -> None:
    catalog = load_placeholders()
    parser = SandboxedEnvironment()
    english = yaml.safe_load((TEXTS_DIR / "en.yaml").read_text(encoding="utf-8"))
    for reason_id, fields in english["reasons"].items():
        listed = {p.name for p in catalog.for_reason(reason_id)}
        for field, source in fields.items():
            used = meta.find_undeclared_variables(parser.parse(source))
            assert used <= listed, f"{reason_id}.{field} uses {sorted(used - listed)} not listed for it"
    for fact in catalog.facts.values():
        assert fact.meaning and fact.kind in {"text", "flag", "list"}
    for signal, keys in catalog.by_signal.items():
        assert set(keys) <= set(catalog.facts), f"{signal} lists an undescribed fact"


def test_a_text_that_makes_too_much_work_is_refused() -> None:
    # A million filtered outputs: about a second of this thread's CPU (five times the limit),
    # whatever else the machine is doing. Empty loops are too cheap to tell: nine million empty
    # turns took 0.2 to 0.3 s, on both sides of the limit.
    busy = '{% for a in "x" * 1000 %}{% for b in "x" * 1000 %}{{ b|upper }}{% endfor %}{% endfor %}done'
    assert render_check(busy, ()) == ["it takes too long to render"]
    assert render_check("{{ 'short' }} text", ()) == []


def test_every_shipped_text_passes_the_save_checks() -> None:
    raw = load_raw_defaults()
    edits = {locale: {"banner": data.get("banner", {}), "reasons": data.get("reasons", {})}
             for locale, data in raw.items()}
    edits = {locale: {**data, "banner": {k: v for k, v in data["banner"].items() if k != "clean"}}
             for locale, data in edits.items()}
    assert check_edits(edits, load_placeholders()) == {}


@pytest.mark.parametrize(("source", "message"), [
    ("{{ cycler.__init__.__globals__ }}", "Python internals"),
    ("{{ ''.__class__.__mro__ }}", "Python internals"),
    ("{{ phone['__class__'] }}", "internals"),
    ("{{ phone|attr('__class__') }}", "filter 'attr'"),
    ("{% for i in range(10**9) %}x{% endfor %}", "range()"),
    ("{% for a in numbers %}{% for b in numbers %}x{% endfor %}{% endfor %}", "loops inside loops"),
    ("{{ 'x' * 1000000000 }}", "arithmetic"),
    ("{{ 9 ** 9 ** 9 }}", "arithmetic"),
    ("{% set a = 'xx' %}{% set b = a ~ a %}{{ b }}", "'set' may not build"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "macros"),
    ("{% include 'x' %}", "include"),
    ("{{ phone|nosuchfilter }}", "filter 'nosuchfilter'"),
    ("{% if phone %}unterminated", "syntax error"),
    ("{{ phnoe }}", "unknown placeholder {{ phnoe }}"),
    ("<img src=x onerror=alert(1)>{{ phone }}", "HTML markup"),
    ("{{ lipsum(100000) }}", "lipsum()"),
    ("{{ phone.format(1) }}", "calling .format() is not allowed"),
    ("{{ phone|truncate(5, 1, 2, 3, 4) }}", "fails to render"),
    ("x" * 7000, "longer than"),
])
def test_dangerous_or_broken_templates_are_rejected(source: str, message: str) -> None:
    with pytest.raises(TextRejected, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        check_template(source, load_placeholders().for_reason("callback.phone"), load_placeholders().facts)


def test_reasonable_templates_pass() -> None:
    for source in ("Call {{ phone }} never", "{% for n in numbers %}{{ loop.index }}: {{ n }} {% endfor %}",
                   "{% set places = {'description': 'notes'} %}{{ places.get(where, 'text') }}",
                   "{{ phone|upper }} {{ org_name }} {{ soc_contact|default('the SOC') }}"):
        check_template(source, load_placeholders().for_reason("callback.phone"), load_placeholders().facts)


# ------------------------------------------------------------------ editor model, preview

def test_editor_model_lists_fields_and_placeholders(editor: tuple[FlaskClient, dict[str, str]]) -> None:
    web, _ = editor
    model = web.get("/admin/api/texts").get_json()
    assert {"de", "en", "fr", "es"} <= set(model["locales"]) and model["version"] == 0
    assert REASON in model["reasons"] and "callback.phone" in model["reasons"]
    assert model["fields"] == {"banner": ["title", "text"], "reasons": ["title", "detail", "notification"]}
    phone = {p["name"]: p["meaning"] for p in model["placeholders"]["callback.phone"]}
    assert phone.get("phone")
    combo = {p["name"] for p in model["placeholders"][REASON]}
    assert {"phone", "amount", "hook", "platform", "says"} <= combo
    assert model["texts"]["de"]["reasons"][REASON]["title"].startswith("Eine echte Nachricht")


def test_preview_renders_the_draft_with_the_api_renderer(editor: tuple[FlaskClient, dict[str, str]]) -> None:
    web, headers = editor
    draft = {"reasons": {REASON: {"title": "Vorschau: {{ says }} ruft {{ phone }}",
                                  "notification": "Achtung {{ phone }}" + " x" * 80}}}
    body = web.post("/admin/api/preview", json={"locale": "de", "level": "phishing", "reason": REASON,
                                                "draft": draft}, headers=headers).get_json()
    assert body["reasons"][0]["title"] == "Vorschau: Apple ruft +1 (808) 555-0199"
    assert body["banner"]["level"] == "danger" and "ig-banner--danger" in body["banner"]["html"]
    assert len(body["banner"]["notification"]) <= 150 and body["banner"]["notification"].endswith("…")
    assert body["preview"]["notification_untrimmed_length"] > 150 and body["problems"] == {}
    # Nothing was saved: the API still answers with the shipped text.
    assert reason_title(analyze_de(web)).startswith("Eine echte Nachricht")


def test_preview_reports_problems_and_shows_the_live_text_instead(
        editor: tuple[FlaskClient, dict[str, str]]) -> None:
    web, headers = editor
    draft = {"reasons": {REASON: {"title": "{{ ''.__class__.__mro__ }}"}}}
    body = web.post("/admin/api/preview", json={"locale": "de", "reason": REASON, "draft": draft},
                    headers=headers).get_json()
    assert "Python internals" in body["problems"][f"de.reasons.{REASON}.title"]
    assert body["reasons"][0]["title"].startswith("Eine echte Nachricht")


def test_preview_escapes_evidence_from_an_uploaded_message(editor: tuple[FlaskClient, dict[str, str]]) -> None:
    web, headers = editor
    hostile = SAMPLE.replace(b"PayPal", b"<img src=x onerror=alert(1)>PayPal", 1)
    body = web.post("/admin/api/preview", json={
        "locale": "en", "reason": "brand.impersonation", "level": "suspicious",
        "sample": {"eml": base64.b64encode(hostile).decode()},
        "draft": {"reasons": {"brand.impersonation": {"detail": "Subject: {{ brand }} / {{ display_name }}"}}}},
        headers=headers).get_json()
    assert body["banner"]["level"] == "warning"
    assert "<img" not in body["banner"]["html"]


def test_preview_of_a_reason_the_sample_lacks(editor: tuple[FlaskClient, dict[str, str]]) -> None:
    web, headers = editor
    body = web.post("/admin/api/preview", json={"locale": "en", "reason": "feedback.reported_phone",
                                                "draft": {}}, headers=headers).get_json()
    assert body["preview"]["focus_present"] is False and body["reasons"][0]["id"] == "feedback.reported_phone"


@pytest.mark.parametrize("payload", [
    {"locale": "xx"}, {"locale": "de", "level": "clean"}, {"locale": "de", "reason": "no.such"},
    {"locale": "de", "sample": {"eml": "!!!"}}, {"locale": "de", "draft": {"reasons": {"x.y": {"title": "a"}}}},
    {"locale": "de", "draft": {"banner": {"phishing": {"colour": "red"}}}},
])
def test_preview_refuses_bad_input(editor: tuple[FlaskClient, dict[str, str]], payload: dict[str, object]) -> None:
    web, headers = editor
    response = web.post("/admin/api/preview", json=payload, headers=headers)
    assert response.status_code == 400 and response.get_json()["error"]["code"]


# ------------------------------------------------------------------ saving, versions, rollback

def test_save_takes_effect_on_the_next_analyze_and_rolls_back(editor: tuple[FlaskClient, dict[str, str]]) -> None:
    web, headers = editor
    before = reason_title(analyze_de(web))
    saved = web.post("/admin/api/texts", json={"base_version": 0, "edits": {"de": {"reasons": {REASON: {
        "title": "Neuer Titel: {{ says }}"}}}}}, headers=headers)
    assert saved.get_json() == {"version": 1}
    after = analyze_de(web)
    assert reason_title(after) == "Neuer Titel: Apple" and after["cached"] is False
    versions = web.get("/admin/api/versions").get_json()
    assert versions["current"] == 1
    assert [(v["version"], v["author"], v["live"]) for v in versions["versions"]] == [
        (1, "ed", True), (0, "shipped defaults", False)]
    assert versions["versions"][0]["saved_at"] > 0
    diff = web.get("/admin/api/versions/1").get_json()
    assert diff["previous"] == 0
    assert [(c["field"], c["before"], c["after"]) for c in diff["changes"]] == [
        (f"de.reasons.{REASON}.title", "Eine echte Nachricht von {{ says }} mit dem Betrugstext eines Fremden",
         "Neuer Titel: {{ says }}")]
    assert "+Neuer Titel" in diff["changes"][0]["diff"]
    rolled = web.post("/admin/api/versions/0/rollback", headers=headers).get_json()
    assert rolled == {"version": 2, "restored": 0}
    assert reason_title(analyze_de(web)) == before
    assert web.get("/admin/api/versions/2").get_json()["changes"][0]["before"] == "Neuer Titel: {{ says }}"
    assert web.post("/admin/api/versions/1/rollback", headers=headers).get_json()["version"] == 3
    assert reason_title(analyze_de(web)) == "Neuer Titel: Apple"
    assert web.post("/admin/api/versions/99/rollback", headers=headers).status_code == 404


def test_save_rejects_injection_with_the_error_per_field(editor: tuple[FlaskClient, dict[str, str]]) -> None:
    web, headers = editor
    response = web.post("/admin/api/texts", json={"edits": {"de": {"reasons": {REASON: {
        "title": "ok {{ says }}", "detail": "{{ cycler.__init__.__globals__ }}",
        "notification": "{% for i in range(10**9) %}x{% endfor %}"}}}}}, headers=headers)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {f"de.reasons.{REASON}.detail", f"de.reasons.{REASON}.notification"}
    assert web.get("/admin/api/versions").get_json()["current"] == 0


def test_concurrent_edits_are_not_silently_overwritten(editor: tuple[FlaskClient, dict[str, str]]) -> None:
    web, headers = editor
    edit = {"de": {"reasons": {REASON: {"title": "A"}}}}
    assert web.post("/admin/api/texts", json={"base_version": 0, "edits": edit}, headers=headers).status_code == 200
    stale = web.post("/admin/api/texts", json={"base_version": 0, "edits": edit}, headers=headers)
    assert stale.status_code == 409


def test_yaml_export_import_round_trip(editor: tuple[FlaskClient, dict[str, str]]) -> None:
    web, headers = editor
    web.post("/admin/api/texts", json={"edits": {"de": {"reasons": {REASON: {"title": "Exportiert {{ says }}"}}}}},
             headers=headers)
    exported = web.get("/admin/api/texts/export")
    assert exported.mimetype == "application/yaml" and "attachment" in exported.headers["Content-Disposition"]
    data = yaml.safe_load(exported.get_data(as_text=True))
    assert data["version"] == 1 and data["locales"]["de"]["reasons"][REASON]["title"] == "Exportiert {{ says }}"
    # Back to the defaults, then import the file: the edit returns, and only it is stored as an edit.
    web.post("/admin/api/versions/0/rollback", headers=headers)
    data["locales"]["fr"]["banner"]["phishing"]["title"] = "Arnaque : {{ org_name }}"
    imported = web.post("/admin/api/texts/import", data=yaml.safe_dump(data, allow_unicode=True).encode(),
                        headers={**headers, "Content-Type": "application/yaml"})
    assert imported.get_json() == {"version": 3, "changed_fields": 2}
    assert reason_title(analyze_de(web)) == "Exportiert Apple"
    again = yaml.safe_load(web.get("/admin/api/texts/export").get_data(as_text=True))
    assert again["locales"] == data["locales"]


@pytest.mark.parametrize(("document", "code"), [
    ("not: [valid", "invalid_yaml"),
    ("locales: {xx: {}}", "invalid_yaml"),
    ("locales: {de: {reasons: {no.such.reason: {title: x}}}}", "invalid_yaml"),
    ("locales: {de: {reasons: {callback.phone: {title: [1, 2]}}}}", "invalid_yaml"),
    ("locales: {de: {reasons: {callback.phone: {title: \"{{ ''.__class__ }}\"}}}}", "invalid_template"),
    ("a: &a [x, x]\nb: &b [*a, *a]\nlocales: {de: {reasons: {callback.phone: *b}}}", "invalid_yaml"),
])
def test_bad_imports_are_refused(editor: tuple[FlaskClient, dict[str, str]], document: str, code: str) -> None:
    web, headers = editor
    response = web.post("/admin/api/texts/import", data=document.encode(),
                        headers={**headers, "Content-Type": "application/yaml"})
    assert response.status_code in (400, 422) and response.get_json()["error"]["code"] == code
    assert web.get("/admin/api/versions").get_json()["current"] == 0


def test_every_worker_sees_an_edit(redis_server: EmbeddedRedis, redis_client: redis.Redis,
                                   editor: tuple[FlaskClient, dict[str, str]]) -> None:
    """Two apps on one Redis stand in for two gunicorn workers with their own memory."""
    web, headers = editor
    other_worker = admin_app(redis_server.url).test_client()
    analyze_de(other_worker)  # warms that worker's verdict cache and its texts
    web.post("/admin/api/texts", json={"edits": {"de": {"reasons": {REASON: {"title": "Überall {{ says }}"}}}}},
             headers=headers)
    assert reason_title(analyze_de(other_worker)) == "Überall Apple"


# ------------------------------------------------------------------ organisation settings

def test_organisation_settings_validate_and_override_the_deployment(
        editor: tuple[FlaskClient, dict[str, str]], redis_client: redis.Redis) -> None:
    web, headers = editor
    defaults = web.get("/admin/api/org").get_json()
    assert defaults["org_name"] == "" and defaults["report_reporters_needed"] == Settings().report_reporters_needed
    bad = web.put("/admin/api/org", json={"report_webhook_url": "http://evil.example/hook"}, headers=headers)
    assert bad.status_code == 422 and "report_webhook_url" in bad.get_json()["error"]["fields"]
    saved = web.put("/admin/api/org", json={
        "org_name": "Contoso", "soc_contact": "soc@contoso.com", "report_reporters_needed": "3",
        "simulation_headers": "X-PhishTest: 7f3a", "simulation_sender_domains": "drills.example.com",
        "soc_smtp_to": "soc@contoso.com, cert@contoso.com", "report_webhook_url": "https://soar.contoso.com/hook"},
        headers=headers).get_json()
    assert saved["org_name"] == "Contoso" and saved["updated_by"] == "ed"
    effective = effective_settings(redis_client, Settings())
    assert effective.report_reporters_needed == 3 and effective.simulation_headers == "X-PhishTest: 7f3a"
    assert effective.soc_smtp_to == "soc@contoso.com, cert@contoso.com"
    assert effective.report_webhook_url == "https://soar.contoso.com/hook"


def test_organisation_name_and_contact_reach_the_banner(editor: tuple[FlaskClient, dict[str, str]]) -> None:
    web, headers = editor
    web.put("/admin/api/org", json={"org_name": "Contoso <b>", "soc_contact": "soc@contoso.com"}, headers=headers)
    text = "Melden Sie es {{ org_name }}: {{ soc_contact }}"
    preview = web.post("/admin/api/preview", json={"locale": "de", "draft": {"banner": {"phishing": {"text": text}}}},
                       headers=headers).get_json()
    assert "Melden Sie es Contoso &lt;b&gt;: soc@contoso.com" in preview["banner"]["html"]
    web.post("/admin/api/texts", json={"edits": {"de": {"banner": {"phishing": {"text": text}}}}}, headers=headers)
    banner = analyze_de(web)["banner"]
    assert banner["text"].startswith("Melden Sie es Contoso <b>: soc@contoso.com")  # type: ignore[index]
    assert "Contoso &lt;b&gt;" in banner["html"]  # type: ignore[index]


@pytest.mark.parametrize(("data", "field"), [
    ({"org_name": "A\nB"}, "org_name"),
    ({"report_reporters_needed": 0}, "report_reporters_needed"),
    ({"report_reporters_needed": "many"}, "report_reporters_needed"),
    ({"simulation_headers": "Bad Header: x"}, "simulation_headers"),
    ({"simulation_sender_domains": "not a domain"}, "simulation_sender_domains"),
    ({"soc_smtp_to": "soc"}, "soc_smtp_to"),
    ({"report_webhook_url": "javascript:alert(1)"}, "report_webhook_url"),
    ({"soc_contact": "x" * 201}, "soc_contact"),
])
def test_bad_organisation_settings(data: dict[str, object], field: str) -> None:
    with pytest.raises(OrgSettingsError) as raised:
        org_settings_from(data, "ed", 0.0)
    assert raised.value.field == field


RECEIVED: list[dict[str, object]] = []


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        RECEIVED.append({"signature": self.headers.get("X-InviteGuard-Signature"), "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    RECEIVED.clear()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_send_test_report_reaches_the_configured_webhook(editor: tuple[FlaskClient, dict[str, str]],
                                                         webhook: str) -> None:
    web, headers = editor
    assert web.post("/admin/api/org/test-report", headers=headers).status_code == 409  # nothing configured
    assert web.put("/admin/api/org", json={"report_webhook_url": webhook.replace("127.0.0.1", "localhost")},
                   headers=headers).status_code == 200
    result = web.post("/admin/api/org/test-report", headers=headers).get_json()
    assert result == {"results": {"webhook": "sent"}}
    (delivered,) = RECEIVED
    body = delivered["body"]
    assert body["category"] == "test" and body["reporter"] == "ed"  # type: ignore[index]
    assert base64.b64decode(body["eml_base64"]) == SAMPLE  # type: ignore[index]
    assert str(delivered["signature"]).startswith("sha256=")


def test_builtin_sample_is_shipped_inside_the_package() -> None:
    assert BUILTIN_SAMPLE.is_file() and Path(BUILTIN_SAMPLE).parent.name == "samples"
