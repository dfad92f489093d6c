"""leaderboard.csv: locked atomic appends, loading, filtering and rendering."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from filelock import FileLock

from bench.paths import LOCAL_LEADERBOARD, PUBLISHED_LEADERBOARD
from bench.errors import UserError
from bench.labels import LABELS

DEFAULT_LEADERBOARD = LOCAL_LEADERBOARD
ROW_SCHEMA_VERSION = "2.1"
# columns added since schema 2.0; a 2.0 file is read with them blank
ADDED_IN_2_1 = ("train_sentences", "train_fraction", "smoke_test")


@dataclass(frozen=True)
class LeaderboardRow:
    """One (run, split) result: the schema of every leaderboard CSV, version ROW_SCHEMA_VERSION.
    Training, `evaluate` and `evaluate-external` all write rows through `make_row`."""

    run_id: str  # an evaluation's own id; `model_run_id` names the run whose model it scored
    timestamp: str
    system: str
    config: str
    config_sha256: str
    data_sha256: str  # fingerprint of the gold split scored (bench.gold), the same meaning everywhere
    split: str
    n: int
    macro_f1: float
    macro_f1_ci_low: float
    macro_f1_ci_high: float
    accuracy: float
    f1_factual_claim: float | str = ""
    f1_attributed_opinion: float | str = ""
    f1_framing_language: float | str = ""
    ece: float | str = ""
    brier: float | str = ""
    contrast_consistency: float | str = ""
    seed: int | str = ""
    device: str = ""
    train_seconds: float | str = ""
    predict_sentences_per_second: float | str = ""
    code_version: str = ""
    predictions: str = ""
    trained_on: str = ""  # the training data: the corpus, plus any extra set a config adds (e.g. real-dev)
    model_run_id: str = ""
    train_sentences: int | str = ""
    train_fraction: float | str = ""  # a learning-curve point trained on this share of train; blank = all of it
    smoke_test: str = ""  # "yes" for a row of a model that only shows the path runs (a tiny random LM)
    schema_version: str = ROW_SCHEMA_VERSION


COLUMNS = [f.name for f in fields(LeaderboardRow)]
FLOAT_COLUMNS = {"train_fraction", "macro_f1", "macro_f1_ci_low", "macro_f1_ci_high", "accuracy", "ece", "brier",
                 "contrast_consistency", "train_seconds", "predict_sentences_per_second",
                 *(f"f1_{label}" for label in LABELS)}


def board_to_read(path: Path | None) -> Path:
    """The board a reading command uses: the one given, else the local board once the user has run
    something, else the published leaderboard.csv."""
    if path is not None:
        return Path(path)
    return LOCAL_LEADERBOARD if LOCAL_LEADERBOARD.exists() else PUBLISHED_LEADERBOARD


def make_row(**values) -> dict:
    """A row as a dict in column order; an unknown or missing field is an error, never dropped."""
    try:
        return asdict(LeaderboardRow(**values))
    except TypeError as exc:
        raise ValueError(f"not a leaderboard row: {exc}") from None


def row_from_scorecard(card: dict, **fields) -> dict:
    """One leaderboard row from a scorecard plus the run's identifying fields; per-class F1 columns
    stay blank for labels the scorecard lacks (external sets scored on other label sets)."""
    scores = {
        "n": card["n"], "macro_f1": round(card["macro_f1"], 4),
        "macro_f1_ci_low": round(card["macro_f1_ci"][0], 4),
        "macro_f1_ci_high": round(card["macro_f1_ci"][1], 4),
        "accuracy": round(card["accuracy"], 4),
        **{f"f1_{label}": round(card["per_class"][label]["f1"], 4) if label in card["per_class"] else ""
           for label in LABELS},
        "ece": round(card["ece"], 4) if "ece" in card else "",
        "brier": round(card["brier"], 4) if "brier" in card else "",
    }
    return make_row(**scores, **fields)


def rows_from_metrics(metrics: dict, folder: Path) -> list[dict]:
    """The rows of a finished run (metrics.json schema 2.0), with predictions in `folder`."""
    from bench.runs import portable_path

    consistency = metrics.get("contrast_consistency")
    return [row_from_scorecard(
        card, run_id=metrics["run_id"], timestamp=metrics["timestamp"], system=metrics["system"],
        config=metrics["config"], config_sha256=metrics["config_sha256"], data_sha256=metrics["data_sha256"][split],
        split=split, seed=metrics["seed"], device=metrics["device"], train_seconds=round(metrics["train_seconds"], 2),
        predict_sentences_per_second=metrics["predict_sentences_per_second"][split],
        code_version=metrics["code_version"], trained_on=metrics["trained_on"],
        train_sentences=metrics.get("train_sentences", ""), train_fraction=metrics.get("train_fraction") or "", smoke_test="yes" if metrics.get("smoke_test") else "",
        contrast_consistency="" if consistency is None or split in metrics["real_splits"] else round(consistency, 4),
        predictions=portable_path(Path(folder) / f"predictions-{split}.jsonl"))
        for split, card in metrics["splits"].items()]


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
    if rows and reader.fieldnames == [c for c in COLUMNS if c not in ADDED_IN_2_1]:
        rows = [row | {c: "" for c in ADDED_IN_2_1} for row in rows]
    elif rows and reader.fieldnames != COLUMNS:
        raise UserError(f"{path}: written with another row schema (columns {', '.join(reader.fieldnames)}); "
                        f"this version writes schema {ROW_SCHEMA_VERSION}: move the file aside and start a new one.")
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
                    writer = csv.DictWriter(out, fieldnames=COLUMNS)
                    writer.writeheader()
                    for row in existing + [make_row(**row) for row in rows]:
                        writer.writerow(row)
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
