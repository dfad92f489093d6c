"""bench.metrics against numbers worked out by hand, and the fast bootstrap against sklearn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from bench.labels import LABELS
from bench.metrics import (bootstrap_scores, brier_score, contrast_consistency, encode,
                           expected_calibration_error, macro_f1, reliability_table, resample_indices, scorecard)

F, A, R = LABELS  # factual_claim, attributed_opinion, framing_language

# Confusion (rows gold F/A/R, columns predicted F/A/R): [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
GOLD = [F, F, F, A, A, R]
PRED = [F, F, A, A, R, R]


def test_scorecard_on_a_hand_computed_example():
    card = scorecard(GOLD, PRED, n_resamples=0)
    # F: P = 2/2, R = 2/3, F1 = 0.8;  A: P = 1/2, R = 1/2, F1 = 0.5;  R: P = 1/2, R = 1/1, F1 = 2/3
    assert card["per_class"][F] == pytest.approx({"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3})
    assert card["per_class"][A] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert card["per_class"][R] == pytest.approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1})
    assert card["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert card["accuracy"] == pytest.approx(4 / 6)
    assert card["confusion"] == {"labels": list(LABELS), "matrix": [[2, 1, 0], [0, 1, 1], [0, 0, 1]]}
    assert card["n"] == 6 and card["schema_version"] == "1.0"
    assert "ece" not in card


def test_labels_never_seen_count_as_zero_f1():
    # only factual_claim, all correct: F1 1 for it, 0 for the two absent labels
    assert macro_f1([F, F], [F, F]) == pytest.approx(1 / 3)


def test_bootstrap_scores_equal_sklearn_on_every_resample():
    rng = np.random.default_rng(7)
    gold = rng.integers(0, 3, 25)
    pred = np.where(rng.random(25) < 0.6, gold, rng.integers(0, 3, 25))
    indices = resample_indices(len(gold), 20, seed=3)
    f1s, accuracies = bootstrap_scores(gold, pred, indices)
    assert f1s.shape == accuracies.shape == (20,)
    for k, rows in enumerate(indices):
        expected_f1 = f1_score(gold[rows], pred[rows], labels=[0, 1, 2], average="macro", zero_division=0)
        assert f1s[k] == pytest.approx(expected_f1, abs=1e-12)
        assert accuracies[k] == pytest.approx(accuracy_score(gold[rows], pred[rows]), abs=1e-12)


def test_bootstrap_scores_when_a_resample_lacks_a_label():
    gold, pred = encode([F, F, A, R]), encode([F, A, A, R])
    indices = np.array([[0, 0, 1, 1], [3, 3, 3, 3]])  # first: no A or R in gold; second: only R
    f1s, accuracies = bootstrap_scores(gold, pred, indices)
    # first resample: F has tp 2, fn 2 → F1 2/3; A predicted twice, never gold → 0; R absent → 0
    assert f1s == pytest.approx([(2 / 3) / 3, 1 / 3])
    assert accuracies == pytest.approx([0.5, 1.0])


def _noisy_predictions(n: int = 200):
    rng = np.random.default_rng(11)
    gold = [LABELS[i] for i in rng.integers(0, 3, n)]
    pred = [g if rng.random() < 0.7 else LABELS[rng.integers(0, 3)] for g in gold]
    return gold, pred


def test_confidence_interval_contains_the_estimate_and_is_seeded():
    gold, pred = _noisy_predictions()
    card = scorecard(gold, pred, n_resamples=300, seed=0)
    low, high = card["macro_f1_ci"]
    assert low < card["macro_f1"] < high
    assert card["accuracy_ci"][0] < card["accuracy"] < card["accuracy_ci"][1]
    assert scorecard(gold, pred, n_resamples=300, seed=0)["macro_f1_ci"] == [low, high]
    assert scorecard(gold, pred, n_resamples=300, seed=1)["macro_f1_ci"] != [low, high]
    assert card["bootstrap"] == {"resamples": 300, "seed": 0, "level": 0.95}


def test_perfectly_confident_correct_predictions_are_perfectly_calibrated():
    gold = [F, A, R, A]
    probs = np.eye(3)[encode(gold)]
    assert expected_calibration_error(gold, probs) == 0.0
    assert brier_score(gold, probs) == 0.0


# Four items, 10 bins:
#   1. gold F, top F 0.92 (right)  ┐ bin 9: accuracy 1/2, confidence 0.95 → |0.5 - 0.95| = 0.45
#   2. gold A, top F 0.98 (wrong)  ┘
#   3. gold R, top R 0.62 (right)    bin 6: |1 - 0.62| = 0.38
#   4. gold F, top A 0.44 (wrong)    bin 4: |0 - 0.44| = 0.44
# ECE = 2/4·0.45 + 1/4·0.38 + 1/4·0.44 = 0.43
# Brier per item: 0.08²+0.05²+0.03² = 0.0098;  0.98²+0.99²+0.01² = 1.9406;
#                 0.18²+0.20²+0.38² = 0.2168;  0.74²+0.44²+0.30² = 0.8312;  mean 0.7496
CAL_GOLD = [F, A, R, F]
CAL_PROBS = np.array([[0.92, 0.05, 0.03], [0.98, 0.01, 0.01], [0.18, 0.20, 0.62], [0.26, 0.44, 0.30]])


def test_ece_and_brier_on_a_hand_computed_case():
    assert expected_calibration_error(CAL_GOLD, CAL_PROBS, n_bins=10) == pytest.approx(0.43)
    assert brier_score(CAL_GOLD, CAL_PROBS) == pytest.approx(0.7496)
    card = scorecard(CAL_GOLD, [F, F, R, A], CAL_PROBS, n_resamples=0)
    assert card["brier"] == pytest.approx(0.7496)


def test_reliability_table_bins():
    table = reliability_table(CAL_GOLD, CAL_PROBS, n_bins=10)
    assert [row["count"] for row in table] == [0, 0, 0, 0, 1, 0, 1, 0, 0, 2]
    assert table[9]["confidence"] == pytest.approx(0.95) and table[9]["accuracy"] == 0.5
    assert table[0]["confidence"] is None


def test_contrast_consistency_counts_pairs_with_both_sentences_right():
    pairs = ["p1", "p1", "p2", "p2", "p3", "p3"]
    gold = [F, R, A, R, F, A]
    pred = [F, R, A, A, F, A]  # p2's second sentence is wrong
    assert contrast_consistency(pairs, gold, pred) == pytest.approx(2 / 3)
    assert math.isnan(contrast_consistency([], [], []))


def test_without_resamples_each_ci_collapses_to_its_own_point_estimate():
    from bench.metrics import scorecard

    gold = ["factual_claim", "attributed_opinion", "framing_language", "factual_claim"]
    pred = ["factual_claim", "factual_claim", "framing_language", "factual_claim"]
    card = scorecard(gold, pred, n_resamples=0)
    assert card["accuracy"] == 0.75
    assert card["accuracy_ci"] == [0.75, 0.75]
    assert card["macro_f1_ci"] == [card["macro_f1"]] * 2
    assert "scored_labels" not in card
