"""`inviteguard analyze --json` prints what the API answers: with the banner texts and organisation
settings the service's Redis holds (an admin's edit shows at once), else the shipped texts.

One run starts the installed console script in a clean environment, end to end; the others run the
command in this process (the detector is warm there), with the same environment and folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from inviteguard.banner.store import BannerStore
from inviteguard.runtime.organisation import save_org_settings
from inviteguard.runtime.redis_conn import RedisGate
from inviteguard.runtime.redis_server import EmbeddedRedis
from process_helpers import CliRunner

BIN = Path(sys.executable).parent
LURE = Path(__file__).parent / "data" / "emls" / "icloud_direct" / "paypal_599_en.eml"
EDITED_TITLE = "Stop: this is the Contoso scam warning"


def _analyze(*args: str, cwd: Path, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("INVITEGUARD_")}
    env.update(env_extra or {})
    return subprocess.run([str(BIN / "inviteguard"), "analyze", "--json", str(LURE), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def _analyze_here(cli: CliRunner, *args: str) -> subprocess.CompletedProcess[str]:
    """As `_analyze`, in this process: the autouse fixture below clears the same variables, the
    test changes into its folder."""
    return cli("analyze", "--json", str(LURE), *args)


def test_analyze_prints_the_texts_an_admin_saved(redis_server: EmbeddedRedis, redis_client: redis.Redis,
                                                  tmp_path: Path, cli_in_process: CliRunner,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    BannerStore(RedisGate(redis_server.url, 1.0, 0.0)).save(
        {"en": {"banner": {"phishing": {"title": EDITED_TITLE}}}}, author="editor")
    save_org_settings(redis_client, {"org_name": "Contoso", "soc_contact": "soc@contoso.com"}, author="admin")
    monkeypatch.chdir(tmp_path)
    for run in (_analyze_here(cli_in_process, "--redis-url", redis_server.url),
                # the installed console script, a process of its own: REDIS_URL, a real stderr
                _analyze(cwd=tmp_path, env_extra={"REDIS_URL": redis_server.url})):
        assert run.returncode == 0, run.stderr
        body = json.loads(run.stdout)
        assert body["banner"]["title"] == EDITED_TITLE
        assert run.stderr == ""


def test_without_a_redis_analyze_uses_the_shipped_texts(tmp_path: Path, cli_in_process: CliRunner,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = _analyze_here(cli_in_process)  # no REDIS_URL, no `inviteguard serve` running in this folder
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["banner"]["title"] == "Scam warning: do not call any number in this message"
    assert not (tmp_path / "var").exists(), "analyze must not start a Redis of its own"


def test_an_unreachable_redis_is_said_and_the_shipped_texts_are_used(tmp_path: Path, cli_in_process: CliRunner,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = _analyze_here(cli_in_process, "--redis-url", "redis://127.0.0.1:9/0")
    assert run.returncode == 0
    assert json.loads(run.stdout)["banner"]["title"] == "Scam warning: do not call any number in this message"
    assert "could not be read" in run.stderr


def test_analyze_finds_a_running_serves_embedded_redis(tmp_path: Path, cli_in_process: CliRunner,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    workdir = Path(os.path.realpath(tmp_path))  # the unix socket path must stay short
    with EmbeddedRedis(workdir / "var" / "redis") as embedded:
        BannerStore(RedisGate(embedded.url, 1.0, 0.0)).save(
            {"en": {"banner": {"phishing": {"title": EDITED_TITLE}}}}, author="editor")
        monkeypatch.chdir(workdir)
        run = _analyze_here(cli_in_process)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["banner"]["title"] == EDITED_TITLE


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `_analyze` leaves out of the console script's environment, left out of this process's."""
    for name in [k for k in os.environ if k == "REDIS_URL" or k.startswith("INVITEGUARD_")]:
        monkeypatch.delenv(name)
