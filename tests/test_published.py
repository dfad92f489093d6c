"""The published board: every row of the committed leaderboard.csv is backed by tracked files under
results/, re-scores to its own figures, and README's board is exactly what its command generates."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from bench.cli import main
from bench.leaderboard import load_rows
from bench.paths import PUBLISHED_LEADERBOARD, REPO_ROOT
from bench.scoring import evaluate_file

ROWS = load_rows(PUBLISHED_LEADERBOARD)
README = REPO_ROOT / "README.md"


def tracked_files() -> set[str]:
    out = subprocess.run(["git", "ls-files", "results"], cwd=REPO_ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return set(out.stdout.split())


def test_the_published_board_has_rows_and_floors():
    assert ROWS, "leaderboard.csv has no rows"
    assert {"majority", "cue-rules"} <= {r["system"] for r in ROWS}
    assert {"test", "test_ood", "real-test"} <= {r["split"] for r in ROWS}


def test_every_row_names_predictions_tracked_under_results():
    tracked = tracked_files()
    for row in ROWS:
        assert row["predictions"].startswith("results/"), row["run_id"]
        assert row["predictions"] in tracked, row["predictions"]
        folder = row["predictions"].rsplit("/", 1)[0]
        assert {f"{folder}/metrics.json", f"{folder}/config.yaml", f"{folder}/environment.json"} <= tracked


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['system']}-s{r['seed']}-{r['split']}" for r in ROWS])
def test_rescoring_the_published_predictions_gives_the_row(row):
    card = evaluate_file(REPO_ROOT / row["predictions"], split=row["split"], n_resamples=0)
    assert round(card["macro_f1"], 4) == float(row["macro_f1"])
    assert round(card["accuracy"], 4) == float(row["accuracy"])
    for label, scores in card["per_class"].items():
        assert round(scores["f1"], 4) == float(row[f"f1_{label}"])


def test_readme_board_is_what_the_command_generates(tmp_path, capsys):
    text = README.read_text(encoding="utf-8")
    command = re.search(r"`(claimframe leaderboard [^`]*--readme README\.md[^`]*)`", text).group(1)
    copy = tmp_path / "README.md"
    copy.write_text(text, encoding="utf-8")
    args = [str(copy) if arg == "README.md" else arg for arg in shlex.split(command)[1:]]
    assert main(args) == 0
    assert copy.read_text(encoding="utf-8") == text, f"README's board is stale: run `{command}`"
    block = text[text.index("<!-- leaderboard:start -->"):text.index("<!-- leaderboard:end -->")]
    system_rows = [line for line in block.splitlines() if re.match(r"\| \d+ \|", line)]
    assert system_rows and all(not line.split("|")[2].strip() == "" for line in system_rows), "a tier is blank"


def test_readme_learning_curves_are_what_the_command_generates(tmp_path, capsys):
    text = README.read_text(encoding="utf-8")
    command = re.search(r"`(claimframe curve --show [^`]*--readme README\.md[^`]*)`", text).group(1)
    copy = tmp_path / "README.md"
    copy.write_text(text, encoding="utf-8")
    args = [str(copy) if arg == "README.md" else arg for arg in shlex.split(command)[1:]]
    assert main(args) == 0
    assert copy.read_text(encoding="utf-8") == text, f"README's learning curves are stale: run `{command}`"
    block = text[text.index("<!-- curve:start -->"):text.index("<!-- curve:end -->")]
    for system in ("tfidf-logreg", "minilm-frozen", "setfit-2k", "minilm-finetune"):
        assert f"| {system} | test | 0.05 |" in block and f"| {system} | test | 1 |" in block


def test_a_published_cpu_row_reproduces(tmp_path):
    from bench.external import real_sets
    from bench.reproduce import reproduce

    row = next(r for r in ROWS if r["system"] == "cue-rules" and r["device"] == "cpu")
    note = real_sets()[1]
    if note and any(r["split"].startswith("real-") for r in ROWS if r["run_id"] == row["run_id"]):
        pytest.skip(note)  # the run was scored on the real-news sets, and this machine has no copy
    result = reproduce(row["run_id"], leaderboard=PUBLISHED_LEADERBOARD, output=tmp_path / "again")
    assert result.matches, result.mismatches
    assert result.compared > 50
