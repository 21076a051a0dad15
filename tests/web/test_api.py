"""POST /api/v1/analyze end to end through the real analyzer: the response shape of DESIGN.md,
every input kind, and a 4xx JSON error (never a 500) for every kind of bad input."""

from __future__ import annotations

import base64
import email
import json
from email import policy
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inviteguard import create_app

DATA = Path(__file__).parents[1] / "data" / "emls"
PAYPAL_LIST_INVITE = DATA / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"
TOP_KEYS = {"verdict", "score", "reasons", "banner", "fingerprint", "cached", "rules_version"}
BANNER_KEYS = {"level", "title", "text", "html", "notification"}


def post_raw(client: FlaskClient, raw: bytes, **kwargs: object):
    return client.post("/api/v1/analyze", data=raw, content_type="message/rfc822", **kwargs)


def post_json(client: FlaskClient, payload: object):
    return client.post("/api/v1/analyze", data=json.dumps(payload), content_type="application/json")


def assert_contract(body: dict) -> None:
    assert set(body) - {"degraded"} == TOP_KEYS
    assert body["verdict"] in {"phishing", "suspicious", "clean"}
    assert isinstance(body["score"], int) and 0 <= body["score"] <= 100
    assert set(body["banner"]) == BANNER_KEYS
    assert body["banner"]["level"] == {"phishing": "danger", "suspicious": "warning", "clean": "none"}[body["verdict"]]
    assert len(body["banner"]["notification"]) <= 150
    for reason in body["reasons"]:
        assert set(reason) == {"id", "title", "detail", "evidence"}
        assert isinstance(reason["evidence"], dict)


def test_raw_message_gets_the_full_contract(client: FlaskClient) -> None:
    response = post_raw(client, PAYPAL_LIST_INVITE.read_bytes())
    assert response.status_code == 200
    body = response.get_json()
    assert_contract(body)
    assert "degraded" not in body
    assert body["verdict"] == "phishing" and body["cached"] is False
    assert body["reasons"][0]["id"] == "combo.platform_callback_lure"
    assert "+1 (808) 555-0199" in body["banner"]["notification"]
    assert 'role="alert"' in body["banner"]["html"]


def test_a_message_read_only_in_part_says_so_in_the_answer(client: FlaskClient) -> None:
    filler = "Thank you for shopping with us. " * 10_000
    raw = ("From: Shop <news@example.org>\r\nSubject: Offers\r\n\r\nHello,\n\n" + filler + "\n\nBye").encode()
    for cached in (False, True):  # judged, then from the verdict cache: the note survives both
        body = post_raw(client, raw, headers={"Accept-Language": "de"}).get_json()
        assert_contract(body)
        assert body["cached"] is cached
        note = body["reasons"][-1]
        assert note["id"] == "reading.partly_read" and note["evidence"]["unread_middle"] == ["body"]
        assert note["title"] == "Ein Teil dieser Nachricht wurde nicht gelesen"
        assert "nur Anfang und Ende gelesen wurden (body)" in note["detail"]


def test_json_base64_eml_equals_the_raw_answer(client: FlaskClient) -> None:
    raw = PAYPAL_LIST_INVITE.read_bytes()
    from_raw = post_raw(client, raw).get_json()
    from_json = post_json(client, {"eml": base64.b64encode(raw).decode(),
                                   "client": {"name": "outlook", "version": "1"}})
    assert from_json.status_code == 200
    body = from_json.get_json()
    assert body["cached"] is True  # same campaign, same cache entry
    assert {**body, "cached": False} == from_raw


def test_base64_with_line_breaks_is_accepted(client: FlaskClient) -> None:
    encoded = base64.encodebytes(PAYPAL_LIST_INVITE.read_bytes()).decode()  # MIME style, 76-char lines
    assert post_json(client, {"eml": encoded}).status_code == 200


def test_outlook_parts_without_ics_are_judged(client: FlaskClient) -> None:
    raw = PAYPAL_LIST_INVITE.read_text(encoding="utf-8", errors="replace")
    headers = raw.split("\n\n", 1)[0]
    response = post_json(client, {
        "headers": headers,
        "body": "You paid $599.00 to PayPal. Not you? Call PayPal support at +1 (808) 555-0199 to cancel.",
        "body_type": "text",
        "item": {"item_class": "IPM.Schedule.Meeting.Request", "subject": "Your PayPal Payment Receipt",
                 "from": "PayPal <noreply@email.apple.com>", "start": "2025-11-05T10:00:00Z",
                 "end": "2025-11-05T10:30:00Z", "location": ""},
        "locale": "de",
    })
    assert response.status_code == 200
    body = response.get_json()
    assert_contract(body)
    assert body["verdict"] in {"phishing", "suspicious"}
    assert 'lang="de"' in body["banner"]["html"]


def test_outlook_attachment_names_are_read_like_the_attachments_of_a_whole_message(client: FlaskClient) -> None:
    # The number only in the attached file's name: Outlook gives its name, not its bytes.
    parts = {"headers": "From: Billing <billing@example.net>\r\nSubject: Your invoice\r\n",
             "body": "Please find your invoice attached.", "body_type": "text"}
    with_name = post_json(client, {**parts, "item": {"item_class": "IPM.Note", "attachments": [
        "Norton_Renewal_$499_Cancel_Call_+1-866-555-0177.pdf"]}}).get_json()
    without = post_json(client, {**parts, "item": {"item_class": "IPM.Note", "attachments": None}}).get_json()
    assert_contract(with_name)
    assert "+1-866-555-0177" in json.dumps(with_name["reasons"])
    assert "+1-866-555-0177" not in json.dumps(without["reasons"])


PDF_ONLY_LURE = DATA / "b7_direct_freemail" / "geeksquad_invoice_pdf_only.eml"


def _outlook_parts_of(path: Path) -> tuple[dict, dict]:
    """The parts the Outlook add-in sends for a message with Mailbox 1.8 (headers, text body, item
    fields) and its attached PDF as a "files" entry."""
    message = email.message_from_bytes(path.read_bytes(), policy=policy.compat32)
    pdf = next(p for p in message.walk() if p.get_content_type() == "application/pdf")
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    parts = {"headers": path.read_text(encoding="utf-8", errors="replace").split("\n\n", 1)[0],
             "body": text.get_payload(decode=True).decode(text.get_content_charset() or "utf-8"), "body_type": "text",
             "item": {"item_class": "IPM.Note", "subject": message["Subject"], "attachments": [pdf.get_filename()]}}
    return parts, {"name": pdf.get_filename(), "content_type": "application/pdf",
                   "content": base64.b64encode(pdf.get_payload(decode=True)).decode()}


def test_outlook_files_are_read_like_the_attachments_of_a_whole_message(client: FlaskClient) -> None:
    # The number only inside the attached PDF: the add-in sends its bytes (Mailbox 1.8).
    parts, pdf = _outlook_parts_of(PDF_ONLY_LURE)
    with_file = post_json(client, {**parts, "files": [pdf]}).get_json()
    without = post_json(client, parts).get_json()
    assert_contract(with_file)
    assert with_file["verdict"] == "phishing"
    assert without["verdict"] != "phishing"
    assert "attachment" in json.dumps(with_file["reasons"])


@pytest.mark.parametrize(("files", "status", "code"), [
    ("x.pdf", 400, "invalid_field"),                                     # not a list
    (["x.pdf"], 400, "invalid_field"),                                   # not objects
    ([{"name": "x.pdf"}], 400, "invalid_field"),                         # no content
    ([{"content": "QUJD"}], 400, "invalid_field"),                       # no name
    ([{"name": "x" * 256, "content": "QUJD"}], 400, "invalid_field"),    # a name too long
    ([{"name": "x.png", "content": "QUJD", "content_id": 7}], 400, "invalid_field"),  # a content id not a string
    ([{"name": "x.pdf", "content": "@@not base64@@"}], 400, "invalid_base64"),
    ([{"name": f"{i}.pdf", "content": "QUJD"} for i in range(9)], 400, "invalid_field"),  # more than 8
    ([{"name": "x.pdf", "content": base64.b64encode(b"%PDF-" + b"0" * 2_000_000).decode()}], 413, "too_large"),
])
def test_outlook_files_out_of_shape_are_refused_with_a_clear_error(client: FlaskClient, files: object, status: int,
                                                                   code: str) -> None:
    response = post_json(client, {"headers": "From: a@example.net\r\nSubject: x\r\n", "body": "hi", "files": files})
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code
    assert "files" in error["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          "application/octet-stream"])
def test_wrong_content_type_is_415(client: FlaskClient, content_type: str) -> None:
    response = client.post("/api/v1/analyze", data=b"From: a@b\n\nhi", content_type=content_type)
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


def test_missing_content_type_is_415(client: FlaskClient) -> None:
    response = client.post("/api/v1/analyze", data=b"From: a@b\n\nhi")
    assert response.status_code == 415


@pytest.mark.parametrize("payload", [b"{", b"not json", b"\xff\xfe", b"[1,", b"[" * 100_000 + b"]" * 100_000])
def test_invalid_json_is_400(client: FlaskClient, payload: bytes) -> None:
    response = client.post("/api/v1/analyze", data=payload, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("payload", [[], "eml", 42, None])
def test_json_that_is_not_an_object_is_400(client: FlaskClient, payload: object) -> None:
    response = post_json(client, payload)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("encoded", ["@@@not base64@@@", "QUJ", "Zm9v!", "é"])
def test_invalid_base64_is_400(client: FlaskClient, encoded: str) -> None:
    response = post_json(client, {"eml": encoded})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_base64"


@pytest.mark.parametrize("payload", [
    {"eml": 5},
    {"eml": ["a"]},
    {"headers": 1, "body": "x"},
    {"headers": "From: a@b", "body": {"text": "x"}},
    {"headers": "From: a@b", "body": "x", "body_type": "rtf"},
    {"headers": "From: a@b", "body": "x", "body_type": 1},
    {"headers": "From: a@b", "body": "x", "ics": 7},
    {"headers": "From: a@b", "body": "x", "item": "IPM.Note"},
    {"headers": "From: a@b", "body": "x", "item": {"subject": 3}},
    {"headers": "From: a@b", "body": "x", "item": {"attachments": "a.pdf"}},
    {"headers": "From: a@b", "body": "x", "item": {"attachments": [1]}},
    {"headers": "From: a@b", "body": "x", "item": {"attachments": ["a.pdf"] * 101}},
    {"headers": "From: a@b", "body": "x", "item": {"attachments": ["a" * 256]}},
    {"headers": "From: a@b", "body": "x", "locale": ["de"]},
    {"headers": "From: a@b", "body": "x", "client": "outlook"},
    {"headers": "From: a@b", "body": "x", "client": {"name": 1}},
])
def test_wrong_field_types_are_400(client: FlaskClient, payload: dict) -> None:
    response = post_json(client, payload)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_field"


@pytest.mark.parametrize("raw", [b"", b"   \r\n\r\n  "])
def test_empty_raw_message_is_422(client: FlaskClient, raw: bytes) -> None:
    response = post_raw(client, raw)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "empty_message"


@pytest.mark.parametrize("payload", [{"eml": ""}, {"headers": "", "body": ""}, {}])
def test_empty_json_message_is_422(client: FlaskClient, payload: dict) -> None:
    response = post_json(client, payload)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "empty_message"


@pytest.fixture
def small_app(redis_server, redis_client, engine) -> Flask:
    return create_app({"REDIS_URL": redis_server.url, "ENGINE": engine, "MAX_BODY_BYTES": 2048})


def test_raw_body_over_the_limit_is_413(small_app: Flask) -> None:
    response = post_raw(small_app.test_client(), b"From: a@b\n\n" + b"x" * 4096)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_json_body_over_the_limit_is_413(small_app: Flask) -> None:
    encoded = base64.b64encode(b"From: a@b\n\n" + b"x" * 2048).decode()
    response = post_json(small_app.test_client(), {"eml": encoded})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_unknown_paths_and_methods_answer_json(client: FlaskClient) -> None:
    missing = client.get("/api/v1/nothing")
    wrong_method = client.get("/api/v1/analyze")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405 and wrong_method.get_json()["error"]["code"] == "method_not_allowed"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=3000))
def test_arbitrary_bytes_never_cause_a_500(client: FlaskClient, raw: bytes) -> None:
    response = post_raw(client, raw)
    assert response.status_code in {200, 422}
    if response.status_code == 200:
        assert_contract(response.get_json())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=50),
                            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                                st.sampled_from(["eml", "headers", "body", "body_type", "ics", "item", "locale",
                                                 "client", "subject", "from"]), inner, max_size=5),
                            max_leaves=12))
def test_arbitrary_json_never_causes_a_500(client: FlaskClient, payload: object) -> None:
    response = post_json(client, payload)
    assert response.status_code in {200, 400, 422}
    assert ("error" in response.get_json()) == (response.status_code != 200)
