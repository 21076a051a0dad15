"""The relay with real SMTP on both sides: aiosmtpd as the next hop, smtplib as the sender."""

from __future__ import annotations

import datetime
import smtplib
import ssl
import time

import pytest
from conftest import CountingEngine
from inviteguard.mailflow.bodies import body_parts, parse
from inviteguard.mailflow.relay import HostPort, build_relay
from inviteguard.mailflow.stamp import read_stamp
from inviteguard.runtime.config import ConfigError
from process_helpers import free_port

from .conftest import DIRECT_LURE, LURE, SECRET, RunningRelay, Sink, mailflow_app, stamper_of, start_relay


def send(relay: RunningRelay, raw: bytes, recipients: tuple[str, ...] = ("alice@contoso.com",),
         sender: str = "noreply@email.apple.com") -> dict:
    with smtplib.SMTP(relay.address.host, relay.address.port, timeout=60) as client:
        return client.sendmail(sender, list(recipients), raw)


def stamp_of(content: bytes):
    head = content.split(b"\r\n\r\n", 1)[0].decode("utf-8", "surrogateescape")
    return read_stamp(head, [SECRET], now=time.time(), max_age_seconds=3600)


def test_a_lure_arrives_stamped_phishing(relay: RunningRelay, sink: Sink):
    send(relay, LURE.read_bytes())
    [delivered] = sink.wait_for(1)
    assert delivered.content.startswith(b"Received: from ")
    assert b" (InviteGuard relay) with ESMTP; " in delivered.content.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nX-InviteGuard-Verdict: phishing\r\n" in delivered.content
    stamp = stamp_of(delivered.content)
    assert stamp.verdict == "phishing" and int(stamp.score) >= 50 and stamp.reasons
    assert delivered.recipients == ["alice@contoso.com"]


def test_a_forged_clean_stamp_is_replaced(relay: RunningRelay, sink: Sink):
    forged = (b"X-InviteGuard-Verdict: clean\r\nX-InviteGuard-Score: 0\r\n"
              b"X-InviteGuard-Signature: v=1; t=1; s=" + b"0" * 64 + b"\r\n" + DIRECT_LURE.read_bytes())
    send(relay, forged)
    [delivered] = sink.wait_for(1)
    head = delivered.content.split(b"\r\n\r\n", 1)[0]
    assert head.lower().count(b"x-inviteguard-verdict:") == 1
    assert stamp_of(delivered.content).verdict == "phishing"


def test_next_hop_refusal_reaches_the_sender(relay: RunningRelay, sink: Sink):
    sink.answer = "554 5.7.1 Content refused"
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(relay, LURE.read_bytes())
    assert refused.value.smtp_code == 554


def test_list_copies_cost_one_analysis(relay: RunningRelay, sink: Sink, engine):
    raw = LURE.read_bytes()
    copies = 30
    before = engine.judged
    with smtplib.SMTP(relay.address.host, relay.address.port, timeout=60) as client:
        for number in range(copies):
            copy = raw.replace(b"Message-ID: <", f"Message-ID: <copy{number}.".encode(), 1)
            client.sendmail("bounces@contoso.com", [f"member{number}@contoso.com"], copy)
    delivered = sink.wait_for(copies)
    assert engine.judged - before == 1
    assert {stamp_of(d.content).fingerprint for d in delivered} == {stamp_of(delivered[0].content).fingerprint}
    assert len({stamp_of(d.content).message_id for d in delivered}) == copies


def test_recipients_the_next_hop_refuses_are_refused_by_name(relay: RunningRelay, sink: Sink):
    class Picky:
        async def handle_RCPT(self, server, session, envelope, address, options):
            if address.startswith("nobody@"):
                return "550 5.1.1 No such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    sink_handler = sink
    sink_handler.handle_RCPT = Picky().handle_RCPT  # type: ignore[attr-defined]
    refused = send(relay, LURE.read_bytes(), recipients=("alice@contoso.com", "nobody@contoso.com"))
    assert refused == {"nobody@contoso.com": (550, b"5.1.1 No such user")}
    [delivered] = sink.wait_for(1)
    assert delivered.recipients == ["alice@contoso.com"]


def test_next_hop_down_defers_the_sender(relay_app, sink: Sink):
    relay = start_relay(relay_app, HostPort("127.0.0.1", free_port()))
    try:
        with pytest.raises(smtplib.SMTPSenderRefused) as deferred:
            send(relay, LURE.read_bytes())
        assert deferred.value.smtp_code == 451
    finally:
        relay.stop()


def test_only_allowed_clients_may_relay(redis_server, redis_client, engine, sink: Sink):
    app = mailflow_app(redis_server, engine, RELAY_ALLOWED_CLIENTS="10.0.0.0/8")
    relay = start_relay(app, HostPort("127.0.0.1", sink.port))
    try:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            send(relay, LURE.read_bytes())
        assert refused.value.smtp_code == 554
        assert not sink.messages
    finally:
        relay.stop()


def unchecked_through(app, sink: Sink, raw: bytes) -> bytes:
    relay = start_relay(app, HostPort("127.0.0.1", sink.port))
    try:
        send(relay, raw)
        [delivered] = sink.wait_for(1)
    finally:
        relay.stop()
    return delivered.content


def test_oversize_mail_passes_unanalysed(redis_server, redis_client, engine, sink: Sink):
    app = mailflow_app(redis_server, engine, MAILFLOW_MAX_ANALYZE_BYTES=1000)
    raw = LURE.read_bytes()
    content = unchecked_through(app, sink, raw)
    assert b"\r\nX-InviteGuard-Verdict: unchecked\r\nX-InviteGuard-Signature: v=1; t=" in content
    assert content.endswith(raw), "the message itself passes unchanged"
    assert engine.judged == 0, "the oversize message is never analysed"


def test_redis_down_relays_unchecked(redis_server, redis_client, engine, sink: Sink):
    app = mailflow_app(redis_server, engine)
    app.extensions["inviteguard"].gate.url = "redis://127.0.0.1:1/0"  # nothing listens there
    app.extensions["inviteguard"].gate._client = None
    content = unchecked_through(app, sink, LURE.read_bytes())
    assert b"\r\nX-InviteGuard-Verdict: unchecked\r\n" in content


def test_an_analysis_error_or_timeout_relays_unchecked(redis_server, redis_client, sink: Sink):
    class Broken(CountingEngine):
        def judge(self, message, feedback=None):
            raise RuntimeError("boom")

    content = unchecked_through(mailflow_app(redis_server, Broken()), sink, LURE.read_bytes())
    assert b"\r\nX-InviteGuard-Verdict: unchecked\r\n" in content


def test_an_analysis_over_its_budget_relays_unchecked(redis_server, redis_client, sink: Sink):
    class Slow(CountingEngine):
        def judge(self, message, feedback=None):
            # Five budgets pass before the analysis begins: its first look at the deadline stops
            # it (the budget is checked by the analysis's own loops, not by a timer).
            time.sleep(1.0)
            return super().judge(message)

    app = mailflow_app(redis_server, Slow(), ANALYSIS_TIME_BUDGET_SECONDS=0.2)
    content = unchecked_through(app, sink, LURE.read_bytes())
    assert b"\r\nX-InviteGuard-Verdict: unchecked\r\n" in content


def test_starttls_with_the_configured_certificate(redis_server, redis_client, engine, sink: Sink, tmp_path):
    cert, key = self_signed(tmp_path)
    app = mailflow_app(redis_server, engine, RELAY_TLS_CERT=str(cert), RELAY_TLS_KEY=str(key),
                       RELAY_REQUIRE_STARTTLS=True)
    relay = start_relay(app, HostPort("127.0.0.1", sink.port))
    try:
        with smtplib.SMTP(relay.address.host, relay.address.port, timeout=60) as client:
            client.ehlo()
            with pytest.raises(smtplib.SMTPSenderRefused):
                client.sendmail("a@example.org", ["alice@contoso.com"], LURE.read_bytes())
        with smtplib.SMTP(relay.address.host, relay.address.port, timeout=60) as client:
            context = ssl.create_default_context(cafile=str(cert))
            context.check_hostname = False
            client.starttls(context=context)
            client.sendmail("a@example.org", ["alice@contoso.com"], LURE.read_bytes())
        [delivered] = sink.wait_for(1)
        assert stamp_of(delivered.content).verdict == "phishing"
    finally:
        relay.stop()


def self_signed(folder) -> tuple:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay.inviteguard.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "relay.pem", folder / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_the_banner_is_prepended_once_even_on_a_second_pass(redis_server, redis_client, engine, sink: Sink):
    app = mailflow_app(redis_server, engine, MAILFLOW_BANNER=True)
    stamper = stamper_of(app)
    once = stamper.stamp(LURE.read_bytes())
    twice = stamper.stamp(once.raw)
    assert once.bannered and twice.bannered
    for raw in (once.raw, twice.raw):
        parsed = parse(raw)
        texts = [part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                 for part in body_parts(parsed)]
        assert texts and all(t.count("[InviteGuard] ") + t.count("<!--inviteguard-banner ") == 1 for t in texts)
    assert twice.outcome.verdict == once.outcome.verdict == "phishing"
    assert twice.raw.count(b"X-InviteGuard-Verdict") == 1
    calendars = [[p.get_payload(decode=True) for p in parse(raw).walk() if p.get_content_type() == "text/calendar"]
                 for raw in (LURE.read_bytes(), twice.raw)]
    assert calendars[0] == calendars[1] and calendars[0]


def test_an_error_of_the_relay_defers_rather_than_bounces(relay: RunningRelay, sink: Sink):
    def broken(raw, oversize=False):
        raise RuntimeError("a bug")

    relay.relay.handler.stamper.stamp = broken
    with pytest.raises(smtplib.SMTPDataError) as deferred:
        send(relay, LURE.read_bytes())
    assert deferred.value.smtp_code == 451
    assert not sink.messages


@pytest.mark.parametrize(("settings", "named"), [
    ({"RELAY_REQUIRE_STARTTLS": True}, "INVITEGUARD_RELAY_REQUIRE_STARTTLS"),
    ({"RELAY_TLS_CERT": "/nonexistent.pem"}, "INVITEGUARD_RELAY_TLS_CERT"),
    ({"RELAY_NEXT_HOP_TLS": "sometimes"}, "INVITEGUARD_RELAY_NEXT_HOP_TLS"),
    ({"RELAY_ALLOWED_CLIENTS": "10.0.0.0/33"}, "INVITEGUARD_RELAY_ALLOWED_CLIENTS"),
])
def test_settings_the_relay_cannot_use_stop_it_naming_them(redis_server, redis_client, engine, settings, named):
    app = mailflow_app(redis_server, engine, **settings)
    stamper = stamper_of(app)
    try:
        with pytest.raises(ConfigError, match=named):
            build_relay(stamper, app.config["INVITEGUARD_SETTINGS"], HostPort("127.0.0.1", 25), stamper.checker.metrics)
    finally:
        stamper.checker.close()


def test_the_body_banner_speaks_the_awareness_teams_live_words_in_the_default_language(redis_server, redis_client,
                                                                                       engine):
    app = mailflow_app(redis_server, engine, MAILFLOW_BANNER=True, DEFAULT_LOCALE="de")
    app.extensions["inviteguard"].texts.save(
        {"de": {"banner": {"phishing": {"title": "Achtung, {{ org_name or 'Contoso' }}: nicht anrufen!"}}}},
        author="awareness")
    stamped = stamper_of(app).stamp(LURE.read_bytes())
    texts = [part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
             for part in body_parts(parse(stamped.raw))]
    assert texts and all("Achtung, Contoso: nicht anrufen!" in t for t in texts)
