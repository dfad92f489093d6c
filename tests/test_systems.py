"""bench.systems: the registry, the floors (baselines) and the TF-IDF linear systems."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import skops.io
from sklearn.preprocessing import FunctionTransformer

from bench.data import load_corpus
from bench.errors import UserError
from bench.labels import LABELS
from bench.systems import build_system, load_system, save_system, system_class
from bench.systems.baselines import CueRules, LengthOnly, Majority, Stratified
from bench.systems.linear import TfidfLinear


@pytest.fixture(scope="module")
def fixture_corpus():
    return load_corpus(Path(__file__).parent / "fixtures" / "corpus")


def assert_probabilities(proba: np.ndarray, n: int) -> None:
    assert proba.shape == (n, len(LABELS))
    assert np.all(proba >= 0) and np.all(proba <= 1)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)


@pytest.mark.parametrize("name, params", [
    ("majority", {}), ("stratified", {"seed": 1}), ("length_only", {"C": 1.0}), ("cue_rules", {}),
    ("tfidf_linear", {"classifier": "logreg"}), ("tfidf_linear", {"classifier": "svm"}),
    ("tfidf_linear", {"classifier": "nb"}),
])
def test_fit_and_predict_proba_shapes(fixture_corpus, name, params):
    train, test = fixture_corpus["train"], fixture_corpus["test"]
    system = build_system(name, params).fit(train["text"], train["label"])
    proba = system.predict_proba(test["text"])
    assert_probabilities(proba, len(test))
    assert system.predict(test["text"]) == [LABELS[i] for i in proba.argmax(axis=1)]


def test_majority_puts_probability_in_labels_order():
    # sklearn sorts classes alphabetically (attributed_opinion first); LABELS puts factual_claim first
    texts = ["one", "two", "three", "four", "five"]
    labels = ["attributed_opinion"] * 3 + ["framing_language", "factual_claim"]
    system = Majority().fit(texts, labels)
    proba = system.predict_proba(["anything", "else"])
    assert proba.tolist() == [[0.0, 1.0, 0.0]] * 2
    assert system.predict(["anything"]) == ["attributed_opinion"]


def test_a_label_never_seen_in_training_gets_zero_probability():
    system = TfidfLinear().fit(["the vote passed", "critics fumed", "the vote failed", "critics raged"],
                               ["factual_claim", "framing_language"] * 2)
    proba = system.predict_proba(["the vote passed", "critics fumed"])
    assert proba[:, LABELS.index("attributed_opinion")].tolist() == [0.0, 0.0]
    assert system.predict(["the vote passed", "critics fumed"]) == ["factual_claim", "framing_language"]


def test_tfidf_fits_its_training_sentences(fixture_corpus):
    train = fixture_corpus["train"]
    system = TfidfLinear(C=100.0).fit(train["text"], train["label"])
    assert system.predict(train["text"]) == list(train["label"])


def test_stratified_is_seeded(fixture_corpus):
    train, test = fixture_corpus["train"], fixture_corpus["test_ood"]
    first = Stratified(seed=4).fit(train["text"], train["label"]).predict_proba(list(test["text"]) * 5)
    again = Stratified(seed=4).fit(train["text"], train["label"]).predict_proba(list(test["text"]) * 5)
    other = Stratified(seed=5).fit(train["text"], train["label"]).predict_proba(list(test["text"]) * 5)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_length_only_sees_only_length():
    system = LengthOnly().fit(["Short one.", "Tiny.", "A much longer sentence that goes on and on and on.",
                               "Another long sentence with many words in it, as is typical of quotes."],
                              ["factual_claim", "factual_claim", "attributed_opinion", "attributed_opinion"])
    assert system.features(["a b c"]).tolist() == [[3.0, 5.0]]
    assert system.predict(["Brief.", "Yet another quite long sentence with plenty of words in it, like a quote."]) == [
        "factual_claim", "attributed_opinion"]


@pytest.mark.parametrize("text, label", [
    ("Is anyone still surprised?", "framing_language"),
    ("Critics slammed the plan.", "framing_language"),
    ("The so-called reform changed nothing.", "framing_language"),
    ("The minister said taxes would fall.", "attributed_opinion"),
    ("Sales rose 4%, according to the ministry.", "attributed_opinion"),
    ("\u201cNever again,\u201d she wrote.", "attributed_opinion"),
    ('"We will rebuild."', "attributed_opinion"),
    ("The bridge opened in 1932.", "factual_claim"),
    ("Justice Ortiz heard the case on Monday.", "factual_claim"),  # "just" only as a whole word
])
def test_cue_rules(text, label):
    rules = CueRules().fit([], [])
    assert rules.rule(text) == label
    proba = rules.predict_proba([text])
    expected = np.full(3, 0.1)
    expected[LABELS.index(label)] = 0.8
    np.testing.assert_allclose(proba[0], expected)


def test_cue_rules_round_trip_keeps_custom_lexicons(tmp_path):
    rules = CueRules(reporting_verbs=("quipped",), loaded_words=("dreadful",), confidence=0.6)
    save_system(rules, "cue_rules", tmp_path / "model")
    loaded = load_system(tmp_path / "model")
    assert loaded.reporting_verbs == ("quipped",) and loaded.loaded_words == ("dreadful",)
    assert loaded.predict(["He quipped that it rained.", "A dreadful idea.", "He said so."]) == [
        "attributed_opinion", "framing_language", "factual_claim"]


@pytest.mark.parametrize("classifier", ["logreg", "svm", "nb"])
def test_tfidf_save_and_load_give_identical_probabilities(tmp_path, fixture_corpus, classifier):
    train, test = fixture_corpus["train"], fixture_corpus["test"]
    system = TfidfLinear(classifier=classifier, C=4.0).fit(train["text"], train["label"])
    save_system(system, "tfidf_linear", tmp_path / "model")
    assert json.loads((tmp_path / "model" / "system.json").read_text())["params"]["classifier"] == classifier
    loaded = load_system(tmp_path / "model")
    assert isinstance(loaded, TfidfLinear) and loaded.C == 4.0
    np.testing.assert_array_equal(loaded.predict_proba(test["text"]), system.predict_proba(test["text"]))


def _saved_majority_folder(folder, estimator) -> None:
    folder.mkdir()
    skops.io.dump(estimator, folder / "model.skops")
    (folder / "system.json").write_text(json.dumps({"system": "majority", "params": {"seed": 0}}))


def test_load_refuses_a_skops_file_with_a_foreign_type(tmp_path):
    _saved_majority_folder(tmp_path / "model", FunctionTransformer(func=os.system))
    with pytest.raises(UserError, match=r"refuses to load types outside .*: posix\.system"):
        load_system(tmp_path / "model")


def test_load_refuses_a_module_whose_name_merely_starts_like_numpy(tmp_path, monkeypatch):
    (tmp_path / "numpy_tricks.py").write_text("def helper(x):\n    return x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import numpy_tricks

    _saved_majority_folder(tmp_path / "model", FunctionTransformer(func=numpy_tricks.helper))
    monkeypatch.delitem(sys.modules, "numpy_tricks")
    with pytest.raises(UserError, match=r"numpy_tricks\.helper"):
        load_system(tmp_path / "model")


def test_build_system_with_an_unknown_parameter():
    with pytest.raises(UserError, match=r"system 'tfidf_linear' has no parameter 'epochs' \(accepted: .*C"):
        build_system("tfidf_linear", {"epochs": 3})


def test_unknown_system_and_classifier():
    with pytest.raises(UserError, match="unknown system 'gpt'"):
        system_class("gpt")
    with pytest.raises(UserError, match="classifier must be one of logreg, svm, nb"):
        TfidfLinear(classifier="forest").fit(["a b c"], ["factual_claim"])


def test_load_system_needs_a_model_folder(tmp_path):
    with pytest.raises(UserError, match="not a ClaimFrame model folder"):
        load_system(tmp_path)
    (tmp_path / "system.json").write_text("{not json")
    with pytest.raises(UserError, match="malformed system file"):
        load_system(tmp_path)


def registered_systems(tiny_bert, tiny_causal_lm) -> list[tuple[str, dict]]:
    """Every registered system, the encoders on the tiny BERT and the causal LM on the tiny GPT-2."""
    from bench.systems import SYSTEMS

    params = {"tfidf_linear": {"classifier": "svm"},
              "frozen_encoder": {"model": str(tiny_bert), "device": "cpu"},
              "finetune": {"model": str(tiny_bert), "device": "cpu", "epochs": 1, "batch_size": 8,
                           "learning_rate": 1e-3, "precision": "fp32"},
              "setfit": {"model": str(tiny_bert), "device": "cpu", "pairs": 64, "batch_size": 8, "precision": "fp32"},
              "causal_lm": {"model": str(tiny_causal_lm), "device": "cpu", "shots": 1, "batch_size": 4}}
    return [(name, params.get(name, {})) for name in sorted(SYSTEMS)]


def test_check_system_passes_on_every_registered_system(fixture_corpus, tiny_bert, tiny_causal_lm, tmp_path,
                                                        monkeypatch):
    from bench.systems.checks import check_system

    monkeypatch.setattr("bench.systems.encoder.DEFAULT_CACHE", tmp_path / "cache")
    train, dev, test = fixture_corpus["train"], fixture_corpus["dev"], fixture_corpus["test"]
    for name, params in registered_systems(tiny_bert, tiny_causal_lm):
        failures = check_system(name, params, list(train["text"]), list(train["label"]), list(dev["text"]),
                                list(dev["label"]), list(test["text"]))
        assert failures == [], f"{name}: {failures}"


def test_check_system_finds_a_broken_system(fixture_corpus, monkeypatch):
    from bench.systems.checks import check_system

    train, test = fixture_corpus["train"], fixture_corpus["test"]
    monkeypatch.setattr(Majority, "predict_proba", lambda self, texts: np.full((len(texts), 3), 0.5))
    failures = check_system("majority", {}, list(train["text"]), list(train["label"]), [], [], list(test["text"]))
    assert "predict_proba rows do not sum to 1" in failures


def test_scikit_learn_models_are_saved_deflated(fixture_corpus, tmp_path):
    import zipfile

    train = fixture_corpus["train"]
    system = TfidfLinear(classifier="svm").fit(train["text"], train["label"])
    save_system(system, "tfidf_linear", tmp_path)
    with zipfile.ZipFile(tmp_path / "model.skops") as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
