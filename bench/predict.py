"""`claimframe predict`: an article → sentences → labels and probabilities, as a terminal table,
JSON Lines or a self-contained HTML page."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from bench.errors import UserError, read_user_bytes
from bench.highlight import render_html
from bench.labels import LABELS
from bench.segment import split_sentences

FORMATS = ("table", "jsonl", "html")
PROB_DECIMALS = 6
MIN_CONFIDENCE = 0.6
CHUNK = 1024  # sentences classified at a time: memory stays flat on a long article
PROGRESS_FROM = 1000  # sentences; shorter articles finish in seconds


@dataclass(frozen=True)
class Prediction:
    sent_index: int
    start: int
    end: int
    text: str
    label: str
    probs: dict[str, float]
    low_confidence: bool = False

    @property
    def confidence(self) -> float:
        return self.probs[self.label]

    def to_dict(self) -> dict:
        return {"sent_index": self.sent_index, "start": self.start, "end": self.end, "text": self.text,
                "label": self.label, "probs": self.probs, "confidence": self.confidence,
                "low_confidence": self.low_confidence}


def decode_article(raw: bytes, source: str) -> str:
    """UTF-8 text (a leading byte-order mark removed); binary or empty input is a user error."""
    if b"\x00" in raw:
        raise UserError(f"{source}: looks like a binary file (it contains NUL bytes), not text.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{source}: is not UTF-8 text (invalid byte at position {exc.start}).") from None
    if not text.strip():
        raise UserError(f"{source}: the input is empty.")
    return text


def read_article(file: str | Path | None = None, text: str | None = None) -> tuple[str, str]:
    """(article, where it came from) from exactly one of a file, `-` (standard input) or `--text`."""
    if (file is None) == (text is None):
        raise UserError("give the article as a FILE, as - for standard input, or with --text (exactly one).")
    if text is not None:
        return decode_article(text.encode("utf-8", errors="surrogateescape"), "--text"), "--text"
    if str(file) == "-":
        return decode_article(sys.stdin.buffer.read(), "standard input"), "standard input"
    path = Path(file)
    return decode_article(read_user_bytes(path, "text file"), str(path)), str(path)


def predict_sentences(system, text: str, min_confidence: float = MIN_CONFIDENCE) -> list[Prediction]:
    """Split `text` into sentences and classify them in chunks of CHUNK, reporting progress on stderr
    for long articles; a prediction whose top probability is under `min_confidence` is flagged."""
    from bench.progress import Progress

    sentences = split_sentences(text)
    predictions = []
    progress = Progress(len(sentences), "predicting", unit="sentences") if len(sentences) > PROGRESS_FROM else None
    for first in range(0, len(sentences), CHUNK):
        chunk = sentences[first:first + CHUNK]
        proba = np.asarray(system.predict_proba([s.text for s in chunk]), dtype=np.float64)
        for index, (s, row) in enumerate(zip(chunk, proba), start=first):
            probs = {label: round(float(p), PROB_DECIMALS) for label, p in zip(LABELS, row)}
            label = LABELS[int(row.argmax())]
            predictions.append(Prediction(index, s.start, s.end, s.text, label, probs,
                                          probs[label] < min_confidence))
        if progress is not None:
            progress.update(len(chunk))
    if progress is not None:
        progress.close()
    return predictions


def render_jsonl(predictions: list[Prediction]) -> Iterator[str]:
    for p in predictions:
        yield json.dumps(p.to_dict(), ensure_ascii=False) + "\n"


def render_table(predictions: list[Prediction], min_confidence: float = MIN_CONFIDENCE) -> Iterator[str]:
    """One row per sentence; a low-confidence label is marked with `?` and explained under the table."""
    short = {"factual_claim": "fact", "attributed_opinion": "attr", "framing_language": "frame"}
    width = max(len(label) for label in LABELS) + 1
    yield (f"{'#':>3}  {'label':{width}}  {'conf':>4}  " + "  ".join(f"{short[label]:>5}" for label in LABELS)
           + "  sentence\n")
    for p in predictions:
        flat = " ".join(p.text.split())
        label = p.label + ("?" if p.low_confidence else "")
        yield (f"{p.sent_index:>3}  {label:{width}}  {p.confidence:>4.2f}  "
               + "  ".join(f"{p.probs[label]:>5.2f}" for label in LABELS) + f"  {flat}\n")
    low = sum(p.low_confidence for p in predictions)
    yield f"? = confidence under {min_confidence:.2f} (--min-confidence): {low} of {len(predictions)} sentences\n"


def render(predictions: list[Prediction], text: str, fmt: str, title: str = "",
           min_confidence: float = MIN_CONFIDENCE) -> Iterator[str]:
    """The output in pieces, so that a long article is written without building it in memory;
    `fmt` is one of FORMATS (checked by `labelled_pieces`)."""
    if fmt == "jsonl":
        return render_jsonl(predictions)
    if fmt == "html":
        return render_html(predictions, text, title=title, min_confidence=min_confidence)
    return render_table(predictions, min_confidence)


def labelled_pieces(model: Path | str, file: str | Path | None = None, text: str | None = None,
                    fmt: str = "table", device: str = "auto", min_confidence: float = MIN_CONFIDENCE) -> Iterator[str]:
    """`claimframe predict`: read and check everything first, then classify, then render in pieces."""
    from bench.model_folder import load_model, model_identity

    if fmt not in FORMATS:
        raise UserError(f"unknown format '{fmt}' (choose {', '.join(FORMATS)}).")
    if not 0 <= min_confidence <= 1:
        raise UserError(f"--min-confidence must be between 0 and 1, not {min_confidence}.")
    identity = model_identity(model)
    article, source = read_article(file, text)
    system = load_model(model, device=device)
    title = f"{source} · {identity.system} (run {identity.run_id})"
    predictions = predict_sentences(system, article, min_confidence)
    return render(predictions, article, fmt, title=title, min_confidence=min_confidence)


def predict_article(model: Path | str, file: str | Path | None = None, text: str | None = None,
                    fmt: str = "table", output: Path | None = None, device: str = "auto",
                    min_confidence: float = MIN_CONFIDENCE) -> str | None:
    """The labelled article as one string, or written to `output` piece by piece (atomically)."""
    from bench.runs import write_pieces_atomic

    pieces = labelled_pieces(model, file, text, fmt, device, min_confidence)
    if output is None:
        return "".join(pieces)
    write_pieces_atomic(Path(output), pieces)
    return None
