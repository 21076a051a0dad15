"""The layers in pyproject.toml hold, and a wrong import breaks them with a message naming the contract.

`lint-imports` runs in scripts/test.sh on the real tree; here it also runs on a copy of the package
with one import that crosses a layer, to show the contracts catch what they are meant to.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "server" / "inviteguard"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CAPABILITIES = ("detect", "banner", "web", "reports", "admin", "addins", "mailflow", "runtime")


def lint_imports(python_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if python_path is not None:
        env["PYTHONPATH"] = str(python_path)  # before the editable install: the copy is analysed
    return subprocess.run([str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def test_the_package_keeps_every_contract():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "wrong_import", "contract", "message"), [
    ("detect/scoring.py", "from ..web import api", "Layers:",
     "inviteguard.detect is not allowed to import inviteguard.web"),
    ("reports/store.py", "from ..detect.signals import phone", "Outside detect, only its entry points",
     "inviteguard.reports is not allowed to import inviteguard.detect.signals"),
    ("detect/parse.py", "from .signals import phone", "Inside detect:",
     "inviteguard.detect.parse is not allowed to import inviteguard.detect.signals"),
    ("runtime/config.py", "from ..banner import texts", "runtime imports no other part",
     "inviteguard.runtime is not allowed to import inviteguard.banner"),
])
def test_a_wrong_import_fails_naming_the_contract(tmp_path: Path, module: str, wrong_import: str, contract: str,
                                                  message: str):
    copy = tmp_path / "inviteguard"
    shutil.copytree(PACKAGE, copy, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / module).open("a", encoding="utf-8") as source:
        source.write(f"\n{wrong_import}  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken and message in broken, result.stdout


def test_each_capability_is_a_folder_that_says_what_it_must_not_import():
    top_modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top_modules) <= 8, top_modules
    for name in CAPABILITIES:
        init = PACKAGE / name / "__init__.py"
        docstring = init.read_text(encoding="utf-8").strip()
        assert docstring.startswith('"""') and docstring.count("\n") == 0, f"{init}: one-line docstring"
        assert "import" in docstring.lower(), f"{init}: say what it must not import"
