"""Paired tests, Holm and tiers on constructed cases whose answers are known."""

from itertools import product

import numpy as np
import pytest
from sklearn.metrics import f1_score

from bench.significance import (assign_tiers, compare_systems, competition_ranks, holm, mcnemar_test,
                                randomisation_test)


def _macro_f1(gold, pred):
    return f1_score(gold, pred, labels=[0, 1, 2], average="macro", zero_division=0)


def test_identical_predictions_have_p_one():
    gold = np.array([0, 1, 2, 0, 1, 2, 0, 0])
    pred = np.array([0, 1, 1, 0, 2, 2, 0, 1])
    assert randomisation_test(gold, [pred], [pred.copy()]) == (0.0, 1.0)
    assert mcnemar_test(gold, pred, pred) == 1.0


def test_randomisation_matches_the_exact_permutation_distribution():
    # Few enough discordant items to enumerate every swap pattern with sklearn.
    gold = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    a = np.array([0, 1, 2, 0, 1, 2, 0, 1, 0, 1])
    b = np.array([0, 2, 1, 1, 1, 2, 2, 1, 2, 0])
    observed = _macro_f1(gold, a) - _macro_f1(gold, b)
    discordant = np.flatnonzero(a != b)
    extreme = 0
    for swaps in product([False, True], repeat=discordant.size):
        x, y = a.copy(), b.copy()
        chosen = discordant[list(swaps)]
        x[chosen], y[chosen] = b[chosen], a[chosen]
        extreme += abs(_macro_f1(gold, x) - _macro_f1(gold, y)) >= abs(observed) - 1e-12
    exact = extreme / 2 ** discordant.size
    delta, p = randomisation_test(gold, [a], [b], n_resamples=20_000, seed=3)
    assert delta == pytest.approx(observed)
    assert p == pytest.approx(exact, abs=0.01)


def test_mcnemar_exact_binomial():
    gold = np.zeros(20, dtype=int)
    a = np.zeros(20, dtype=int)
    b = np.array([1] * 10 + [0] * 10)  # b wrong on 10 items a gets right, never the reverse
    assert mcnemar_test(gold, a, b) == pytest.approx(2 * 0.5 ** 10)


def test_holm_against_a_hand_example():
    # sorted: .005×4=.02, .01×3=.03, .03×2=.06, .04×1=.04 → made monotone: .06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]) == [1.0, 1.0]
    assert holm([]) == []


def test_competition_ranks_share_ties():
    assert competition_ranks([0.9, 0.8, 0.8, 0.5]) == [1, 2, 2, 4]


def test_a_tier_never_holds_two_significantly_different_systems():
    # 0 ≈ 1 and 1 ≈ 2, but 0 differs from 2: system 2 must open tier 2 although it ties its
    # neighbour; system 3 ties 2 and joins it.
    differs = {frozenset(p): False for p in [(0, 1), (1, 2), (2, 3), (1, 3)]}
    differs |= {frozenset((0, 2)): True, frozenset((0, 3)): True}
    assert assign_tiers([0, 1, 2, 3], differs) == {0: 1, 1: 1, 2: 2, 3: 2}


def test_identical_systems_form_one_tier():
    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 300)
    pred = np.where(rng.random(300) < 0.7, gold, rng.integers(0, 3, 300))
    standings = compare_systems(gold, {"a": [pred], "b": [pred.copy()], "c": [pred.copy()]}, n_resamples=500)
    assert set(standings.tier.values()) == {1}
    assert set(standings.rank.values()) == {1}
    assert all(c.p_macro_f1_holm == 1.0 and c.p_mcnemar_holm == 1.0 for c in standings.comparisons)


def test_a_clearly_better_system_gets_its_own_tier():
    rng = np.random.default_rng(1)
    gold = rng.integers(0, 3, 300)
    weak = np.where(rng.random(300) < 0.4, gold, rng.integers(0, 3, 300))
    standings = compare_systems(gold, {"weak": [weak], "perfect": [gold.copy()], "weak-copy": [weak.copy()]},
                                n_resamples=2000)
    assert standings.order[0] == "perfect"
    assert standings.tier == {"perfect": 1, "weak": 2, "weak-copy": 2}
    assert standings.rank == {"perfect": 1, "weak": 2, "weak-copy": 2}
    best = [c for c in standings.comparisons if "perfect" in (c.a, c.b)]
    # one extreme resample in 2,001 is the smallest p; Holm multiplies by up to 3 comparisons
    assert all(c.p_macro_f1_holm <= 3 / 2001 + 1e-12 and c.p_mcnemar_holm < 1e-10 for c in best)


def test_seeds_are_tested_together():
    rng = np.random.default_rng(2)
    gold = rng.integers(0, 3, 200)
    noisy = [np.where(rng.random(200) < 0.5, gold, rng.integers(0, 3, 200)) for _ in range(3)]
    strong = [np.where(rng.random(200) < 0.95, gold, rng.integers(0, 3, 200)) for _ in range(2)]
    delta, p = randomisation_test(gold, strong, noisy, n_resamples=1000)
    expected = np.mean([_macro_f1(gold, s) - _macro_f1(gold, n) for s, n in zip(strong, noisy[:2])])
    assert delta == pytest.approx(expected)
    assert p == pytest.approx(1 / 1001)
    standings = compare_systems(gold, {"strong": strong, "noisy": noisy}, n_resamples=1000)
    assert standings.tier == {"strong": 1, "noisy": 2}
    assert standings.comparisons[0].p_mcnemar is None  # McNemar pairs two single runs only
