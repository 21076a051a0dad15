"""Installed the way users install it: a wheel in a fresh virtualenv outside the repository.

The add-ins' sources live at the top of the repository (addin_manifest/, static/); the package
ships copies as package data. This test proves a wheel carries them: it builds the wheel, installs
it into a new venv, runs `inviteguard serve` from an empty folder and fetches the demo page, both
add-in packages, the Outlook task pane, and one analysis (the rules data must be inside too).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import requests
from process_helpers import free_port, wait_until_ready

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "server" / "inviteguard" / "admin" / "samples" / "icloud_paypal_599.eml"

pytestmark = pytest.mark.slow


def run(*command: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                            timeout=900, check=False)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv holding only the wheel and its dependencies; returns its bin/ folder."""
    work = Path(os.path.realpath(tmp_path_factory.mktemp("wheel")))
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", work / "dist", REPO)
    [wheel] = (work / "dist").glob("inviteguard-*.whl")
    run(sys.executable, "-m", "venv", work / "venv")
    run(work / "venv" / "bin" / "pip", "install", "--quiet", wheel)
    return work / "venv" / "bin"


def test_the_installed_wheel_serves_pages_addins_and_verdicts(installed: Path, tmp_path: Path):
    location = run(installed / "python", "-c", "import inviteguard; print(inviteguard.__file__)", cwd=tmp_path)
    assert str(installed.parent) in location and str(REPO) not in location, location
    empty = Path(os.path.realpath(tmp_path)) / "empty"
    empty.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("INVITEGUARD_")}
    process = subprocess.Popen([str(installed / "inviteguard"), "serve", "--port", str(port), "--workers", "1"],
                               cwd=empty, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process)
        demo = requests.get(f"{base}/", timeout=10)
        assert demo.status_code == 200 and "<title>InviteGuard" in demo.text
        assert requests.get(f"{base}/static/demo/demo.js", timeout=10).status_code == 200

        xpi = requests.get(f"{base}/addin/thunderbird.xpi", timeout=10)
        assert xpi.status_code == 200, xpi.text[:300]
        with zipfile.ZipFile(io.BytesIO(xpi.content)) as archive:
            names = set(archive.namelist())
        assert {"manifest.json", "background.js", "popup.html", "_locales/en/messages.json"} <= names

        manifest = requests.get(f"{base}/addin/outlook/manifest.xml", timeout=10)
        assert manifest.status_code == 200, manifest.text[:300]
        assert f"{base}/static/outlook/taskpane.html" in manifest.text

        pane = requests.get(f"{base}/static/outlook/taskpane.html", timeout=10)
        assert pane.status_code == 200 and "taskpane.js" in pane.text

        answer = requests.post(f"{base}/api/v1/analyze", data=SAMPLE.read_bytes(),
                               headers={"Content-Type": "message/rfc822"}, timeout=30)
        assert answer.status_code == 200, answer.text[:300]
        assert answer.json()["verdict"] == "phishing"
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert "Traceback" not in output, output
    assert (empty / "var" / "redis").is_dir()  # the embedded Redis persisted where it was started
