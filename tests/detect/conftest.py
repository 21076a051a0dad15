from pathlib import Path

import pytest
from inviteguard.detect import fit
from inviteguard.detect.evaluation import read_labels
from inviteguard.detect.rules import load_rules

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


@pytest.fixture(scope="session")
def training_corpus() -> fit.Corpus:
    """The fixtures and, where it is beside the checkout, the real corpus, read once on every input
    under the committed rules, as `inviteguard fit` reads them: the fit test refits from it and
    the fixture goals are its verdicts (nine analyses of 10,000 messages, not eighteen)."""
    cases = read_labels(FIXTURES)
    if (REAL_CORPUS / "labels.csv").is_file():
        cases += read_labels(REAL_CORPUS)
    return fit.rows_of(cases, load_rules())


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / "emls" / relative).read_bytes()
