"""A system's prediction file → format check against a gold split → scorecard.

Prediction files are data only: JSONL (`id`, `label`, optional `probs`) or CSV (`id,label`).
Nothing in a submission is imported or executed."""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.data import parse_jsonl
from bench.errors import UserError, read_user_text
from bench.labels import LABELS
from bench.metrics import scorecard

PROB_TOLERANCE = 1e-3


@dataclass
class Predictions:
    ids: list[str]
    labels: list[str]
    probs: np.ndarray | None  # (n, 3) in LABELS order, or None when the file has none
    lines: list[int] | None = None  # each prediction's line in its file, for messages


def _parse_probs(value, where: str) -> list[float]:
    if isinstance(value, dict):
        if set(value) != set(LABELS):
            raise UserError(f"{where}: 'probs' must have exactly the keys {', '.join(LABELS)}.")
        value = [value[label] for label in LABELS]
    if (not isinstance(value, list) or len(value) != len(LABELS)
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise UserError(f"{where}: 'probs' must be {len(LABELS)} numbers or a label → number mapping.")
    # written so that NaN fails both checks (every comparison with NaN is False)
    if not all(0 <= v <= 1 for v in value) or not abs(sum(value) - 1) <= PROB_TOLERANCE:
        raise UserError(f"{where}: 'probs' must be in [0, 1] and sum to 1.")
    return [float(v) for v in value]


def _read_jsonl(path: Path, text: str) -> tuple[list[str], list[str], list | None, list[int]]:
    rows, problems = parse_jsonl(text, path)
    if problems:
        raise UserError(f"{problems[0]}.")
    ids, labels, probs = [], [], []
    lines = [row["_line"] for row in rows]
    for row in rows:
        where = f"{path}:{row['_line']}"
        if not isinstance(row.get("id"), str) or not isinstance(row.get("label"), str):
            raise UserError(f"{where}: each line needs a string 'id' and a string 'label'.")
        ids.append(row["id"])
        labels.append(row["label"])
        probs.append(_parse_probs(row["probs"], where) if "probs" in row else None)
    have = [p is not None for p in probs]
    if any(have) and not all(have):
        raise UserError(f"{path}: 'probs' must be given on every line or on none.")
    return ids, labels, (probs if probs and all(have) else None), lines


def _read_csv(path: Path, text: str) -> tuple[list[str], list[str], None, list[int]]:
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None or [h.strip() for h in header[:2]] != ["id", "label"]:
        raise UserError(f"{path}: a CSV prediction file must start with the header 'id,label'.")
    ids, labels, lines = [], [], []
    for number, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != 2 or not row[0].strip():
            raise UserError(f"{path}:{number}: expected two columns 'id,label'.")
        ids.append(row[0].strip())
        labels.append(row[1].strip())
        lines.append(number)
    return ids, labels, None, lines


def read_predictions(path: Path | str) -> Predictions:
    path = Path(path)
    text = read_user_text(path, "prediction file", encoding="utf-8-sig")  # a BOM is accepted
    if not text.strip():
        raise UserError(f"{path}: prediction file is empty.")
    reader = _read_csv if path.suffix.lower() == ".csv" else _read_jsonl
    ids, labels, probs, lines = reader(path, text)
    return Predictions(ids, labels, np.array(probs, dtype=np.float64) if probs else None, lines)


def check_predictions(predictions: Predictions, gold_ids: list[str], source: str = "predictions") -> None:
    """Report every mismatch with counts, like the CheckThat! format checker, then refuse."""
    counts = Counter(predictions.ids)
    duplicates = sorted(i for i, c in counts.items() if c > 1)
    gold = set(gold_ids)
    missing = [i for i in gold_ids if i not in counts]
    extra = sorted(set(counts) - gold)
    unknown = Counter(label for label in predictions.labels if label not in LABELS)
    parts = []
    for name, items in (("missing id", missing), ("extra id", extra), ("duplicate id", duplicates)):
        if items:
            parts.append(f"{len(items)} {name}{'s' if len(items) > 1 else ''} (e.g. '{items[0]}')")
    if unknown:
        total = sum(unknown.values())
        first = next(k for k, label in enumerate(predictions.labels) if label not in LABELS)
        where = f", first at line {predictions.lines[first]}" if predictions.lines else ""
        parts.append(f"{total} unknown label{'s' if total > 1 else ''} "
                     f"({', '.join(repr(k) for k in sorted(unknown))}{where})")
    if parts:
        raise UserError(f"{source} does not match the gold split: {'; '.join(parts)}.")


def score_predictions(predictions: Predictions, gold_rows, n_resamples: int = 1000, seed: int = 0,
                      source: str = "predictions") -> dict:
    """Check a prediction set against gold rows (with `id` and `label`) and score it in gold order."""
    gold_ids, gold_labels = list(gold_rows["id"]), list(gold_rows["label"])
    check_predictions(predictions, gold_ids, source)
    position = {i: k for k, i in enumerate(predictions.ids)}
    order = [position[i] for i in gold_ids]
    pred = [predictions.labels[k] for k in order]
    probs = predictions.probs[order] if predictions.probs is not None else None
    return scorecard(gold_labels, pred, probs, n_resamples=n_resamples, seed=seed)


def write_predictions(path: Path, ids: list[str], probs: np.ndarray) -> None:
    """The JSONL format `read_predictions` reads: id, label, probability per label."""
    with open(path, "w", encoding="utf-8") as out:
        for row_id, row in zip(ids, np.asarray(probs)):
            out.write(json.dumps({"id": row_id, "label": LABELS[int(row.argmax())],
                                  "probs": {label: round(float(p), 6) for label, p in zip(LABELS, row)}})
                      + "\n")


def evaluate_file(predictions: Path, split: str = "test", data: Path | None = None, system: str | None = None,
                  output: Path | None = None, leaderboard: Path | None = None, n_resamples: int = 1000,
                  seed: int = 0) -> dict:
    """`claimframe evaluate`: check and score a prediction file against a corpus split or a real-news
    split (its gold from the standoff labels), then write what was asked."""
    from bench.gold import gold_split
    from bench.leaderboard import append_rows, row_from_scorecard
    from bench.runs import code_version, portable_path, utc_now, write_json_atomic

    gold = gold_split(split, data)
    if gold is None:
        raise UserError(f"unknown split '{split}' (a corpus split such as test, or real-dev / real-test).")
    card = score_predictions(read_predictions(predictions), {"id": gold.ids, "label": gold.labels},
                             n_resamples=n_resamples, seed=seed, source=str(predictions))
    if output is not None:
        write_json_atomic(Path(output), card)
    if leaderboard is not None:
        name = system or Path(predictions).stem
        stamp = utc_now()
        append_rows([row_from_scorecard(
            card, run_id=f"eval-{name}-{stamp}", timestamp=stamp, system=name, config="", config_sha256="",
            data_sha256=gold.fingerprint, split=split, code_version=code_version(),
            predictions=portable_path(Path(predictions)))], leaderboard)
    return card


def format_scorecard(card: dict, title: str = "") -> str:
    low, high = card["macro_f1_ci"]
    lines = [title, f"n={card['n']}  macro-F1 {card['macro_f1']:.4f} [{low:.4f}, {high:.4f}]  "
                    f"accuracy {card['accuracy']:.4f} [{card['accuracy_ci'][0]:.4f}, {card['accuracy_ci'][1]:.4f}]"]
    if "ece" in card:
        lines.append(f"ECE {card['ece']:.4f}  Brier {card['brier']:.4f}")
    lines.append(f"{'label':22}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
    for label, m in card["per_class"].items():
        lines.append(f"{label:22}{m['precision']:>10.4f}{m['recall']:>10.4f}{m['f1']:>10.4f}{m['support']:>9}")
    lines.append("confusion (rows gold, columns predicted): " + "  ".join(
        f"{label}={row}" for label, row in zip(card["confusion"]["labels"], card["confusion"]["matrix"])))
    return "\n".join(line for line in lines if line)
