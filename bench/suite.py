"""`claimframe run`: train and evaluate every system of a suite, reporting progress on stderr."""

from __future__ import annotations

from pathlib import Path

from bench.config import SuiteConfig
from bench.data import load_corpus
from bench.leaderboard import DEFAULT_LEADERBOARD
from bench.progress import Progress
from bench.runs import new_run_id
from bench.training import RunResult, train_run
from bench.paths import DEFAULT_DATA


def run_suite(suite: SuiteConfig, device: str = "auto", data: Path | None = None,
              leaderboard: Path | None = DEFAULT_LEADERBOARD, runs_dir: Path | None = None,
              n_resamples: int = 1000, real_sets: list | None = None) -> list[RunResult]:
    jobs = [(entry.config, seed) for entry in suite.entries for seed in entry.seeds]
    corpora = {}  # data path → corpus, validated once for the whole suite
    results = []
    with Progress(len(jobs), f"suite {suite.name}", unit="systems") as progress:
        for config, seed in jobs:
            progress.describe(f"suite {suite.name}: {config.name} (seed {seed})")
            output = Path(runs_dir) / new_run_id(config.name, seed) if runs_dir is not None else None
            path = Path(data or config.data or DEFAULT_DATA)
            if path not in corpora:
                corpora[path] = load_corpus(path)
            results.append(train_run(config, seed=seed, device=device, output=output, data=path,
                                     leaderboard=leaderboard, n_resamples=n_resamples, corpus=corpora[path],
                                     real_sets=real_sets))
            progress.update()
    return results
