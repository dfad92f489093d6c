import json
import shutil

import pytest

from bench.errors import UserError
from bench.model_folder import latest_run, model_directory


def make_runs(tmp_path, cue_run):
    for name, system, stamp in [("old", "cue-rules", "2026-01-01T00:00:00Z"), ("new", "cue-rules", "2026-03-01T00:00:00Z"),
                                ("other", "tfidf-svm", "2026-02-01T00:00:00Z")]:
        shutil.copytree(cue_run, tmp_path / name)
        metrics = json.loads((tmp_path / name / "metrics.json").read_text())
        metrics.update(system=system, timestamp=stamp)
        (tmp_path / name / "metrics.json").write_text(json.dumps(metrics))
    (tmp_path / "unfinished.partial").mkdir()


def test_latest_picks_the_newest_finished_run_of_any_or_one_system(tmp_path, cue_run):
    make_runs(tmp_path, cue_run)
    assert latest_run("latest", tmp_path).name == "new"
    assert latest_run("latest:tfidf-svm", tmp_path).name == "other"
    with pytest.raises(UserError, match="no finished run of system 'nope'"):
        latest_run("latest:nope", tmp_path)


def test_a_run_folder_resolves_to_its_model_and_a_file_is_refused(cue_run, tmp_path):
    assert model_directory(cue_run) == cue_run / "model"
    with pytest.raises(UserError, match="not a ClaimFrame run or model folder"):
        model_directory(cue_run / "metrics.json")
