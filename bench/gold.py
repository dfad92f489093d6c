"""Gold labels of every split a leaderboard row can score: the corpus's splits, and the real-news
sets whose labels ship as standoff (their text stays with the user).

`fingerprint` is what every row's `data_sha256` means: the SHA-256 over the split's (id, text hash,
gold label) lines in order. A standoff file stores each text's hash, so a real-news split has the same
kind of fingerprint without its text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from bench.data import CONTRAST_FILE, validate_contrast, read_jsonl, validate_corpus
from bench.errors import UserError
from bench.paths import DEFAULT_DATA, REAL_SETS_CONFIG
from bench.standoff import text_sha256


def fingerprint(ids, text_hashes, labels) -> str:
    digest = hashlib.sha256()
    for row in zip(ids, text_hashes, labels):
        digest.update(("\t".join(row) + "\n").encode("utf-8"))
    return digest.hexdigest()


def rows_fingerprint(ids, texts, labels) -> str:
    return fingerprint(ids, [text_sha256(t) for t in texts], labels)


@dataclass
class GoldSplit:
    name: str
    ids: list[str]
    labels: list[str]
    second_labels: list[str | None]  # the blind second annotation (None where a row has none)
    fingerprint: str
    source: str


def corpus_split(data: Path, split: str) -> GoldSplit | None:
    """A corpus split, or the contrast set (`contrast`: its pairs, checked as such)."""
    file = Path(data) / f"{split}.jsonl"
    if not file.is_file():
        return None
    problems = validate_contrast(file) if file.name == CONTRAST_FILE else validate_corpus(file)
    if problems:
        raise UserError(f"the corpus is invalid: {problems[0]}.")
    rows = read_jsonl(file)
    ids, labels = [r["id"] for r in rows], [r["label"] for r in rows]
    return GoldSplit(split, ids, labels, [r.get("label_b") for r in rows],
                     rows_fingerprint(ids, [r["text"] for r in rows], labels), str(file))


def real_split(split: str, config: Path = REAL_SETS_CONFIG) -> GoldSplit | None:
    """A standoff part of the real-news config by name (real-dev, real-test), from its labels alone."""
    from bench.adapters import load_adapter_config
    from bench.standoff import read_standoff

    if not Path(config).is_file():
        return None
    adapter = load_adapter_config(config)
    part = next((p for p in adapter.parts if p.name == split), None)
    if part is None or not adapter.standoff.is_file():
        return None
    labels = [label for label in read_standoff(adapter.standoff).values() if label.source_split == part.source_split]
    ids, gold = [x.sentence_id for x in labels], [x.label for x in labels]
    return GoldSplit(split, ids, gold, [x.label_b for x in labels],
                     fingerprint(ids, [x.text_sha256 for x in labels], gold), str(adapter.standoff))


def gold_split(split: str, data: Path | None = None) -> GoldSplit | None:
    """The corpus split of that name, else the real-news standoff part, else None."""
    return corpus_split(Path(data) if data is not None else DEFAULT_DATA, split) or real_split(split)
