"""MTEB-style classification baseline: frozen mean-pooled sentence embeddings + logistic regression.
Embeddings are cached on disk per (model, texts) fingerprint, so a dev grid re-embeds nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from bench.device import resolve_device
from bench.paths import EMBEDDING_CACHE
from bench.systems.base import SklearnSystem
from bench.systems.inference import load_pretrained, mean_pool, resolve_model_path, run_batched

DEFAULT_CACHE = EMBEDDING_CACHE


class FrozenEncoder(SklearnSystem):
    """`model` is None (the shipped all-MiniLM-L6-v2), a local folder or a Hugging Face id."""

    uses_device = True

    def __init__(self, model: str | None = None, C: float = 1.0, max_length: int = 128,
                 batch_size: int = 64, cache_dir: str | None = None, seed: int = 0, device: str = "auto"):
        self.model = model
        self.C = C
        self.max_length = max_length
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.seed = seed
        self.device = device

    def build(self):
        return LogisticRegression(C=self.C, max_iter=3000, random_state=self.seed)

    def _encoder(self):
        if getattr(self, "encoder_", None) is None:
            from transformers import AutoModel, AutoTokenizer

            path = resolve_model_path(self.model)
            self.device_ = resolve_device(self.device)
            self.tokenizer_ = load_pretrained(AutoTokenizer, path)
            self.encoder_ = load_pretrained(AutoModel, path, use_safetensors=True).eval().to(self.device_)
        return self.encoder_

    def embed(self, texts) -> np.ndarray:
        texts = list(texts)
        key = hashlib.sha256("\n".join([resolve_model_path(self.model), str(self.max_length), *texts])
                             .encode("utf-8")).hexdigest()
        cache = Path(self.cache_dir) if self.cache_dir else DEFAULT_CACHE
        file = cache / f"{key}.npy"
        if file.exists():
            return np.load(file, allow_pickle=False)
        encoder = self._encoder()
        vectors = run_batched(texts, self.tokenizer_,
                              lambda enc: mean_pool(encoder(**enc).last_hidden_state, enc["attention_mask"]),
                              self.device_, "fp32", self.batch_size, self.max_length, description="embedding")
        cache.mkdir(parents=True, exist_ok=True)
        temp = file.with_suffix(".tmp.npy")
        np.save(temp, vectors, allow_pickle=False)
        temp.replace(file)
        return vectors

    def features(self, texts):
        return self.embed(texts)
