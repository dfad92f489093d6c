"""Standoff labels: ClaimFrame labels for another dataset's sentences, shipped without their text.

A standoff file holds one JSON object per sentence, keyed by the dataset's own id, with a SHA-256 of
the sentence text. At run time it is joined with the user's copy of the dataset; an id the copy lacks,
or a text whose hash differs, is reported with counts instead of being silently mis-joined."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bench.data import parse_jsonl
from bench.errors import UserError, read_user_text
from bench.labels import LABELS

REQUIRED = ("sentence_id", "source_split", "label", "label_a", "label_b", "text_sha256")
OPTIONAL = ("adjudication_note",)
SHOWN_IDS = 3


def text_sha256(text: str) -> str:
    """Hash of a sentence as the join compares it: NFC, whitespace runs collapsed, ends stripped."""
    canonical = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StandoffLabel:
    sentence_id: str
    source_split: str
    label: str
    label_a: str
    label_b: str
    text_sha256: str
    adjudication_note: str = ""


def read_standoff(path: Path | str) -> dict[str, StandoffLabel]:
    """Labels by sentence id; a malformed line, unknown label, duplicate id or a text field is an error."""
    path = Path(path)
    rows, problems = parse_jsonl(read_user_text(path, "standoff labels file"), path)
    if problems:
        raise UserError(f"{problems[0]}.")
    labels: dict[str, StandoffLabel] = {}
    for row in rows:
        where = f"{path}:{row.pop('_line')}"
        unknown = sorted(set(row) - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            raise UserError(f"{where}: unknown field '{unknown[0]}' (a standoff file carries labels, "
                            f"never the text).")
        missing = [key for key in REQUIRED if not isinstance(row.get(key), str) or not row[key]]
        if missing:
            raise UserError(f"{where}: missing or empty field '{missing[0]}'.")
        for key in ("label", "label_a", "label_b"):
            if row[key] not in LABELS:
                raise UserError(f"{where}: unknown {key} '{row[key]}'.")
        if row["sentence_id"] in labels:
            raise UserError(f"{where}: duplicate sentence_id '{row['sentence_id']}'.")
        labels[row["sentence_id"]] = StandoffLabel(**{k: row.get(k) or "" for k in REQUIRED + OPTIONAL})
    if not labels:
        raise UserError(f"{path}: no labels.")
    return labels


@dataclass
class JoinedSet:
    ids: list[str]
    texts: list[str]
    labels: list[StandoffLabel]
    unlabelled: int  # rows of the user's copy that the standoff file has no label for


def _examples(ids: list[str]) -> str:
    shown = ", ".join(ids[:SHOWN_IDS])
    return shown + (", …" if len(ids) > SHOWN_IDS else "")


def join(rows: list[tuple[str, str]], labels: dict[str, StandoffLabel], source_split: str,
         copy: Path | str) -> JoinedSet:
    """Join the user's (id, text) rows with the labels of `source_split`, in the copy's order.

    Every labelled id of that split must be in the copy with the same text hash; the copy may hold
    extra rows, which are counted and left out."""
    wanted = {i: label for i, label in labels.items() if label.source_split == source_split}
    if not wanted:
        raise UserError(f"the standoff file has no labels for source_split '{source_split}'.")
    seen: set[str] = set()
    ids, texts, joined, changed, unlabelled = [], [], [], [], 0
    for sentence_id, text in rows:
        if sentence_id in seen:
            raise UserError(f"{copy}: duplicate id '{sentence_id}' in your copy.")
        seen.add(sentence_id)
        label = wanted.get(sentence_id)
        if label is None:
            unlabelled += 1
            continue
        if text_sha256(text) != label.text_sha256:
            changed.append(sentence_id)
            continue
        ids.append(sentence_id)
        texts.append(text)
        joined.append(label)
    missing = [i for i in wanted if i not in seen]
    if missing or changed:
        parts = []
        if missing:
            parts.append(f"{len(missing)} labelled id{'s are' if len(missing) > 1 else ' is'} missing from it "
                         f"({_examples(missing)})")
        if changed:
            parts.append(f"{len(changed)} sentence{'s have' if len(changed) > 1 else ' has'} a different text "
                         f"than the one labelled ({_examples(changed)})")
        raise UserError(f"{copy}: your copy does not match the {len(wanted)} labelled sentences of "
                        f"'{source_split}': {' and '.join(parts)}.")
    return JoinedSet(ids, texts, joined, unlabelled)
