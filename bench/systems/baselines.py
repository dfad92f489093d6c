"""Floors every board shows: majority, stratified random, a length-only artifact probe, cue rules."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bench.labels import LABELS
from bench.systems.base import FitContext, SklearnSystem, labels_from_proba


class Majority(SklearnSystem):
    """Always the most frequent training label."""

    def __init__(self, seed: int = 0):
        self.seed = seed

    def build(self):
        return DummyClassifier(strategy="most_frequent")


class Stratified(SklearnSystem):
    """Random labels drawn with the training label frequencies."""

    def __init__(self, seed: int = 0):
        self.seed = seed

    def build(self):
        return DummyClassifier(strategy="stratified", random_state=self.seed)


class LengthOnly(SklearnSystem):
    """Sees only sentence length in words and characters: a probe for annotation artifacts."""

    def __init__(self, C: float = 1.0, seed: int = 0):
        self.C = C
        self.seed = seed

    def features(self, texts):
        return np.array([[len(t.split()), len(t)] for t in texts], dtype=np.float64)

    def build(self):
        return make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=1000))


REPORTING_VERBS = (
    "said", "says", "told", "stated", "added", "argued", "argues", "warned", "warns", "claimed",
    "claims", "believes", "believe", "insisted", "contends", "urged", "called", "according to",
    "predicted", "expects", "accused", "wrote", "noted", "described",
)
LOADED_WORDS = (
    "reckless", "disaster", "outrage", "outrageous", "shocking", "staggering", "crackdown",
    "spree", "slammed", "blasted", "rammed", "scandal", "chaos", "failed", "finally", "admitted",
    "critics", "many believe", "experts agree", "some say", "so-called", "just", "only", "mere",
    "landmark", "proud", "disgrace", "absurd", "clearly", "of course", "even", "yet another",
)
QUOTE_MARKS = ('"', "\u201c", "\u201d")


class CueRules(ClassifierMixin, BaseEstimator):
    """'Would a trivial rule solve it?': loaded word or question → framing; quote or reporting
    verb → attributed opinion; otherwise factual. Nothing is learned."""

    uses_device = False

    def __init__(self, reporting_verbs: tuple = REPORTING_VERBS, loaded_words: tuple = LOADED_WORDS,
                 confidence: float = 0.8, seed: int = 0):
        self.reporting_verbs = reporting_verbs
        self.loaded_words = loaded_words
        self.confidence = confidence
        self.seed = seed

    def _patterns(self):
        def words(items):
            return re.compile(r"\b(" + "|".join(re.escape(w) for w in items) + r")\b", re.IGNORECASE)
        return words(self.loaded_words), words(self.reporting_verbs)

    def fit(self, texts, labels, dev_texts=None, dev_labels=None, context: FitContext | None = None):
        self.classes_ = np.array(LABELS)
        return self

    def rule(self, text: str) -> str:
        loaded, reporting = self._patterns()
        if loaded.search(text) or text.rstrip().endswith("?"):
            return "framing_language"
        if reporting.search(text) or any(mark in text for mark in QUOTE_MARKS):
            return "attributed_opinion"
        return "factual_claim"

    def predict_proba(self, texts) -> np.ndarray:
        rest = (1.0 - self.confidence) / (len(LABELS) - 1)
        proba = np.full((len(texts), len(LABELS)), rest)
        for row, text in enumerate(texts):
            proba[row, LABELS.index(self.rule(text))] = self.confidence
        return proba

    def predict(self, texts) -> list[str]:
        return labels_from_proba(self.predict_proba(texts))

    def save(self, directory: Path) -> None:
        """Nothing is fitted: `system.json` holds the lexicons."""

    @classmethod
    def load(cls, directory: Path, params: dict):
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
        return cls(**params).fit([], [])
