"""The contract every system follows, and the shared parts of scikit-learn-backed systems.

A system is a scikit-learn-style estimator:
- `__init__` stores its parameters unchanged (they are what `get_params` returns and what a config's
  `params`/`grid` may set); every system takes `seed`, and a system with `uses_device = True` takes
  `device` too. The run sets both; a config never does.
- `fit(texts, labels, dev_texts, dev_labels, context)` returns self; dev may steer early stopping, and
  `context` (FitContext) says where checkpoints go and whether to resume. Fitted state ends in `_`.
- `predict_proba(texts)` gives one row per text over `LABELS`, each a probability distribution;
  `predict` is its argmax.
- `save(directory)` writes no pickle; `load(directory, params)` rebuilds the fitted system.
`bench.systems.checks.check_system` tests all of this on any system."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from bench.errors import UserError
from bench.labels import LABELS

SYSTEM_FILE = "system.json"
# Only these packages' types may be rebuilt from a saved skops file.
TRUSTED_MODULE_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.")


@dataclass(frozen=True)
class FitContext:
    """What a run tells a system's `fit` beyond the data: where checkpoints go, and whether to resume."""

    checkpoint_dir: Path | None = None
    resume: bool = False


class Classifier(Protocol):
    """fit on train (dev may steer early stopping), then probabilities in `LABELS` order."""

    uses_device: ClassVar[bool]

    def fit(self, texts: Sequence[str], labels: Sequence[str],
            dev_texts: Sequence[str] | None = None, dev_labels: Sequence[str] | None = None,
            context: FitContext | None = None): ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...

    def predict(self, texts: Sequence[str]) -> list[str]: ...

    def save(self, directory: Path) -> None: ...

    @classmethod
    def load(cls, directory: Path, params: dict) -> "Classifier": ...


def labels_from_proba(proba: np.ndarray) -> list[str]:
    return [LABELS[i] for i in np.asarray(proba).argmax(axis=1)]


def align_columns(proba: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """Reorder an estimator's probability columns to `LABELS`, zero for labels it never saw."""
    out = np.zeros((proba.shape[0], len(LABELS)), dtype=np.float64)
    for column, label in enumerate(classes):
        out[:, LABELS.index(label)] = proba[:, column]
    return out


class SklearnSystem(ClassifierMixin, BaseEstimator):
    """A system backed by one scikit-learn estimator built by `build()`, saved with skops."""

    model_file = "model.skops"
    uses_device: ClassVar[bool] = False

    def build(self):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def features(self, texts):
        """What the estimator sees; raw texts unless a subclass computes features itself."""
        return list(texts)

    def fit(self, texts, labels, dev_texts=None, dev_labels=None, context: FitContext | None = None):
        self.estimator_ = self.build().fit(self.features(texts), list(labels))
        self.classes_ = np.array(LABELS)
        return self

    def predict_proba(self, texts) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(LABELS)))
        estimator = self.estimator_
        return align_columns(estimator.predict_proba(self.features(texts)), list(estimator.classes_))

    def predict(self, texts) -> list[str]:
        return labels_from_proba(self.predict_proba(texts))

    def save(self, directory: Path) -> None:
        import zipfile

        import skops.io

        # skops writes one JSON entry per vocabulary item; deflate shrinks a TF-IDF model about 25 times
        skops.io.dump(self.estimator_, Path(directory) / self.model_file, compression=zipfile.ZIP_DEFLATED)

    @classmethod
    def load(cls, directory: Path, params: dict):
        import skops.io

        file = Path(directory) / cls.model_file
        untrusted = skops.io.get_untrusted_types(file=file)
        refused = [t for t in untrusted if not t.startswith(TRUSTED_MODULE_PREFIXES)]
        if refused:
            raise UserError(f"{file}: refuses to load types outside scikit-learn/numpy/scipy: "
                            f"{', '.join(refused)}.")
        system = cls(**params)
        system.estimator_ = skops.io.load(file, trusted=untrusted)
        system.classes_ = np.array(LABELS)
        return system


def write_system_file(directory: Path, name: str, params: dict) -> None:
    (Path(directory) / SYSTEM_FILE).write_text(json.dumps({"system": name, "params": params}, indent=2))
