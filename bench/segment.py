"""An article → sentences with character offsets into it.

Lines that are not prose (a headline, a byline, a subheading) are units of their own; the rest is
grouped into paragraphs (a blank line ends one) and each paragraph is split by pysbd, which keeps
"U.S.", "Feb. 3", "Dr.", "Inc." inside sentences. pysbd keeps a multi-sentence quotation in one piece;
the corpus labels each sentence of a quotation on its own, so those pieces are cut again at the
sentence ends inside the quotation (the last sentence keeps the attribution that follows it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

SENTENCE_END = re.compile(r"""[.!?\u2026][\s"'\u201d\u2019)\]]*$""")
BYLINE = re.compile(r"^by\s", re.IGNORECASE)
LIST_ITEM = re.compile(r"^([-*\u2022\u2013]|\d{1,2}[.)])\s")
# a sentence end inside a quotation: . ! ? or … then space, then what opens a sentence
QUOTED_SENTENCE_END = re.compile(r"""[.!?\u2026](?=\s+["'\u201c\u2018(]?[A-Z0-9])""")
ABBREVIATION = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|Inc|Ltd|Co|Corp|No|Gov|Sen|Rep|Gen|Lt|Col|"
                          r"Capt|Sgt|vs|etc|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z])\.$")
# only double quotation marks: a single curly quote is also the apostrophe of "don’t"
OPENING_QUOTE, CLOSING_QUOTE = "\u201c", "\u201d"


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


def _stripped_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end excluding the line break."""
    spans, offset = [], 0
    for line in text.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        spans.append((offset, offset + len(content)))
        offset += len(line)
    return spans


def _blocks(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, standalone) of each headline-like line and each paragraph, in text order.

    A line without sentence-final punctuation stands alone when it opens the text, is a byline,
    directly follows another standalone line, or is followed by a blank line or the end."""
    lines = _lines(text)
    contents = [text[start:end].strip() for start, end in lines]
    blocks: list[tuple[int, int, bool]] = []
    paragraph: list[int] | None = None
    previous_standalone = False
    seen_text = False

    def flush():
        nonlocal paragraph
        if paragraph is not None:
            blocks.append((paragraph[0], paragraph[1], False))
            paragraph = None

    for number, ((start, end), content) in enumerate(zip(lines, contents)):
        if not content:
            flush()
            previous_standalone = False
            continue
        next_blank = number + 1 == len(lines) or not contents[number + 1]
        standalone = not SENTENCE_END.search(content) and (
            not seen_text or BYLINE.match(content) or previous_standalone or next_blank)
        seen_text = True
        if standalone:
            flush()
            blocks.append((start, end, True))
        else:
            if LIST_ITEM.match(content):
                flush()
            paragraph = [paragraph[0] if paragraph else start, end]
        previous_standalone = bool(standalone)
    flush()
    return blocks


def _split_paragraph(text: str, start: int, end: int, segmenter) -> list[tuple[int, int]]:
    # Line breaks inside a paragraph are wrapping, not boundaries; same length keeps offsets.
    flat = re.sub(r"[\r\n]", " ", text[start:end])
    cuts = sorted({span.end for span in segmenter.segment(flat)} | {len(flat)})
    pieces, previous = [], 0
    # Cut at pysbd's span ends only, so every character lands in some sentence even where pysbd
    # could not locate one of its sentences in the input.
    for cut in cuts:
        pieces.append((start + previous, start + cut))
        previous = cut
    return pieces


def _quotation_cuts(piece: str) -> list[int]:
    """Offsets in `piece` just after each sentence end that lies inside a quotation."""
    cuts, depth, straight_open = [], 0, False
    ends = {m.start() for m in QUOTED_SENTENCE_END.finditer(piece)}
    for index, char in enumerate(piece):
        if char == OPENING_QUOTE:
            depth += 1
        elif char == CLOSING_QUOTE:
            depth = max(0, depth - 1)
        elif char == '"':
            straight_open = not straight_open
        elif index in ends and (depth or straight_open) and not ABBREVIATION.search(piece[:index + 1]):
            cuts.append(index + 1)
    return cuts


def _split_quotations(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces, previous = [], start
    for cut in _quotation_cuts(text[start:end]):
        pieces.append((previous, start + cut))
        previous = start + cut
    return pieces + [(previous, end)]


def split_sentences(text: str) -> list[Sentence]:
    """Every sentence of `text`, in order; `text[s.start:s.end] == s.text` and no text is dropped."""
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    sentences = []
    for start, end, standalone in _blocks(text):
        spans = [(start, end)] if standalone else [
            quoted for piece in _split_paragraph(text, start, end, segmenter) for quoted in _split_quotations(text, *piece)]
        for piece_start, piece_end in spans:
            piece_start, piece_end = _stripped_span(text, piece_start, piece_end)
            if piece_start < piece_end:
                sentences.append(Sentence(piece_start, piece_end, text[piece_start:piece_end]))
    return sentences
