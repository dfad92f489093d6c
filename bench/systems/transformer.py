"""A fine-tuned `AutoModelForSequenceClassification`, trained with the Hugging Face `Trainer`
(so it runs unchanged under torchrun and accelerate), best epoch chosen on dev macro-F1."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from bench.device import bf16_supported, resolve_device
from bench.errors import UserError
from bench.labels import LABEL_TO_ID, LABELS
from bench.metrics import macro_f1
from bench.systems.base import FitContext, labels_from_proba
from bench.systems.inference import load_pretrained, resolve_model_path, run_batched

HF_FOLDER = "hf"


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class FineTunedTransformer(ClassifierMixin, BaseEstimator):
    """`model` is None (the shipped all-MiniLM-L6-v2), a local folder or a Hugging Face id.
    `precision` is auto (bf16 where the device runs it natively), bf16 or fp32.
    `class_weight` None or "balanced" (weights inverse to the training label counts) and
    `label_smoothing` (0 to <1) change the cross-entropy; with neither, the model's own loss is used."""

    extra_callbacks: list = []  # Trainer callbacks added to every fit (logging, interruption tests)
    uses_device: ClassVar[bool] = True

    def __init__(self, model: str | None = None, epochs: int = 3, learning_rate: float = 5e-5,
                 batch_size: int = 16, weight_decay: float = 0.01, warmup_ratio: float = 0.1,
                 max_length: int = 128, eval_batch_size: int | None = None, precision: str = "auto",
                 class_weight: str | None = None, label_smoothing: float = 0.0, seed: int = 0,
                 device: str = "auto"):
        self.model = model
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.max_length = max_length
        self.eval_batch_size = eval_batch_size
        self.precision = precision
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.seed = seed
        self.device = device

    def _eval_batch_size(self, device: str) -> int:
        """Inference batch: small on a CPU (cache-friendly), large on a GPU (fills the device)."""
        return self.eval_batch_size or (4096 if device == "cuda" else 64)

    def _dtype(self, device: str) -> str:
        if self.precision == "auto":
            return "bf16" if bf16_supported(device) else "fp32"
        return self.precision

    def _dataset(self, tokenizer, texts, labels):
        import datasets

        datasets.disable_progress_bars()
        data = datasets.Dataset.from_dict({"text": list(texts), "label": [LABEL_TO_ID[l] for l in labels]})
        return data.map(lambda b: tokenizer(b["text"], truncation=True, max_length=self.max_length),
                        batched=True, remove_columns=["text"])

    def _loss_function(self, labels):
        """Weighted and/or smoothed cross-entropy for the Trainer, or None for the model's own loss."""
        if self.class_weight not in (None, "balanced"):
            raise UserError(f"class_weight must be null or balanced, not {self.class_weight!r}.")
        if not isinstance(self.label_smoothing, (int, float)) or not 0 <= self.label_smoothing < 1:
            raise UserError(f"label_smoothing must be a number in [0, 1), not {self.label_smoothing!r}.")
        if self.class_weight is None and not self.label_smoothing:
            return None
        import torch

        weight = None
        if self.class_weight == "balanced":
            counts = np.bincount([LABEL_TO_ID[label] for label in labels], minlength=len(LABELS))
            weight = torch.tensor(len(labels) / (len(LABELS) * np.maximum(counts, 1)), dtype=torch.float32)
        smoothing = float(self.label_smoothing)

        def loss(outputs, targets, num_items_in_batch=None):
            logits = outputs["logits"].float()
            return torch.nn.functional.cross_entropy(
                logits, targets, weight=None if weight is None else weight.to(logits.device),
                label_smoothing=smoothing)
        return loss

    def fit(self, texts, labels, dev_texts=None, dev_labels=None, context: FitContext | None = None):
        from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                                  PrinterCallback, Trainer, TrainingArguments, set_seed)

        device = resolve_device(self.device)
        loss_function = self._loss_function(list(labels))
        set_seed(self.seed)
        path = resolve_model_path(self.model)
        tokenizer = load_pretrained(AutoTokenizer, path)
        model = load_pretrained(AutoModelForSequenceClassification, path, use_safetensors=True,
                                num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id=LABEL_TO_ID)
        has_dev = dev_texts is not None and len(dev_texts) > 0
        context = context or FitContext()
        # without a checkpoint_dir nothing can resume, so the checkpoints go in a folder removed after the fit
        scratch = None if context.checkpoint_dir else tempfile.TemporaryDirectory(prefix="claimframe-")
        output_dir = Path(context.checkpoint_dir) if context.checkpoint_dir else Path(scratch.name)
        multi_process = int(os.environ.get("WORLD_SIZE", "1")) > 1
        args = TrainingArguments(
            output_dir=str(output_dir), num_train_epochs=self.epochs, learning_rate=self.learning_rate,
            per_device_train_batch_size=self.batch_size, per_device_eval_batch_size=self._eval_batch_size(device),
            weight_decay=self.weight_decay, warmup_steps=self.warmup_ratio, seed=self.seed, data_seed=self.seed,
            train_sampling_strategy="group_by_length", bf16=self._dtype(device) == "bf16",
            use_cpu=device == "cpu", ddp_backend="gloo" if multi_process and device == "cpu" else None,
            eval_strategy="epoch" if has_dev else "no", save_strategy="epoch",
            load_best_model_at_end=has_dev, metric_for_best_model="macro_f1", greater_is_better=True,
            save_total_limit=2, logging_strategy="no", report_to=[], disable_tqdm=True,
            # the loss of a sequence classifier is already a per-example mean; averaging token counts
            # across processes would scale it by the number of processes
            average_tokens_across_devices=False, dataloader_num_workers=0)
        trainer = Trainer(
            model=model, args=args, train_dataset=self._dataset(tokenizer, texts, labels),
            eval_dataset=self._dataset(tokenizer, dev_texts, dev_labels) if has_dev else None,
            data_collator=DataCollatorWithPadding(tokenizer), processing_class=tokenizer,
            compute_metrics=_dev_macro_f1, compute_loss_func=loss_function,
            callbacks=[step_progress(), *self.extra_callbacks])
        # the per-epoch metrics go to the run folder (training-log.json), not to stdout as dicts
        trainer.remove_callback(PrinterCallback)
        has_checkpoint = context.resume and any(output_dir.glob("checkpoint-*"))
        try:
            trainer.train(resume_from_checkpoint=True if has_checkpoint else None)
        finally:
            if scratch is not None:
                scratch.cleanup()
        self.history_ = [entry for entry in trainer.state.log_history if "eval_macro_f1" in entry]
        self.model_ = trainer.model.eval()
        self.tokenizer_ = tokenizer
        self.device_ = device
        self.classes_ = np.array(LABELS)
        return self

    def logits(self, texts, dtype: str | None = None) -> np.ndarray:
        device = self.device_
        self.model_.to(device)
        return run_batched(texts, self.tokenizer_, lambda enc: self.model_(**enc).logits, device,
                           dtype or self._dtype(device), self._eval_batch_size(device), self.max_length,
                           description="classifying")

    def predict_proba(self, texts) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(LABELS)))
        return _softmax(self.logits(texts))

    def predict(self, texts) -> list[str]:
        return labels_from_proba(self.predict_proba(texts))

    def save(self, directory: Path) -> None:
        folder = Path(directory) / HF_FOLDER
        self.model_.save_pretrained(folder, safe_serialization=True)
        self.tokenizer_.save_pretrained(folder)

    @classmethod
    def load(cls, directory: Path, params: dict):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        system = cls(**params)
        folder = str(Path(directory) / HF_FOLDER)
        system.device_ = resolve_device(system.device)
        system.tokenizer_ = load_pretrained(AutoTokenizer, folder)
        system.model_ = load_pretrained(AutoModelForSequenceClassification, folder, use_safetensors=True).eval()
        system.classes_ = np.array(LABELS)
        return system


def step_progress(description: str = "fine-tuning"):
    """A Trainer callback reporting optimiser steps through bench.progress (main process only)."""
    from transformers import TrainerCallback

    from bench.progress import Progress

    class StepProgress(TrainerCallback):
        progress = None

        def on_train_begin(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                self.progress = Progress(state.max_steps, description, unit="steps")
                self.progress.update(state.global_step)  # a resumed run starts part-way

        def on_step_end(self, args, state, control, **kwargs):
            if self.progress is not None:
                self.progress.update()

        def on_train_end(self, args, state, control, **kwargs):
            if self.progress is not None:
                self.progress.close()

    return StepProgress()


def _dev_macro_f1(prediction) -> dict:
    predicted = [LABELS[i] for i in np.asarray(prediction.predictions).argmax(axis=1)]
    gold = [LABELS[i] for i in prediction.label_ids]
    return {"macro_f1": macro_f1(gold, predicted)}
