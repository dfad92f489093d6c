"""`claimframe curve`: learning curves. One system is trained on growing document-level shares of train,
once per seed; every run is an ordinary run whose rows carry `train_fraction`, and the curve is read
back from those rows (mean and spread over seeds per fraction)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.config import RunConfig
from bench.data import load_corpus
from bench.errors import UserError
from bench.leaderboard import as_float, render
from bench.paths import DEFAULT_DATA
from bench.runs import new_run_id
from bench.training import RunResult, train_run

DEFAULT_FRACTIONS = (0.05, 0.1, 0.25, 0.5, 1.0)


@dataclass(frozen=True)
class CurvePoint:
    """One system at one training fraction on one split, over its seeds."""

    system: str
    split: str
    fraction: float
    train_sentences: float  # mean over seeds: whole documents make it vary a little
    macro_f1_mean: float
    macro_f1_sd: float | None
    macro_f1_min: float
    macro_f1_max: float
    seeds: int


def parse_fractions(text: str) -> tuple[float, ...]:
    """'0.05,0.1,1' → distinct fractions in (0, 1], ascending."""
    try:
        fractions = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UserError(f"--fractions must be numbers separated by commas, not '{text}'.") from None
    bad = [f for f in fractions if not 0 < f <= 1]
    if not fractions or bad:
        raise UserError(f"--fractions must be in (0, 1], not {bad[0] if bad else text!r}.")
    if len(set(fractions)) != len(fractions):
        raise UserError(f"--fractions gives a fraction twice: {text}.")
    return tuple(sorted(fractions))


def run_curve(config: RunConfig, fractions: tuple[float, ...], seeds: tuple[int, ...], device: str = "auto",
              data: Path | None = None, leaderboard: Path | None = None, real_sets: list | None = None,
              n_resamples: int = 1000, runs_dir: Path | None = None) -> list[RunResult]:
    """Train every (seed, fraction); the corpus is loaded and validated once. Run folders go to
    `runs_dir` (default: the workspace)."""
    data_path = Path(data or config.data or DEFAULT_DATA)
    corpus = load_corpus(data_path)
    results = []
    for seed in seeds:
        for fraction in fractions:
            output = None if runs_dir is None else \
                Path(runs_dir) / new_run_id(f"{config.name}-f{fraction:g}", seed)
            results.append(train_run(config, seed=seed, device=device, output=output, data=data_path,
                                     leaderboard=leaderboard, n_resamples=n_resamples, corpus=corpus,
                                     real_sets=real_sets, train_fraction=fraction))
    return results


def curve_points(rows: list[dict], split: str = "test") -> list[CurvePoint]:
    """The learning-curve rows of `split`, grouped by system, config and fraction; one run per seed
    (the latest), as the leaderboard aggregates seeds."""
    latest: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for row in sorted(rows, key=lambda r: r["timestamp"]):
        fraction = as_float(row.get("train_fraction"))
        if fraction is None or row["split"] != split:
            continue
        latest[(row["system"], row.get("config_sha256", ""), fraction)][str(row.get("seed", ""))] = row
    points = []
    for (system, _, fraction), by_seed in latest.items():
        scores = [as_float(r["macro_f1"]) or 0.0 for r in by_seed.values()]
        sizes = [as_float(r.get("train_sentences")) or 0.0 for r in by_seed.values()]
        points.append(CurvePoint(system, split, fraction, statistics.fmean(sizes), statistics.fmean(scores),
                                 statistics.stdev(scores) if len(scores) > 1 else None, min(scores), max(scores),
                                 len(scores)))
    return sorted(points, key=lambda p: (p.system, p.fraction))


CURVE_COLUMNS = ["system", "split", "fraction", "train_sentences", "seeds", "macro_f1_mean", "macro_f1_sd",
                 "min", "max"]


def point_rows(points: list[CurvePoint]) -> list[dict]:
    """Display strings per CURVE_COLUMNS."""
    return [{"system": p.system, "split": p.split, "fraction": f"{p.fraction:g}",
             "train_sentences": f"{p.train_sentences:.0f}", "seeds": str(p.seeds),
             "macro_f1_mean": f"{p.macro_f1_mean:.4f}",
             "macro_f1_sd": "" if p.macro_f1_sd is None else f"{p.macro_f1_sd:.4f}",
             "min": f"{p.macro_f1_min:.4f}", "max": f"{p.macro_f1_max:.4f}"} for p in points]


def format_points(points: list[CurvePoint], fmt: str = "table") -> str:
    if not points:
        raise UserError("no learning-curve rows on this board (run `claimframe curve` first).")
    return render(point_rows(points), CURVE_COLUMNS, fmt)
