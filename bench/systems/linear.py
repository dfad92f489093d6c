"""TF-IDF features (word 1-2 grams + character n-grams) with a linear classifier."""

from __future__ import annotations

from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC

from bench.errors import UserError
from bench.systems.base import SklearnSystem

CLASSIFIERS = ("logreg", "svm", "nb")


class TfidfLinear(SklearnSystem):
    """`classifier` is logreg, svm (LinearSVC with calibrated probabilities) or nb (ComplementNB).
    `C` is the inverse regularisation of logreg/svm; `alpha` the smoothing of nb."""

    def __init__(self, classifier: str = "logreg", C: float = 1.0, alpha: float = 0.3,
                 char_ngrams: tuple = (2, 5), min_df: int = 1, seed: int = 0):
        self.classifier = classifier
        self.C = C
        self.alpha = alpha
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.seed = seed

    def _classifier(self):
        if self.classifier == "logreg":
            return LogisticRegression(C=self.C, max_iter=2000, random_state=self.seed)
        if self.classifier == "svm":
            return CalibratedClassifierCV(LinearSVC(C=self.C, random_state=self.seed), cv=3)
        if self.classifier == "nb":
            return ComplementNB(alpha=self.alpha)
        raise UserError(f"tfidf_linear: classifier must be one of {', '.join(CLASSIFIERS)}, "
                        f"not '{self.classifier}'.")

    def build(self):
        features = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=self.min_df, lowercase=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(self.char_ngrams), sublinear_tf=True,
                            min_df=self.min_df, lowercase=False),
        )
        return make_pipeline(features, self._classifier())
