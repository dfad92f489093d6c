"""Paired tests between systems scored on the same items, Holm's correction, ranks and tiers.

Pure functions, no I/O. Predictions are label-id arrays in gold order (see `metrics.encode`).

- Macro-F1: approximate randomisation (Noreen 1989; Riezler & Maxwell 2005). Under the null
  hypothesis the two systems are exchangeable, so each item's pair of predictions is swapped with
  probability 1/2; p = (1 + #{|δ*| ≥ |δ|}) / (R + 1).
- Accuracy: exact McNemar test, a binomial test on the discordant items.
- Holm's step-down correction over all pairwise comparisons of one split (one family per test).
- Rank: standard competition ranking ("1224") by macro-F1.
- Tier: walking down the ranking, a system joins the current tier unless its macro-F1 differs
  significantly (Holm-adjusted p < ALPHA) from any system already in that tier; then it opens
  the next tier. So no two systems in one tier differ significantly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Sequence

import numpy as np
from scipy.stats import binomtest

from bench.metrics import N_LABELS, macro_f1_from_confusions

ALPHA = 0.05
DEFAULT_RESAMPLES = 10_000
_CHUNK = 1_000  # resamples drawn at once, to bound memory
_TIE = 1e-12  # float noise allowed when comparing |δ*| with |δ|


def _confusions(cells: np.ndarray) -> np.ndarray:
    return np.bincount(cells, minlength=N_LABELS * N_LABELS).reshape(1, N_LABELS, N_LABELS)


def _one_hot(cells: np.ndarray) -> np.ndarray:
    return np.eye(N_LABELS * N_LABELS)[cells]


def randomisation_test(gold: np.ndarray, runs_a: Sequence[np.ndarray], runs_b: Sequence[np.ndarray],
                       n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> tuple[float, float]:
    """(δ, two-sided p) for δ = mean macro-F1 of `runs_a` − that of `runs_b`.

    Each side is a list of prediction arrays (one per seed); runs are paired in the given order
    and the extra runs of the longer side are left out. One swap decision per item applies to
    every pair, so the test respects that all runs saw the same items."""
    pairs = list(zip(runs_a, runs_b))
    if not pairs:
        raise ValueError("randomisation_test needs at least one run per side")
    gold = np.asarray(gold, dtype=np.int64)
    cells = [(gold * N_LABELS + np.asarray(a), gold * N_LABELS + np.asarray(b)) for a, b in pairs]
    bases = [(_confusions(a), _confusions(b)) for a, b in cells]
    observed = float(np.mean([macro_f1_from_confusions(conf_a)[0] - macro_f1_from_confusions(conf_b)[0]
                              for conf_a, conf_b in bases]))
    discordant = np.flatnonzero(np.any([a != b for a, b in cells], axis=0))
    if discordant.size == 0:
        return observed, 1.0
    # Swapping an item moves its count from cell a_i to cell b_i in system a (and back in b), so a
    # resample is determined by how many items of each kind (the cells of every pair) were
    # swapped. Coins are drawn as packed random bits and summed per kind.
    kinds, sizes = np.unique(np.stack([c[discordant] for pair in cells for c in pair], axis=1),
                             axis=0, return_counts=True)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    moves = [_one_hot(kinds[:, 2 * j + 1]) - _one_hot(kinds[:, 2 * j]) for j in range(len(cells))]
    rng = np.random.default_rng(seed)
    extreme = 0
    for start in range(0, n_resamples, _CHUNK):
        draws = rng.integers(0, 256, (min(_CHUNK, n_resamples - start), (discordant.size + 7) // 8), dtype=np.uint8)
        coins = np.unpackbits(draws, axis=1, count=discordant.size)
        swapped = np.add.reduceat(coins, starts, axis=1, dtype=np.float64)
        delta = np.zeros(swapped.shape[0])
        for move, (base_a, base_b) in zip(moves, bases):
            shift = (swapped @ move).reshape(-1, N_LABELS, N_LABELS)
            delta += macro_f1_from_confusions(base_a + shift) - macro_f1_from_confusions(base_b - shift)
        extreme += int((np.abs(delta / len(cells)) >= abs(observed) - _TIE).sum())
    return observed, (extreme + 1) / (n_resamples + 1)


def mcnemar_test(gold: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> float:
    """Exact two-sided McNemar p-value for a difference in accuracy."""
    right_a, right_b = np.asarray(pred_a) == gold, np.asarray(pred_b) == gold
    only_a, only_b = int((right_a & ~right_b).sum()), int((~right_a & right_b).sum())
    if only_a + only_b == 0:
        return 1.0
    return float(binomtest(only_a, only_a + only_b, 0.5, alternative="two-sided").pvalue)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order."""
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for position, index in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        running = max(running, min(1.0, (m - position) * p_values[index]))
        adjusted[index] = running
    return adjusted


def competition_ranks(scores: Sequence[float]) -> list[int]:
    """1 + the number of strictly better scores ("1224" ranking)."""
    rounded = [round(s, 10) for s in scores]
    return [1 + sum(other > mine for other in rounded) for mine in rounded]


def assign_tiers(order: Sequence[int], differs: dict[frozenset, bool]) -> dict[int, int]:
    """Tier per system, walking `order` (best first); see the module docstring."""
    tiers: dict[int, int] = {}
    current: list[int] = []
    tier = 0
    for system in order:
        if not current or any(differs[frozenset((system, member))] for member in current):
            tier += 1
            current = []
        current.append(system)
        tiers[system] = tier
    return tiers


@dataclass
class Comparison:
    a: str
    b: str
    delta_macro_f1: float
    p_macro_f1: float
    p_mcnemar: float | None  # only for single runs: McNemar pairs two prediction vectors
    p_macro_f1_holm: float = 1.0
    p_mcnemar_holm: float | None = None


@dataclass
class Standings:
    """Systems best first, with their mean macro-F1, rank, tier and every pairwise comparison."""

    order: list[str]
    macro_f1: dict[str, float]
    rank: dict[str, int]
    tier: dict[str, int]
    comparisons: list[Comparison] = field(default_factory=list)


def compare_systems(gold: np.ndarray, systems: dict[str, list[np.ndarray]],
                    n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0, alpha: float = ALPHA) -> Standings:
    """Rank and tier systems (name → prediction arrays, one per run) on the same gold items."""
    gold = np.asarray(gold, dtype=np.int64)
    scores = {name: float(np.mean([macro_f1_from_confusions(_confusions(gold * N_LABELS + np.asarray(p)))[0]
                                   for p in runs])) for name, runs in systems.items()}
    order = sorted(systems, key=lambda name: (-round(scores[name], 10), name))
    comparisons = []
    for a, b in combinations(order, 2):
        delta, p_f1 = randomisation_test(gold, systems[a], systems[b], n_resamples, seed)
        single = len(systems[a]) == len(systems[b]) == 1
        p_acc = mcnemar_test(gold, systems[a][0], systems[b][0]) if single else None
        comparisons.append(Comparison(a, b, delta, p_f1, p_acc))
    for p, c in zip(holm([c.p_macro_f1 for c in comparisons]), comparisons):
        c.p_macro_f1_holm = p
    with_mcnemar = [c for c in comparisons if c.p_mcnemar is not None]
    for p, c in zip(holm([c.p_mcnemar for c in with_mcnemar]), with_mcnemar):
        c.p_mcnemar_holm = p
    index = {name: i for i, name in enumerate(order)}
    differs = {frozenset((index[c.a], index[c.b])): c.p_macro_f1_holm < alpha for c in comparisons}
    tiers = assign_tiers(range(len(order)), differs)
    ranks = competition_ranks([scores[name] for name in order])
    return Standings(order, scores, dict(zip(order, ranks)),
                     {name: tiers[i] for i, name in enumerate(order)}, comparisons)
