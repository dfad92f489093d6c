"""`claimframe perf`: benchmarks that print figures (never timed tests).

- `suite_timing`: a scikit-learn suite's fit + dev selection + prediction on the corpus resampled to
  N sentences, and scoring 10,000 predictions with 1,000 bootstrap resamples.
- `model_throughput`: sentences/s of a fine-tuned run through (a) our inference path end to end,
  (b) a raw-forward reference (pre-tokenised, sorted, no I/O) and (c) `transformers.pipeline`,
  measured in one process on the same sentences, plus bf16-vs-fp32 class agreement.
- `causal_lm_cost`: sentences/s of the `causal_lm` scorer with and without its prefix cache, and its
  time per sentence in units of one forward pass of a whole prompt."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from bench.errors import UserError


def _tiled(corpus, n_sentences: int):
    """The corpus resampled (tiled) to about `n_sentences`, keeping split proportions, in memory."""
    import datasets

    total = sum(len(corpus[s]) for s in corpus)
    factor = n_sentences / total
    tiled = {}
    for split in corpus:
        rows = corpus[split].to_list()
        want = max(1, round(len(rows) * factor))
        tiled[split] = datasets.Dataset.from_list([rows[i % len(rows)] for i in range(want)])
    return datasets.DatasetDict(tiled)


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _warm_then_time(fn) -> float:
    """Seconds of a second, timed call: the first pass pays one-off costs (kernel selection for each
    new sequence width on a GPU, allocator growth) that a long-running job pays only once."""
    fn()
    return _timed(fn)[1]


def suite_timing(suite: str = "baselines", n_sentences: int | None = None, data: Path | None = None) -> dict:
    from bench.config import load_suite
    from bench.data import load_corpus
    from bench.labels import LABELS
    from bench.metrics import scorecard
    from bench.training import select_on_dev

    n_sentences = n_sentences or 5000
    corpus = _tiled(load_corpus(data), n_sentences)
    figures = {"suite": suite, "sentences": sum(len(corpus[s]) for s in corpus), "systems": {}}
    for entry in load_suite(suite).entries:
        def fit_and_predict():
            system, _, _ = select_on_dev(entry.config, corpus["train"], corpus["dev"], entry.config.seed, "cpu",
                                         None, False)
            for split in corpus:
                if split != "train":
                    system.predict_proba(list(corpus[split]["text"]))
        _, seconds = _timed(fit_and_predict)
        figures["systems"][entry.config.name] = round(seconds, 3)
    figures["suite_seconds"] = round(sum(figures["systems"].values()), 3)
    rng = np.random.default_rng(0)
    gold = [LABELS[i] for i in rng.integers(0, 3, 10_000)]
    pred = [g if rng.random() < 0.7 else LABELS[rng.integers(0, 3)] for g in gold]
    probs = rng.dirichlet(np.ones(3), size=10_000)
    _, figures["evaluate_10k_1000_resamples_seconds"] = _timed(
        lambda: scorecard(gold, pred, probs, n_resamples=1000, seed=0))
    figures["evaluate_10k_1000_resamples_seconds"] = round(figures["evaluate_10k_1000_resamples_seconds"], 3)
    return figures


def model_throughput(model_dir: Path, n: int | None = None, device: str = "auto",
                     data: Path | None = None) -> dict:
    import torch
    from transformers import pipeline

    from bench.data import load_corpus
    from bench.model_folder import load_model
    from bench.systems.inference import length_sorted_batches
    from bench.systems.transformer import FineTunedTransformer

    system = load_model(model_dir, device=device)
    if not isinstance(system, FineTunedTransformer):
        raise UserError(f"{model_dir}: perf --model needs a fine-tuned transformer run.")
    n = n or 2000
    corpus = load_corpus(data)
    pool = [t for split in corpus for t in corpus[split]["text"]]
    texts = [pool[i % len(pool)] for i in range(n)]
    dtype = system._dtype(system.device_)
    model, tokenizer, dev = system.model_.to(system.device_), system.tokenizer_, system.device_

    def sync():
        if dev == "cuda":
            torch.cuda.synchronize()

    ours = _warm_then_time(lambda: (system.logits(texts, dtype), sync()))
    fp32 = system.logits(texts, "fp32").argmax(axis=1)
    bf16 = system.logits(texts, "bf16").argmax(axis=1)
    ids, tokenize_s = _timed(lambda: tokenizer(texts, truncation=True, max_length=system.max_length)["input_ids"])
    batches = [tokenizer.pad({"input_ids": [ids[i] for i in b]}, return_tensors="pt")
               for b in length_sorted_batches([len(i) for i in ids], system._eval_batch_size(dev))]
    batches = [{k: v.to(dev) for k, v in b.items()} for b in batches]
    cast = torch.bfloat16 if dtype == "bf16" else None

    def raw():
        with torch.inference_mode(), torch.autocast(dev, dtype=cast, enabled=cast is not None):
            for b in batches:
                model(**b)
        sync()

    raw_s = _warm_then_time(raw)
    pipe = pipeline("text-classification", model=model, tokenizer=tokenizer, device=torch.device(dev))
    pipe_s = _warm_then_time(lambda: (pipe(texts, batch_size=32, truncation=True), sync()))
    figures = {"n": n, "device": dev, "dtype": dtype, "ours_sps": round(n / ours, 1),
               "raw_sps": round(n / raw_s, 1), "pipeline_sps": round(n / pipe_s, 1),
               "tokenizer_sps": round(n / tokenize_s, 1),
               "bf16_fp32_agreement": round(float((fp32 == bf16).mean()), 4)}
    figures["ours_over_pipeline"] = round(figures["ours_sps"] / figures["pipeline_sps"], 2)
    figures["ours_over_raw"] = round(figures["ours_sps"] / figures["raw_sps"], 3)
    figures["ours_over_tokenizer"] = round(figures["ours_sps"] / figures["tokenizer_sps"], 3)
    return figures


FORWARD_REPEATS = 15  # single passes of one prompt, timed one by one; their median is reported


def causal_lm_cost(model: str, n: int = 200, shots: int = 0, device: str = "cpu", data: Path | None = None) -> dict:
    """The `causal_lm` scorer on `n` corpus sentences with and without its prefix cache, and the cached
    scorer's time per sentence over the time of one forward pass (batch 1) of the whole prompt of the
    median-length sentence: prefix, sentence and the first label's verbaliser."""
    import torch

    from bench.data import load_corpus
    from bench.systems.causal_lm import CausalLM

    corpus = load_corpus(data)
    pool = [t for split in corpus for t in corpus[split]["text"]]
    texts = [pool[i % len(pool)] for i in range(n)]
    system = CausalLM(model=model, shots=shots, device=device).fit(corpus["train"]["text"], corpus["train"]["label"])
    cached_s = _warm_then_time(lambda: system.label_scores(texts))
    system.set_params(prefix_cache=False)
    uncached_s = _warm_then_time(lambda: system.label_scores(texts))
    typical = sorted(system.encode(texts), key=lambda item: len(item.context))[(n - 1) // 2]
    ids = torch.tensor([typical.context + typical.choices[0]], device=system.device_)

    def forward():
        with torch.inference_mode():
            system.model_(input_ids=ids)
        if system.device_ == "cuda":
            torch.cuda.synchronize()

    forward()
    # the median of single passes: one pass is short enough that a busy neighbour would skew a sum
    forward_s = statistics.median(_timed(forward)[1] for _ in range(FORWARD_REPEATS))
    figures = {"model": model, "n": n, "shots": shots, "device": system.device_,
               "prefix_tokens": len(system.prefix_ids_), "prompt_tokens": ids.shape[1],
               "cached_sps": round(n / cached_s, 1), "uncached_sps": round(n / uncached_s, 1),
               "prompt_forward_ms": round(1000 * forward_s, 3)}
    figures["speedup"] = round(figures["cached_sps"] / figures["uncached_sps"], 2)
    figures["cached_cost_in_prompt_forwards"] = round(cached_s / n / forward_s, 3)
    return figures


def format_figures(figures: dict) -> str:
    lines = []
    for key, value in figures.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k:28} {v}" for k, v in value.items()]
        else:
            lines.append(f"{key:30} {value}")
    return "\n".join(lines)
