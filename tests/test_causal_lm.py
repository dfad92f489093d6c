"""The `causal_lm` system on tiny random causal LMs: the contract, the prefix cache against scoring from
scratch and against a hand computation, the shots, truncation, refusals and a whole run."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from bench import prompt
from bench.data import load_corpus
from bench.errors import UserError
from bench.labels import LABELS
from bench.systems import build_system
from bench.systems.causal_lm import SHOTS_FILE, CausalLM
from bench.tiny_lm import build_tiny_causal_lm

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(FIXTURE_CORPUS)


@pytest.fixture(scope="module")
def train(corpus):
    return list(corpus["train"]["text"]), list(corpus["train"]["label"])


@pytest.fixture(scope="module")
def sentences(corpus):
    """Twelve sentences of different lengths."""
    return list(corpus["test"]["text"]) + list(corpus["dev"]["text"])


@pytest.fixture(scope="session")
def tiny(tiny_causal_lm):
    return tiny_causal_lm


@pytest.fixture(scope="session")
def ragged(tmp_path_factory):
    """A tiny LM whose small vocabulary splits the verbalisers into different numbers of tokens, and
    whose tokenizer makes a lone closing "\\n\\n" one token, as GPT-2's does."""
    texts = [*load_corpus(FIXTURE_CORPUS)["train"]["text"], *["end\n\n"] * 5]
    return build_tiny_causal_lm(tmp_path_factory.mktemp("ragged-causal-lm"), texts, vocab_size=400)


def fitted(model, train, **params) -> CausalLM:
    return CausalLM(model=str(model), device="cpu", **params).fit(*train)


def ids(system: CausalLM, text: str) -> list[int]:
    return system.tokenizer_(text, add_special_tokens=False)["input_ids"]


def test_check_system_passes(tiny, corpus):
    from bench.systems.checks import check_system

    train, dev, test = corpus["train"], corpus["dev"], corpus["test"]
    failures = check_system("causal_lm", {"model": str(tiny), "shots": 1, "batch_size": 4}, list(train["text"]),
                            list(train["label"]), list(dev["text"]), list(dev["label"]), list(test["text"]))
    assert failures == []


@pytest.mark.parametrize("model_fixture", ["tiny", "ragged"])
@pytest.mark.parametrize("shots", [0, 1])
def test_the_prefix_cache_changes_no_score(request, model_fixture, shots, train, sentences):
    model = request.getfixturevalue(model_fixture)
    cached = fitted(model, train, shots=shots, batch_size=5)
    scratch = fitted(model, train, shots=shots, batch_size=5, prefix_cache=False)
    # sentence parts of different lengths share each batch, so padding, masks and positions all count
    assert len({len(item.context) for item in cached.encode(sentences[:5])}) > 1
    np.testing.assert_allclose(cached.label_scores(sentences), scratch.label_scores(sentences), atol=1e-4)
    np.testing.assert_allclose(cached.predict_proba(sentences), scratch.predict_proba(sentences), atol=1e-5)


def test_ragged_lm_has_uneven_verbalisers_and_a_merged_closing_newline(ragged, train, sentences):
    system = fitted(ragged, train, shots=1)
    item = system.encode(sentences[:1])[0]
    assert len({len(choice) for choice in item.choices}) > 1
    prefix_alone = ids(system, prompt.prefix(system.shots_))
    assert item.context[:len(prefix_alone)] != prefix_alone
    assert item.context[:len(prefix_alone) - 1] == prefix_alone[:-1]


def test_every_sentence_goes_through_the_cache(ragged, train, sentences, monkeypatch):
    scored = []
    score_cached = CausalLM._score_cached
    monkeypatch.setattr(CausalLM, "_score_cached",
                        lambda self, items, *rest: scored.extend(items) or score_cached(self, items, *rest))
    fitted(ragged, train, shots=1, batch_size=5).label_scores(sentences)
    assert len(scored) == len(sentences)


def test_a_context_that_does_not_start_with_the_prefix_is_scored_from_scratch(tiny, train, sentences, monkeypatch):
    system = fitted(tiny, train, shots=1, batch_size=5)
    system._lm()
    system.prefix_ids_ = [system.prefix_ids_[1], *system.prefix_ids_[1:]]  # as if the tokenizer merged differently
    monkeypatch.setattr(CausalLM, "_score_cached", lambda *args: pytest.fail("scored with the prefix cache"))
    reference = fitted(tiny, train, shots=1, prefix_cache=False).label_scores(sentences)
    np.testing.assert_allclose(system.label_scores(sentences), reference, atol=1e-4)


@pytest.mark.parametrize("prefix_cache", [True, False])
def test_scores_equal_a_hand_computation(ragged, train, sentences, prefix_cache):
    system = fitted(ragged, train, shots=1, prefix_cache=prefix_cache)
    scores = system.label_scores(sentences[:3])
    sentence = sentences[1]
    context = prompt.context(sentence, system.shots_)
    expected = []
    for choice in prompt.CHOICES:
        whole = ids(system, context + choice)
        start = len(ids(system, context))
        with torch.inference_mode():
            logprobs = torch.log_softmax(system.model_(input_ids=torch.tensor([whole])).logits[0], dim=-1)
        expected.append(sum(logprobs[j - 1, whole[j]].item() for j in range(start, len(whole))))
    np.testing.assert_allclose(scores[1], expected, atol=1e-4)
    proba = system.predict_proba(sentences[:3])
    np.testing.assert_allclose(proba[1], np.exp(expected) / np.exp(expected).sum(), atol=1e-5)


def test_shots_are_k_per_label_seeded_and_in_the_prompt(tiny, train):
    system = fitted(tiny, train, shots=2, seed=3)
    assert Counter(label for _, label in system.shots_) == {label: 2 for label in LABELS}
    assert all(shot in [list(pair) for pair in zip(*train)] for shot in system.shots_)
    assert fitted(tiny, train, shots=2, seed=3).shots_ == system.shots_
    assert fitted(tiny, train, shots=2, seed=4).shots_ != system.shots_
    system._lm()
    assert system.prefix_ids_ == ids(system, prompt.prefix(system.shots_))
    shown = system.tokenizer_.decode(system.encode(["A sentence."])[0].context)
    assert all(prompt.example_block(text, label) in shown for text, label in system.shots_)


def test_a_label_train_lacks_gets_no_shot_and_zero_shots_means_the_bare_prefix(tiny, train):
    texts, labels = train
    kept = [(t, l) for t, l in zip(texts, labels) if l != "framing_language"]
    system = fitted(tiny, tuple(map(list, zip(*kept))), shots=5)
    assert {label for _, label in system.shots_} == {"factual_claim", "attributed_opinion"}
    zero = fitted(tiny, train, shots=0)
    zero._lm()
    assert zero.shots_ == [] and zero.prefix_ids_ == ids(zero, prompt.prefix(()))


def test_rows_come_back_in_input_order_whatever_the_batch_size(tiny, train, sentences):
    one = fitted(tiny, train, shots=1, batch_size=1).predict_proba(sentences)
    five = fitted(tiny, train, shots=1, batch_size=5)
    np.testing.assert_allclose(five.predict_proba(sentences), one, atol=1e-5)
    np.testing.assert_allclose(five.predict_proba(sentences[::-1]), one[::-1], atol=1e-5)
    assert five.predict_proba([]).shape == (0, len(LABELS))


def test_a_long_sentence_loses_words_from_its_end(tiny, train, sentences):
    system = fitted(tiny, train, max_length=20)
    words = " ".join(sentences * 3).split()
    item = system.encode([" ".join(words)])[0]
    prefix_length = len(system.prefix_ids_)
    assert len(item.context) - prefix_length <= 20

    def context_ids(n):
        return ids(system, prompt.context(" ".join(words[:n])))

    kept = next(n for n in range(len(words)) if context_ids(n) == item.context)
    assert 0 < kept and len(context_ids(kept + 1)) - prefix_length > 20
    assert system.tokenizer_.decode(item.context).endswith("\nLabel:")
    assert np.isfinite(system.label_scores([" ".join(words)])).all()


def test_a_context_longer_than_the_model_positions_is_shortened(tiny, train, sentences, tmp_path):
    # the same training texts give the same tokenizer, so an empty sentence's context is as long
    empty_context = len(fitted(tiny, train).encode([""])[0].context)
    short = build_tiny_causal_lm(tmp_path, train[0], max_positions=empty_context + 30)
    system = fitted(short, train)
    item = system.encode([" ".join(sentences)])[0]
    assert len(item.context) + max(map(len, item.choices)) <= empty_context + 30
    assert np.isfinite(system.predict_proba([" ".join(sentences)])).all()
    with pytest.raises(UserError, match="no sentence fits: the prompt takes"):
        fitted(short, train, shots=3).predict_proba(sentences[:1])


def test_user_mistakes_are_one_sentence(tiny, train, tmp_path):
    with pytest.raises(UserError, match="needs a model"):
        build_system("causal_lm", {}).fit(*train)
    with pytest.raises(UserError, match="shots must be an integer of at least 0"):
        CausalLM(model=str(tiny), shots=-1).fit(*train)
    unsafe = tmp_path / "pickled-lm"
    unsafe.mkdir()
    for file in tiny.iterdir():
        if file.suffix != ".safetensors":
            (unsafe / file.name).write_bytes(file.read_bytes())
    from transformers import AutoModelForCausalLM

    torch.save(AutoModelForCausalLM.from_pretrained(tiny).state_dict(), unsafe / "pytorch_model.bin")
    with pytest.raises(UserError, match="cannot load model"):
        fitted(unsafe, train).predict_proba(["A sentence."])


def test_save_writes_the_shots_and_load_reads_them_lazily(tiny, train, tmp_path):
    system = fitted(tiny, train, shots=1)
    system.save(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [SHOTS_FILE]
    assert json.loads((tmp_path / SHOTS_FILE).read_text(encoding="utf-8")) == system.shots_
    loaded = CausalLM.load(tmp_path, system.get_params())
    assert loaded.shots_ == system.shots_ and getattr(loaded, "model_", None) is None
    (tmp_path / SHOTS_FILE).write_text('[["a sentence", "no_such_label"]]')
    with pytest.raises(UserError, match="malformed shots file"):
        CausalLM.load(tmp_path, system.get_params())


def test_long_inputs_report_progress(tiny, train, sentences, monkeypatch, capsys):
    monkeypatch.setattr("bench.systems.causal_lm.PROGRESS_FROM", 5)
    fitted(tiny, train).predict_proba(sentences)
    assert f"scoring: {len(sentences)}/{len(sentences)} sentences" in capsys.readouterr().err


def test_a_run_trains_and_scores_every_split(tiny, tmp_path):
    from bench.config import RunConfig
    from bench.training import train_run

    config = RunConfig(name="causal-lm-tiny", system="causal_lm", model=str(tiny), params={"shots": 1})
    result = train_run(config, device="cpu", output=tmp_path / "run", data=FIXTURE_CORPUS, leaderboard=None,
                       n_resamples=10)
    assert {row["split"] for row in result.rows} == {"dev", "test", "test_ood"}
    assert (result.directory / "model" / SHOTS_FILE).exists()
    assert json.loads((result.directory / "model" / "system.json").read_text())["params"]["model"] == str(tiny)
