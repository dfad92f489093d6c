"""A self-contained HTML page of a predicted article: every sentence highlighted in its label's colour,
its probabilities on hover, a legend and the label shares. All text is escaped; no scripts, no links."""

from __future__ import annotations

import html
from collections import Counter

from bench.labels import COLOURS, DEFINITIONS, LABELS

STYLE = """
body { font: 16px/1.6 Georgia, 'Times New Roman', serif; color: #1d1d1f; margin: 2rem auto;
       max-width: 52rem; padding: 0 1rem; }
h1 { font: 600 1.1rem system-ui, sans-serif; margin-bottom: .25rem; }
.meta, .legend, .summary { font: .9rem system-ui, sans-serif; }
.meta { color: #5f6368; }
.legend { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; margin: 1rem 0; padding: 0; list-style: none; }
.swatch { display: inline-block; width: .9rem; height: .9rem; border-radius: 3px; vertical-align: -2px;
          margin-right: .35rem; }
.bar { display: flex; height: 1rem; border-radius: 4px; overflow: hidden; margin: .35rem 0 1.5rem; }
.article { white-space: pre-wrap; border-top: 1px solid #ddd; padding-top: 1rem; }
.sentence { border-radius: 3px; padding: 1px 0; border-bottom: 3px solid transparent; cursor: help; }
.sentence:hover { outline: 2px solid #1d1d1f; }
.low-confidence { border-bottom-style: dotted; }
.low-confidence::after { content: "?"; font: 700 .75rem system-ui, sans-serif; vertical-align: super;
                         color: #5f6368; }
"""


def _label_style(label: str) -> str:
    colour = COLOURS[label]
    # A 25 % tint of the label colour keeps dark text readable; the underline carries the full colour.
    return f".label-{label} {{ background: {colour}40; border-bottom-color: {colour}; }}"


def _tooltip(prediction) -> str:
    ranked = sorted(LABELS, key=lambda label: -prediction.probs[label])
    note = " · low confidence" if prediction.low_confidence else ""
    return " · ".join(f"{label} {prediction.probs[label]:.2f}" for label in ranked) + note


def _legend(counts: Counter, total: int) -> str:
    items = []
    for label in LABELS:
        share = counts[label] / total if total else 0.0
        items.append(f'<li title="{html.escape(DEFINITIONS[label])}"><span class="swatch" '
                     f'style="background:{COLOURS[label]}"></span><b>{label}</b> '
                     f'<span class="share" data-label="{label}">{counts[label]} ({share:.0%})</span></li>')
    return '<ul class="legend">' + "".join(items) + "</ul>"


def _share_bar(counts: Counter, total: int) -> str:
    parts = [f'<span style="width:{counts[label] / total:.2%};background:{COLOURS[label]}" '
             f'title="{label}: {counts[label]}"></span>' for label in LABELS if total and counts[label]]
    return '<div class="bar">' + "".join(parts) + "</div>"


def _article(predictions, text: str):
    """The original text, layout kept (pre-wrap), each sentence wrapped in a highlighted span, in pieces."""
    yield '<div class="article">'
    cursor = 0
    for p in predictions:
        gap = text[cursor:p.start]
        yield html.escape(gap.lstrip() if cursor == 0 else gap)
        low = " low-confidence" if p.low_confidence else ""
        yield (f'<span class="sentence label-{p.label}{low}" data-index="{p.sent_index}" '
               f'data-label="{p.label}" title="{html.escape(_tooltip(p))}">{html.escape(p.text)}</span>')
        cursor = p.end
    yield html.escape(text[cursor:].rstrip()) + "</div>"


def render_html(predictions, text: str, title: str = "", min_confidence: float = 0.6):
    """The page in pieces: a long article is never built as one string."""
    counts = Counter(p.label for p in predictions)
    total = len(predictions)
    low = sum(p.low_confidence for p in predictions)
    summary = ", ".join(f"{counts[label]} {label}" for label in LABELS)
    styles = STYLE + "\n".join(_label_style(label) for label in LABELS)
    yield (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>ClaimFrame · {html.escape(title)}</title>\n<style>{styles}</style>\n</head>\n<body>\n"
        f"<h1>ClaimFrame sentence labels</h1>\n<p class=\"meta\">{html.escape(title)}</p>\n"
        f"<p class=\"summary\">{total} sentences: {summary}. Hover a sentence for its probabilities; "
        f"<span class=\"low-confidence\">marked</span> sentences ({low}) have a confidence under "
        f"{min_confidence:.2f}.</p>\n"
        f"{_legend(counts, total)}\n{_share_bar(counts, total)}\n")
    yield from _article(predictions, text)
    yield "\n</body>\n</html>\n"
