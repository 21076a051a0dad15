"""Every repository path the READMEs name exists (globs match at least one file)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
READMES = ["README.md", "addin_manifest/outlook/README.md", "addin_manifest/thunderbird/README.md",
           "tests/data/README.md"]
# A path the README gives from the repository root: it starts with one of its top folders.
TOP = ("server/", "tests/", "bench/", "scripts/", "static/", "addin_manifest/", ".ci/")
PATH = re.compile(r"[`(@ ]((?:" + "|".join(re.escape(t) for t in TOP) + r")[\w./*{},-]*[\w*])")


def named_paths(readme: str) -> set[str]:
    return {m.group(1).rstrip(".,") for m in PATH.finditer((REPO / readme).read_text(encoding="utf-8"))}


def expand(path: str) -> list[str]:
    braces = re.search(r"\{([^}]*)\}", path)
    if not braces:
        return [path]
    return [alt for part in braces.group(1).split(",") for alt in expand(path.replace(braces.group(0), part, 1))]


def generated(path: str) -> bool:
    """Made by a test run or an install (tests/artifacts/, node_modules/): git ignores it. Asked as a
    file and as a folder: before any run has made tests/artifacts, git cannot tell that the name is
    a folder, and a pattern with a trailing slash matches folders only."""
    return any(subprocess.run(["git", "check-ignore", "-q", name], cwd=REPO, check=False).returncode == 0
               for name in (path, path.rstrip("/") + "/"))


@pytest.mark.parametrize("readme", READMES)
def test_every_named_path_exists(readme: str):
    paths = named_paths(readme)
    assert paths, f"{readme} names no path at all: the pattern is wrong"
    missing = [p for p in sorted(paths) for alt in expand(p) if not list(REPO.glob(alt)) and not generated(alt)]
    assert not missing, f"{readme} names paths that do not exist: {missing}"
