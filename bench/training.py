"""`claimframe train`: fit on train, choose the grid point on dev, predict every other split,
score, and publish one run folder plus leaderboard rows."""

from __future__ import annotations

import itertools
import os
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bench.config import RunConfig
from bench.data import corpus_fingerprints, document_subset, load_contrast, load_corpus
from bench.device import resolve_device
from bench.errors import UserError
from bench.external import score_proba, set_fingerprint
from bench.leaderboard import DEFAULT_LEADERBOARD, append_rows, rows_from_metrics
from bench.metrics import contrast_consistency, macro_f1, scorecard
from bench.runs import (DEFAULT_RUNS, code_version, environment_record, new_run_id, portable_path,
                        staged_run_dir, utc_now, write_json, write_yaml)
from bench.scoring import write_predictions
from bench.systems import build_system, save_system
from bench.systems.base import FitContext, labels_from_proba
from bench.paths import DEFAULT_DATA

METRICS_VERSION = "2.1"
PROB_DECIMALS = 6


@dataclass
class RunResult:
    run_id: str
    directory: Path
    metrics: dict
    rows: list[dict]


def is_main_process() -> bool:
    """True except on the non-zero ranks of a torchrun / accelerate launch."""
    return int(os.environ.get("RANK", "0")) == 0


def wait_for_other_processes() -> None:
    """A barrier across the processes of a launch whose process group is up (a Trainer started it);
    a no-op otherwise."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.barrier()


def grid_points(grid: dict) -> list[dict]:
    keys = sorted(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))] or [{}]


def _system_params(config: RunConfig, point: dict, seed: int, device: str, system_cls) -> dict:
    """The config's parameters and grid point, plus what the run sets: the seed, the device (for
    systems that use one) and the config's `model:`."""
    params = {**config.params, **point, "seed": seed}
    if system_cls.uses_device:
        params["device"] = device
    if config.model is not None:
        params["model"] = config.model
    return params


def _fit(system, train, dev, context: FitContext):
    system = system.fit(train["text"], train["label"], dev["text"], dev["label"], context=context)
    # Every process reloads the best checkpoint after training; none may go on to overwrite or
    # delete the checkpoints (the next grid point, rank 0's cleanup) before all have.
    wait_for_other_processes()
    return system


def predict_timed(system, texts: list[str]) -> tuple[np.ndarray, float]:
    """Probabilities (rounded as written to disk) and sentences per second."""
    start = time.perf_counter()
    proba = np.round(np.asarray(system.predict_proba(texts), dtype=np.float64), PROB_DECIMALS)
    elapsed = time.perf_counter() - start
    return proba, (len(texts) / elapsed if elapsed > 0 else float("inf"))


def select_on_dev(config: RunConfig, train, dev, seed: int, device: str, checkpoint_dir: Path | None,
                  resume: bool):
    """Fit one system per grid point on train; keep the best on dev macro-F1 (first on ties)."""
    from bench.systems import system_class

    system_cls = system_class(config.system)
    best, best_score, best_params, trials = None, -1.0, {}, []
    points = grid_points(config.grid)
    for index, point in enumerate(points):
        params = _system_params(config, point, seed, device, system_cls)
        # each grid point checkpoints on its own, so --resume never continues another point's training
        point_dir = checkpoint_dir / f"grid-{index}" if checkpoint_dir and len(points) > 1 else checkpoint_dir
        system = _fit(build_system(config.system, params), train, dev, FitContext(point_dir, resume))
        score = macro_f1(dev["label"], system.predict(dev["text"]))
        trials.append({"params": point, "dev_macro_f1": round(score, 6)})
        if score > best_score:
            best, best_score, best_params = system, score, params
    return best, best_params, trials


def train_run(config: RunConfig, seed: int | None = None, device: str = "auto",
              output: Path | None = None, data: Path | None = None,
              leaderboard: Path | None = DEFAULT_LEADERBOARD, n_resamples: int = 1000,
              resume: bool = False, corpus=None, real_sets: list | None = None,
              train_fraction: float | None = None) -> RunResult:
    """`corpus`, when given, is the already loaded and validated corpus at `data` (a suite loads it once).
    `real_sets` (bench.adapters.ExternalSet with ids) are scored too, except one the config trains on.
    `train_fraction` trains on that share of train, whole documents drawn with the seed (a learning-curve
    point; its rows carry the fraction and stay off the main board)."""
    seed = config.seed if seed is None else seed
    config = replace(config, seed=seed)
    resolved_device = resolve_device(device)
    data_path = Path(data or config.data or DEFAULT_DATA)
    corpus = corpus if corpus is not None else load_corpus(data_path)
    if "dev" not in corpus:
        raise UserError(f"{data_path}: the corpus needs a dev split to select on.")
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and output is None:
        raise UserError("a multi-process launch needs --output so every process agrees on the run folder.")
    extra = real_set(config, config.train_extra, real_sets, "train_extra")
    selection = real_set(config, config.select_on, real_sets, "select_on") if config.select_on != "dev" else None
    # a set the run trained or selected on is not scored: its figure would not be held out
    real_sets = [s for s in real_sets or [] if s.name not in (config.train_extra, config.select_on)]
    if train_fraction is not None:
        corpus = dict(corpus) | {"train": document_subset(corpus["train"], train_fraction, seed)}
    run_id = Path(output).name if output else new_run_id(
        config.name if train_fraction is None else f"{config.name}-f{train_fraction:g}", seed)
    final = Path(output) if output else DEFAULT_RUNS / run_id
    fingerprints = corpus_fingerprints(corpus)
    contrast = load_contrast(data_path)
    train = corpus["train"] if extra is None else {"text": list(corpus["train"]["text"]) + extra.texts,
                                                   "label": list(corpus["train"]["label"]) + extra.gold}

    start = time.perf_counter()
    with staged_run_dir(final, resume=resume, main_process=is_main_process()) as stage:
        fit_start = time.perf_counter()
        dev = corpus["dev"] if selection is None else {"text": selection.texts, "label": selection.gold}
        system, params, trials = select_on_dev(config, train, dev, seed, device, stage / "checkpoints", resume)
        train_seconds = time.perf_counter() - fit_start
        # systems without a device parameter (scikit-learn) run on the CPU whatever was asked for
        ran_on = resolved_device if "device" in params else "cpu"
        if not is_main_process():
            return RunResult(run_id, final, {}, [])
        shutil.rmtree(stage / "checkpoints", ignore_errors=True)
        speeds, cards, data_prints = {}, {}, {}
        for split in [s for s in corpus if s != "train"]:
            rows = corpus[split]
            proba, speeds[split] = predict_timed(system, list(rows["text"]))
            write_predictions(stage / f"predictions-{split}.jsonl", list(rows["id"]), proba)
            cards[split] = scorecard(rows["label"], labels_from_proba(proba), proba,
                                     n_resamples=n_resamples, seed=seed)
            data_prints[split] = fingerprints[split]
        for real in real_sets:
            proba, speeds[real.name] = predict_timed(system, real.texts)
            write_predictions(stage / f"predictions-{real.name}.jsonl", real.ids, proba)
            cards[real.name] = score_proba(real, proba, n_resamples=n_resamples, seed=seed)
            data_prints[real.name] = set_fingerprint(real)
        consistency = None
        if contrast:
            proba, _ = predict_timed(system, [r["text"] for r in contrast])
            write_predictions(stage / "predictions-contrast.jsonl", [r["id"] for r in contrast], proba)
            consistency = contrast_consistency([r["pair_id"] for r in contrast], [r["label"] for r in contrast],
                                               labels_from_proba(proba))
        save_system(system, config.system, stage / "model")
        if getattr(system, "history_", None):
            write_json(stage / "training-log.json", system.history_)
        # `declared` is the config as given (its hash is the row's config_sha256), for `reproduce`.
        resolved = config.to_dict() | {"params": params, "declared": config.to_dict(),
                                       "grid_results": trials, "data": portable_path(data_path)}
        write_yaml(stage / "config.yaml", resolved)
        metrics = {"schema_version": METRICS_VERSION, "run_id": run_id, "system": config.name,
                   "config": portable_path(Path(config.source)) if config.source else config.name,
                   "config_sha256": config.sha256(), "seed": seed, "device": ran_on, "timestamp": utc_now(),
                   "code_version": code_version(), "data_sha256": data_prints,
                   "trained_on": data_path.name + (f"+{extra.name}" if extra is not None else "")
                   + (f" (selected on {selection.name})" if selection is not None else ""),
                   "real_splits": [real.name for real in real_sets],
                   "train_sentences": len(train["text"]), "train_fraction": train_fraction,
                   "smoke_test": config.smoke_test,
                   "train_seconds": round(train_seconds, 3), "splits": cards,
                   "contrast_consistency": consistency,
                   "predict_sentences_per_second": {s: round(v, 1) for s, v in speeds.items()}}
        write_json(stage / "metrics.json", metrics)
        write_json(stage / "environment.json",
                   environment_record(ran_on, seed, fingerprints, config.sha256(),
                                      time.perf_counter() - start))
    rows = rows_from_metrics(metrics, final)
    if leaderboard is not None:
        append_rows(rows, leaderboard)
    return RunResult(run_id, final, metrics, rows)


def real_set(config: RunConfig, name: str | None, real_sets: list | None, key: str):
    """The real-news set a config names under `key` (train_extra, select_on), or None."""
    if not name:
        return None
    found = next((s for s in real_sets or [] if s.name == name), None)
    if found is None:
        raise UserError(f"{config.source or config.name}: {key} '{name}' needs that real-news set, and your copy "
                        f"of it was not found (see configs/external/checkthat-3way.yaml).")
    return found
