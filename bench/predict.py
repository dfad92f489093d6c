"""`claimframe predict`: an article → sentences → labels and probabilities, as a terminal table,
JSON Lines or a self-contained HTML page."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.errors import UserError, read_user_bytes
from bench.highlight import render_html
from bench.labels import LABELS
from bench.segment import split_sentences

FORMATS = ("table", "jsonl", "html")
PROB_DECIMALS = 6


@dataclass(frozen=True)
class Prediction:
    sent_index: int
    start: int
    end: int
    text: str
    label: str
    probs: dict[str, float]

    def to_dict(self) -> dict:
        return {"sent_index": self.sent_index, "start": self.start, "end": self.end, "text": self.text,
                "label": self.label, "probs": self.probs}


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


def predict_sentences(system, text: str) -> list[Prediction]:
    """Split `text` into sentences and classify them all in one `predict_proba` call."""
    sentences = split_sentences(text)
    proba = np.asarray(system.predict_proba([s.text for s in sentences]), dtype=np.float64)
    return [Prediction(index, s.start, s.end, s.text, LABELS[int(row.argmax())],
                       {label: round(float(p), PROB_DECIMALS) for label, p in zip(LABELS, row)})
            for index, (s, row) in enumerate(zip(sentences, proba))]


def render_jsonl(predictions: list[Prediction]) -> str:
    return "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n" for p in predictions)


def render_table(predictions: list[Prediction]) -> str:
    short = {"factual_claim": "fact", "attributed_opinion": "attr", "framing_language": "frame"}
    width = max(len(label) for label in LABELS)
    lines = [f"{'#':>3}  {'label':{width}}  " + "  ".join(f"{short[label]:>5}" for label in LABELS) + "  sentence"]
    for p in predictions:
        flat = " ".join(p.text.split())
        lines.append(f"{p.sent_index:>3}  {p.label:{width}}  "
                     + "  ".join(f"{p.probs[label]:>5.2f}" for label in LABELS) + f"  {flat}")
    return "\n".join(lines) + "\n"


def render(predictions: list[Prediction], text: str, fmt: str, title: str = "") -> str:
    """`fmt` is one of FORMATS (checked by `predict_article`)."""
    if fmt == "jsonl":
        return render_jsonl(predictions)
    if fmt == "html":
        return render_html(predictions, text, title=title)
    return render_table(predictions)


def predict_article(model: Path | str, file: str | Path | None = None, text: str | None = None,
                    fmt: str = "table", output: Path | None = None, device: str = "auto") -> str:
    """`claimframe predict`: read and check everything first, then classify, then write."""
    from bench.model_folder import load_model, model_identity
    from bench.runs import write_text_atomic

    if fmt not in FORMATS:
        raise UserError(f"unknown format '{fmt}' (choose {', '.join(FORMATS)}).")
    identity = model_identity(model)
    article, source = read_article(file, text)
    system = load_model(model, device=device)
    title = f"{source} · {identity.system} (run {identity.run_id})"
    content = render(predict_sentences(system, article), article, fmt, title=title)
    if output is not None:
        write_text_atomic(Path(output), content)
    return content
