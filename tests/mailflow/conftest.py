"""Mail-flow fixtures: a real aiosmtpd final destination, and the real relay in front of it.

The relay runs in-process on its own event loop thread, on the `app` fixture's services (real
Redis, the counting analyzer), so tests can count analyses.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import CountingEngine
from flask import Flask
from inviteguard import create_app
from inviteguard.mailflow.relay import HostPort, Relay, build_relay
from inviteguard.mailflow.stamping import Stamper, stamper_from
from inviteguard.runtime.redis_server import EmbeddedRedis
from process_helpers import free_port

EMLS = Path(__file__).resolve().parents[1] / "data" / "emls"
SECRET = "test-stamp-secret-0123456789abcdefghijklmnop"
LURE = EMLS / "icloud_list_srs" / "paypal_599_allstaff_srs0_en.eml"
DIRECT_LURE = EMLS / "icloud_direct" / "paypal_599_en.eml"
HAM = EMLS / "icloud_friend"


@dataclass
class Delivered:
    sender: str
    recipients: list[str]
    content: bytes


@dataclass
class Sink:
    """The final destination: keeps what it accepted; `answer` set to an SMTP reply refuses with it."""

    port: int
    messages: list[Delivered] = field(default_factory=list)
    answer: str | None = None
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answer:
            return self.answer
        with self.arrived:
            self.messages.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            self.arrived.notify_all()
        return "250 2.0.0 Ok: queued"

    def wait_for(self, count: int, seconds: float = 60) -> list[Delivered]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.messages) >= count, seconds), (
                f"{len(self.messages)} of {count} messages arrived")
            return list(self.messages)


@pytest.fixture
def sink() -> Iterator[Sink]:
    port = free_port()
    handler = Sink(port)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler
    controller.stop()


def mailflow_app(redis_server: EmbeddedRedis, engine: CountingEngine, **settings: Any) -> Flask:
    return create_app({"REDIS_URL": redis_server.url, "TESTING": True, "ENGINE": engine,
                       "REDIS_TIMEOUT_SECONDS": 1.0, "STAMP_SECRET": SECRET, **settings})


def stamper_of(app: Flask) -> Stamper:
    return stamper_from(app.extensions["inviteguard"], app.config["INVITEGUARD_SETTINGS"])


class RunningRelay:
    """The relay on a loop thread; `stop()` ends it as SIGTERM would."""

    def __init__(self, relay: Relay, listen: HostPort) -> None:
        self.relay = relay
        self.loop = asyncio.new_event_loop()
        self.stopping: asyncio.Event | None = None
        self.listening = threading.Event()
        self.address = listen
        self.thread = threading.Thread(target=self._run, name="relay", daemon=True)
        self.thread.start()
        assert self.listening.wait(30), "the relay did not start listening"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self.stopping = asyncio.Event()
            await self.relay.serve(self.address, self.stopping, lambda _: self.listening.set())

        self.loop.run_until_complete(main())
        self.loop.close()

    def stop(self) -> None:
        assert self.stopping is not None
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(timeout=60)
        self.relay.handler.io.shutdown(wait=False)
        self.relay.handler.stamper.checker.close()


def start_relay(app: Flask, next_hop: HostPort) -> RunningRelay:
    stamper = stamper_of(app)
    settings = app.config["INVITEGUARD_SETTINGS"]
    relay = build_relay(stamper, settings, next_hop, stamper.checker.metrics)
    return RunningRelay(relay, HostPort("127.0.0.1", free_port()))


@pytest.fixture
def relay_app(redis_server: EmbeddedRedis, redis_client: Any, engine: CountingEngine) -> Flask:
    return mailflow_app(redis_server, engine)


@pytest.fixture
def relay(relay_app: Flask, sink: Sink) -> Iterator[RunningRelay]:
    running = start_relay(relay_app, HostPort("127.0.0.1", sink.port))
    yield running
    running.stop()
