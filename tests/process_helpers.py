"""Helpers for tests that start real processes: a free port, waiting for a server to answer, and the
type of `cli_in_process` (tests/conftest.py), which runs the command line in this process instead."""

from __future__ import annotations

import socket
import subprocess
import time
from typing import Protocol

import pytest
import requests


class CliRunner(Protocol):
    """`inviteguard ARGS` with `stdin` on its standard input: its exit status, stdout and stderr."""

    def __call__(self, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]: ...


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_ready(base: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    """Polls `base`/readyz until it answers 200; fails with the process's output if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass  # still booting: the port may be open before a worker answers
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"the server did not become ready:\n{process.communicate()[0]}")
