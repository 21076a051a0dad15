"""Each worker loads and compiles the detector's rules when the app is created, not while the first
reader after a (re)start waits: cold, the first analysis takes seconds (thirty languages' vocabulary)
and an Outlook client gives up after 2.5 s."""

from __future__ import annotations

import subprocess
import sys

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



def test_warming_up_compiles_what_the_first_message_would() -> None:
    """In a fresh interpreter: after warm() the rules, the vocabulary of every language and the
    amount, brand and spelled-number patterns are built (the seconds a cold first message paid)."""
    probe = """
from inviteguard.detect.engine import AnalyzerEngine
from inviteguard.detect.rules import load_lexicon, load_rules
from inviteguard.detect.signals import brand, payment, reading, spelled
cached = (load_rules, load_lexicon, reading._vocabulary, payment._amount_pattern, brand._brand_index,
          spelled.number_words)
assert all(f.cache_info().currsize == 0 for f in cached), "warm before warm()"
AnalyzerEngine().warm()
print([f.__name__ for f in cached if f.cache_info().currsize == 0])
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout
