"""The one prompt every causal-LM path uses (the `causal-lm` system and the exported lm-evaluation-harness
task): an instruction that states the three definitions, optional worked examples, then the sentence.
Each label is scored by the log-likelihood of its verbaliser after `context(...)`."""

from __future__ import annotations

from typing import Sequence

from bench.labels import DEFINITIONS, LABELS

VERBALISERS = {"factual_claim": " factual claim", "attributed_opinion": " attributed opinion",
               "framing_language": " framing language"}
CHOICES = [VERBALISERS[label] for label in LABELS]

INSTRUCTION = ("Classify whose voice a news sentence speaks in. Answer with one of three labels.\n"
               + "".join(f"- {VERBALISERS[label].strip()}: {DEFINITIONS[label]}.\n" for label in LABELS)
               + "Writer-voice framing beats attribution: loaded wording in the writer's own voice is framing "
               "language even when a source is named.\n\n")


def example_block(text: str, label: str | None = None) -> str:
    """One sentence and, for a worked example, its answer. The text of an unanswered block ends at
    "Label:" so a verbaliser (which starts with a space) follows directly."""
    block = f"Sentence: {' '.join(text.split())}\nLabel:"
    return block if label is None else f"{block}{VERBALISERS[label]}\n\n"


def prefix(shots: Sequence[tuple[str, str]] = ()) -> str:
    """What comes before every sentence: the instruction and the worked examples. It ends with a blank
    line; a tokenizer may still tokenise that line end differently once a sentence follows (GPT-2 does),
    which the causal-LM scorer allows for."""
    return INSTRUCTION + "".join(example_block(text, label) for text, label in shots)


def context(text: str, shots: Sequence[tuple[str, str]] = ()) -> str:
    return prefix(shots) + example_block(text)
