"""bench.training.train_run: the run folder, its records, leaderboard rows, and what failures leave."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bench.config import load_run_config
from bench.data import corpus_fingerprints, load_corpus
from bench.errors import UserError
from bench.leaderboard import load_rows
from bench.runs import portable_path
from bench.scoring import evaluate_file
from bench.systems import load_system
from bench.systems.linear import TfidfLinear
from bench.training import grid_points, train_run

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"
CONFIG = load_run_config(Path(__file__).parents[1] / "configs" / "systems" / "tfidf-logreg.yaml")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One tfidf-logreg run on the fixture corpus, with its own leaderboard."""
    root = tmp_path_factory.mktemp("training")
    result = train_run(CONFIG, seed=5, device="cpu", output=root / "run", data=FIXTURE_CORPUS,
                       leaderboard=root / "board.csv", n_resamples=200)
    return result, root


def test_run_folder_holds_every_record(finished):
    result, root = finished
    run = root / "run"
    assert result.directory == run and result.run_id == "run"
    assert sorted(p.name for p in run.iterdir()) == [
        "config.yaml", "environment.json", "metrics.json", "model", "predictions-contrast.jsonl",
        "predictions-dev.jsonl", "predictions-test.jsonl", "predictions-test_ood.jsonl"]
    assert not (root / "run.partial").exists()
    for split, n in (("dev", 6), ("test", 6), ("test_ood", 6), ("contrast", 4)):
        lines = (run / f"predictions-{split}.jsonl").read_text().splitlines()
        assert len(lines) == n and set(json.loads(lines[0])) == {"id", "label", "probs"}


def test_config_yaml_records_the_resolved_config_and_grid(finished):
    _, root = finished
    config = yaml.safe_load((root / "run" / "config.yaml").read_text())
    assert config["name"] == "tfidf-logreg" and config["system"] == "tfidf_linear" and config["seed"] == 5
    assert [trial["params"] for trial in config["grid_results"]] == [{"C": 1.0}, {"C": 4.0}, {"C": 16.0}]
    best = max(config["grid_results"], key=lambda trial: trial["dev_macro_f1"])
    assert config["params"] == {"classifier": "logreg", "C": best["params"]["C"], "seed": 5}
    assert config["data"] == portable_path(FIXTURE_CORPUS)


def test_metrics_json_matches_scoring_the_written_predictions(finished):
    result, root = finished
    metrics = json.loads((root / "run" / "metrics.json").read_text())
    assert metrics == result.metrics
    assert metrics["schema_version"] == "2.1"
    assert metrics["system"] == "tfidf-logreg" and metrics["seed"] == 5 and metrics["device"] == "cpu"
    assert metrics["config_sha256"] == CONFIG.sha256()
    assert set(metrics["splits"]) == {"dev", "test", "test_ood"}
    assert 0.0 <= metrics["contrast_consistency"] <= 1.0
    for split in ("test", "test_ood"):
        rescored = evaluate_file(root / "run" / f"predictions-{split}.jsonl", split=split, data=FIXTURE_CORPUS,
                                 n_resamples=200, seed=5)
        assert rescored == metrics["splits"][split]


def test_environment_json(finished):
    _, root = finished
    environment = json.loads((root / "run" / "environment.json").read_text())
    assert {"torch", "transformers", "scikit-learn", "numpy", "python"} <= set(environment["packages"])
    assert environment["packages"]["scikit-learn"][0].isdigit()
    assert environment["git_commit"] == "unknown" or len(environment["git_commit"].split("-")[0]) == 40
    assert environment["data_sha256"] == corpus_fingerprints(load_corpus(FIXTURE_CORPUS))
    assert environment["config_sha256"] == CONFIG.sha256()
    assert environment["seed"] == 5 and environment["device"] == "cpu"
    assert environment["peak_memory_mb"] > 0


def test_saved_model_reproduces_the_predictions(finished):
    _, root = finished
    system = load_system(root / "run" / "model")
    assert isinstance(system, TfidfLinear)
    corpus = load_corpus(FIXTURE_CORPUS)
    written = [json.loads(line)["label"] for line in (root / "run" / "predictions-test.jsonl").read_text().splitlines()]
    assert system.predict(corpus["test"]["text"]) == written


def test_leaderboard_gets_one_row_per_evaluated_split(finished):
    result, root = finished
    rows = load_rows(root / "board.csv")
    assert [(r["run_id"], r["split"]) for r in rows] == [("run", "dev"), ("run", "test"), ("run", "test_ood")]
    test_row = rows[1]
    assert float(test_row["macro_f1"]) == round(result.metrics["splits"]["test"]["macro_f1"], 4)
    assert test_row["config"] == "configs/systems/tfidf-logreg.yaml"
    assert test_row["config_sha256"] == CONFIG.sha256() and test_row["seed"] == "5"
    assert test_row["data_sha256"] == corpus_fingerprints(load_corpus(FIXTURE_CORPUS))["test"]
    assert test_row["contrast_consistency"] != ""


def test_existing_run_folder_is_refused_and_untouched(finished):
    _, root = finished
    before = {p: p.read_bytes() for p in (root / "run").rglob("*") if p.is_file()}
    with pytest.raises(UserError, match="a run already exists there"):
        train_run(CONFIG, device="cpu", output=root / "run", data=FIXTURE_CORPUS, leaderboard=root / "board.csv")
    assert {p: p.read_bytes() for p in (root / "run").rglob("*") if p.is_file()} == before
    assert len(load_rows(root / "board.csv")) == 3


def test_failing_fit_leaves_no_final_folder(tmp_path, monkeypatch):
    def broken_fit(self, *args, **kwargs):
        raise MemoryError("simulated out-of-memory")

    monkeypatch.setattr(TfidfLinear, "fit", broken_fit)
    with pytest.raises(MemoryError):
        train_run(CONFIG, device="cpu", output=tmp_path / "run", data=FIXTURE_CORPUS,
                  leaderboard=tmp_path / "board.csv")
    assert not (tmp_path / "run").exists()
    assert not (tmp_path / "board.csv").exists()


def test_invalid_corpus_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text("{broken\n")
    with pytest.raises(UserError, match="the corpus is invalid"):
        train_run(CONFIG, device="cpu", output=tmp_path / "run", data=tmp_path / "data",
                  leaderboard=tmp_path / "board.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_grid_points_cover_the_product():
    assert grid_points({}) == [{}]
    assert grid_points({"b": [1, 2], "a": ["x"]}) == [{"a": "x", "b": 1}, {"a": "x", "b": 2}]


def test_systems_without_a_device_are_recorded_on_the_cpu(corpus_dir, tmp_path, monkeypatch):
    monkeypatch.setattr("bench.training.resolve_device", lambda device: "cuda")
    config = load_run_config(Path(__file__).parents[1] / "configs" / "systems" / "majority.yaml")
    result = train_run(config, output=tmp_path / "run", data=corpus_dir, leaderboard=tmp_path / "lb.csv",
                       n_resamples=10)
    assert {row["device"] for row in load_rows(tmp_path / "lb.csv")} == {"cpu"}
    assert result.metrics["device"] == "cpu"


@pytest.fixture(scope="module")
def fixture_real_sets():
    from bench.adapters import load_adapter_config, read_adapter_sets

    return read_adapter_sets(load_adapter_config(Path(__file__).parent / "fixtures" / "external" / "standoff" /
                                                 "config.yaml"))


def test_real_sets_are_scored_with_their_own_fingerprint_and_predictions(tmp_path, fixture_real_sets):
    from bench.gold import rows_fingerprint

    result = train_run(CONFIG, seed=0, device="cpu", output=tmp_path / "run", data=FIXTURE_CORPUS,
                       leaderboard=None, n_resamples=50, real_sets=fixture_real_sets)
    by_split = {row["split"]: row for row in result.rows}
    assert set(by_split) == {"dev", "test", "test_ood", "real-dev", "real-test"}
    real_test = fixture_real_sets[1]
    assert by_split["real-test"]["data_sha256"] == rows_fingerprint(real_test.ids, real_test.texts, real_test.gold)
    assert by_split["real-test"]["contrast_consistency"] == "" and by_split["test"]["contrast_consistency"] != ""
    lines = (tmp_path / "run" / "predictions-real-test.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["b1", "b2", "b3"]
    assert result.metrics["splits"]["real-test"]["second_annotator_macro_f1"] < 1.0
    assert result.metrics["trained_on"] == "corpus"


@pytest.mark.parametrize("key", ["train_extra", "select_on"])
def test_a_real_set_used_in_training_or_selection_is_not_scored(tmp_path, fixture_real_sets, key):
    from dataclasses import replace

    config = replace(CONFIG, **{key: "real-dev"})
    result = train_run(config, seed=0, device="cpu", output=tmp_path / "run", data=FIXTURE_CORPUS,
                       leaderboard=None, n_resamples=50, real_sets=fixture_real_sets)
    assert {row["split"] for row in result.rows} == {"dev", "test", "test_ood", "real-test"}
    expected = "corpus+real-dev" if key == "train_extra" else "corpus (selected on real-dev)"
    assert {row["trained_on"] for row in result.rows} == {expected}
    if key == "select_on":
        trials = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["grid_results"]
        assert all("dev_macro_f1" in trial for trial in trials)


def test_a_real_set_the_config_needs_must_be_there(tmp_path):
    from dataclasses import replace

    with pytest.raises(UserError, match="train_extra 'real-dev' needs that real-news set"):
        train_run(replace(CONFIG, train_extra="real-dev"), seed=0, device="cpu", output=tmp_path / "run",
                  data=FIXTURE_CORPUS, leaderboard=None, real_sets=[])
    assert not (tmp_path / "run").exists() and not (tmp_path / "run.partial").exists()
