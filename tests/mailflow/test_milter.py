"""The milter's calls into libmilter, through pymilter's own test context (the real Postfix runs in
test_postfix.py): inbound stamp fields deleted from the last occurrence up, the stamp inserted at the
top in order, the body replaced only when bannered, and a message too large to analyse stamped
unchecked without its body being touched."""

from __future__ import annotations

import io

import Milter
import pytest
from inviteguard.mailflow.bodies import HTML_OPEN, TEXT_OPEN, body_parts, parse
from inviteguard.mailflow.milter import StampMilter
from inviteguard.mailflow.stamp import split_head
from Milter import testctx

from .conftest import LURE, mailflow_app, stamper_of


class RecordingCtx(testctx.TestCtx):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []

    def _negotiate(self) -> int:
        answer = super()._negotiate()
        # No "no reply" steps: the test context, unlike libmilter, stops feeding at a NOREPLY answer.
        self.getpriv()._protocol = 0
        return answer

    def addheader(self, field, value, idx):
        self.calls.append(("add", field, value, idx))

    def chgheader(self, field, idx, value):
        self.calls.append(("change", field, idx, value))

    def replacebody(self, chunk):
        self.calls.append(("body", chunk))


def feed(app, raw: bytes) -> list[tuple]:
    StampMilter.stamper = stamper_of(app)
    Milter.factory = StampMilter
    ctx = RecordingCtx()
    assert ctx._connect() == Milter.CONTINUE
    assert ctx._feedFile(io.BytesIO(raw), "bounces@list.example.org", "alice@contoso.com") == Milter.ACCEPT
    return ctx.calls


FORGED = (b"X-InviteGuard-Verdict: clean\r\nx-inviteguard-verdict: clean\r\nX-InviteGuard-Score: 0\r\n"
          + LURE.read_bytes())


@pytest.mark.parametrize("banner", [False, True])
def test_inbound_fields_go_the_stamp_comes_and_the_body_only_with_the_banner(redis_server, redis_client, engine,
                                                                             banner):
    calls = feed(mailflow_app(redis_server, engine, MAILFLOW_BANNER=banner), FORGED)
    changes = [c for c in calls if c[0] == "change" and c[1].lower().startswith("x-inviteguard-")]
    assert [(c[1].lower(), c[2], c[3]) for c in changes] in (
        [("x-inviteguard-verdict", 2, None), ("x-inviteguard-verdict", 1, None), ("x-inviteguard-score", 1, None)],
        [("x-inviteguard-score", 1, None), ("x-inviteguard-verdict", 2, None), ("x-inviteguard-verdict", 1, None)])
    added = [c for c in calls if c[0] == "add"]
    assert [(c[1], c[3]) for c in added][:2] == [("X-InviteGuard-Verdict", 0), ("X-InviteGuard-Score", 1)]
    assert added[0][2] == "phishing" and added[-1][1] == "X-InviteGuard-Signature"
    bodies = [c for c in calls if c[0] == "body"]
    assert bool(bodies) is banner
    if banner:
        head = split_head(LURE.read_bytes())[0]
        message = parse(head + b"\r\n" + b"".join(c[1] for c in bodies))
        texts = [p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8") for p in body_parts(message)]
        assert texts and all(t.startswith(TEXT_OPEN) or HTML_OPEN in t for t in texts)


def test_a_message_too_large_to_analyse_is_stamped_unchecked_and_its_body_left_alone(redis_server, redis_client,
                                                                                   engine):
    calls = feed(mailflow_app(redis_server, engine, MAILFLOW_MAX_ANALYZE_BYTES=2000, MAILFLOW_BANNER=True), FORGED)
    added = [c for c in calls if c[0] == "add"]
    assert (added[0][1], added[0][2]) == ("X-InviteGuard-Verdict", "unchecked")
    assert not [c for c in calls if c[0] == "body"]
    assert sum(1 for c in calls if c[0] == "change") == 3
