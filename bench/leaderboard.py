"""leaderboard.csv: locked atomic appends, loading, filtering and rendering."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from filelock import FileLock

from bench.paths import LOCAL_LEADERBOARD
from bench.errors import UserError
from bench.labels import LABELS

DEFAULT_LEADERBOARD = LOCAL_LEADERBOARD
COLUMNS = [
    "run_id", "timestamp", "system", "config", "config_sha256", "data_sha256", "split", "n",
    "macro_f1", "macro_f1_ci_low", "macro_f1_ci_high", "accuracy",
    *(f"f1_{label}" for label in LABELS),
    "ece", "brier", "contrast_consistency", "seed", "device", "train_seconds",
    "predict_sentences_per_second", "code_version", "predictions",
]
FLOAT_COLUMNS = {"macro_f1", "macro_f1_ci_low", "macro_f1_ci_high", "accuracy", "ece", "brier",
                 "contrast_consistency", "train_seconds", "predict_sentences_per_second",
                 *(f"f1_{label}" for label in LABELS)}


def row_from_scorecard(card: dict, **fields) -> dict:
    """One leaderboard row from a scorecard plus the run's identifying fields; per-class F1 columns
    stay blank for labels the scorecard lacks (external sets scored on other label sets)."""
    row = {
        "n": card["n"], "macro_f1": round(card["macro_f1"], 4),
        "macro_f1_ci_low": round(card["macro_f1_ci"][0], 4),
        "macro_f1_ci_high": round(card["macro_f1_ci"][1], 4),
        "accuracy": round(card["accuracy"], 4),
        **{f"f1_{label}": round(card["per_class"][label]["f1"], 4) if label in card["per_class"] else ""
           for label in LABELS},
        "ece": round(card["ece"], 4) if "ece" in card else "",
        "brier": round(card["brier"], 4) if "brier" in card else "",
    }
    row.update(fields)
    return {column: row.get(column, "") for column in COLUMNS}


def load_rows(path: Path | str = DEFAULT_LEADERBOARD) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None:
                return []
            missing = [c for c in ("run_id", "system", "split", "macro_f1") if c not in reader.fieldnames]
            if missing:
                raise UserError(f"{path}: not a ClaimFrame leaderboard (no column '{missing[0]}').")
            rows = list(reader)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: malformed leaderboard CSV ({exc}).") from None
    for number, row in enumerate(rows, start=2):
        if None in row or any(v is None for v in row.values()):
            raise UserError(f"{path}:{number}: row has the wrong number of columns.")
    return rows


def append_rows(rows: list[dict], path: Path | str = DEFAULT_LEADERBOARD) -> None:
    """Append under a file lock, writing a temp file then renaming it over the old one, so that
    concurrent writers lose nothing and a crash leaves the previous file intact."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path) + ".lock", timeout=120):
            existing = load_rows(path)
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            try:
                with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
                    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
                    writer.writeheader()
                    for row in existing + rows:
                        writer.writerow({c: row.get(c, "") for c in COLUMNS})
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
    except OSError as exc:
        raise UserError(f"{path}: cannot write the leaderboard ({exc.strerror}).") from None


def as_float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def select(rows: list[dict], split: str | None = None, system: str | None = None) -> list[dict]:
    """Rows of one split and/or system, best macro-F1 first."""
    chosen = [r for r in rows if (split is None or r["split"] == split)
              and (system is None or system in (r["system"], r.get("config", "")))]
    return sorted(chosen, key=lambda r: -(as_float(r["macro_f1"]) or 0.0))


def render(rows: list[dict], columns: list[str], fmt: str = "table") -> str:
    """Rows as an aligned text table, GitHub Markdown or CSV."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    if fmt == "md":
        lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells]) + "\n"
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    return "\n".join(lines + ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]) + "\n"
