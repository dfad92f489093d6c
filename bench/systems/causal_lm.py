"""Zero- or few-shot classification with a local causal LM, scored as lm-evaluation-harness scores a
multiple-choice task: each label's score is the summed log-likelihood of its verbaliser after the one
shared prompt (bench.prompt), and the probabilities are the softmax over the three scores.

The prompt's prefix (instruction and worked examples) is the same for every sentence, so it runs once
and each batch reuses a copy of its key/value cache: a batch runs its sentence parts after the cached
prefix, then the three verbalisers after a three-fold copy of that cache. `prefix_cache=False` runs
every context + verbaliser from scratch instead: the reference the cached path must equal."""

from __future__ import annotations

import copy
import inspect
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin

from bench import prompt
from bench.device import resolve_device
from bench.errors import UserError, read_user_text
from bench.labels import LABELS
from bench.systems.base import FitContext, labels_from_proba
from bench.systems.inference import (CHUNK, PROGRESS_FROM, length_sorted_batches, load_pretrained, pad_batch,
                                     resolve_model_path)

SHOTS_FILE = "shots.json"


@dataclass(frozen=True)
class Encoded:
    """One sentence's token ids: its whole context, and each label's verbaliser (in LABELS order) as
    the tokens that tokenising context + verbaliser adds after the context's own tokens."""

    context: list[int]
    choices: tuple[list[int], ...]


class CausalLM(ClassifierMixin, BaseEstimator):
    """`model`: a local causal-LM folder or a Hugging Face id (there is no default). `shots`: worked
    examples per label drawn from train with `seed` (0: zero-shot). `batch_size`: sentences per forward
    pass. `max_length`: most tokens of a context after the prefix; a longer sentence loses words from
    its end, as does one that would not fit the model's positions. `prefix_cache=False` scores without
    the prefix's key/value cache (the reference, and the baseline of `claimframe perf`)."""

    uses_device: ClassVar[bool] = True

    def __init__(self, model: str | None = None, shots: int = 0, batch_size: int = 16, max_length: int = 256,
                 prefix_cache: bool = True, seed: int = 0, device: str = "auto"):
        self.model = model
        self.shots = shots
        self.batch_size = batch_size
        self.max_length = max_length
        self.prefix_cache = prefix_cache
        self.seed = seed
        self.device = device

    def _check_params(self) -> None:
        if not self.model:
            raise UserError("the causal_lm system needs a model: set `model:` to a local causal-LM folder or a "
                            "Hugging Face id (no default causal LM is shipped).")
        for name, least in (("shots", 0), ("batch_size", 1), ("max_length", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise UserError(f"causal_lm: {name} must be an integer of at least {least}, not {value!r}.")

    def fit(self, texts, labels, dev_texts=None, dev_labels=None, context: FitContext | None = None):
        """Trains nothing: draws `shots` worked examples per label from train (none for a label train lacks)."""
        self._check_params()
        texts, labels = list(texts), list(labels)
        rng = np.random.default_rng(self.seed)
        chosen = []
        for label in LABELS:
            pool = [i for i, gold in enumerate(labels) if gold == label]
            if pool and self.shots:
                chosen += rng.choice(pool, size=min(self.shots, len(pool)), replace=False).tolist()
        # shuffled so the examples are not grouped by label: the label shown last would be favoured
        self.shots_ = [[texts[i], labels[i]] for i in rng.permutation(chosen).astype(int).tolist()]
        self.classes_ = np.array(LABELS)
        self.prefix_ids_ = None  # the prompt changes with the shots; a loaded model is kept
        return self

    def _lm(self):
        """The model, read on first use, and the prompt prefix's tokens for the current shots."""
        if getattr(self, "model_", None) is None:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            self._check_params()
            path = resolve_model_path(self.model)
            self.device_ = resolve_device(self.device)
            self.tokenizer_ = load_pretrained(AutoTokenizer, path)
            self.model_ = load_pretrained(AutoModelForCausalLM, path, use_safetensors=True).eval().to(self.device_)
            self.max_positions_ = getattr(self.model_.config, "max_position_embeddings", None)
        if getattr(self, "prefix_ids_", None) is None:
            self.prefix_ids_ = self._ids([prompt.prefix(self.shots_)])[0]
            self.prefix_kv_ = None
            if not self._fits(self._encode_contexts([prompt.context("", self.shots_)])[0]):
                length, self.prefix_ids_ = len(self.prefix_ids_), None
                raise UserError(f"causal_lm: no sentence fits: the prompt takes {length} tokens ({self.shots} "
                                f"shots per label), max_length is {self.max_length} and the model has "
                                f"{self.max_positions_} positions; use fewer shots or a larger max_length.")
        return self.model_

    def _ids(self, strings: list[str]) -> list[list[int]]:
        return self.tokenizer_(strings, add_special_tokens=False)["input_ids"]

    def _encode_contexts(self, contexts: list[str]) -> list[Encoded]:
        ids = self._ids([c + choice for c in contexts for choice in ["", *prompt.CHOICES]])
        step = 1 + len(prompt.CHOICES)
        return [Encoded(ids[i], tuple(whole[len(ids[i]):] for whole in ids[i + 1:i + step]))
                for i in range(0, len(ids), step)]

    def _fits(self, item: Encoded) -> bool:
        longest = len(item.context) + max(map(len, item.choices))
        return (len(item.context) - len(self.prefix_ids_) <= self.max_length
                and (self.max_positions_ is None or longest <= self.max_positions_))

    def _shortened(self, text: str) -> Encoded:
        """The encoding of the longest start of `text`, in whole words, that fits (`_lm` checked that
        an empty sentence does)."""
        words = text.split()

        def encoded(n: int) -> Encoded:
            return self._encode_contexts([prompt.context(" ".join(words[:n]), self.shots_)])[0]

        fits, too_long = 0, len(words)
        while too_long - fits > 1:
            middle = (fits + too_long) // 2
            fits, too_long = (middle, too_long) if self._fits(encoded(middle)) else (fits, middle)
        return encoded(fits)

    def encode(self, texts) -> list[Encoded]:
        """Exact whole-string token ids, without special tokens, as lm-evaluation-harness makes them."""
        self._lm()
        texts = list(texts)
        items = self._encode_contexts([prompt.context(text, self.shots_) for text in texts])
        return [item if self._fits(item) else self._shortened(text) for item, text in zip(items, texts)]

    def _cached_prefix(self):
        """The prefix tokens every cached context starts with, and their key/value cache (batch 1).
        The prefix's last token is left to each sentence: a tokenizer may merge the prefix's closing
        whitespace with what follows (GPT-2 makes a lone "\\n\\n" one token, but "\\n\\nSentence" is
        "\\n", "\\n", "Sentence")."""
        import torch

        ids = self.prefix_ids_[:-1]
        if self.prefix_kv_ is None:
            out = self.model_(input_ids=torch.tensor([ids], device=self.device_), use_cache=True)
            self.prefix_kv_ = _cache_of(out)
        return ids, self.prefix_kv_

    def label_scores(self, texts) -> np.ndarray:
        """[n, 3]: the summed log-likelihood of each label's verbaliser after each sentence's context."""
        import torch

        from bench.progress import Progress

        texts = list(texts)
        if not texts:
            return np.zeros((0, len(LABELS)))
        self._lm()
        starts = list(range(0, len(texts), CHUNK))
        order, results = [], []
        progress = Progress(len(texts), "scoring", unit="sentences") if len(texts) > PROGRESS_FROM else None
        with ThreadPoolExecutor(max_workers=1) as pool, torch.inference_mode():
            pending = pool.submit(self.encode, texts[:CHUNK])
            prefix_ids, prefix_kv = self._cached_prefix() if self.prefix_cache else ([], None)
            for k, start in enumerate(starts):
                items = pending.result()
                if k + 1 < len(starts):
                    pending = pool.submit(self.encode, texts[starts[k + 1]:starts[k + 1] + CHUNK])
                # a context whose tokens do not start with the cached prefix's is scored from scratch
                cacheable = [prefix_kv is not None and item.context[:len(prefix_ids)] == prefix_ids for item in items]
                for cached in (True, False):
                    rows = [i for i, can in enumerate(cacheable) if can == cached]
                    for batch in length_sorted_batches([len(items[i].context) for i in rows], self.batch_size):
                        index = [rows[b] for b in batch]
                        chosen = [items[i] for i in index]
                        results.append(self._score_cached(chosen, prefix_ids, prefix_kv) if cached
                                       else self._score_from_scratch(chosen))
                        order.append(start + np.array(index))
                        if progress is not None:
                            progress.update(len(index))
        if progress is not None:
            progress.close()
        values = torch.cat(results).double().cpu().numpy()
        output = np.empty_like(values)
        output[np.concatenate(order)] = values
        return output

    def _tensor(self, array):
        import torch

        return torch.as_tensor(array, device=self.device_)

    def _pad_id(self) -> int:
        return self.tokenizer_.pad_token_id if self.tokenizer_.pad_token_id is not None else 0

    def _score_from_scratch(self, items: list[Encoded]):
        """Each context + verbaliser as its own right-padded row, three rows per sentence."""
        rows = [item.context + choice for item in items for choice in item.choices]
        starts = np.array([len(item.context) for item in items for _ in item.choices])
        targets, target_mask = pad_batch([choice for item in items for choice in item.choices], 0)
        input_ids, mask = pad_batch(rows, self._pad_id())
        # the logits at the token before each verbaliser token; past a row's end they are never summed
        keep = np.minimum(starts[:, None] - 1 + np.arange(targets.shape[1]), input_ids.shape[1] - 1)
        logits = self.model_(input_ids=self._tensor(input_ids), attention_mask=self._tensor(mask),
                             logits_to_keep=self._tensor(keep)).logits
        scores = _summed_logprobs(logits, self._tensor(targets), self._tensor(target_mask.sum(axis=1)))
        return scores.view(len(items), -1)

    def _score_cached(self, items: list[Encoded], prefix_ids: list[int], prefix_kv):
        """Sentence parts (right-padded) after a copy of the prefix cache; then every verbaliser but its
        last token, after a three-fold copy of that cache, gives the rest of the verbaliser's tokens."""
        import torch

        n, width = len(items), len(prefix_ids)
        input_ids, mask = pad_batch([item.context[width:] for item in items], self._pad_id())
        ends = mask.sum(axis=1)
        kv = copy.deepcopy(prefix_kv)  # a forward pass appends to the cache it is given
        kv.batch_repeat_interleave(n)
        mask = np.concatenate([np.ones((n, width), dtype=np.int64), mask], axis=1)
        positions = (width + np.arange(input_ids.shape[1]))[None, :].repeat(n, axis=0)
        out = self.model_(input_ids=self._tensor(input_ids), attention_mask=self._tensor(mask),
                          position_ids=self._tensor(positions), use_cache=True,
                          **{_cache_keyword(self.model_): kv},
                          logits_to_keep=self._tensor(ends[:, None] - 1))
        choices = [choice for item in items for choice in item.choices]
        first = torch.log_softmax(out.logits[:, 0].float(), dim=-1).repeat_interleave(len(LABELS), dim=0)
        scores = first.gather(1, self._tensor([[choice[0]] for choice in choices])).squeeze(1)
        rests, rest_mask = pad_batch([choice[:-1] for choice in choices], self._pad_id())
        if rests.shape[1]:
            kv = _cache_of(out)
            kv.batch_repeat_interleave(len(LABELS))
            targets, _ = pad_batch([choice[1:] for choice in choices], 0)
            offsets = width + ends.repeat(len(LABELS))
            rest = self.model_(input_ids=self._tensor(rests),
                               attention_mask=self._tensor(np.concatenate([mask.repeat(len(LABELS), axis=0),
                                                                           rest_mask], axis=1)),
                               position_ids=self._tensor(offsets[:, None] + np.arange(rests.shape[1])),
                               **{_cache_keyword(self.model_): kv}, use_cache=True)
            scores = scores + _summed_logprobs(rest.logits, self._tensor(targets),
                                               self._tensor(rest_mask.sum(axis=1)))
        return scores.view(n, -1)

    def predict_proba(self, texts) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(LABELS)))
        return softmax(self.label_scores(texts), axis=1)

    def predict(self, texts) -> list[str]:
        return labels_from_proba(self.predict_proba(texts))

    def save(self, directory: Path) -> None:
        """The worked examples only: the model is read again from `model`, which system.json records."""
        (Path(directory) / SHOTS_FILE).write_text(json.dumps(self.shots_, indent=2, ensure_ascii=False),
                                                  encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, params: dict):
        system = cls(**params)
        file = Path(directory) / SHOTS_FILE
        try:
            shots = json.loads(read_user_text(file, "shots file"))
        except json.JSONDecodeError:
            shots = None
        if not isinstance(shots, list) or not all(
                isinstance(s, list) and len(s) == 2 and isinstance(s[0], str) and s[1] in LABELS for s in shots):
            raise UserError(f"{file}: malformed shots file (a list of [text, label] pairs).")
        system.shots_ = shots
        system.classes_ = np.array(LABELS)
        return system


def _summed_logprobs(logits, targets, lengths):
    """Σ log p(targets[r, j]) over j < lengths[r], with `logits[r, j]` the scores for targets[r, j]."""
    import torch

    picked = torch.log_softmax(logits.float(), dim=-1).gather(-1, targets[..., None]).squeeze(-1)
    return torch.where(torch.arange(targets.shape[1], device=targets.device) < lengths[:, None], picked, 0).sum(-1)


def _cache_keyword(model) -> str:
    """Recent transformers name the key/value cache argument `cache`; earlier ones `past_key_values`
    (which recent ones still take, with a deprecation warning)."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def _cache_of(output):
    return output["cache"] if "cache" in output else output["past_key_values"]
