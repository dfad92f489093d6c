"""Inter-annotator agreement from the stored raw labels: Cohen's kappa per split and per class,
and the second-annotator ceiling (annotator B, an AI session, scored against the adjudicated gold)."""

from __future__ import annotations

from sklearn.metrics import cohen_kappa_score

from bench.labels import LABELS
from bench.metrics import macro_f1


def _one_vs_rest(labels: list[str], label: str) -> list[bool]:
    return [value == label for value in labels]


def split_agreement(rows) -> dict | None:
    """Agreement on the rows that carry both `label_a` and `label_b`; None when none do."""
    pairs = [(r["label_a"], r["label_b"], r["label"]) for r in rows
             if r.get("label_a") is not None and r.get("label_b") is not None]
    if not pairs:
        return None
    first, second, gold = (list(column) for column in zip(*pairs))
    return {
        "n_double": len(pairs),
        "observed_agreement": round(sum(a == b for a, b in zip(first, second)) / len(pairs), 4),
        "kappa": round(float(cohen_kappa_score(first, second, labels=list(LABELS))), 4),
        "kappa_per_class": {label: round(float(cohen_kappa_score(_one_vs_rest(first, label),
                                                                  _one_vs_rest(second, label))), 4)
                            for label in LABELS},
        "adjudicated": sum(a != b for a, b in zip(first, second)),
        "gold_is_a": round(sum(a == g for a, g in zip(first, gold)) / len(pairs), 4),
        "human_ceiling_macro_f1": round(macro_f1(gold, second), 4),
    }


def corpus_agreement(corpus) -> dict:
    """Per-split agreement plus `all`, over every doubly annotated row of the corpus."""
    report = {split: split_agreement(corpus[split].to_list()) for split in corpus}
    report["all"] = split_agreement([row for split in corpus for row in corpus[split].to_list()])
    return report
