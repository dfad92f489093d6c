"""bench.systems.setfit_classifier on the tiny BERT: the pair budget, the seed, saving without pickles,
and clear errors. The contract itself is checked with every system in test_systems."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.data import load_corpus
from bench.errors import UserError
from bench.systems import build_system, load_system, save_system

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
PARAMS = {"pairs": 48, "batch_size": 8, "precision": "fp32", "device": "cpu"}


@pytest.fixture(scope="module")
def data():
    corpus = load_corpus(CORPUS)
    return list(corpus["train"]["text"]), list(corpus["train"]["label"]), list(corpus["test"]["text"])


def test_the_trainer_draws_exactly_the_pair_budget(tiny_bert, data):
    from setfit import SetFitModel, TrainingArguments

    from bench.labels import LABEL_TO_ID
    from bench.systems.setfit_classifier import _PairBudgetTrainer

    texts, labels, _ = data
    system = build_system("setfit", {"model": str(tiny_bert), **PARAMS})
    model = SetFitModel(model_body=system._body(str(tiny_bert), "cpu"), model_head=system._head())
    for budget in (10, 30):
        trainer = _PairBudgetTrainer(budget, model=model, args=TrainingArguments(report_to="none"))
        dataset, _ = trainer.get_dataset(texts, [LABEL_TO_ID[label] for label in labels], trainer.args)
        assert len(dataset) == budget


def test_progress_counts_pairs_over_the_batch_size_times_the_epochs(tiny_bert, data, capsys):
    texts, labels, _ = data
    build_system("setfit", {"model": str(tiny_bert), **PARAMS, "epochs": 2}).fit(texts, labels)
    assert "contrastive pairs: 12/12 steps" in capsys.readouterr().err  # 48 pairs / 8 per batch × 2 epochs


def test_the_seed_decides_the_model(tiny_bert, data):
    texts, labels, probe = data
    one = build_system("setfit", {"model": str(tiny_bert), **PARAMS, "seed": 1}).fit(texts, labels)
    again = build_system("setfit", {"model": str(tiny_bert), **PARAMS, "seed": 1}).fit(texts, labels)
    other = build_system("setfit", {"model": str(tiny_bert), **PARAMS, "seed": 2}).fit(texts, labels)
    assert np.array_equal(one.predict_proba(probe), again.predict_proba(probe))
    assert not np.allclose(one.predict_proba(probe), other.predict_proba(probe))


def test_saved_as_safetensors_and_skops_and_reloaded_on_the_cpu(tiny_bert, data, tmp_path):
    texts, labels, probe = data
    system = build_system("setfit", {"model": str(tiny_bert), **PARAMS}).fit(texts, labels)
    save_system(system, "setfit", tmp_path / "model")
    assert (tmp_path / "model" / "body" / "model.safetensors").is_file()
    assert (tmp_path / "model" / "head.skops").is_file()
    reloaded = load_system(tmp_path / "model", device="cpu")
    assert np.allclose(reloaded.predict_proba(probe), system.predict_proba(probe), atol=1e-6)


def test_a_missing_model_is_one_clear_error(tmp_path, data):
    texts, labels, _ = data
    with pytest.raises(UserError, match="cannot load sentence encoder"):
        build_system("setfit", {"model": str(tmp_path / "absent"), **PARAMS}).fit(texts, labels)
