"""Standings of a leaderboard: per split, the rows (or each system's seeds aggregated) ranked by macro-F1,
with significance tiers, the OOD gap and the reference rows (second-annotator ceiling, floors).

Tiers come from `bench.significance` on the rows whose predictions file exists and whose data
fingerprint is the current gold split's (bench.gold); other rows keep their rank but get a blank tier.
Rendering them is `bench.leaderboard_render`'s job."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench.data import load_corpus
from bench.errors import UserError
from bench.gold import GoldSplit, gold_split
from bench.labels import LABELS
from bench.leaderboard import as_float
from bench.metrics import encode, scorecard
from bench.paths import DEFAULT_DATA, REPO_ROOT
from bench.scoring import Predictions, check_predictions, read_predictions
from bench.significance import DEFAULT_RESAMPLES, Comparison, competition_ranks, compare_systems

FLOOR_SYSTEMS = ("majority", "cue-rules")
SPLIT_ORDER = ("test", "test_ood", "real-test", "real-dev", "dev")
_AVERAGED = {"accuracy": "accuracy", "ece": "ece", "brier": "brier", "contrast": "contrast_consistency"}


@dataclass
class Entry:
    """One line of a split's board: a run, or (aggregated) all runs of one system."""

    system: str
    runs: list[dict]
    macro_f1: float
    cells: dict
    rank: int = 0  # 0 for a smoke test, which is shown but never ranked
    tier: int | None = None

    @property
    def smoke_test(self) -> bool:
        return self.runs[0].get("smoke_test") == "yes"


@dataclass
class SplitBoard:
    split: str
    entries: list[Entry]
    comparisons: list[Comparison] = field(default_factory=list)
    ceiling: dict | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Board:
    splits: list[SplitBoard]
    aggregated: bool
    corpus: object | None  # datasets.DatasetDict, or None when no corpus was found
    predictions: dict[tuple[str, str], Predictions] = field(default_factory=dict)  # (run_id, split)


def resolve(path_text: str) -> Path:
    path = Path(path_text)
    return path if path.is_absolute() else REPO_ROOT / path


def aligned_predictions(row: dict, gold: GoldSplit) -> Predictions | None:
    """A row's predictions in gold order, or None when the row names no file or it is gone."""
    if not row.get("predictions") or not resolve(row["predictions"]).is_file():
        return None
    path = resolve(row["predictions"])
    predictions = read_predictions(path)
    gold_ids = gold.ids
    check_predictions(predictions, gold_ids, source=str(path))
    position = {i: k for k, i in enumerate(predictions.ids)}
    order = [position[i] for i in gold_ids]
    probs = predictions.probs[order] if predictions.probs is not None else None
    return Predictions(gold_ids, [predictions.labels[k] for k in order], probs)


def human_ceiling(gold: GoldSplit | None, n_resamples: int = 1000) -> dict | None:
    """The blind second annotator (`label_b`) scored against the adjudicated gold, on the doubly
    annotated rows. Both annotators are AI sessions, and the row says so."""
    if gold is None:
        return None
    pairs = [(label, second) for label, second in zip(gold.labels, gold.second_labels) if second is not None]
    unknown = sorted({second for _, second in pairs} - set(LABELS))
    if unknown:
        raise UserError(f"{gold.source}: unknown label_b '{unknown[0]}'.")
    if not pairs:
        return None
    card = scorecard([g for g, _ in pairs], [b for _, b in pairs], n_resamples=n_resamples, seed=0)
    return {"n": card["n"], "macro_f1": card["macro_f1"], "macro_f1_ci": card["macro_f1_ci"],
            "accuracy": card["accuracy"]}


def ood_gaps(rows: list[dict]) -> dict[str, float]:
    """run_id → macro_f1(test) − macro_f1(test_ood), for runs with both rows."""
    by_run: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows:
        by_run[row["run_id"]][row["split"]] = as_float(row["macro_f1"])
    return {run: scores["test"] - scores["test_ood"] for run, scores in by_run.items()
            if scores.get("test") is not None and scores.get("test_ood") is not None}


def _mean(values) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.fmean(present) if present else None


def _entries(rows: list[dict], gaps: dict[str, float], aggregate: bool) -> list[Entry]:
    if not aggregate:
        return [Entry(r["system"], [r], as_float(r["macro_f1"]) or 0.0,
                      {"ci_95": (as_float(r["macro_f1_ci_low"]), as_float(r["macro_f1_ci_high"])),
                       "seed": r.get("seed", ""), "device": r.get("device", ""), "run_id": r["run_id"],
                       "ood_gap": gaps.get(r["run_id"]),
                       **{k: as_float(r.get(c)) for k, c in _AVERAGED.items()}}) for r in rows]
    # the runs of one system, config and device kind are aggregated, one run per seed (the latest);
    # CPU and CUDA runs stay apart
    groups: dict[tuple[str, str, str], dict[str, dict]] = defaultdict(dict)
    for row in sorted(rows, key=lambda r: r["timestamp"]):
        groups[(row["system"], row.get("config_sha256", ""), row.get("device", ""))][str(row.get("seed", ""))] = row
    entries = []
    for (system, _, device), by_seed in groups.items():
        runs = sorted(by_seed.values(), key=lambda r: (as_float(r.get("seed")) or 0.0, r["timestamp"]))
        scores = [as_float(r["macro_f1"]) or 0.0 for r in runs]
        entries.append(Entry(system, runs, statistics.fmean(scores), {
            "runs": len(runs), "device": device, "macro_f1_sd": statistics.stdev(scores) if len(scores) > 1 else None,
            "ood_gap": _mean(gaps.get(r["run_id"]) for r in runs),
            **{k: _mean(as_float(r.get(c)) for r in runs) for k, c in _AVERAGED.items()}}))
    return entries


def _rank_and_tier(board: SplitBoard, gold: GoldSplit | None, predictions: dict, n_resamples: int) -> None:
    for entry, rank in zip(board.entries, competition_ranks([e.macro_f1 for e in board.entries])):
        entry.rank = rank
    if gold is None:
        return
    systems = {}
    for index, entry in enumerate(board.entries):
        runs = []
        for row in entry.runs:
            if row.get("data_sha256") != gold.fingerprint:
                continue
            key = (row["run_id"], board.split)
            if key not in predictions:
                found = aligned_predictions(row, gold)
                if found is None:
                    continue
                predictions[key] = found
            runs.append(encode(predictions[key].labels))
        if runs:
            systems[str(index)] = runs
    if not systems:
        return
    standings = compare_systems(encode(gold.labels), systems, n_resamples=n_resamples)
    for key, tier in standings.tier.items():
        board.entries[int(key)].tier = tier
    board.comparisons = standings.comparisons
    for comparison in board.comparisons:
        comparison.a = entry_label(board.entries[int(comparison.a)])
        comparison.b = entry_label(board.entries[int(comparison.b)])


def entry_label(entry: Entry) -> str:
    """The system name, plus the seed when the entry is a single run."""
    return entry.system if "runs" in entry.cells else f"{entry.system} (seed {entry.cells['seed']})"


def _split_order(split: str) -> tuple:
    return (SPLIT_ORDER.index(split) if split in SPLIT_ORDER else len(SPLIT_ORDER), split)


def build_board(rows: list[dict], data: Path | None = None, split: str | None = None,
                system: str | None = None, aggregate: bool = False,
                n_resamples: int = DEFAULT_RESAMPLES) -> Board:
    """Standings for each split (or one), filtered to `system` plus the floors.

    `data` None uses the shipped corpus when it is there; a real-news split takes its gold from the
    standoff labels. Without gold there are no tiers and no ceiling. Learning-curve points (rows with a
    train_fraction) are not on the board; smoke-test rows are shown unranked, after the results."""
    rows = [r for r in rows if not r.get("train_fraction")]
    wanted = None if split in (None, "all") else split.split(",")
    splits = sorted({r["split"] for r in rows if wanted is None or r["split"] in wanted}, key=_split_order)
    data_path = Path(data) if data is not None else DEFAULT_DATA
    corpus = load_corpus(data_path) if splits and (data is not None or DEFAULT_DATA.exists()) else None
    gaps = ood_gaps(rows)
    board = Board([], aggregate, corpus)
    for name in splits:
        entries = _entries([r for r in rows if r["split"] == name], gaps, aggregate)
        split_board = SplitBoard(name, [e for e in entries if not e.smoke_test])
        gold = gold_split(name, data_path) if corpus is not None or name.startswith("real-") else None
        _rank_and_tier(split_board, gold, board.predictions, n_resamples)
        split_board.entries = sorted(
            (e for e in entries if system is None or system in (e.system, e.runs[0].get("config"))
             or e.system in FLOOR_SYSTEMS), key=lambda e: (e.smoke_test, e.rank, e.system))
        if any(e.smoke_test for e in split_board.entries):
            split_board.notes.append("Rows marked (smoke test) come from a tiny random model: they show that "
                                     "the system's path runs end to end and are not results; they are not ranked.")
        if not split_board.entries:
            continue
        missing = [f for f in FLOOR_SYSTEMS if f not in {e.system for e in entries}]
        if missing:
            split_board.notes.append(f"Floors not on the board for {name}: {', '.join(missing)}.")
        if gold is None:
            split_board.notes.append(f"No gold labels found for {name}: tiers and the ceiling need them (--data).")
        else:
            split_board.ceiling = human_ceiling(gold)
            if split_board.ceiling is None and name in ("test", "test_ood"):
                split_board.notes.append(f"No ceiling for {name}: the corpus has no label_b there.")
        board.splits.append(split_board)
    return board
