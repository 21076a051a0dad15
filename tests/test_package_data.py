"""Every data file inside the package is named by `[tool.setuptools.package-data]`.

A wheel carries only what package-data names (`include-package-data = false`), so a new folder of
rules that the editable install reads from the checkout would be missing from an installed service
and every analysis would fail there. The slow wheel test shows the symptom; this one names the file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "server" / "inviteguard"


def shipped() -> set[Path]:
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["inviteguard"]
    return {path.resolve() for pattern in patterns for path in PACKAGE.glob(pattern) if path.is_file()}


def test_every_data_file_in_the_package_ships_in_the_wheel():
    data = {path.resolve() for path in PACKAGE.rglob("*")
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts}
    assert data, "no data files found: the package layout changed"
    missing = sorted(str(path.relative_to(PACKAGE.resolve())) for path in data - shipped()
                     if PACKAGE.resolve() in path.parents)
    assert not missing, f"not in pyproject's package-data, so not in the wheel: {missing}"
