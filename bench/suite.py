"""`claimframe run`: train and evaluate every system of a suite, with a progress bar."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bench.config import SuiteConfig
from bench.data import load_corpus
from bench.leaderboard import DEFAULT_LEADERBOARD
from bench.runs import new_run_id
from bench.training import RunResult, train_run
from bench.paths import DEFAULT_DATA


def run_suite(suite: SuiteConfig, device: str = "auto", data: Path | None = None,
              leaderboard: Path | None = DEFAULT_LEADERBOARD, runs_dir: Path | None = None,
              n_resamples: int = 1000, real_sets: list | None = None) -> list[RunResult]:
    jobs = [(entry.config, seed) for entry in suite.entries for seed in entry.seeds]
    corpora = {}  # data path → corpus, validated once for the whole suite
    results = []
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task(f"suite {suite.name}", total=len(jobs))
        for config, seed in jobs:
            progress.update(task, description=f"suite {suite.name}: {config.name} (seed {seed})")
            output = Path(runs_dir) / new_run_id(config.name, seed) if runs_dir is not None else None
            path = Path(data or config.data or DEFAULT_DATA)
            if path not in corpora:
                corpora[path] = load_corpus(path)
            results.append(train_run(config, seed=seed, device=device, output=output, data=path,
                                     leaderboard=leaderboard, n_resamples=n_resamples, corpus=corpora[path],
                                     real_sets=real_sets))
            progress.advance(task)
    return results
