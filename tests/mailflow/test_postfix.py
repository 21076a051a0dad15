"""Debian's Postfix on loopback with InviteGuard in its mail flow, once as a milter and once with the
relay as content filter, and aiosmtpd as the final destination. Real processes throughout: the
`inviteguard milter` / `inviteguard relay` commands, a private Postfix, the embedded Redis."""

from __future__ import annotations

import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aiosmtpd.controller import Controller
from inviteguard.detect.analyzer import analyze
from inviteguard.detect.parse import parse_raw
from inviteguard.mailflow.bodies import HTML_OPEN, TEXT_OPEN, body_parts, parse
from inviteguard.mailflow.stamp import read_stamp
from process_helpers import free_port

from .conftest import EMLS, LURE, SECRET, Sink
from .postfix import PrivatePostfix

pytestmark = pytest.mark.slow

INVITEGUARD = Path(sys.executable).parent / "inviteguard"
PHISH = [*sorted((EMLS / "icloud_list_srs").glob("*.eml")), EMLS / "icloud_direct" / "paypal_599_en.eml"]
HAM = sorted((EMLS / "icloud_friend").glob("*.eml")) + sorted((EMLS / "genuine_receipts").glob("*.eml"))


def wait_for_port(port: int, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited early:\n{process.communicate()[0]}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"nothing listens on {port}:\n{process.communicate()[0]}")


def start(command: list[str], port: int, redis_url: str, **settings: str) -> subprocess.Popen[str]:
    # A busy test machine can stall Redis calls past the production 50 ms timeout (tests/conftest.py).
    env = {**os.environ, "REDIS_URL": redis_url, "INVITEGUARD_STAMP_SECRET": SECRET,
           "INVITEGUARD_REDIS_TIMEOUT_SECONDS": "1.0",
           **{f"INVITEGUARD_{k}": v for k, v in settings.items()}}
    process = subprocess.Popen([str(INVITEGUARD), *command], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    wait_for_port(port, process)
    return process


def stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        process.terminate()
        try:
            return process.communicate(timeout=60)[0]
        except subprocess.TimeoutExpired:
            process.kill()
    return process.communicate()[0]


@pytest.fixture
def final(sink: Sink) -> Sink:
    return sink


def send(port: int, raw: bytes, recipient: str = "allstaff@contoso.com") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.sendmail("bounces@list.example.org", [recipient], raw)


def delivered_stamp(content: bytes) -> Any:
    head = content.split(b"\r\n\r\n", 1)[0].decode("utf-8", "surrogateescape")
    return read_stamp(head, [SECRET], time.time(), 3600)


def expected_level(path: Path) -> str:
    return analyze(parse_raw(path.read_bytes())).verdict.level


def message_id(raw: bytes) -> str:
    return "".join(str(parse(raw)["Message-ID"]).split())


def check_arrivals(sink: Sink, sent: list[Path], bannered: bool, extra: int = 0) -> None:
    arrived = sink.wait_for(len(sent) + extra, seconds=180)
    assert len(arrived) == len(sent) + extra
    by_id: dict[str, list[Any]] = {}
    for message in arrived:
        by_id.setdefault(message_id(message.content), []).append((message, parse(message.content)))
    for path in sent:
        message, parsed = by_id[message_id(path.read_bytes())][0]
        stamp = delivered_stamp(message.content)
        assert stamp.verdict == expected_level(path), path.name
        assert message.content.lower().count(b"\nx-inviteguard-verdict:") + \
            message.content.lower().startswith(b"x-inviteguard-verdict:") == 1, path.name
        texts = [part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8", "replace")
                 for part in body_parts(parsed)]
        marked = [t for t in texts if t.startswith(TEXT_OPEN) or HTML_OPEN in t]
        if bannered and stamp.verdict in ("phishing", "suspicious"):
            assert len(marked) == len(texts) >= 1, path.name
        else:
            assert not marked, path.name
        original_calendars = [p.get_payload(decode=True) for p in parse(path.read_bytes()).walk()
                              if p.get_content_type() == "text/calendar"]
        delivered_calendars = [p.get_payload(decode=True) for p in parsed.walk()
                               if p.get_content_type() == "text/calendar"]
        assert delivered_calendars == original_calendars, path.name


def test_the_milter_in_postfix_stamps_and_banners(redis_server, redis_client, final: Sink):
    milter_port = free_port()
    milter = start(["milter", "--listen", f"inet:{milter_port}@127.0.0.1"], milter_port, redis_server.url,
                   MAILFLOW_BANNER="true")
    postfix = PrivatePostfix(final.port, milter_port=milter_port)
    try:
        for path in PHISH + HAM:
            send(postfix.port, path.read_bytes())
        forged = b"X-InviteGuard-Verdict: clean\r\nX-InviteGuard-Score: 0\r\n" + LURE.read_bytes().replace(
            b"Message-ID: <", b"Message-ID: <forged.", 1)
        send(postfix.port, forged)
        check_arrivals(final, PHISH + HAM, bannered=True, extra=1)
        [forged_copy] = [m for m in final.messages if b"Message-ID: <forged." in m.content]
        assert delivered_stamp(forged_copy.content).verdict == "phishing"
        assert forged_copy.content.lower().count(b"x-inviteguard-verdict:") == 1
    finally:
        postfix.stop()
        output = stop(milter)
    assert "Traceback" not in output, output


class Gate:
    """A next hop that holds each message until `release` is set, then refuses it."""

    def __init__(self) -> None:
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.holding.set()
        while not self.release.is_set():
            await __import__("asyncio").sleep(0.05)
        return "451 4.3.0 Not this time"


@pytest.fixture
def relay_postfix(redis_server, redis_client, final: Sink) -> Iterator[tuple[PrivatePostfix, int]]:
    relay_port = free_port()
    postfix = PrivatePostfix(final.port, relay_port=relay_port)
    yield postfix, relay_port
    postfix.stop()


def relay_command(relay_port: int, next_hop: int) -> list[str]:
    return ["relay", "--listen", f"127.0.0.1:{relay_port}", "--next-hop", f"127.0.0.1:{next_hop}"]


def test_the_relay_as_content_filter_stamps_every_message(redis_server, relay_postfix, final: Sink):
    postfix, relay_port = relay_postfix
    metrics_port = free_port()
    relay = start([*relay_command(relay_port, postfix.reinjection_port), "--metrics-port", str(metrics_port)],
                  relay_port, redis_server.url)
    try:
        for path in PHISH + HAM:
            send(postfix.port, path.read_bytes())
        check_arrivals(final, PHISH + HAM, bannered=False)
        metrics = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
    finally:
        output = stop(relay)
    assert "Traceback" not in output, output
    stamped = sum(float(v) for v in re.findall(r'^inviteguard_mailflow_messages_total\{verdict="\w+"\} (\S+)$',
                                              metrics, re.M))
    assert stamped == len(PHISH + HAM)
    assert re.search(r'^inviteguard_mailflow_relay_transactions_total\{outcome="accepted"\} (\S+)$', metrics, re.M)
    assert re.search(r"^inviteguard_verdict_cache_misses_total [1-9]", metrics, re.M)
    assert output.count("next hop answered 250") == len(PHISH + HAM), output


def test_with_the_destination_down_mail_waits_in_the_queue(redis_server, relay_postfix, final: Sink):
    postfix, relay_port = relay_postfix
    relay = start(relay_command(relay_port, postfix.reinjection_port), relay_port, redis_server.url)
    try:
        final.answer = "421 4.3.2 Service shutting down"
        send(postfix.port, LURE.read_bytes())
        deadline = time.monotonic() + 60
        while "status=deferred" not in postfix.log():
            assert time.monotonic() < deadline, postfix.log()
            time.sleep(0.1)
        assert postfix.queued() and not final.messages
        final.answer = None
        postfix.flush()
        [arrived] = final.wait_for(1)
        assert delivered_stamp(arrived.content).verdict == "phishing"
    finally:
        stop(relay)


def test_a_relay_killed_mid_message_loses_nothing(redis_server, relay_postfix, final: Sink):
    postfix, relay_port = relay_postfix
    gate = Gate()
    gate_port = free_port()
    controller = Controller(gate, hostname="127.0.0.1", port=gate_port)
    controller.start()
    relay = start(relay_command(relay_port, gate_port), relay_port, redis_server.url)
    try:
        send(postfix.port, LURE.read_bytes())
        assert gate.holding.wait(60), postfix.log()  # the relay has the message and waits on its next hop
        relay.send_signal(signal.SIGKILL)
        relay.wait(30)
        stop(relay)  # closes its output pipe
        gate.release.set()
        deadline = time.monotonic() + 60
        while "status=deferred" not in postfix.log():
            assert time.monotonic() < deadline, postfix.log()
            time.sleep(0.1)
        assert postfix.queued(), "Postfix must still hold the message the relay never acknowledged"
        relay = start(relay_command(relay_port, postfix.reinjection_port), relay_port, redis_server.url)
        postfix.flush()
        [arrived] = final.wait_for(1)
        assert delivered_stamp(arrived.content).verdict == "phishing"
    finally:
        gate.release.set()
        controller.stop()
        stop(relay)
