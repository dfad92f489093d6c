"""`check_system`: the system contract of `bench.systems.base`, checked on any registered system the
way scikit-learn's `check_estimator` checks an estimator. Each failure is one sentence."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from sklearn.base import clone

from bench.labels import LABELS
from bench.systems import build_system, load_system, save_system, system_class, system_params
from bench.systems.base import FitContext

PICKLE_SUFFIXES = (".pkl", ".pickle", ".bin", ".pt", ".pth", ".joblib")


def check_system(name: str, params: dict, texts: list[str], labels: list[str],
                 dev_texts: list[str], dev_labels: list[str], probe: list[str]) -> list[str]:
    """Every way `name` built with `params` breaks the contract; an empty list when it keeps it."""
    failures = []
    cls = system_class(name)
    accepted = system_params(name)
    if "seed" not in accepted:
        failures.append("the constructor takes no seed")
    if getattr(cls, "uses_device", None) is None:
        failures.append("the class does not say whether it uses a device (uses_device)")
    elif cls.uses_device and "device" not in accepted:
        failures.append("uses_device is true but the constructor takes no device")
    system = build_system(name, params)
    if system.get_params() != {**system.get_params(), **params}:
        failures.append("get_params does not return the parameters as given")
    with tempfile.TemporaryDirectory(prefix="claimframe-check-") as temp:
        fitted = system.fit(texts, labels, dev_texts, dev_labels, context=FitContext(Path(temp) / "checkpoints"))
        if fitted is not system:
            failures.append("fit does not return self")
        if not any(key.endswith("_") and not key.startswith("_") for key in vars(system)):
            failures.append("fit sets no fitted attribute ending in _")
        proba = np.asarray(system.predict_proba(probe))
        if proba.shape != (len(probe), len(LABELS)):
            failures.append(f"predict_proba gives shape {proba.shape}, not ({len(probe)}, {len(LABELS)})")
            return failures
        if not np.all(np.isfinite(proba)) or proba.min() < 0 or proba.max() > 1:
            failures.append("predict_proba gives values outside [0, 1]")
        if not np.allclose(proba.sum(axis=1), 1.0, atol=1e-6):
            failures.append("predict_proba rows do not sum to 1")
        if list(system.predict(probe)) != [LABELS[i] for i in proba.argmax(axis=1)]:
            failures.append("predict is not the argmax of predict_proba")
        if np.asarray(system.predict_proba([])).shape != (0, len(LABELS)):
            failures.append("predict_proba of no text is not an empty (0, 3) array")
        again = clone(system).fit(texts, labels, dev_texts, dev_labels,
                                  context=FitContext(Path(temp) / "checkpoints-again"))
        if not np.allclose(np.asarray(again.predict_proba(probe)), proba, atol=1e-6):
            failures.append("two fits with the same seed disagree")
        folder = Path(temp) / "model"
        save_system(system, name, folder)
        pickles = [p.name for p in folder.rglob("*") if p.suffix in PICKLE_SUFFIXES]
        if pickles:
            failures.append(f"save writes pickle-format files: {', '.join(pickles)}")
        reloaded = load_system(folder, device="cpu" if cls.uses_device else None)
        if not np.allclose(np.asarray(reloaded.predict_proba(probe)), proba, atol=1e-5):
            failures.append("a saved and reloaded system predicts differently")
    return failures
