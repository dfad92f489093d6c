"""`claimframe publish RUN`: copy a finished run's evidence into `results/<run_id>/` and add its rows to
the published leaderboard, whose `predictions` column then points at files tracked by git.

What is copied: every `predictions-*.jsonl`, `metrics.json`, the resolved `config.yaml` and
`environment.json`; never the model weights."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench.errors import UserError
from bench.leaderboard import append_rows, load_rows, rows_from_metrics
from bench.paths import PUBLISHED_LEADERBOARD, RESULTS, WORKSPACE
from bench.runs import read_run

RECORDS = ("metrics.json", "config.yaml", "environment.json")


def run_folder(run: str | Path, runs_dir: Path = WORKSPACE) -> Path:
    """A run given as a folder path or as a run id inside `runs_dir`."""
    path = Path(run)
    folder = path if path.is_dir() else Path(runs_dir) / str(run)
    if not folder.is_dir():
        raise UserError(f"{run}: no such run (give a run folder or a run id in {runs_dir}).")
    return folder


PUBLISHABLE_METRICS = ("2.0", "2.1")  # 2.1 adds train_sentences, train_fraction and smoke_test


def publish_run(run: str | Path, runs_dir: Path = WORKSPACE, results: Path = RESULTS,
                leaderboard: Path = PUBLISHED_LEADERBOARD, splits: list[str] | None = None) -> list[dict]:
    """Copy the run into `results`, then append its rows; all or nothing. `splits` publishes only those
    splits' predictions and rows (a learning-curve point needs its test rows, not every split)."""
    folder = run_folder(run, runs_dir)
    metrics = read_run(folder)["metrics"]
    if metrics.get("schema_version") not in PUBLISHABLE_METRICS:
        raise UserError(f"{folder}: metrics.json schema {metrics.get('schema_version')} predates publishing; "
                        f"train the run again.")
    run_id = metrics["run_id"]
    target = Path(results) / run_id
    if target.exists() or any(r["run_id"] == run_id for r in load_rows(leaderboard)):
        raise UserError(f"run '{run_id}' is already published ({target}).")
    unknown = [split for split in splits or [] if split not in metrics["splits"]]
    if unknown:
        raise UserError(f"{folder}: the run has no split '{unknown[0]}' (it has {', '.join(metrics['splits'])}).")
    chosen = splits or list(metrics["splits"])
    predictions = sorted(folder.glob("predictions-*.jsonl")) if splits is None else \
        [folder / f"predictions-{split}.jsonl" for split in splits]
    missing = [split for split in chosen if not (folder / f"predictions-{split}.jsonl").is_file()]
    if missing:
        raise UserError(f"{folder}: no predictions file for split '{missing[0]}'; nothing published.")
    partial = target.with_name(f".{run_id}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir(parents=True)
        for file in [*predictions, *(folder / name for name in RECORDS)]:
            shutil.copyfile(file, partial / file.name)
        partial.rename(target)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise UserError(f"{target}: cannot publish ({exc.strerror}).") from None
    rows = [row for row in rows_from_metrics(json.loads((target / "metrics.json").read_text()), target)
            if row["split"] in chosen]
    try:
        append_rows(rows, leaderboard)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return rows
