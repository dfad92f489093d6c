"""Read and validate the corpus (JSON Lines) into a `datasets.DatasetDict`; split fingerprints."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.errors import UserError, read_user_text
from bench.labels import LABELS
from bench.paths import DEFAULT_DATA, in_checkout

SPLITS = ("train", "dev", "test", "test_ood")
EVAL_SPLITS = SPLITS[1:]
CONTRAST_FILE = "contrast.jsonl"
NEAR_DUPLICATE_JACCARD = 0.8

REQUIRED = {"id": str, "doc_id": str, "sent_index": int, "text": str, "label": str,
            "split": str, "topic": str, "genre": str}
CONTRAST_REQUIRED = {"id": str, "pair_id": str, "text": str, "label": str, "source_id": str,
                     "edit_type": str}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def read_jsonl(path: Path) -> list[dict]:
    """Read a JSON Lines file strictly; the error names the file and line."""
    rows, problems = _read_jsonl(path)
    if problems:
        raise UserError(f"{problems[0]}")
    return rows


def _read_jsonl(path: Path) -> tuple[list[dict], list[Problem]]:
    return parse_jsonl(read_user_text(path), path)


def parse_jsonl(text: str, source: Path | str) -> tuple[list[dict], list[Problem]]:
    """JSON objects of a JSON Lines text, each with its line number as `_line`, and the problems
    (malformed or non-object lines) of the lines that are not; blank lines are skipped."""
    rows, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(str(source), number, f"malformed JSON ({exc.msg})"))
            continue
        if not isinstance(row, dict):
            problems.append(Problem(str(source), number, "line is not a JSON object"))
            continue
        row["_line"] = number
        rows.append(row)
    return rows, problems


def _check_fields(row: dict, schema: dict, file: str) -> list[Problem]:
    problems = []
    for key, kind in schema.items():
        value = row.get(key)
        if value is None:
            problems.append(Problem(file, row["_line"], f"missing field '{key}'"))
        elif not isinstance(value, kind) or isinstance(value, bool):
            problems.append(Problem(file, row["_line"], f"field '{key}' must be {kind.__name__}"))
    text = row.get("text")
    if isinstance(text, str) and not text.strip():
        problems.append(Problem(file, row["_line"], "empty or whitespace-only text"))
    label = row.get("label")
    if isinstance(label, str) and label not in LABELS:
        problems.append(Problem(file, row["_line"], f"unknown label '{label}'"))
    return problems


def _char_ngrams(texts: list[str]):
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer="char", ngram_range=(5, 5), binary=True, lowercase=True,
                                 preprocessor=lambda t: " ".join(t.lower().split()))
    return vectorizer.fit_transform(texts)


def _jaccard_pairs(a, b, threshold: float) -> list[tuple[int, int, float]]:
    """Row pairs of two binary n-gram matrices whose Jaccard similarity is >= threshold."""
    sizes_a = np.asarray(a.sum(axis=1)).ravel()
    sizes_b = np.asarray(b.sum(axis=1)).ravel()
    overlap = (a @ b.T).tocoo()
    jaccard = overlap.data / (sizes_a[overlap.row] + sizes_b[overlap.col] - overlap.data)
    keep = jaccard >= threshold
    return sorted(zip(overlap.row[keep].tolist(), overlap.col[keep].tolist(), jaccard[keep].tolist()))


def _ngram_matrix(texts: list[str]):
    try:
        return _char_ngrams(texts)
    except ValueError:  # no text has a 5-gram (all shorter than 5 characters): nothing to compare
        return None


def near_duplicate_pairs(texts_a: list[str], texts_b: list[str],
                         threshold: float = NEAR_DUPLICATE_JACCARD) -> list[tuple[int, int, float]]:
    """Index pairs (i, j, jaccard) whose character 5-gram Jaccard similarity is >= threshold."""
    matrix = _ngram_matrix(texts_a + texts_b) if texts_a and texts_b else None
    if matrix is None:
        return []
    return _jaccard_pairs(matrix[: len(texts_a)], matrix[len(texts_a):], threshold)


def _split_files(path: Path) -> dict[str, Path]:
    if path.is_file():
        return {path.stem: path}
    if path == DEFAULT_DATA:
        in_checkout(path, "the shipped corpus")
    if not path.is_dir():
        raise UserError(f"{path}: corpus folder or file not found.")
    files = {split: path / f"{split}.jsonl" for split in SPLITS if (path / f"{split}.jsonl").exists()}
    if "train" not in files:
        raise UserError(f"{path}: no train.jsonl in the corpus folder.")
    return files


def validate_corpus(path: Path) -> list[Problem]:
    """Every problem in the corpus at `path` (a folder of split files, or one split file)."""
    files = _split_files(Path(path))
    problems: list[Problem] = []
    by_split: dict[str, list[dict]] = {}
    for split, file in files.items():
        rows, read_problems = _read_jsonl(file)
        problems += read_problems
        for row in rows:
            problems += _check_fields(row, REQUIRED, str(file))
            if isinstance(row.get("split"), str) and row["split"] != split:
                problems.append(Problem(str(file), row["_line"],
                                        f"row says split '{row['split']}' but sits in {file.name}"))
        by_split[split] = rows

    seen_ids: dict[str, str] = {}
    doc_split: dict[str, tuple[str, str]] = {}
    positions: dict[tuple[str, int], str] = {}
    for split, rows in by_split.items():
        file = str(files[split])
        for row in rows:
            where = f"{Path(file).name}:{row['_line']}"
            row_id, doc = row.get("id"), row.get("doc_id")
            if isinstance(row_id, str):
                if row_id in seen_ids:
                    problems.append(Problem(file, row["_line"],
                                            f"duplicate id '{row_id}' (first at {seen_ids[row_id]})"))
                else:
                    seen_ids[row_id] = where
            if isinstance(doc, str):
                first_split, first_where = doc_split.setdefault(doc, (split, where))
                if first_split != split:
                    problems.append(Problem(file, row["_line"], f"document '{doc}' spans splits "
                                            f"'{first_split}' ({first_where}) and '{split}'"))
                position = (doc, row.get("sent_index"))
                if position in positions:
                    problems.append(Problem(file, row["_line"], f"document '{doc}' repeats sent_index "
                                            f"{row.get('sent_index')} (first at {positions[position]})"))
                positions.setdefault(position, where)
    problems += _cross_split_duplicates(by_split, files)
    contrast = (Path(path) / CONTRAST_FILE) if Path(path).is_dir() else None
    if contrast is not None and contrast.exists():
        problems += validate_contrast(contrast)
    return problems


def _cross_split_duplicates(by_split: dict[str, list[dict]], files: dict[str, Path]) -> list[Problem]:
    names = list(by_split)
    texts = [r.get("text") if isinstance(r.get("text"), str) else "" for s in names for r in by_split[s]]
    matrix = _ngram_matrix(texts)  # one vocabulary for every split, fitted once
    if matrix is None:
        return []
    bounds = np.cumsum([0] + [len(by_split[s]) for s in names])
    rows = {s: matrix[bounds[i]:bounds[i + 1]] for i, s in enumerate(names)}
    problems = []
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            for a, b, jaccard in _jaccard_pairs(rows[first], rows[second], NEAR_DUPLICATE_JACCARD):
                kind = "exact duplicate" if jaccard == 1.0 else f"near-duplicate (Jaccard {jaccard:.2f})"
                other = by_split[first][a]
                problems.append(Problem(str(files[second]), by_split[second][b]["_line"],
                                        f"{kind} of {files[first].name}:{other['_line']}"))
    return problems


def validate_contrast(path: Path) -> list[Problem]:
    rows, problems = _read_jsonl(path)
    pairs: dict[str, list[dict]] = defaultdict(list)
    seen: set[str] = set()
    for row in rows:
        problems += _check_fields(row, CONTRAST_REQUIRED, str(path))
        if row.get("id") in seen:
            problems.append(Problem(str(path), row["_line"], f"duplicate id '{row.get('id')}'"))
        seen.add(row.get("id"))
        pairs[row.get("pair_id")].append(row)
    for pair_id, members in pairs.items():
        labels = {m.get("label") for m in members}
        if len(members) != 2 or len(labels) != 2:
            problems.append(Problem(str(path), members[0]["_line"],
                                    f"pair '{pair_id}' must hold two sentences with different labels"))
    return problems


def load_corpus(path: Path | str | None = None):
    """Validated corpus → `datasets.DatasetDict` with one entry per split file present."""
    import datasets

    path = Path(path) if path is not None else DEFAULT_DATA
    problems = validate_corpus(path)
    if problems:
        more = f" (and {len(problems) - 1} more; run `claimframe data validate`)" if len(problems) > 1 else ""
        raise UserError(f"the corpus is invalid: {problems[0]}{more}.")
    splits = {}
    for split, file in _split_files(path).items():
        rows = [{k: v for k, v in r.items() if k != "_line"} for r in _read_jsonl(file)[0]]
        # optional fields (label_b, adjudication_note) are absent on some rows; give every row every key
        keys = list(dict.fromkeys(k for r in rows for k in r))
        splits[split] = datasets.Dataset.from_list([{k: r.get(k) for k in keys} for r in rows])
    return datasets.DatasetDict(splits)


def load_contrast(path: Path | str | None = None) -> list[dict] | None:
    """The contrast set beside the corpus, or None when the corpus has none."""
    path = Path(path) if path is not None else DEFAULT_DATA
    file = path / CONTRAST_FILE if path.is_dir() else None
    if file is None or not file.exists():
        return None
    return [{k: v for k, v in r.items() if k != "_line"} for r in read_jsonl(file)]


def corpus_fingerprints(corpus) -> dict[str, str]:
    """Per-split gold fingerprints (bench.gold: ids, text hashes, labels) plus `all`, over every split."""
    from bench.gold import rows_fingerprint

    prints = {split: rows_fingerprint(corpus[split]["id"], corpus[split]["text"], corpus[split]["label"])
              for split in sorted(corpus)}
    prints["all"] = hashlib.sha256("".join(prints[s] for s in sorted(prints)).encode()).hexdigest()
    return prints


def corpus_stats(corpus) -> dict:
    """Counts per split × label, topic and genre."""
    stats: dict = {"splits": {}, "topics": {}, "genres": {}, "total": 0}
    topics: dict[str, Counter] = defaultdict(Counter)
    genres: dict[str, Counter] = defaultdict(Counter)
    for split in corpus:
        rows = corpus[split]
        labels = Counter(rows["label"])
        stats["splits"][split] = {"sentences": len(rows), "documents": len(set(rows["doc_id"])),
                                  **{label: labels.get(label, 0) for label in LABELS}}
        stats["total"] += len(rows)
        for topic, genre, label in zip(rows["topic"], rows["genre"], rows["label"]):
            topics[topic][label] += 1
            genres[genre][label] += 1
    for name, table in (("topics", topics), ("genres", genres)):
        stats[name] = {key: {label: counts.get(label, 0) for label in LABELS} | {"total": sum(counts.values())}
                       for key, counts in sorted(table.items())}
    return stats


def document_subset(rows, fraction: float, seed: int):
    """The documents of `rows` (a Dataset with doc_id) in an order shuffled by `seed`, taken until they
    hold `fraction` of the sentences (at least one document). For one seed a smaller fraction's subset
    is contained in a larger one's, so a learning curve only ever adds data."""
    if not 0 < fraction <= 1:
        raise UserError(f"a training fraction must be in (0, 1], not {fraction}.")
    if fraction == 1:
        return rows
    sizes = Counter(rows["doc_id"])
    order = sorted(sizes)
    documents = [order[i] for i in np.random.default_rng(seed).permutation(len(order))]
    wanted, kept, total = fraction * len(rows), set(), 0
    for doc in documents:
        if total >= wanted:
            break
        kept.add(doc)
        total += sizes[doc]
    return rows.select([i for i, doc in enumerate(rows["doc_id"]) if doc in kept])
