"""Builders for leaderboard tests: a synthetic corpus large enough for significance, and runs made
of hand-written predictions (no training), recorded like `claimframe train` records them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bench.data import corpus_fingerprints
from bench.labels import LABELS
from bench.leaderboard import append_rows, row_from_scorecard
from bench.scoring import read_predictions, score_predictions, write_predictions

TOPICS = ("housing", "health")
GENRES = ("local_news", "opinion")


def make_corpus(folder: Path, n: int = 60, disagree_every: int = 10) -> Path:
    """Four splits of `n` sentences of random words, labels cycling through LABELS; test and
    test_ood carry `label_b`, which differs from `label` on every `disagree_every`-th row."""
    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), 6)) for _ in range(300)]
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "dev", "test", "test_ood"):
        lines = []
        for i in range(n):
            label = LABELS[i % len(LABELS)]
            row = {"id": f"{split}-{i:03d}", "doc_id": f"{split}-d{i // 5}", "sent_index": i % 5,
                   "text": " ".join(rng.choice(words, 10)) + f" ({split} {i}).", "label": label,
                   "split": split, "topic": TOPICS[i % 2], "genre": GENRES[(i // 2) % 2]}
            if split.startswith("test"):
                other = LABELS[(i + 1) % len(LABELS)]
                row["label_b"] = other if i % disagree_every == 0 else label
            lines.append(json.dumps(row))
        (folder / f"{split}.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def add_run(leaderboard: Path, runs_dir: Path, corpus, system: str, seed: int,
            labels: dict[str, list[str]], timestamp: str = "2026-01-01T00:00:00Z",
            with_file: bool = True) -> str:
    """Write a run's prediction files (confidence 0.8 on the predicted label) and its rows;
    `corpus` is the loaded corpus (`load_corpus`)."""
    run_id = f"{system}-s{seed}-{timestamp}"
    folder = runs_dir / run_id
    folder.mkdir(parents=True)
    rows = []
    for split, predicted in labels.items():
        path = folder / f"predictions-{split}.jsonl"
        probs = np.full((len(predicted), len(LABELS)), 0.1)
        probs[np.arange(len(predicted)), [LABELS.index(p) for p in predicted]] = 0.8
        write_predictions(path, list(corpus[split]["id"]), probs)
        card = score_predictions(read_predictions(path), corpus[split], n_resamples=100)
        if not with_file:
            path.unlink()
        rows.append(row_from_scorecard(card, run_id=run_id, timestamp=timestamp, system=system,
                                       config=f"configs/systems/{system}.yaml", config_sha256="",
                                       data_sha256=corpus_fingerprints(corpus)[split], split=split,
                                       seed=seed, device="cpu", predictions=str(path)))
    append_rows(rows, leaderboard)
    return run_id


def corrupt(labels: list[str], every: int) -> list[str]:
    """Every `every`-th label moved to the next label: a system with known errors."""
    return [LABELS[(LABELS.index(label) + 1) % len(LABELS)] if i % every == 0 else label
            for i, label in enumerate(labels)]
