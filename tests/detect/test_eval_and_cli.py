"""The figures the issue asks for, measured by the same code users run, and the CLI around them."""

import json
import os
import subprocess
import sys

import pytest
from inviteguard.detect import evaluation
from inviteguard.detect.evaluation import INPUTS, Report, evaluate, format_report, read_labels

from .conftest import FIXTURES, fixture_bytes

# Training figures: the model is fitted on these corpora (inviteguard fit), so they guard against
# regressions; the figures that count are the untouched blind batches in bench/BLIND.md.
RECALL_MIN = 0.97
# A regression guard at today's training figure, not the goal: the fixtures hold twenty-five blind
# batches (b3-b27) and four training batches (t01-t04) in more than 30 languages, their misses
# included. The fitted detector flags 0.99 of their lures, its wording model having been fitted on
# these very words (0.83-0.84 before round 19's wording model; cross-validated, wording held out
# by batch, 0.93). The goal is measured on untouched batches only.
FIXTURE_RECALL_MIN = 0.95
HAM_PHISHING_MAX = 0.005
HAM_SUSPICIOUS_MAX = 0.02


def figures(report):
    phish = [o for o in report.outcomes if o.case.label == "phish"]
    ham = [o for o in report.outcomes if o.case.label == "ham"]
    recall = sum(o.level != "clean" for o in phish) / len(phish)
    ham_phishing = sum(o.level == "phishing" for o in ham) / len(ham) if ham else 0.0
    ham_suspicious = sum(o.level == "suspicious" for o in ham) / len(ham) if ham else 0.0
    return recall, ham_phishing, ham_suspicious


def assert_goals(report, recall_min=RECALL_MIN):
    recall, ham_phishing, ham_suspicious = figures(report)
    assert not report.unreadable
    assert recall >= recall_min, format_report(report)
    assert ham_phishing <= HAM_PHISHING_MAX, format_report(report)
    assert ham_suspicious <= HAM_SUSPICIOUS_MAX, format_report(report)


def test_real_corpus_meets_the_goals(real_corpus):
    assert_goals(evaluate(read_labels(real_corpus)))


@pytest.mark.parametrize("given", range(len(INPUTS)), ids=[i.name.replace(",", "").replace(" ", "-") for i in INPUTS])
def test_own_fixtures_meet_the_goals(training_corpus, given):
    report = training_corpus.reports()[given]
    fixtures = len(read_labels(FIXTURES))
    report = Report([o for o in report.outcomes if o.case.path.is_relative_to(FIXTURES)],
                    [u for u in report.unreadable if u[0].path.is_relative_to(FIXTURES)],
                    report.outlook_path, report.item_class)
    assert len(report.outcomes) + len(report.unreadable) == fixtures
    assert {o.case.label for o in report.outcomes} == {"phish", "ham"}
    assert_goals(report, FIXTURE_RECALL_MIN)


def test_the_fits_reading_gives_evals_verdicts(training_corpus, monkeypatch):
    """The fixture goals read their verdicts from the fit's reading of the fixtures (the session's
    `training_corpus`, read as `fit.rows_of` reads): it must judge every input as `inviteguard
    eval` does (a sample of 1 in 40 fixtures, every family's kind)."""
    # Read here, not in pools of spawned processes that each compile the rules first (most of
    # this test's time): that processes read as this one does is the next test's to check.
    monkeypatch.setattr(evaluation, "PARALLEL_MIN_CASES", sys.maxsize)
    cases = read_labels(FIXTURES)[::40]
    sampled = {case.path for case in cases}
    for given, report in zip(INPUTS, training_corpus.reports(), strict=True):
        read = [o for o in report.outcomes if o.case.path in sampled]
        expected = evaluate(cases, outlook_path=given.outlook_path, item_class=given.item_class)
        assert len(read) == len(cases) and read == expected.outcomes, given.name
        assert (report.outlook_path, report.item_class) == (expected.outlook_path, expected.item_class)


def test_ordinary_mail_at_scale_is_left_alone(ham_scale):
    """4,144 real messages (SpamAssassin's public corpus): phishing <= 0.05 %, any flag <= 0.2 %."""
    report = evaluate(read_labels(ham_scale))
    ham = [o for o in report.outcomes if o.case.label == "ham"]
    assert len(ham) > 4000 and not report.unreadable
    assert sum(o.level == "phishing" for o in ham) <= 0.0005 * len(ham), format_report(report)
    assert sum(o.level != "clean" for o in ham) <= 0.002 * len(ham), format_report(report)


def test_headline_attacks_are_phishing_not_just_suspicious():
    report = evaluate(c for c in read_labels(FIXTURES) if c.family.removeprefix("b2_").startswith("icloud"))
    assert report.outcomes and all(o.level == "phishing" for o in report.outcomes if o.case.label == "phish")


# The CLI tests below run `inviteguard.cli.main` in this process (`cli_in_process`, tests/conftest.py),
# whose rules are compiled already, not in new processes that each compile them first (about 10 s):
# what they check is what the command prints and how it exits. What takes processes of their own
# (hash seeds, spawned workers) is checked with real ones.


def test_analyze_json_one_line_per_file_and_stdin(cli_in_process):
    first = FIXTURES / "emls/icloud_direct/paypal_599_en.eml"
    result = cli_in_process("analyze", "--json", str(first), "-",
                            stdin=fixture_bytes("icloud_direct/paypal_599_en.eml"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    bodies = [json.loads(line) for line in lines]
    assert bodies[0] == bodies[1]
    assert set(bodies[0]) == {"verdict", "score", "reasons", "banner", "fingerprint", "cached", "rules_version"}
    assert bodies[0]["verdict"] == "phishing" and bodies[0]["cached"] is False
    assert "+1 808" in bodies[0]["reasons"][0]["detail"]


def test_analyze_summary_and_unreadable_file(tmp_path, cli_in_process):
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    result = cli_in_process("analyze", str(FIXTURES / "emls/icloud_direct/paypal_599_en.eml"), str(empty))
    assert result.returncode == 2
    assert "PHISHING" in result.stdout and "empty" in result.stderr


def small_labelled_folder(folder):
    """A labels.csv naming a few fixtures of each label by absolute path: what the CLI prints and
    how it exits, without judging all of tests/data again (test_own_fixtures_meet_the_goals does)."""
    rows = [line for line in (FIXTURES / "labels.csv").read_text(encoding="utf-8").splitlines()[1:]
            if line.startswith(("emls/icloud_list_srs/", "emls/b4_", "emls/gcal_invite/"))]
    absolute = [f"{FIXTURES / line.split(',', 1)[0]},{line.split(',', 1)[1]}" for line in rows]
    (folder / "labels.csv").write_text("\n".join(["file,label,family,lure_location,language,notes", *absolute]) + "\n",
                                       encoding="utf-8")
    return folder


def test_eval_prints_figures_and_fails_only_on_unreadable_input(tmp_path, cli_in_process):
    result = cli_in_process("eval", str(small_labelled_folder(tmp_path)))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for heading in ("recall (phishing or suspicious)", "ham flagged phishing", "ham flagged suspicious",
                    "misses", "false positives", "icloud_list_srs"):
        assert heading in out
    (tmp_path / "labels.csv").write_text("file,label\nmissing.eml,phish\n")
    assert cli_in_process("eval", str(tmp_path)).returncode == 2
    (tmp_path / "labels.csv").write_text("file,label\nmissing.eml,spam\n")
    assert cli_in_process("eval", str(tmp_path)).returncode == 2


def test_eval_outlook_path_without_item_class(tmp_path, cli_in_process):
    folder = small_labelled_folder(tmp_path)
    refused = cli_in_process("eval", str(folder), "--no-item-class")
    assert refused.returncode == 2 and "--outlook-path" in refused.stderr
    result = cli_in_process("eval", str(folder), "--outlook-path", "--no-item-class")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("input: Outlook path (headers + body, no ICS, no item_class)")


def test_a_folder_read_across_processes_gives_what_one_process_gives(monkeypatch, tmp_path):
    """Large folders are judged in spawned processes, chunk by chunk: the outcomes, and the
    unreadable files, come back in the cases' order, the same as judged here."""
    cases = read_labels(small_labelled_folder(tmp_path))[:24]
    cases.insert(5, evaluation.Case(tmp_path / "missing.eml", "missing.eml", "ham", "missing"))
    here = evaluation._judged(cases, True, False)
    pools = []

    class CountedPool(evaluation.ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            pools.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(evaluation, "PARALLEL_MIN_CASES", 0)
    monkeypatch.setattr(evaluation.os, "cpu_count", lambda: 2)  # two workers even on a one-core machine
    monkeypatch.setattr(evaluation, "ProcessPoolExecutor", CountedPool)
    chunks = list(evaluation.in_order(evaluation._judged, cases, True, False, chunk=7))
    assert pools == [(2,)]  # the chunks went to worker processes, not the loop in this one
    assert [done for done, _ in chunks] == [7, 14, 21, 25]
    assert [o for _, (outcomes, _) in chunks for o in outcomes] == here[0]
    assert [u for _, (_, unreadable) in chunks for u in unreadable] == here[1] and len(here[1]) == 1


def test_verdicts_do_not_depend_on_the_process_hash_seed():
    """Every gunicorn worker must reach the same verdict: no set order may leak into one (a tie
    between languages once picked different phone regions per process)."""
    files = sorted(str(p) for p in (FIXTURES / "emls").glob("b4_*/*.eml"))
    assert len(files) > 100
    # Both processes at once, each on a core: most of either's time is compiling the rules.
    processes = [subprocess.Popen([sys.executable, "-m", "inviteguard.cli", "analyze", "--json", *files],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env={**os.environ, "PYTHONHASHSEED": seed}) for seed in ("0", "2")]
    outputs = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=300)
            assert process.returncode == 0, stderr
            outputs.append([{k: v for k, v in json.loads(line).items() if k != "banner"}
                            for line in stdout.decode().splitlines()])
    finally:
        for process in processes:
            process.kill()
            process.wait()
    assert len(outputs[0]) == len(files) and outputs[0] == outputs[1]
