"""Random HTTP requests for analyze, reports, triage and the admin console (issue 13: "10^5 fuzzed
requests ... give 0 responses of 500"). One generator, seeded: tests/web/test_security_fuzz.py
sends a bounded number through the real app, bench/fuzz_http.py sends 10^5 and more.

Requests mix well-formed contract fields with hostile values (lone surrogates, controls, U+2028,
CR/LF, NUL, huge and negative numbers, wrong types, deep nesting), mutated real messages, broken
JSON and base64, odd methods, paths and query strings, with and without credentials. The one
endpoint left out is the console's "send test report", which by design connects to whatever
destination the (fuzzed) organisation settings name.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

EMLS = Path(__file__).resolve().parent / "data" / "emls"
SEEDS = [p.read_bytes() for p in sorted(EMLS.glob("*/*.eml"))[::5]]
HOSTILE_TEXT = ["\ud800", "\udfff", "\ud83d", "\u2028", "\u2029", "\x00", "\r\n", "\r", "\n", "\x1b[31m", "\u202e",
                "\ufeff", "%00", "%0d%0a", "../", "<script>", "{{ 7*7 }}", "${jndi:x}", "\\", '"', "'", "\t",
                "a" * 300, "é", "𝓟𝓪𝔂𝓟𝓪𝓵", "+1 808 555 0199", "@", "//evil.example", "\\\\evil", "/admin/\r\nX: y"]
TOKENS = [b"\r\n", b"\n", b"\r", b"--", b"boundary=", b"=?utf-8?b?", b"?=", b"BEGIN:VEVENT\r\n", b"END:VEVENT\r\n",
          b"BEGIN:VCALENDAR\r\n", b"\x00", b"\xff\xfe", b"\r.\r\n", b"+1 808 555 0199", "\u2028".encode()]
LOGIN_CSRF = "__login_csrf__"
FIELDS = ["eml", "headers", "body", "body_type", "ics", "item", "locale", "client", "reporter", "comment",
          "category", "truncated"]


@dataclass
class FuzzRequest:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    data: bytes = b""
    content_type: str | None = None
    query: str = ""
    who: str = "anonymous"  # "anonymous" | "analyst" | "admin": which logged-in client sends it

    def describe(self) -> str:
        return f"{self.method} {self.path}?{self.query} as {self.who} ({self.content_type}, {len(self.data)} bytes)"


def header_text(rng: random.Random) -> str:
    """Hostile text an HTTP header can carry (a client cannot send CR, LF or NUL in one)."""
    return "".join(c for c in hostile_text(rng) if c not in "\r\n\x00").encode("latin-1", "replace").decode("latin-1")


def q(text: str, safe: str = "") -> str:
    """Percent-encoded for a URL; lone surrogates become the (invalid) bytes that encode them."""
    return quote(text, safe=safe, errors="surrogatepass")


def hostile_text(rng: random.Random, limit: int = 40) -> str:
    parts = [rng.choice(HOSTILE_TEXT) if rng.random() < 0.5 else
             "".join(rng.choice(string.printable) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(0, 4))]
    return "".join(parts)[:limit]


def any_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.choice(["str", "str", "int", "float", "bool", "null", "list", "dict"] if depth < 3 else
                      ["str", "int", "null"])
    if kind == "str":
        return hostile_text(rng, 80)
    if kind == "int":
        return rng.choice([0, -1, 1, 2**63, -(2**70), 10**30])
    if kind == "float":
        return rng.choice([0.5, -1e308, 1e308, 1e-320])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [any_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {hostile_text(rng, 12): any_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def mutated_message(rng: random.Random) -> bytes:
    data = bytearray(rng.choice(SEEDS))
    for _ in range(rng.randint(0, 5)):
        at = rng.randint(0, len(data))
        action = rng.choice(["token", "bytes", "cut", "repeat"])
        if action == "token":
            data[at:at] = rng.choice(TOKENS)
        elif action == "bytes":
            data[at:at] = rng.randbytes(rng.randint(1, 40))
        elif action == "cut":
            del data[at:at + rng.randint(1, 400)]
        else:
            data[at:at] = bytes(data[at:at + rng.randint(1, 100)]) * rng.randint(2, 20)
    return bytes(data)


def message_json(rng: random.Random) -> dict[str, Any]:
    """The contract's fields, each well-formed, hostile or of the wrong type."""
    body: dict[str, Any] = {}
    if rng.random() < 0.5:
        raw = mutated_message(rng)
        encoded = base64.encodebytes(raw).decode() if rng.random() < 0.3 else base64.b64encode(raw).decode()
        body["eml"] = encoded if rng.random() < 0.9 else encoded[: rng.randint(0, len(encoded))] + hostile_text(rng)
    else:
        seed = mutated_message(rng).decode("utf-8", "replace")
        headers, _, text = seed.partition("\n\n")
        body["headers"] = headers if rng.random() < 0.8 else hostile_text(rng)
        body["body"] = text[:4000] if rng.random() < 0.8 else any_value(rng)
        body["body_type"] = rng.choice(["text", "html", "pdf", "", None, 1])
        if rng.random() < 0.3:
            calendar = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:" + hostile_text(rng)
            body["ics"] = rng.choice([calendar, any_value(rng)])
        if rng.random() < 0.4:
            body["item"] = rng.choice([{k: any_value(rng) for k in ("item_class", "subject", "from", "start")},
                                       any_value(rng)])
    for name in ("locale", "client", "reporter", "comment", "category", "truncated"):
        if rng.random() < 0.4:
            body[name] = {"client": {"name": hostile_text(rng), "version": hostile_text(rng)},
                          "category": rng.choice(["phishing", "spam", "other", "PHISHING", ""])}.get(name) \
                if rng.random() < 0.5 else any_value(rng)
    if rng.random() < 0.1:
        body[hostile_text(rng, 10)] = any_value(rng)
    return body


def json_bytes(rng: random.Random, value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=rng.random() < 0.7)
    encoded = text.encode("utf-8", "surrogatepass")
    roll = rng.random()
    if roll < 0.05:
        return encoded[: rng.randint(0, len(encoded))]  # cut short
    if roll < 0.08:
        return b"[" * rng.randint(1, 5000) + b"]" * rng.randint(0, 5000)
    if roll < 0.1:
        return rng.randbytes(rng.randint(0, 200))
    return encoded


def api_request(rng: random.Random, path: str) -> FuzzRequest:
    headers: dict[str, str] = {}
    if rng.random() < 0.1:
        headers["X-InviteGuard-Key"] = header_text(rng)
    if rng.random() < 0.1:
        headers["Authorization"] = rng.choice(["Bearer ", "Bearer x.y.z", "Basic abc", "Bearer " + "a" * 20000])
    if rng.random() < 0.1:
        headers["X-InviteGuard-Reporter-Token"] = rng.choice(["x", "a" * 200, ""])
    if rng.random() < 0.1:
        headers["Accept-Language"] = rng.choice(["de-AT", "*", "xx;q=abc", "a" * 100])
    query = ""
    if rng.random() < 0.3:
        query = "&".join(f"{rng.choice(['reporter', 'comment', 'category', 'client_name', 'locale', 'x'])}="
                         f"{q(hostile_text(rng))}" for _ in range(rng.randint(1, 4)))
    roll = rng.random()
    if roll < 0.4:
        return FuzzRequest("POST", path, headers, mutated_message(rng), "message/rfc822", query)
    if roll < 0.85:
        return FuzzRequest("POST", path, headers, json_bytes(rng, message_json(rng)), "application/json", query)
    if roll < 0.92:
        return FuzzRequest("POST", path, headers, rng.randbytes(rng.randint(0, 300)),
                           rng.choice(["text/plain", "application/json; charset=latin-1", "multipart/form-data",
                                       "message/rfc822; x=y", None]), query)
    return FuzzRequest(rng.choice(["GET", "PUT", "DELETE", "PATCH"]), path, headers, b"", None, query)


def triage_request(rng: random.Random) -> FuzzRequest:
    who = rng.choice(["analyst", "analyst", "anonymous", "admin"])
    roll = rng.random()
    if roll < 0.4:
        names = ["since", "until", "verdict", "status", "limit", "before"]
        values = [hostile_text(rng), "2025-01-01", "-5", "1-0", "99999999999999999999999-1"]
        query = "&".join(f"{rng.choice(names)}={q(rng.choice(values))}" for _ in range(rng.randint(0, 4)))
        return FuzzRequest("GET", "/api/v1/reports", query=query, who=who)
    if roll < 0.7:
        report_id = rng.choice(["1-0", "0-0", "99999999999999999999-1", q(hostile_text(rng)), "1762272067000-0"])
        return FuzzRequest("GET", f"/api/v1/reports/{report_id}/eml", who=who)
    fingerprint = rng.choice(["e52ebef2642e3be816cdf92e1c24f28f", "x", "a" * 129, q(hostile_text(rng))])
    action = rng.choice(["confirm", "clear", "delete", q(hostile_text(rng))])
    return FuzzRequest("POST", f"/api/v1/reports/campaigns/{fingerprint or 'x'}/{action or 'x'}", who=who,
                       headers={"X-CSRF-Token": "csrf"} if rng.random() < 0.8 else {})


def admin_request(rng: random.Random) -> FuzzRequest:
    who = rng.choice(["admin", "admin", "admin", "analyst", "anonymous"])
    csrf = {"X-CSRF-Token": "csrf"} if rng.random() < 0.85 else {}
    # Texts shaped as the editor sends them, with hostile content: past the structure checks.
    text_edit = {rng.choice(["en", "de"]): {"banner": {rng.choice(["phishing", "suspicious"]): {
        rng.choice(["title", "text"]): hostile_text(rng) + rng.choice(["", "{{ org_name }}", "{% for x in y %}"])}}}}
    body = json_bytes(rng, rng.choice([any_value(rng), {"edits": any_value(rng), "base_version": any_value(rng)},
                                       {"edits": text_edit},
                                       {"name": hostile_text(rng, 20), "password": hostile_text(rng, 30),
                                        "roles": rng.choice([["editor"], ["admin"], [hostile_text(rng)], "admin"])},
                                       {"name": f"fuzz-{rng.randint(0, 50)}", "password": "a long enough password",
                                        "roles": [rng.choice(["editor", "analyst"])]},
                                       {"locale": rng.choice(["en", "de", hostile_text(rng)]),
                                        "level": rng.choice(["phishing", "suspicious", "x"]),
                                        "reason": rng.choice([None, "combo.callback_scam", hostile_text(rng)]),
                                        "draft": rng.choice([any_value(rng), *text_edit.values()]),
                                        "sample": rng.choice(["builtin:icloud", {"eml": base64.b64encode(
                                            mutated_message(rng)).decode()}, any_value(rng)])},
                                       {name: any_value(rng) if rng.random() < 0.5 else hostile_text(rng)
                                        for name in ("org_name", "soc_contact", "report_reporters_needed",
                                                     "own_domains", "simulation_headers", "soc_smtp_to")}]))
    name = q(rng.choice(["root", "ed", "sso.0123", hostile_text(rng, 20) or "x"]))
    choices = [
        ("GET", "/admin/api/texts", b""), ("POST", "/admin/api/texts", body), ("POST", "/admin/api/preview", body),
        ("GET", "/admin/api/versions", b""), ("GET", f"/admin/api/versions/{rng.randint(-1, 50)}", b""),
        ("POST", f"/admin/api/versions/{rng.randint(0, 50)}/rollback", b""), ("GET", "/admin/api/texts/export", b""),
        ("POST", "/admin/api/texts/import", rng.choice([body, rng.randbytes(100), b"locales: {en: {banner: 1}}",
                                                        b"locales: {en: {\xed\xa0\x80: x}}"])),
        ("GET", "/admin/api/org", b""), ("PUT", "/admin/api/org", body), ("GET", "/admin/api/users", b""),
        ("POST", "/admin/api/users", body), ("PUT", f"/admin/api/users/{name}", body),
        ("DELETE", f"/admin/api/users/{name}", b""), ("GET", "/admin/api/reporter-tokens", b""),
        ("DELETE", f"/admin/api/reporter-tokens/{q(hostile_text(rng)) or 'x'}", b""),
        ("GET", "/admin/api/session", b""), ("GET", "/admin/", b""), ("GET", "/admin/reports", b""),
    ]
    method, path, data = rng.choice(choices)
    content_type = rng.choice(["application/json", "application/json", "application/yaml", "text/plain", None])
    return FuzzRequest(method, path, csrf, data, content_type if data else None, who=who)


def login_request(rng: random.Random) -> FuzzRequest:
    roll = rng.random()
    next_path = q(rng.choice(["/admin/", "https://evil.example", "/admin/\r\nSet-Cookie: x=1", "//x", "/\\x",
                              hostile_text(rng)]))
    if roll < 0.3:
        return FuzzRequest("GET", "/admin/login", query=f"next={next_path}")
    if roll < 0.6:
        fields = {k: q(hostile_text(rng)) for k in ("username", "password", "csrf_token", "next") if rng.random() < 0.8}
        if rng.random() < 0.6:
            fields["csrf_token"] = LOGIN_CSRF  # the sender fills in a real one: past the form check
        form = "&".join(f"{k}={v}" for k, v in fields.items())
        return FuzzRequest("POST", "/admin/login", data=form.encode(), content_type="application/x-www-form-urlencoded")
    if roll < 0.8:
        return FuzzRequest("GET", rng.choice(["/admin/oidc/login", "/admin/oidc/callback", "/reporter/sign-in",
                                              "/reporter/sign-in/start", "/reporter/sign-in/callback"]),
                           query=f"next={next_path}&state={q(hostile_text(rng))}&code=x")
    return FuzzRequest(rng.choice(["GET", "POST"]), "/admin/" + q(hostile_text(rng, 30), "/"),
                       who=rng.choice(["anonymous", "admin"]))


def fuzz_request(rng: random.Random) -> FuzzRequest:
    roll = rng.random()
    if roll < 0.3:
        return api_request(rng, "/api/v1/analyze")
    if roll < 0.6:
        return api_request(rng, "/api/v1/reports")
    if roll < 0.7:
        return triage_request(rng)
    if roll < 0.92:
        return admin_request(rng)
    return login_request(rng)


ACCOUNTS = {"admin": ("fuzz-root", ["admin"]), "analyst": ("fuzz-analyst", ["analyst"])}
PASSWORD = "fuzzing is a long enough password"
FUZZ_CONFIG = {"ANALYZE_RATE_LIMIT": "1000000/second", "ANALYZE_RATE_LIMIT_PER_ADDRESS": "1000000/second",
               "REPORT_RATE_LIMIT": "1000000/second", "REPORT_RATE_LIMIT_PER_ADDRESS": "1000000/second",
               "ADMIN_LOGIN_ATTEMPTS": 1000000, "ADMIN_COOKIE_SECURE": False, "REDIS_TIMEOUT_SECONDS": 5.0}


class FuzzSession:
    """Sends fuzz requests through the real app as an anonymous caller, an analyst and an admin
    (logged in, with their CSRF tokens); logs them in again when a fuzzed request ended their session."""

    def __init__(self, app: Any, redis_client: Any) -> None:
        self.app = app
        self.redis = redis_client
        self.clients = {"anonymous": app.test_client()}
        self.csrf: dict[str, str] = {}
        for who in ACCOUNTS:
            self._log_in(who)

    def _log_in(self, who: str) -> None:
        from inviteguard.admin.users import create_user

        name, roles = ACCOUNTS[who]
        create_user(self.redis, name, PASSWORD, roles, replace=True)
        client = self.app.test_client()
        page = client.get("/admin/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/admin/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
        self.clients[who] = client
        self.csrf[who] = client.get("/admin/api/session").get_json()["csrf_token"]

    def send(self, request: FuzzRequest) -> Any:
        client = self.clients[request.who]
        headers = dict(request.headers)
        if headers.get("X-CSRF-Token") == "csrf" and request.who in self.csrf:
            headers["X-CSRF-Token"] = self.csrf[request.who]
        data = request.data
        if LOGIN_CSRF.encode() in data:
            page = client.get("/admin/login").get_data(as_text=True)
            token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            data = data.replace(LOGIN_CSRF.encode(), token.encode())
        path = request.path + (f"?{request.query}" if request.query else "")
        response = client.open(path, method=request.method, data=data, headers=headers,
                               content_type=request.content_type)
        if request.who in ACCOUNTS and client.get("/admin/api/session").status_code == 401:
            self._log_in(request.who)  # a fuzzed password or role change ended this session
        return response


def failure_of(request: FuzzRequest, response: Any) -> str | None:
    """None when the answer is acceptable: anything but a 5xx, and for the API a JSON error body."""
    status = response.status_code
    if status >= 500:
        return f"{status} for {request.describe()}: {response.get_data(as_text=True)[:300]}"
    if 400 <= status < 500 and response.mimetype == "application/json":
        error = (response.get_json(silent=True) or {}).get("error")
        if not isinstance(error, dict) or not {"code", "message"} <= set(error):
            return f"{status} without an error object for {request.describe()}"
    return None
