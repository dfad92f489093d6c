"""`claimframe reproduce`: an exact re-run of a quick-suite row, and refusals when data or config moved."""

import json
import shutil
from pathlib import Path

import pytest
import yaml

from bench.cli import main
from bench.config import load_run_config, load_suite
from bench.errors import UserError
from bench.leaderboard import append_rows, load_rows, make_row
from bench.reproduce import CROSS_DEVICE_TOLERANCE, compare_metrics, reproduce
from bench.suite import run_suite
from bench.paths import CONFIG_ROOT
from bench.training import train_run

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"  # `corpus_dir`, for a module-scoped fixture


@pytest.fixture(scope="module")
def quick_board(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("quick")
    board = tmp_path / "leaderboard.csv"
    run_suite(load_suite("quick"), device="cpu", data=FIXTURE_CORPUS, leaderboard=board,
              runs_dir=tmp_path / "runs", n_resamples=200)
    return board


def _run_id(board, system):
    return next(r["run_id"] for r in load_rows(board) if r["system"] == system)


def test_quick_suite_row_reproduces_exactly(quick_board, tmp_path):
    result = reproduce(_run_id(quick_board, "tfidf-logreg"), leaderboard=quick_board, output=tmp_path / "again")
    assert result.exact_expected and result.device == "cpu"
    assert result.mismatches == [] and result.matches
    assert result.compared > 50  # 3 splits × (F1s, CIs, per-class, confusion) + contrast
    recorded = json.loads((quick_board.parent / "runs" / _run_id(quick_board, "tfidf-logreg")
                           / "metrics.json").read_text())
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert again["splits"] == recorded["splits"]


def test_cli_reports_the_match(quick_board, capsys):
    run_id = _run_id(quick_board, "cue-rules")
    assert main(["reproduce", run_id, "--leaderboard", str(quick_board)]) == 0
    out = capsys.readouterr().out
    assert f"run {run_id} reproduced on cpu" in out and "; 0 differ." in out


def _train_copy(tmp_path, corpus_dir):
    """A majority run on a copy of the fixture corpus, from a copy of its config."""
    data = tmp_path / "corpus"
    shutil.copytree(corpus_dir, data)
    config_file = tmp_path / "majority.yaml"
    shutil.copy(CONFIG_ROOT / "systems" / "majority.yaml", config_file)
    board = tmp_path / "leaderboard.csv"
    result = train_run(load_run_config(config_file), device="cpu", output=tmp_path / "run", data=data,
                       leaderboard=board, n_resamples=50)
    return data, config_file, board, result.run_id


def test_changed_data_is_refused(tmp_path, corpus_dir, capsys):
    data, _, board, run_id = _train_copy(tmp_path, corpus_dir)
    test = data / "test.jsonl"
    test.write_text(test.read_text().replace("Police arrest 9", "Police arrest 10"))
    with pytest.raises(UserError, match="gold labels of .test. have changed since run"):
        reproduce(run_id, leaderboard=board)
    assert main(["reproduce", run_id, "--leaderboard", str(board)]) == 2
    assert "refusing to reproduce" in capsys.readouterr().err


def test_changed_config_file_is_refused(tmp_path, corpus_dir):
    _, config_file, board, run_id = _train_copy(tmp_path, corpus_dir)
    config_file.write_text(config_file.read_text() + "select_on: real-dev\n")
    with pytest.raises(UserError, match="has changed since run"):
        reproduce(run_id, leaderboard=board)


def test_tampered_run_record_is_refused(tmp_path, corpus_dir):
    _, _, board, run_id = _train_copy(tmp_path, corpus_dir)
    record = tmp_path / "run" / "config.yaml"
    content = yaml.safe_load(record.read_text())
    content["declared"]["grid"] = {"seed": [1, 2]}
    record.write_text(yaml.safe_dump(content))
    with pytest.raises(UserError, match="recorded config hashes to"):
        reproduce(run_id, leaderboard=board)


def test_rows_without_a_run_folder_are_refused(tmp_path):
    board = tmp_path / "leaderboard.csv"
    append_rows([make_row(run_id="x", timestamp="t", system="s", config="", config_sha256="abc", data_sha256="",
                          split="test", n=3, macro_f1=0.5, macro_f1_ci_low=0.5, macro_f1_ci_high=0.5,
                          accuracy=0.5)], board)
    with pytest.raises(UserError, match="only rows made by `claimframe train`"):
        reproduce("x", leaderboard=board)
    with pytest.raises(UserError, match="no row has run_id 'y'"):
        reproduce("y", leaderboard=board)


def test_tolerance_across_devices():
    def metrics(macro_f1, support=3, cell=3):
        return {"splits": {"test": {"n": 300, "macro_f1": macro_f1, "per_class": {"a": {"support": support}},
                                    "confusion": {"labels": ["a"], "matrix": [[cell]]}}},
                "contrast_consistency": None}

    near = 0.5 + CROSS_DEVICE_TOLERANCE / 2
    assert compare_metrics(metrics(0.5), metrics(0.5), exact=True) == (5, [])
    assert compare_metrics(metrics(0.5), metrics(near), exact=False)[1] == []
    assert len(compare_metrics(metrics(0.5), metrics(near), exact=True)[1]) == 1
    assert len(compare_metrics(metrics(0.5), metrics(0.5 + 2 * CROSS_DEVICE_TOLERANCE), exact=False)[1]) == 1
    assert len(compare_metrics(metrics(0.5), metrics(0.5, support=4), exact=False)[1]) == 1  # data-fixed
    assert compare_metrics(metrics(0.5), metrics(0.5, cell=6), exact=False)[1] == []  # ≤ 1% of 300
    assert len(compare_metrics(metrics(0.5), metrics(0.5, cell=7), exact=False)[1]) == 1


def test_where_the_real_news_copy_lies_is_not_a_metric():
    def metrics(source):
        return {"splits": {"real-test": {"n": 3, "macro_f1": 0.5, "source": source, "source_sha256": source[-1]}},
                "contrast_consistency": None}

    assert compare_metrics(metrics("/home/a/shared/dev_en.tsv"), metrics("/ci/b/shared/dev_en.tsx"), exact=True)[1] == []
