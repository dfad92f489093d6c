"""A tiny, randomly initialised causal LM (byte-level BPE tokenizer + 2-layer GPT-2), built offline and
saved as safetensors. It exercises the causal-LM path (the `causal-lm` system, the lm-evaluation-harness
task) end to end; its scores are a smoke test, never a result."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from bench.prompt import CHOICES, INSTRUCTION

TINY_LM_NAME = "tiny-random-causal-lm"
END_OF_TEXT = "<|endoftext|>"


def build_tiny_causal_lm(folder: Path, texts: Iterable[str], seed: int = 0, vocab_size: int = 600,
                         width: int = 32, layers: int = 2, max_positions: int = 2048) -> Path:
    """Train the tokenizer on `texts` plus the prompt, initialise the model from `seed`, save both."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    folder = Path(folder)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([INSTRUCTION, *CHOICES, *texts], vocab_size=vocab_size, min_frequency=2,
                            special_tokens=[END_OF_TEXT], show_progress=False)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token=END_OF_TEXT, eos_token=END_OF_TEXT,
                                        unk_token=END_OF_TEXT, pad_token=END_OF_TEXT)
    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=len(tokenizer), n_embd=width, n_layer=layers, n_head=2, n_positions=max_positions,
                        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
    GPT2LMHeadModel(config).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder
