"""SetFit (Tunstall et al., 2022) through the `setfit` package: contrastive fine-tuning of a sentence
encoder on pairs of training sentences (same label → similar), then a logistic-regression head on its
embeddings. The body is saved as safetensors and the head with skops, so nothing is unpickled."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import ClassVar

import numpy as np
from setfit import Trainer
from sklearn.base import BaseEstimator, ClassifierMixin

from bench.device import bf16_supported, resolve_device
from bench.errors import UserError
from bench.labels import LABEL_TO_ID, LABELS
from bench.systems.base import TRUSTED_MODULE_PREFIXES, FitContext, align_columns, labels_from_proba
from bench.systems.inference import resolve_model_path
from bench.systems.transformer import step_progress

BODY_FOLDER = "body"
HEAD_FILE = "head.skops"


# setfit turns its own logger to INFO on import and logs a banner per training phase
logging.getLogger("setfit").setLevel(logging.WARNING)


class SetFitClassifier(ClassifierMixin, BaseEstimator):
    """`model` is None (the shipped all-MiniLM-L6-v2), a local sentence-transformers folder or a Hugging
    Face id. `pairs` contrastive pairs are drawn once (setfit's sampler, over the training set in an
    order shuffled by `seed`) and the body trains `epochs` passes over them; the head is a logistic
    regression with inverse regularisation `C`. `precision` is auto (bf16 where the device runs it
    natively), bf16 or fp32, for the body's training and for embedding."""

    uses_device: ClassVar[bool] = True

    def __init__(self, model: str | None = None, pairs: int = 4000, epochs: int = 1, batch_size: int = 16,
                 learning_rate: float = 2e-5, C: float = 1.0, max_length: int = 128, eval_batch_size: int = 64,
                 precision: str = "auto", seed: int = 0, device: str = "auto"):
        self.model = model
        self.pairs = pairs
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.C = C
        self.max_length = max_length
        self.eval_batch_size = eval_batch_size
        self.precision = precision
        self.seed = seed
        self.device = device

    def _body(self, path: str, device: str):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        # a sentence-transformers folder (modules.json) keeps its own pooling; any other model gets mean pooling
        try:
            body = SentenceTransformer(path, device=device, trust_remote_code=False,
                                       model_kwargs={"use_safetensors": True})
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot load sentence encoder '{path}': {str(exc).splitlines()[0]}") from None
        body.max_seq_length = self.max_length
        return body

    def _bf16(self, device: str) -> bool:
        return self.precision == "bf16" or self.precision == "auto" and bf16_supported(device)

    def _head(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, max_iter=3000, random_state=self.seed)

    def fit(self, texts, labels, dev_texts=None, dev_labels=None, context: FitContext | None = None):
        from datasets import Dataset, disable_progress_bars
        from setfit import SetFitModel, TrainingArguments
        from transformers import PrinterCallback, ProgressCallback, set_seed

        disable_progress_bars()
        device = resolve_device(self.device)
        set_seed(self.seed)
        texts, labels = list(texts), [LABEL_TO_ID[label] for label in labels]
        order = np.random.default_rng(self.seed).permutation(len(texts))
        train = Dataset.from_dict({"text": [texts[i] for i in order], "label": [labels[i] for i in order]})
        model = SetFitModel(model_body=self._body(resolve_model_path(self.model), device), model_head=self._head())
        with tempfile.TemporaryDirectory(prefix="claimframe-setfit-") as scratch:
            # nothing is checkpointed (save_strategy "no"), but the Trainer still wants an output folder
            args = TrainingArguments(output_dir=scratch, batch_size=self.batch_size, num_epochs=self.epochs,
                                     body_learning_rate=self.learning_rate, max_length=self.max_length,
                                     seed=self.seed, report_to="none", show_progress_bar=False,
                                     logging_strategy="no", logging_first_step=False, save_strategy="no",
                                     eval_strategy="no")
            trainer = _PairBudgetTrainer(self.pairs, model=model, args=args, train_dataset=train)
            body_args = trainer.st_trainer.args
            body_args.disable_tqdm, body_args.dataloader_pin_memory = True, device == "cuda"
            body_args.use_cpu, body_args.bf16 = device == "cpu", self._bf16(device)
            for callback in (PrinterCallback, ProgressCallback):
                trainer.st_trainer.remove_callback(callback)
            trainer.st_trainer.add_callback(step_progress("contrastive pairs"))
            trainer.train_embeddings(train["text"], train["label"])
        self.model_ = model
        self.device_ = device
        # setfit's own head phase embeds in fp32; embedding here keeps the head on the vectors predict sees
        model.model_head.fit(self.embed(train["text"]), train["label"])
        self.classes_ = np.array(LABELS)
        return self

    def embed(self, texts) -> np.ndarray:
        import torch

        device = self.device_
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=self._bf16(device)):
            vectors = self.model_.model_body.encode(list(texts), batch_size=self.eval_batch_size,
                                                    convert_to_numpy=False, convert_to_tensor=True,
                                                    show_progress_bar=False)
        return vectors.float().cpu().numpy()

    def predict_proba(self, texts) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(LABELS)))
        head = self.model_.model_head
        return align_columns(head.predict_proba(self.embed(texts)), [LABELS[int(c)] for c in head.classes_])

    def predict(self, texts) -> list[str]:
        return labels_from_proba(self.predict_proba(texts))

    def save(self, directory: Path) -> None:
        import skops.io

        self.model_.model_body.save(str(Path(directory) / BODY_FOLDER), safe_serialization=True)
        skops.io.dump(self.model_.model_head, Path(directory) / HEAD_FILE)

    @classmethod
    def load(cls, directory: Path, params: dict):
        import skops.io
        from setfit import SetFitModel

        system = cls(**params)
        head_file = Path(directory) / HEAD_FILE
        untrusted = skops.io.get_untrusted_types(file=head_file)
        refused = [t for t in untrusted if not t.startswith(TRUSTED_MODULE_PREFIXES)]
        if refused:
            raise UserError(f"{head_file}: refuses to load types outside scikit-learn/numpy/scipy: "
                            f"{', '.join(refused)}.")
        system.device_ = resolve_device(system.device)
        system.model_ = SetFitModel(model_body=system._body(str(Path(directory) / BODY_FOLDER), system.device_),
                                    model_head=skops.io.load(head_file, trusted=untrusted))
        system.classes_ = np.array(LABELS)
        return system


class _PairBudgetTrainer(Trainer):
    """setfit's Trainer with a fixed budget of contrastive pairs trained for several epochs. setfit
    itself bounds pairs only through max_steps (which also overrides the epochs), and without a bound
    it enumerates every pair of the training set (19 million for ClaimFrame's train split)."""

    def __init__(self, pairs: int, **kwargs):
        self.pair_budget = pairs
        super().__init__(**kwargs)

    def get_dataset(self, x, y, args, max_pairs: int = -1):
        return super().get_dataset(x, y, args=args, max_pairs=self.pair_budget)

