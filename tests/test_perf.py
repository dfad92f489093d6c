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
