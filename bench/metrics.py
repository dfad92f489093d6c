"""Pure functions over (gold, pred, probs): F1s, bootstrap CIs, calibration. No I/O."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from bench.labels import LABELS

SCORECARD_VERSION = "1.0"
N_LABELS = len(LABELS)


def encode(labels: Sequence[str]) -> np.ndarray:
    index = {label: i for i, label in enumerate(LABELS)}
    return np.array([index[label] for label in labels], dtype=np.int64)


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    return float(f1_score(gold, pred, labels=list(LABELS), average="macro", zero_division=0))


def macro_f1_from_confusions(conf: np.ndarray, scored: Sequence[int] | None = None) -> np.ndarray:
    """Macro-F1 of a stack of confusion matrices (B, L, L), with sklearn's zero_division=0,
    averaged over the class indices `scored` (all classes when None)."""
    tp = np.diagonal(conf, axis1=1, axis2=2).astype(np.float64)
    denom = conf.sum(axis=1) + conf.sum(axis=2)  # support + predicted count = 2tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    return (f1 if scored is None else f1[:, list(scored)]).mean(axis=1)


def resample_indices(n: int, n_resamples: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))


def bootstrap_scores(gold: np.ndarray, pred: np.ndarray, indices: np.ndarray, n_labels: int = N_LABELS,
                     scored: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Macro-F1 (over `scored` class indices, default all) and accuracy on each bootstrap resample,
    all resamples at once; `gold` and `pred` are class indices in range(n_labels).

    sklearn scores one sample per call; at 1,000 resamples of 10,000 items that costs seconds,
    so the confusion matrices are counted together here (tests check equality with sklearn)."""
    cells = gold * n_labels + pred
    n_resamples = indices.shape[0]
    offsets = (np.arange(n_resamples) * n_labels * n_labels)[:, None]
    counts = np.bincount((cells[indices] + offsets).ravel(), minlength=n_resamples * n_labels ** 2)
    conf = counts.reshape(n_resamples, n_labels, n_labels)
    accuracy = np.trace(conf, axis1=1, axis2=2) / indices.shape[1]
    return macro_f1_from_confusions(conf, scored), accuracy


def percentile_ci(values: np.ndarray, level: float = 0.95) -> list[float]:
    tail = (1 - level) / 2 * 100
    return [float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))]


def expected_calibration_error(gold: Sequence[str], probs: np.ndarray, n_bins: int = 15) -> float:
    """ECE of the top-label confidence over `n_bins` equal-width bins."""
    probs = np.asarray(probs, dtype=np.float64)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == encode(gold)
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


def reliability_table(gold: Sequence[str], probs: np.ndarray, n_bins: int = 15) -> list[dict]:
    """Per-bin mean confidence, accuracy and count, for reliability diagrams."""
    probs = np.asarray(probs, dtype=np.float64)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == encode(gold)
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    return [{"bin": b, "low": b / n_bins, "high": (b + 1) / n_bins, "count": int((bins == b).sum()),
             "confidence": float(confidence[bins == b].mean()) if (bins == b).any() else None,
             "accuracy": float(correct[bins == b].mean()) if (bins == b).any() else None}
            for b in range(n_bins)]


def brier_score(gold: Sequence[str], probs: np.ndarray) -> float:
    """Multi-class Brier score: mean over items of the squared distance to the one-hot gold."""
    onehot = np.eye(N_LABELS)[encode(gold)]
    return float(((np.asarray(probs, dtype=np.float64) - onehot) ** 2).sum(axis=1).mean())


def scorecard(gold: Sequence[str], pred: Sequence[str], probs: np.ndarray | None = None,
              n_resamples: int = 1000, seed: int = 0, labels: Sequence[str] = LABELS,
              scored: Sequence[str] | None = None) -> dict:
    """Every metric of one system on one split, as the documented, versioned JSON object.

    `labels` orders the per-class scores and the confusion (ClaimFrame's three by default; another
    set, e.g. OBJ/SUBJ, for external data); macro-F1 averages over `scored` (default: all of
    `labels`). `probs` (columns in `labels` order) adds ECE and Brier."""
    gold, pred, labels = list(gold), list(pred), list(labels)
    scored = labels if scored is None else list(scored)
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, pred, labels=labels, average=None, zero_division=0)
    card = {
        "schema_version": SCORECARD_VERSION,
        "n": len(gold),
        "macro_f1": float(f1_score(gold, pred, labels=scored, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(gold, pred)),
        "per_class": {label: {"precision": float(precision[i]), "recall": float(recall[i]),
                              "f1": float(f1[i]), "support": int(support[i])}
                      for i, label in enumerate(labels)},
        "confusion": {"labels": labels,
                      "matrix": confusion_matrix(gold, pred, labels=labels).tolist()},
        "bootstrap": {"resamples": n_resamples, "seed": seed, "level": 0.95},
    }
    if scored != labels:
        card["scored_labels"] = scored
    if gold and n_resamples > 0:
        index = {label: i for i, label in enumerate(labels)}
        f1s, accs = bootstrap_scores(np.array([index[g] for g in gold]), np.array([index[p] for p in pred]),
                                     resample_indices(len(gold), n_resamples, seed), n_labels=len(labels),
                                     scored=[index[s] for s in scored])
        card["macro_f1_ci"], card["accuracy_ci"] = percentile_ci(f1s), percentile_ci(accs)
    else:
        card["macro_f1_ci"], card["accuracy_ci"] = [card["macro_f1"]] * 2, [card["accuracy"]] * 2
    if probs is not None:
        card["ece"] = expected_calibration_error(gold, probs)
        card["brier"] = brier_score(gold, probs)
    return card


def contrast_consistency(pair_ids: Sequence[str], gold: Sequence[str], pred: Sequence[str]) -> float:
    """Share of contrast pairs in which both sentences are labelled correctly."""
    both: dict[str, bool] = {}
    for pair, g, p in zip(pair_ids, gold, pred):
        both[pair] = both.get(pair, True) and g == p
    return float(np.mean(list(both.values()))) if both else float("nan")
