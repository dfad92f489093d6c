import shutil

import pytest

from bench.errors import UserError
from bench.leaderboard import load_rows
from bench.publish import publish_run
from bench.scoring import evaluate_file


def test_publish_copies_the_evidence_and_adds_rows_that_point_at_it(cue_run, tmp_path, corpus_dir):
    results, board = tmp_path / "results", tmp_path / "leaderboard.csv"
    rows = publish_run(cue_run, results=results, leaderboard=board)
    folder = results / cue_run.name
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.yaml", "environment.json", "metrics.json", "predictions-contrast.jsonl", "predictions-dev.jsonl",
        "predictions-test.jsonl", "predictions-test_ood.jsonl"]
    assert [r["split"] for r in load_rows(board)] == ["dev", "test", "test_ood"]
    for row in rows:
        assert row["predictions"] == str(folder / f"predictions-{row['split']}.jsonl")
        card = evaluate_file(row["predictions"], split=row["split"], data=corpus_dir, n_resamples=0)
        assert round(card["macro_f1"], 4) == row["macro_f1"]


def test_publishing_twice_or_an_incomplete_run_changes_nothing(cue_run, tmp_path):
    results, board = tmp_path / "results", tmp_path / "leaderboard.csv"
    publish_run(cue_run, results=results, leaderboard=board)
    before = board.read_text()
    with pytest.raises(UserError, match="already published"):
        publish_run(cue_run, results=results, leaderboard=board)
    broken = tmp_path / "broken"
    shutil.copytree(cue_run, broken)
    (broken / "predictions-test.jsonl").unlink()
    with pytest.raises(UserError, match="no predictions file for split 'test'"):
        publish_run(broken, results=tmp_path / "other", leaderboard=tmp_path / "other.csv")
    assert board.read_text() == before
    assert not (tmp_path / "other").exists() and not (tmp_path / "other.csv").exists()


def test_an_unknown_run_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no such run"):
        publish_run("nope", runs_dir=tmp_path, results=tmp_path / "r", leaderboard=tmp_path / "b.csv")


def test_publishing_chosen_splits_copies_and_records_only_those(cue_run, tmp_path):
    results, board = tmp_path / "results", tmp_path / "leaderboard.csv"
    rows = publish_run(cue_run, results=results, leaderboard=board, splits=["test"])
    assert [r["split"] for r in rows] == [r["split"] for r in load_rows(board)] == ["test"]
    assert sorted(p.name for p in (results / cue_run.name).iterdir()) == [
        "config.yaml", "environment.json", "metrics.json", "predictions-test.jsonl"]
    with pytest.raises(UserError, match="the run has no split 'real-test'"):
        publish_run(cue_run, results=tmp_path / "other", leaderboard=tmp_path / "other.csv", splits=["real-test"])
    assert not (tmp_path / "other").exists() and not (tmp_path / "other.csv").exists()
