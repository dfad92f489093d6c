"""The leaderboard as a product: per-split standings with rank, tier, OOD gap and reference rows
(second-annotator ceiling, floors), optionally aggregated over seeds, rendered as text, Markdown or CSV,
and written into README between markers.

Tiers come from `bench.significance` on the rows whose predictions file exists and whose data
fingerprint is the current gold split's (bench.gold); other rows keep their rank but get a blank tier."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench.data import SPLITS, load_corpus
from bench.gold import GoldSplit, gold_split
from bench.paths import DEFAULT_DATA, REPO_ROOT
from bench.errors import UserError, read_user_text
from bench.labels import LABELS
from bench.leaderboard import as_float, render
from bench.metrics import encode, scorecard
from bench.scoring import Predictions, check_predictions, read_predictions
from bench.significance import ALPHA, DEFAULT_RESAMPLES, Comparison, competition_ranks, compare_systems

FLOOR_SYSTEMS = ("majority", "cue-rules")
SPLIT_ORDER = ("test", "test_ood", "real-test", "real-dev", "dev")
README_START, README_END = "<!-- leaderboard:start -->", "<!-- leaderboard:end -->"
TIER_NOTE = (f"Tier: systems in one tier do not differ significantly in macro-F1 (approximate "
             f"randomisation, Holm-corrected over all pairs of the split, p < {ALPHA}); a blank tier "
             f"means no predictions file for the current corpus.")
RUN_COLUMNS = ["rank", "tier", "system", "macro_f1", "ci_95", "accuracy", "ece", "brier",
               "contrast", "ood_gap", "seed", "device", "run_id"]
AGGREGATE_COLUMNS = ["rank", "tier", "system", "device", "seeds", "macro_f1_mean", "macro_f1_sd", "accuracy",
                     "ece", "brier", "contrast", "ood_gap"]
CORPUS_ONLY_COLUMNS = ("contrast", "ood_gap")  # properties of a run on the corpus, not of another data set
_AVERAGED = {"accuracy": "accuracy", "ece": "ece", "brier": "brier", "contrast": "contrast_consistency"}


@dataclass
class Entry:
    """One line of a split's board: a run, or (aggregated) all runs of one system."""

    system: str
    runs: list[dict]
    macro_f1: float
    cells: dict
    rank: int = 0
    tier: int | None = None


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
    standoff labels. Without gold there are no tiers and no ceiling."""
    wanted = None if split in (None, "all") else split.split(",")
    splits = sorted({r["split"] for r in rows if wanted is None or r["split"] in wanted}, key=_split_order)
    data_path = Path(data) if data is not None else DEFAULT_DATA
    corpus = load_corpus(data_path) if splits and (data is not None or DEFAULT_DATA.exists()) else None
    gaps = ood_gaps(rows)
    board = Board([], aggregate, corpus)
    for name in splits:
        entries = _entries([r for r in rows if r["split"] == name], gaps, aggregate)
        split_board = SplitBoard(name, entries)
        gold = gold_split(name, data_path) if corpus is not None or name.startswith("real-") else None
        _rank_and_tier(split_board, gold, board.predictions, n_resamples)
        split_board.entries = sorted(
            (e for e in entries if system is None or system in (e.system, e.runs[0].get("config"))
             or e.system in FLOOR_SYSTEMS), key=lambda e: (e.rank, e.system))
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


def _number(value, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def display_rows(split_board: SplitBoard, aggregated: bool) -> list[dict]:
    """Strings per column, reference rows last."""
    lines = []
    for entry in split_board.entries:
        cells = entry.cells
        line = {"rank": str(entry.rank), "tier": "" if entry.tier is None else str(entry.tier),
                "system": entry.system + (" (floor)" if entry.system in FLOOR_SYSTEMS else ""),
                "accuracy": _number(cells["accuracy"]), "ece": _number(cells["ece"]),
                "brier": _number(cells["brier"]), "contrast": _number(cells["contrast"]),
                "ood_gap": _number(cells["ood_gap"]), "device": cells["device"]}
        if aggregated:
            line |= {"seeds": str(cells["runs"]), "macro_f1_mean": _number(entry.macro_f1),
                     "macro_f1_sd": _number(cells["macro_f1_sd"])}
        else:
            low, high = cells["ci_95"]
            line |= {"macro_f1": _number(entry.macro_f1), "seed": str(cells["seed"]), "run_id": cells["run_id"],
                     "ci_95": f"[{_number(low)}, {_number(high)}]" if low is not None else ""}
        lines.append(line)
    ceiling = split_board.ceiling
    if ceiling is not None:
        low, high = ceiling["macro_f1_ci"]
        lines.append({"system": f"second annotator (AI), n={ceiling['n']}",
                      "macro_f1": _number(ceiling["macro_f1"]), "macro_f1_mean": _number(ceiling["macro_f1"]),
                      "ci_95": f"[{_number(low)}, {_number(high)}]", "accuracy": _number(ceiling["accuracy"])})
    return lines


def render_board(board: Board, fmt: str = "table") -> str:
    """Every split's table (one CSV with a split column for `csv`), with notes for text formats."""
    columns = AGGREGATE_COLUMNS if board.aggregated else RUN_COLUMNS
    if fmt == "csv":
        lines = [line | {"split": s.split} for s in board.splits for line in display_rows(s, board.aggregated)]
        return render(lines, ["split"] + columns, "csv")
    parts = []
    for split_board in board.splits:
        title = f"### {split_board.split}" if fmt == "md" else f"== {split_board.split} =="
        notes = "".join(f"\n{note}\n" if fmt == "md" else f"{note}\n" for note in split_board.notes)
        shown = columns if split_board.split in SPLITS else [c for c in columns if c not in CORPUS_ONLY_COLUMNS]
        parts.append(f"{title}\n\n{render(display_rows(split_board, board.aggregated), shown, fmt)}{notes}")
    parts.append(TIER_NOTE + (" Macro-F1 is the mean over seeds; sd is their standard deviation."
                              if board.aggregated else "") + "\n")
    return "\n".join(parts)


def update_readme(readme: Path, markdown: str) -> None:
    """Replace what lies between the leaderboard markers in `readme`; atomic, and only there."""
    from bench.runs import write_text_atomic

    readme = Path(readme)
    text = read_user_text(readme)
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise UserError(f"{readme}: needs the markers {README_START} and {README_END}, in that order.")
    generated = ("<!-- generated by `claimframe leaderboard --readme`; edits here are overwritten -->\n"
                 + markdown.strip() + "\n")
    write_text_atomic(readme, text[:start + len(README_START)] + "\n" + generated + text[end:])
