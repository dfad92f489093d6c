"""The leaderboard as a product: ranks, tiers, OOD gap, seed aggregation, reference rows, README."""

import statistics
from pathlib import Path

import pytest

from bench.cli import main
from bench.data import load_corpus
from bench.errors import UserError
from bench.labels import LABELS
from bench.leaderboard import load_rows
from bench.gold import corpus_split
from bench.leaderboard_render import README_END, README_START, display_rows, render_board, update_readme
from bench.standings import build_board, human_ceiling, ood_gaps
from boards import add_run, corrupt, make_corpus

SPLITS = ("dev", "test", "test_ood")


@pytest.fixture(scope="module")
def board_files(tmp_path_factory):
    """Synthetic corpus (60 per split) and five runs: perfect (two seeds, one slightly off), two
    floors, a weak system, and a run whose prediction files are gone. Read-only for the tests."""
    tmp_path = tmp_path_factory.mktemp("board")
    corpus_dir = make_corpus(tmp_path / "corpus")
    corpus = load_corpus(corpus_dir)
    gold = {split: list(corpus[split]["label"]) for split in SPLITS}
    board, runs = tmp_path / "leaderboard.csv", tmp_path / "runs"
    add_run(board, runs, corpus, "perfect", 0, gold)
    add_run(board, runs, corpus, "perfect", 1, {s: corrupt(g, 30) for s, g in gold.items()})
    add_run(board, runs, corpus, "majority", 0, {s: [LABELS[0]] * len(g) for s, g in gold.items()})
    add_run(board, runs, corpus, "cue-rules", 0, {"dev": corrupt(gold["dev"], 2), "test": corrupt(gold["test"], 2),
                                                  "test_ood": corrupt(gold["test_ood"], 3)})
    add_run(board, runs, corpus, "lost", 0, {s: corrupt(g, 4) for s, g in gold.items()}, with_file=False)
    return corpus_dir, board


def _entries(board, split):
    return {(e.system, e.runs[0]["seed"]): e for e in next(s for s in board.splits if s.split == split).entries}


def test_human_ceiling_from_label_b(corpus_dir):
    double = Path(__file__).parent / "fixtures" / "corpus_double"
    # test: 5 of 6 rows doubly annotated, one framing sentence read as attributed:
    # F1 factual 1, attributed 2·(2/3·1)/(2/3+1) = 0.8, framing 0 → 0.6
    assert human_ceiling(corpus_split(double, "test"))["macro_f1"] == pytest.approx(0.6)
    assert human_ceiling(corpus_split(double, "test"))["n"] == 5
    # test_ood: one factual sentence read as framing: 0.8, 1, 2/3 → 0.8222
    assert human_ceiling(corpus_split(double, "test_ood"))["macro_f1"] == pytest.approx((0.8 + 1 + 2 / 3) / 3)
    assert human_ceiling(corpus_split(corpus_dir, "test")) is None


def test_ranks_tiers_and_ood_gap(board_files):
    corpus, path = board_files
    rows = load_rows(path)
    board = build_board(rows, data=corpus, n_resamples=2000)
    test = _entries(board, "test")
    assert test[("perfect", "0")].rank == 1 and test[("perfect", "0")].tier == 1
    assert test[("perfect", "1")].rank == 2 and test[("perfect", "1")].tier == 1  # 2 errors in 60
    assert test[("cue-rules", "0")].tier == 2   # half the labels wrong
    assert test[("majority", "0")].tier == 3
    assert test[("lost", "0")].tier is None and test[("lost", "0")].rank == 3
    gaps = ood_gaps(rows)
    run = test[("cue-rules", "0")].runs[0]["run_id"]
    by_split = {r["split"]: float(r["macro_f1"]) for r in rows if r["run_id"] == run}
    assert gaps[run] == pytest.approx(by_split["test"] - by_split["test_ood"])
    assert test[("cue-rules", "0")].cells["ood_gap"] == pytest.approx(gaps[run])
    assert len(board.splits[0].comparisons) == 6  # 4 systems with predictions, all pairs


def test_filter_keeps_floors_and_ceiling(board_files):
    corpus, path = board_files
    board = build_board(load_rows(path), data=corpus, split="test", system="perfect", n_resamples=200)
    assert [s.split for s in board.splits] == ["test"]
    lines = display_rows(board.splits[0], aggregated=False)
    assert [line["system"] for line in lines] == [
        "perfect", "perfect", "cue-rules (floor)", "majority (floor)", "second annotator (AI), n=60"]
    assert lines[-1]["macro_f1"] == "0.9000"  # label_b disagrees on every 10th row, all labels balanced


def test_aggregate_seeds(board_files):
    corpus, path = board_files
    rows = load_rows(path)
    board = build_board(rows, data=corpus, split="test", aggregate=True, n_resamples=500)
    perfect = _entries(board, "test")[("perfect", "0")]
    scores = [float(r["macro_f1"]) for r in rows if r["system"] == "perfect" and r["split"] == "test"]
    assert perfect.cells["runs"] == 2
    assert perfect.macro_f1 == pytest.approx(statistics.fmean(scores))
    assert perfect.cells["macro_f1_sd"] == pytest.approx(statistics.stdev(scores))
    assert perfect.tier == 1 and perfect.rank == 1
    text = render_board(board, "md")
    assert "| rank | tier | system | device | seeds | macro_f1_mean | macro_f1_sd |" in text
    assert "mean over seeds" in text


def test_two_runs_of_one_seed_count_once_and_the_latest_wins(board_files):
    corpus, path = board_files
    rows = load_rows(path)
    again = [dict(r, run_id=r["run_id"] + "-again", timestamp="2026-02-01T00:00:00Z", macro_f1="0.5")
             for r in rows if r["system"] == "perfect" and r["seed"] == "1"]
    board = build_board(rows + again, data=corpus, split="test", aggregate=True, n_resamples=200)
    perfect = _entries(board, "test")[("perfect", "0")]
    assert perfect.cells["runs"] == 2
    assert [r["run_id"] for r in perfect.runs][1].endswith("-again")
    assert perfect.macro_f1 == pytest.approx((1.0 + 0.5) / 2)


def test_other_configs_of_one_system_are_not_aggregated(board_files):
    corpus, path = board_files
    rows = [dict(r, config_sha256="other") if r["system"] == "perfect" and r["seed"] == "1" else r
            for r in load_rows(path)]
    board = build_board(rows, data=corpus, split="test", aggregate=True, n_resamples=200)
    assert [e.cells["runs"] for e in board.splits[0].entries if e.system == "perfect"] == [1, 1]


def test_aggregation_keeps_devices_apart(board_files, tmp_path):
    corpus, path = board_files
    rows = load_rows(path)
    cuda = [dict(r, device="cuda", run_id=r["run_id"] + "-cuda") for r in rows if r["system"] == "perfect"]
    board = build_board(rows + cuda, data=corpus, split="test", aggregate=True, n_resamples=200)
    perfect = [e for e in board.splits[0].entries if e.system == "perfect"]
    assert sorted(e.cells["device"] for e in perfect) == ["cpu", "cuda"]
    assert all(e.cells["runs"] == 2 for e in perfect)


def test_no_corpus_means_blank_tiers_and_a_note(board_files, tmp_path, monkeypatch):
    _, path = board_files
    monkeypatch.setattr("bench.standings.DEFAULT_DATA", tmp_path / "absent")
    board = build_board(load_rows(path), split="test")
    assert all(e.tier is None for e in board.splits[0].entries)
    assert any("No gold labels found for test" in note for note in board.splits[0].notes)


def test_missing_floor_is_noted(corpus_dir, tmp_path):
    corpus = load_corpus(corpus_dir)
    add_run(tmp_path / "lb.csv", tmp_path / "runs", corpus, "solo", 0, {"test": list(corpus["test"]["label"])})
    text = render_board(build_board(load_rows(tmp_path / "lb.csv"), data=corpus_dir, n_resamples=100))
    assert "Floors not on the board for test: majority, cue-rules." in text
    assert "No ceiling for test" in text


def test_readme_section_is_generated(board_files, tmp_path, capsys):
    corpus, path = board_files
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nintro\n\n{README_START}\ntyped by hand\n{README_END}\n\n## After\n")
    args = ["leaderboard", "--path", str(path), "--data", str(corpus), "--split", "test",
            "--aggregate-seeds", "--readme", str(readme)]
    assert main(args) == 0
    text = readme.read_text()
    assert text.startswith("# Title\n\nintro\n\n" + README_START + "\n")
    assert text.endswith(README_END + "\n\n## After\n")
    assert "typed by hand" not in text
    assert "| 1 | 1 | perfect | cpu | 2 |" in text and "second annotator (AI), n=60" in text
    assert main(args) == 0
    assert readme.read_text() == text  # idempotent: nothing accumulates


def test_readme_without_markers_is_refused_untouched(board_files, tmp_path, capsys):
    corpus, path = board_files
    readme = tmp_path / "README.md"
    readme.write_text("# No markers here\n")
    with pytest.raises(UserError, match="markers"):
        update_readme(readme, "| table |")
    assert main(["leaderboard", "--path", str(path), "--data", str(corpus), "--readme", str(readme)]) == 2
    assert "markers" in capsys.readouterr().err
    assert readme.read_text() == "# No markers here\n"
    assert list(tmp_path.glob(".README.md*")) == []


def test_cli_formats(board_files, capsys):
    corpus, path = board_files
    assert main(["leaderboard", "--path", str(path), "--data", str(corpus), "--split", "test_ood",
                 "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "split,rank,tier,system,macro_f1,ci_95,accuracy,ece,brier,contrast,ood_gap,seed,device,run_id"
    assert lines[1].startswith("test_ood,1,1,perfect,1.0000,")
    assert main(["leaderboard", "--path", str(path), "--data", str(corpus), "--split", "nowhere"]) == 2
    assert "no rows for split 'nowhere'" in capsys.readouterr().err


def test_boards_of_other_data_sets_hide_the_corpus_only_columns(board_files):
    corpus, path = board_files
    rows = load_rows(path)
    real = [dict(r, split="real-test") for r in rows if r["split"] == "test"]
    text = render_board(build_board(rows + real, data=corpus, split="test,real-test", n_resamples=100))
    test_part, real_part = text.split("== real-test ==")
    assert "ood_gap" in test_part and "contrast" in test_part
    assert "ood_gap" not in real_part and "contrast" not in real_part


def test_smoke_tests_are_shown_unranked_after_the_results_and_curve_points_not_at_all(board_files, tmp_path):
    import shutil

    corpus_dir, path = board_files
    board_path = tmp_path / "board.csv"
    shutil.copy(path, board_path)
    corpus = load_corpus(corpus_dir)
    gold = {split: list(corpus[split]["label"]) for split in SPLITS}
    smoke = add_run(board_path, tmp_path / "runs", corpus, "tiny-lm", 0, gold)  # perfect, yet only a smoke test
    curve = add_run(board_path, tmp_path / "runs", corpus, "curve-point", 0, gold)
    rows = []
    for row in load_rows(board_path):
        rows.append(row | {"smoke_test": "yes" if row["run_id"] == smoke else "",
                           "train_fraction": "0.5" if row["run_id"] == curve else ""})
    board = build_board(rows, data=corpus_dir, n_resamples=200)
    test = next(s for s in board.splits if s.split == "test")
    systems = [e.system for e in test.entries]
    assert "curve-point" not in systems
    assert systems[-1] == "tiny-lm" and test.entries[-1].rank == 0 and test.entries[-1].tier is None
    assert [e.rank for e in test.entries if e.system == "perfect"][0] == 1
    assert any("smoke test" in note for note in test.notes)
    [line] = [line for line in display_rows(test, aggregated=False) if line["system"].startswith("tiny-lm")]
    assert line["system"] == "tiny-lm (smoke test)" and line["rank"] == "" and line["tier"] == ""
