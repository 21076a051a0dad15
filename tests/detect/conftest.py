from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REAL_CORPUS = REPO.parent / "shared" / "corpus" / "real"
HAM_SCALE = REPO.parent / "shared" / "corpus" / "ham-scale"
FIXTURES = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def real_corpus() -> Path:
    if not (REAL_CORPUS / "labels.csv").is_file():
        pytest.skip(f"the shared real corpus is not beside this checkout ({REAL_CORPUS})")
    return REAL_CORPUS


@pytest.fixture(scope="session")
def ham_scale() -> Path:
    if not (HAM_SCALE / "labels.csv").is_file():
        pytest.skip(f"the shared ham-scale corpus is not beside this checkout ({HAM_SCALE})")
    return HAM_SCALE


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / "emls" / relative).read_bytes()
