"""bench.curve and the document-level subsets of bench.data: fractions, nested subsets, rows tagged with
their fraction and kept off the board, the curve read back over seeds, and the report's figure."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest

from bench.cli import main
from bench.config import RunConfig
from bench.curve import curve_points, format_points, parse_fractions, run_curve
from bench.data import document_subset, load_corpus
from bench.errors import UserError
from bench.leaderboard import load_rows
from bench.standings import build_board

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
V2 = Path(__file__).parents[1] / "data" / "claimframe-v2"


def test_fractions_are_parsed_sorted_and_checked():
    assert parse_fractions("1.0,0.05, 0.25") == (0.05, 0.25, 1.0)
    for bad, message in (("0,1", "in (0, 1]"), ("1.5", "in (0, 1]"), ("0.1,0.1", "twice"), ("a", "numbers"),
                         ("", "in (0, 1]")):
        with pytest.raises(UserError, match=re.escape(message)):
            parse_fractions(bad)


def test_subsets_take_whole_documents_grow_with_the_fraction_and_depend_on_the_seed():
    train = load_corpus(V2)["train"]
    sizes = {}
    for seed in (1, 2):
        previous = set()
        for fraction in (0.05, 0.25, 0.5):
            subset = document_subset(train, fraction, seed)
            docs = set(subset["doc_id"])
            # every kept document is kept whole
            assert len(subset) == sum(1 for doc in train["doc_id"] if doc in docs)
            # at least the fraction, and less than one more document beyond it
            assert fraction * len(train) <= len(subset) < fraction * len(train) + 200
            assert previous <= docs
            previous = docs
            sizes[(seed, fraction)] = docs
    assert sizes[(1, 0.05)] != sizes[(2, 0.05)]
    assert document_subset(train, 0.25, 1)["id"] == document_subset(train, 0.25, 1)["id"]
    assert len(document_subset(train, 1.0, 1)) == len(train)
    with pytest.raises(UserError, match="fraction"):
        document_subset(train, 0, 1)


def test_a_curve_records_tagged_rows_that_stay_off_the_board(tmp_path):
    board = tmp_path / "board.csv"
    config = RunConfig(name="tfidf", system="tfidf_linear", params={"classifier": "logreg"})
    results = run_curve(config, (0.5, 1.0), (1, 2), device="cpu", data=CORPUS, leaderboard=board, n_resamples=10,
                        runs_dir=tmp_path / "runs")
    assert len(results) == 4
    rows = load_rows(board)
    train = load_corpus(CORPUS)["train"]
    for result in results:
        fraction = result.metrics["train_fraction"]
        subset = document_subset(train, fraction, result.metrics["seed"])
        assert result.metrics["train_sentences"] == len(subset)
        mine = [r for r in rows if r["run_id"] == result.run_id]
        assert {float(r["train_fraction"]) for r in mine} == {fraction}
        assert {int(r["train_sentences"]) for r in mine} == {len(subset)}
        assert f"-f{fraction:g}-" in result.run_id and result.directory.parent == tmp_path / "runs"
    assert build_board(rows, data=CORPUS).splits == []

    points = curve_points(rows, "test")
    assert [(p.fraction, p.seeds) for p in points] == [(0.5, 2), (1.0, 2)]
    for point in points:
        scores = [float(r["macro_f1"]) for r in rows
                  if r["split"] == "test" and float(r["train_fraction"]) == point.fraction]
        assert point.macro_f1_mean == pytest.approx(statistics.fmean(scores))
        assert (point.macro_f1_min, point.macro_f1_max) == (min(scores), max(scores))
    assert "0.5" in format_points(points)


def test_curve_points_count_each_seed_once_the_latest_run():
    def row(seed, score, stamp, fraction="0.1"):
        return {"system": "s", "config_sha256": "c", "split": "test", "seed": str(seed), "macro_f1": str(score),
                "timestamp": stamp, "train_fraction": fraction, "train_sentences": "100"}

    rows = [row(1, 0.2, "2026-01-01"), row(1, 0.4, "2026-01-02"), row(2, 0.6, "2026-01-01"),
            row(1, 0.9, "2026-01-01", fraction="")]
    [point] = curve_points(rows, "test")
    assert (point.seeds, point.macro_f1_mean, point.macro_f1_sd) == (2, pytest.approx(0.5), pytest.approx(0.1414, abs=1e-4))
    assert curve_points(rows, "test_ood") == []


def test_the_cli_curve_prints_the_points_and_the_report_draws_them(tmp_path, capsys):
    board = tmp_path / "board.csv"
    config = Path(__file__).parents[1] / "configs" / "systems" / "tfidf-logreg.yaml"
    assert main(["curve", "--config", str(config), "--fractions", "0.5,1", "--seeds", "1", "--data", str(CORPUS),
                 "--leaderboard", str(board), "--no-real", "--runs-dir", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert "tfidf-logreg" in out and "test_ood" in out and "0.5" in out
    assert main(["train", "--config", str(config.with_name("majority.yaml")), "--data", str(CORPUS),
                 "--leaderboard", str(board), "--no-real", "--output", str(tmp_path / "runs" / "majority")]) == 0
    capsys.readouterr()
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- curve:start -->\nold\n<!-- curve:end -->\nend\n")
    assert main(["curve", "--show", "--leaderboard", str(board), "--format", "md", "--readme", str(readme)]) == 0
    shown = capsys.readouterr().out
    assert "| tfidf-logreg | test | 0.5 |" in shown and "| tfidf-logreg | test_ood | 1 |" in shown
    text = readme.read_text()
    assert text.startswith("intro\n<!-- curve:start -->\n") and text.endswith("<!-- curve:end -->\nend\n")
    assert "\nold\n" not in text and shown.strip() in text
    assert main(["report", "--leaderboard", str(board), "--data", str(CORPUS), "--output", str(tmp_path / "r")]) == 0
    markdown = (tmp_path / "r" / "report.md").read_text()
    assert "## Learning curves · test" in markdown
    assert (tmp_path / "r" / "figures" / "learning-curves-test.png").stat().st_size > 1000


def test_show_on_a_board_without_curves_and_curve_without_config_are_user_errors(tmp_path, capsys):
    empty = tmp_path / "board.csv"
    assert main(["curve", "--show", "--leaderboard", str(empty)]) == 2
    assert main(["curve", "--fractions", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "no learning-curve rows" in err and "curve needs --config" in err
