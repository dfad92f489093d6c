"""bench.perf: the figures' keys and ranges (never their speed), on the fixture corpus."""

from __future__ import annotations

import json

import pytest

from bench import perf
from bench.cli import main
from bench.errors import UserError

THROUGHPUT_KEYS = {"n", "device", "dtype", "ours_sps", "raw_sps", "pipeline_sps", "tokenizer_sps",
                   "bf16_fp32_agreement", "ours_over_pipeline", "ours_over_raw", "ours_over_tokenizer"}


def test_suite_timing_on_the_fixture_corpus(corpus_dir):
    figures = perf.suite_timing("quick", n_sentences=74, data=corpus_dir)
    assert figures["suite"] == "quick"
    # 37 sentences tiled twice: 38 + 12 + 12 + 12
    assert figures["sentences"] == 74
    assert set(figures["systems"]) == {"majority", "cue-rules", "tfidf-logreg"}
    assert all(seconds >= 0 for seconds in figures["systems"].values())
    assert figures["suite_seconds"] == pytest.approx(sum(figures["systems"].values()), abs=0.01)
    assert figures["evaluate_10k_1000_resamples_seconds"] > 0


def test_model_throughput_keys(finetune_run, corpus_dir):
    figures = perf.model_throughput(finetune_run, n=48, device="cpu", data=corpus_dir)
    assert set(figures) == THROUGHPUT_KEYS
    assert figures["n"] == 48 and figures["device"] == "cpu" and figures["dtype"] in ("fp32", "bf16")
    assert all(figures[key] > 0 for key in ("ours_sps", "raw_sps", "pipeline_sps", "tokenizer_sps"))
    assert 0.0 <= figures["bf16_fp32_agreement"] <= 1.0


def test_model_throughput_refuses_a_run_that_is_not_fine_tuned(tmp_path, corpus_dir):
    from bench.systems import save_system
    from bench.systems.baselines import CueRules

    save_system(CueRules().fit([], []), "cue_rules", tmp_path / "model")
    with pytest.raises(UserError, match="needs a fine-tuned transformer run"):
        perf.model_throughput(tmp_path, n=8, device="cpu", data=corpus_dir)


def test_perf_model_json_output_parses(finetune_run, corpus_dir, capsys):
    code = main(["perf", "--model", str(finetune_run), "--n", "32", "--device", "cpu", "--data", str(corpus_dir),
                 "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    figures = json.loads(out)  # stdout is the JSON document alone
    assert set(figures) == THROUGHPUT_KEYS and figures["n"] == 32
    assert f"ours_sps{' ' * 22} {figures['ours_sps']}" in err


CAUSAL_LM_KEYS = {"model", "n", "shots", "device", "prefix_tokens", "prompt_tokens", "cached_sps", "uncached_sps",
                  "prompt_forward_ms", "speedup", "cached_cost_in_prompt_forwards"}


def test_causal_lm_cost_figures(corpus_dir, tmp_path):
    from transformers import AutoTokenizer

    from bench import prompt
    from bench.data import load_corpus
    from bench.systems.causal_lm import CausalLM
    from bench.tiny_lm import build_tiny_causal_lm

    corpus = load_corpus(corpus_dir)
    model = str(build_tiny_causal_lm(tmp_path, corpus["train"]["text"]))
    figures = perf.causal_lm_cost(model, n=9, shots=1, device="cpu", data=corpus_dir)
    assert set(figures) == CAUSAL_LM_KEYS
    assert (figures["model"], figures["n"], figures["shots"], figures["device"]) == (model, 9, 1, "cpu")
    assert all(figures[key] > 0 for key in ("cached_sps", "uncached_sps", "prompt_forward_ms", "speedup",
                                            "cached_cost_in_prompt_forwards"))
    assert figures["speedup"] == pytest.approx(figures["cached_sps"] / figures["uncached_sps"], abs=0.006)
    assert figures["cached_cost_in_prompt_forwards"] == pytest.approx(
        1000 / (figures["cached_sps"] * figures["prompt_forward_ms"]), rel=0.05)
    # the prompt timed is the one of the median-length sentence among the n sentences sampled, in corpus order
    shots = CausalLM(model=model, shots=1).fit(corpus["train"]["text"], corpus["train"]["label"]).shots_
    tokenizer = AutoTokenizer.from_pretrained(model)
    texts = [text for split in corpus for text in corpus[split]["text"]][:9]
    lengths = sorted(len(tokenizer(prompt.context(text, shots) + prompt.CHOICES[0], add_special_tokens=False)
                         ["input_ids"]) for text in texts)
    assert figures["prompt_tokens"] == lengths[4]
    assert figures["prefix_tokens"] == len(tokenizer(prompt.prefix(shots), add_special_tokens=False)["input_ids"])
    assert figures["prefix_tokens"] < figures["prompt_tokens"]
    assert f"speedup{' ' * 23} {figures['speedup']}" in perf.format_figures(figures)
