"""Each worker loads and compiles the detector's rules when the app is created, not while the first
reader after a (re)start waits: cold, the first analysis takes seconds (thirty languages' vocabulary)
and an Outlook client gives up after 2.5 s."""

from __future__ import annotations

import pytest
from conftest import CountingEngine
from inviteguard import create_app
from inviteguard.detect.engine import AnalyzerEngine
from inviteguard.runtime.redis_server import EmbeddedRedis


def test_the_app_warms_the_real_analyzer(monkeypatch: pytest.MonkeyPatch, redis_server: EmbeddedRedis) -> None:
    warmed: list[AnalyzerEngine] = []
    monkeypatch.setattr(AnalyzerEngine, "warm", lambda self: warmed.append(self))
    app = create_app({"REDIS_URL": redis_server.url})
    assert warmed == [app.extensions["inviteguard"].engine]


def test_an_injected_engine_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch, redis_server: EmbeddedRedis) -> None:
    warmed: list[AnalyzerEngine] = []
    monkeypatch.setattr(AnalyzerEngine, "warm", lambda self: warmed.append(self))
    create_app({"REDIS_URL": redis_server.url, "ENGINE": CountingEngine()})
    assert warmed == []

