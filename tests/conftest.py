"""Shared fixtures: the hand-written fixture corpus and a tiny randomly initialised BERT (no download)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CORPUS = FIXTURES / "corpus"


@pytest.fixture
def corpus_dir() -> Path:
    return FIXTURE_CORPUS


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    """A 2-layer, 32-wide BERT with the all-MiniLM-L6-v2 tokenizer, saved as safetensors."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from bench.systems.inference import resolve_model_path

    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(None))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_causal_lm(tmp_path_factory) -> Path:
    """A 2-layer, 32-wide random GPT-2 with a byte-level BPE tokenizer trained on the fixture corpus."""
    from bench.data import read_jsonl
    from bench.tiny_lm import build_tiny_causal_lm

    texts = [row["text"] for row in read_jsonl(FIXTURE_CORPUS / "train.jsonl")]
    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny-causal-lm") / "model", texts)


# Small enough to fit in about a second on a CPU, with a learning rate high enough that the tiny BERT moves.
TINY_FINETUNE_PARAMS = {"epochs": 2, "batch_size": 8, "learning_rate": 1e-3, "eval_batch_size": 16,
                        "precision": "fp32"}


@pytest.fixture(scope="session")
def tiny_finetune_config(tiny_bert):
    """A `finetune` system config that fine-tunes the tiny BERT for two epochs."""
    from bench.config import RunConfig

    return RunConfig(name="tiny-finetune", system="finetune", params=dict(TINY_FINETUNE_PARAMS),
                     model=str(tiny_bert))


@pytest.fixture(scope="session")
def finetune_run(tiny_finetune_config, tmp_path_factory) -> Path:
    """One finished, uninterrupted `train_run` of the tiny BERT on the fixture corpus (seed 0, CPU,
    100 bootstrap resamples), in a folder named `run`."""
    from bench.training import train_run

    output = tmp_path_factory.mktemp("finetune") / "run"
    train_run(tiny_finetune_config, seed=0, device="cpu", output=output, data=FIXTURE_CORPUS, leaderboard=None,
              n_resamples=100)
    return output


@pytest.fixture(scope="session")
def cue_run(tmp_path_factory) -> Path:
    """A finished run of the rule-based `cue_rules` system on the fixture corpus, in a folder named
    `run`: a real run folder whose labels are deterministic and can be worked out by hand."""
    from bench.config import RunConfig
    from bench.training import train_run

    root = tmp_path_factory.mktemp("cue-rules")
    return train_run(RunConfig(name="cue-rules", system="cue_rules"), output=root / "run", data=FIXTURE_CORPUS,
                     leaderboard=root / "lb.csv", n_resamples=10).directory
