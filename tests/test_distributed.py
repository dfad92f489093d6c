import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bench.paths import REPO_ROOT as PACKAGE_ROOT
from bench.errors import UserError
from bench.leaderboard import load_rows
from bench.runs import staged_run_dir

TORCHRUN = Path(sys.executable).parent / "torchrun"


@pytest.mark.skipif(not TORCHRUN.exists(), reason=f"torchrun not found next to {sys.executable}")
def test_two_gloo_processes_write_one_run_and_one_row_per_split(tiny_bert, corpus_dir, tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({"name": "tiny-ddp", "system": "finetune", "model": str(tiny_bert),
                                      "params": {"epochs": 1, "batch_size": 8}}))
    run, leaderboard = tmp_path / "run", tmp_path / "lb.csv"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    # --standalone picks a free rendezvous port, so parallel test runs do not collide.
    result = subprocess.run(
        [str(TORCHRUN), "--standalone", "--nproc_per_node=2", "-m", "bench", "train", "--config", str(config),
         "--data", str(corpus_dir), "--output", str(run), "--leaderboard", str(leaderboard), "--device", "cpu",
         "--no-real"],
        cwd=PACKAGE_ROOT, env=env, capture_output=True, text=True, timeout=300)
    # Training could not finish unless both processes joined the gloo process group.
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count(f"→ {run}") == 1  # only rank 0 reports (and writes) the run
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lb.csv", "lb.csv.lock", "run", "tiny.yaml"]
    assert not (run / "checkpoints").exists()
    metrics = json.loads((run / "metrics.json").read_text())
    assert sorted(metrics["splits"]) == ["dev", "test", "test_ood"]
    rows = load_rows(leaderboard)
    assert sorted(r["split"] for r in rows) == ["dev", "test", "test_ood"]
    assert {r["run_id"] for r in rows} == {"run"}


def test_only_the_main_process_creates_and_publishes_the_run_folder(tmp_path):
    final = tmp_path / "run"
    with staged_run_dir(final, main_process=False) as stage:
        assert stage == tmp_path / "run.partial" and not stage.exists()
    assert not final.exists()
    with staged_run_dir(final, main_process=True) as stage:
        (stage / "metrics.json").write_text("{}")
    assert (final / "metrics.json").exists() and not stage.exists()
    with pytest.raises(UserError, match="a run already exists"):
        with staged_run_dir(final, main_process=False):
            pass
