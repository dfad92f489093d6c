"""Transformer systems with the tiny BERT: fine-tuning (save/load, determinism, resume), the frozen
encoder's embedding cache, and the shared batched inference path."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from transformers import TrainerCallback

from bench.data import load_corpus
from bench.labels import LABELS
from bench.systems import encoder as encoder_module
from bench.systems import inference, load_system, save_system
from bench.systems.encoder import FrozenEncoder
from bench.systems.transformer import FineTunedTransformer
from bench.training import train_run

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"
STEPS_PER_EPOCH = 3  # 19 training sentences in batches of 8


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(FIXTURE_CORPUS)


def fine_tune(config, corpus, seed: int = 0) -> FineTunedTransformer:
    system = FineTunedTransformer(model=config.model, seed=seed, device="cpu", **config.params)
    return system.fit(corpus["train"]["text"], corpus["train"]["label"], corpus["dev"]["text"], corpus["dev"]["label"])


@pytest.fixture(scope="module")
def fitted(tiny_finetune_config, corpus, tmp_path_factory):
    """A fit without a checkpoint folder, with temporary files redirected to see what it leaves."""
    scratch = tmp_path_factory.mktemp("scratch")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(scratch))
        system = fine_tune(tiny_finetune_config, corpus)
    return system, scratch


def test_fit_leaves_no_temporary_checkpoints(fitted):
    _, scratch = fitted
    assert not list(scratch.glob("claimframe-*"))


def test_save_and_load_give_identical_predictions(fitted, corpus, tmp_path):
    system, _ = fitted
    texts = list(corpus["test"]["text"]) + list(corpus["test_ood"]["text"])
    proba = system.predict_proba(texts)
    assert proba.shape == (12, len(LABELS))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    save_system(system, "finetune", tmp_path / "model")
    assert (tmp_path / "model" / "hf" / "model.safetensors").exists()
    assert not list((tmp_path / "model").rglob("*.bin"))
    loaded = load_system(tmp_path / "model", device="cpu")
    assert isinstance(loaded, FineTunedTransformer) and loaded.epochs == 2
    np.testing.assert_array_equal(loaded.predict_proba(texts), proba)
    assert loaded.predict(texts) == system.predict(texts)
    assert loaded.predict_proba([]).shape == (0, len(LABELS))


def test_same_seed_gives_identical_probabilities(fitted, tiny_finetune_config, corpus):
    system, _ = fitted
    texts = list(corpus["test"]["text"])
    proba = system.predict_proba(texts)
    np.testing.assert_array_equal(fine_tune(tiny_finetune_config, corpus, seed=0).predict_proba(texts), proba)
    assert not np.allclose(fine_tune(tiny_finetune_config, corpus, seed=1).predict_proba(texts), proba)


class Interrupted(Exception):
    pass


class CrashOnFirstSave(TrainerCallback):
    def on_save(self, args, state, control, **kwargs):
        raise Interrupted(f"simulated crash after saving step {state.global_step}")


class CountSteps(TrainerCallback):
    def __init__(self):
        self.steps = 0

    def on_step_end(self, args, state, control, **kwargs):
        self.steps += 1


def _comparable(metrics: dict) -> dict:
    """metrics.json without the wall-clock figures and the time it was written."""
    return {k: v for k, v in metrics.items() if k not in ("train_seconds", "predict_sentences_per_second",
                                                          "timestamp")}


def test_resume_after_a_crash_matches_an_uninterrupted_run(tiny_finetune_config, finetune_run, tmp_path,
                                                           monkeypatch):
    output, board = tmp_path / "run", tmp_path / "board.csv"
    run = dict(seed=0, device="cpu", output=output, data=FIXTURE_CORPUS, leaderboard=board, n_resamples=100)
    monkeypatch.setattr(FineTunedTransformer, "extra_callbacks", [CrashOnFirstSave()])
    with pytest.raises(Interrupted):
        train_run(tiny_finetune_config, **run)
    assert not output.exists() and not board.exists()
    checkpoints = tmp_path / "run.partial" / "checkpoints"
    assert [p.name for p in checkpoints.glob("checkpoint-*")] == [f"checkpoint-{STEPS_PER_EPOCH}"]

    counter = CountSteps()
    monkeypatch.setattr(FineTunedTransformer, "extra_callbacks", [counter])
    train_run(tiny_finetune_config, resume=True, **run)
    assert counter.steps == STEPS_PER_EPOCH  # only the second epoch was trained
    assert not (tmp_path / "run.partial").exists()
    resumed = json.loads((output / "metrics.json").read_text())
    uninterrupted = json.loads((finetune_run / "metrics.json").read_text())
    assert _comparable(resumed) == _comparable(uninterrupted)
    assert (output / "predictions-test.jsonl").read_text() == (finetune_run / "predictions-test.jsonl").read_text()


def test_frozen_encoder_caches_embeddings(tiny_bert, corpus, tmp_path, monkeypatch):
    calls = []
    real_run_batched = encoder_module.run_batched

    def counting_run_batched(texts, *args, **kwargs):
        calls.append(len(texts))
        return real_run_batched(texts, *args, **kwargs)

    monkeypatch.setattr(encoder_module, "run_batched", counting_run_batched)
    train, test = corpus["train"], corpus["test"]
    params = dict(model=str(tiny_bert), cache_dir=str(tmp_path / "cache"), batch_size=8, device="cpu")
    first = FrozenEncoder(**params).fit(train["text"], train["label"])
    proba = first.predict_proba(test["text"])
    assert calls == [19, 6]
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 2
    assert proba.shape == (6, len(LABELS))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)

    second = FrozenEncoder(**params).fit(train["text"], train["label"])
    np.testing.assert_array_equal(second.predict_proba(test["text"]), proba)
    assert calls == [19, 6]  # both embeddings came from the cache
    assert getattr(second, "encoder_", None) is None  # the model was never even loaded
    np.testing.assert_array_equal(second.embed(test["text"]), first.embed(test["text"]))


def test_run_batched_returns_rows_in_input_order(tiny_bert, corpus, monkeypatch):
    import torch
    from transformers import AutoModel, AutoTokenizer

    monkeypatch.setattr(inference, "CHUNK", 7)  # several tokenisation chunks, each with its own sort
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    model = AutoModel.from_pretrained(tiny_bert).eval()
    texts = [t for split in corpus for t in corpus[split]["text"]]

    def forward(encoding):
        return inference.mean_pool(model(**encoding).last_hidden_state, encoding["attention_mask"])

    batched = inference.run_batched(texts, tokenizer, forward, "cpu", "fp32", batch_size=4, max_length=128)
    with torch.inference_mode():
        one_by_one = np.stack([forward(tokenizer([t], return_tensors="pt", truncation=True, max_length=128))[0].numpy()
                               for t in texts])
    assert batched.shape == (len(texts), 32)
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    assert not np.allclose(batched[0], batched[1], atol=1e-3)


def test_run_batched_trims_each_batch_to_its_own_width_on_either_padding_side(tiny_bert):
    import torch
    from transformers import AutoTokenizer

    from bench.systems.inference import run_batched

    texts = ["short one", "a much longer sentence with many more tokens in it than the first", "mid length text"]
    for side in ("right", "left"):
        tokenizer = AutoTokenizer.from_pretrained(tiny_bert, padding_side=side)
        seen = []

        def forward(encoding):
            seen.append((encoding["input_ids"].shape[1], encoding["attention_mask"].tolist()))
            return encoding["attention_mask"].sum(dim=1, keepdim=True).to(torch.float32)

        lengths = run_batched(texts, tokenizer, forward, "cpu", batch_size=1)[:, 0]
        expected = [len(tokenizer(t)["input_ids"]) for t in texts]
        assert lengths.tolist() == expected  # input order restored, no padding counted
        assert sorted(width for width, _ in seen) == sorted(expected)  # each batch of one is unpadded


def test_pad_batch_pads_right_or_left_with_matching_mask():
    from bench.systems.inference import pad_batch

    ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0]]
    ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=9, left=True)
    assert ids.tolist() == [[5, 6, 7], [9, 9, 8]]
    assert mask.tolist() == [[1, 1, 1], [0, 0, 1]]


def test_balanced_class_weights_are_inverse_to_label_counts():
    import torch

    labels = ["factual_claim"] * 6 + ["attributed_opinion"] * 3 + ["framing_language"] * 1
    loss = FineTunedTransformer(class_weight="balanced")._loss_function(labels)
    logits = torch.zeros((3, len(LABELS)))
    targets = torch.tensor([0, 1, 2])
    # uniform logits: each example's loss is ln 3; weighted mean = ln 3 whatever the weights
    assert float(loss({"logits": logits}, targets)) == pytest.approx(np.log(3), rel=1e-6)
    logits = torch.tensor([[5.0, 0, 0], [5.0, 0, 0], [5.0, 0, 0]])
    weights = np.array([10 / 18, 10 / 9, 10 / 3])
    per_example = -torch.log_softmax(logits, dim=1)[torch.arange(3), targets].numpy()
    expected = (weights * per_example).sum() / weights.sum()
    assert float(loss({"logits": logits}, targets)) == pytest.approx(expected, rel=1e-5)


def test_label_smoothing_moves_the_loss_and_no_option_keeps_the_models_own():
    import torch

    logits, targets = torch.tensor([[4.0, 0.0, 0.0]]), torch.tensor([0])
    plain = -float(torch.log_softmax(logits, dim=1)[0, 0])
    smoothed = FineTunedTransformer(label_smoothing=0.3)._loss_function(["factual_claim"])
    assert float(smoothed({"logits": logits}, targets)) > plain + 0.1
    assert FineTunedTransformer()._loss_function(["factual_claim"]) is None


@pytest.mark.parametrize("params, message", [({"class_weight": "auto"}, "class_weight must be null or balanced"),
                                             ({"label_smoothing": 1.0}, "label_smoothing must be a number")])
def test_bad_loss_options_are_user_errors(params, message):
    from bench.errors import UserError

    with pytest.raises(UserError, match=message):
        FineTunedTransformer(**params)._loss_function(["factual_claim"])


def test_fine_tuning_reports_steps_on_stderr_and_prints_no_metric_dicts(tiny_finetune_config, corpus, capsys):
    system = fine_tune(tiny_finetune_config, corpus)
    out, err = capsys.readouterr()
    steps = STEPS_PER_EPOCH * tiny_finetune_config.params["epochs"]
    assert f"fine-tuning: {steps}/{steps} steps (100%)" in err
    assert "eval_loss" not in out and "eval_loss" not in err
    assert [round(entry["epoch"]) for entry in system.history_] == [1, 2]


def test_the_run_folder_keeps_the_per_epoch_dev_metrics(finetune_run):
    log = json.loads((finetune_run / "training-log.json").read_text())
    assert [round(entry["epoch"]) for entry in log] == [1, 2]
    assert all(0 <= entry["eval_macro_f1"] <= 1 for entry in log)
