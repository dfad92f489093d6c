"""The classifier interface every system follows, and the shared parts of scikit-learn-backed systems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from bench.errors import UserError
from bench.labels import LABELS

SYSTEM_FILE = "system.json"
# Only these packages' types may be rebuilt from a saved skops file.
TRUSTED_MODULE_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.")


class Classifier(Protocol):
    """fit on train (dev may steer early stopping), then probabilities in `LABELS` order."""

    def fit(self, texts: Sequence[str], labels: Sequence[str],
            dev_texts: Sequence[str] | None = None, dev_labels: Sequence[str] | None = None): ...

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

    def build(self):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def features(self, texts):
        """What the estimator sees; raw texts unless a subclass computes features itself."""
        return list(texts)

    def fit(self, texts, labels, dev_texts=None, dev_labels=None):
        self.estimator_ = self.build().fit(self.features(texts), list(labels))
        self.classes_ = np.array(LABELS)
        return self

    def predict_proba(self, texts) -> np.ndarray:
        estimator = self.estimator_
        return align_columns(estimator.predict_proba(self.features(texts)), list(estimator.classes_))

    def predict(self, texts) -> list[str]:
        return labels_from_proba(self.predict_proba(texts))

    def save(self, directory: Path) -> None:
        import skops.io

        skops.io.dump(self.estimator_, Path(directory) / self.model_file)

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
