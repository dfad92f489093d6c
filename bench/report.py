"""`claimframe report`: one self-contained HTML page (figures embedded as base64 PNG) and its
Markdown twin (figures as PNG files beside it), from the leaderboard and the corpus.

Figures and error examples show one run per system: its run with the lowest seed (the latest of
those when repeated), so no seed is picked for its score."""

from __future__ import annotations

import base64
import html
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score

from bench import plots
from bench.curve import CURVE_COLUMNS, curve_points, point_rows
from bench.errors import UserError
from bench.labels import LABELS
from bench.leaderboard import as_float, board_to_read, load_rows
from bench.leaderboard_render import AGGREGATE_COLUMNS, RUN_COLUMNS, TIER_NOTE, display_rows
from bench.metrics import brier_score, expected_calibration_error, reliability_table
from bench.paths import DEFAULT_DATA
from bench.runs import code_version, portable_path, utc_now, write_bytes_atomic, write_text_atomic
from bench.significance import DEFAULT_RESAMPLES
from bench.standings import Board, build_board

EVAL_SPLITS = ("test", "test_ood")
EXAMPLES_PER_CELL = 3
HTML_NAME, MARKDOWN_NAME, FIGURES = "report.html", "report.md", "figures"
STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1300px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:14px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top;white-space:nowrap}
details td{white-space:normal}
th{background:#f2f2f2}img{max-width:100%;display:block;margin:.5em 0}
figcaption{font-size:13px;color:#555;margin-bottom:1.5em}"""


@dataclass
class Figure:
    name: str
    caption: str
    png: bytes


# A report is a list of blocks, ("h2", text) / ("p", text) / ("table", columns, rows) /
# ("figure", Figure) / ("details", summary, blocks), rendered twice: HTML and Markdown.


def _seed(row: dict) -> float:
    return as_float(row.get("seed")) or 0.0


def _representatives(board: Board, split: str) -> list[tuple[str, dict]]:
    """(system, row) of each system's lowest-seed run with predictions (latest when repeated),
    in the order of each system's best rank."""
    split_board = next((s for s in board.splits if s.split == split), None)
    candidates: dict[str, list[dict]] = {}
    for entry in split_board.entries if split_board is not None else []:
        if (entry.runs[0]["run_id"], split) in board.predictions:
            candidates.setdefault(entry.system, []).append(entry.runs[0])
    chosen = []
    for system, runs in candidates.items():
        lowest = min(_seed(r) for r in runs)
        chosen.append((system, max((r for r in runs if _seed(r) == lowest), key=lambda r: r["timestamp"])))
    return chosen


def _split_figures(board: Board, split: str) -> list:
    chosen = _representatives(board, split)
    if not chosen:
        return []
    gold_rows = board.corpus[split]
    gold = list(gold_rows["label"])
    systems = [system for system, _ in chosen]
    predictions = {system: board.predictions[(row["run_id"], split)] for system, row in chosen}
    f1 = {s: dict(zip(LABELS, f1_score(gold, predictions[s].labels, labels=list(LABELS), average=None,
                                       zero_division=0))) for s in systems}
    matrices = {s: confusion_matrix(gold, predictions[s].labels, labels=list(LABELS)) for s in systems}
    blocks = [("h2", f"{split}: per-class F1, confusion, calibration"),
              ("figure", Figure(f"{split}-per-class-f1", f"Per-class F1 on {split}.",
                                plots.per_class_f1(systems, f1, f"per-class F1 · {split}"))),
              ("figure", Figure(f"{split}-confusion", f"Confusion matrices on {split} (rows gold).",
                                plots.confusion_matrices(systems, matrices, f"confusion · {split}")))]
    calibrated = [s for s in systems if predictions[s].probs is not None]
    if calibrated:
        tables = {s: reliability_table(gold, predictions[s].probs) for s in calibrated}
        scores = {s: (expected_calibration_error(gold, predictions[s].probs), brier_score(gold, predictions[s].probs))
                  for s in calibrated}
        blocks.append(("figure", Figure(f"{split}-reliability",
                                        f"Reliability diagrams on {split}: 15 equal-width confidence bins.",
                                        plots.reliability_diagrams(calibrated, tables, scores,
                                                                   f"reliability · {split}"))))
    blocks.append(("h2", f"{split}: example errors"))
    for system in systems:
        blocks.append(("details", f"{system}: up to {EXAMPLES_PER_CELL} examples per confusion cell",
                       [("table", ["gold", "predicted", "id", "text"],
                         _errors(gold_rows, predictions[system].labels))]))
    return blocks


def _errors(gold_rows, predicted: list[str]) -> list[dict]:
    shown: dict[tuple[str, str], int] = {}
    examples = []
    for row_id, text, gold, pred in zip(gold_rows["id"], gold_rows["text"], gold_rows["label"], predicted):
        if gold != pred and shown.get((gold, pred), 0) < EXAMPLES_PER_CELL:
            shown[(gold, pred)] = shown.get((gold, pred), 0) + 1
            examples.append({"gold": gold, "predicted": pred, "id": row_id, "text": text})
    order = {(g, p): i for i, (g, p) in enumerate((g, p) for g in LABELS for p in LABELS)}
    return sorted(examples, key=lambda e: order[(e["gold"], e["predicted"])])


def _group_heat_maps(board: Board) -> list:
    """Macro-F1 per topic and per genre over the evaluation splits pooled, for every system."""
    items: dict[str, list[tuple[dict, str]]] = {}
    for split in EVAL_SPLITS:
        for system, row in _representatives(board, split):
            labels = board.predictions[(row["run_id"], split)].labels
            items.setdefault(system, []).extend(zip(board.corpus[split], labels))
    if not items:
        return []
    systems = list(items)
    blocks = [("h2", "Macro-F1 by topic and by genre")]
    for field in ("topic", "genre"):
        groups = sorted({gold[field] for pairs in items.values() for gold, _ in pairs})
        values = np.full((len(systems), len(groups)), np.nan)
        sizes = {}
        for i, system in enumerate(systems):
            for j, group in enumerate(groups):
                pairs = [(g["label"], p) for g, p in items[system] if g[field] == group]
                if pairs:
                    present = [label for label in LABELS if label in {g for g, _ in pairs}]
                    values[i, j] = f1_score([g for g, _ in pairs], [p for _, p in pairs], labels=present,
                                            average="macro", zero_division=0)
                    sizes[group] = len(pairs)
        names = [f"{group} ({sizes.get(group, 0)})" for group in groups]
        blocks.append(("figure", Figure(f"heat-map-{field}",
                                        f"Macro-F1 by {field} over {' + '.join(EVAL_SPLITS)} (items in brackets; "
                                        f"macro over the labels present in each group).",
                                        plots.heat_map(systems, names, values, f"macro-F1 by {field}"))))
    return blocks


def _tables(board: Board, title: str) -> list:
    columns = AGGREGATE_COLUMNS if board.aggregated else RUN_COLUMNS
    blocks = [("h2", title)]
    for split_board in board.splits:
        blocks += [("h3", split_board.split), ("table", columns, display_rows(split_board, board.aggregated))]
        blocks += [("p", note) for note in split_board.notes]
    return blocks + [("p", TIER_NOTE)]


def _significance(board: Board) -> list:
    blocks = [("h2", "Pairwise significance")]
    columns = ["system a", "system b", "Δ macro-F1", "p macro-F1 (Holm)", "p McNemar (Holm)"]
    for split_board in board.splits:
        rows = [{"system a": c.a, "system b": c.b, "Δ macro-F1": f"{c.delta_macro_f1:+.4f}",
                 "p macro-F1 (Holm)": f"{c.p_macro_f1_holm:.4f}",
                 "p McNemar (Holm)": "" if c.p_mcnemar_holm is None else f"{c.p_mcnemar_holm:.4f}"}
                for c in split_board.comparisons]
        if rows:
            blocks.append(("details", f"{split_board.split}: {len(rows)} comparisons", [("table", columns, rows)]))
    return blocks


def _learning_curves(rows: list[dict]) -> list:
    blocks = []
    for split in EVAL_SPLITS:
        points = curve_points(rows, split)
        if not points:
            continue
        blocks += [("h2", f"Learning curves · {split}"),
                   ("figure", Figure(f"learning-curves-{split}",
                                     f"Macro-F1 on {split} against training sentences (whole documents drawn per "
                                     f"seed); the line is the mean over seeds, the band spans the lowest and "
                                     f"highest seed.", plots.learning_curves(points, f"learning curves · {split}"))),
                   ("details", f"{split}: {len(points)} points",
                    [("table", CURVE_COLUMNS, point_rows(points))])]
    return blocks


def build_blocks(board: Board, seeds_board: Board | None, leaderboard: Path, data: str,
                 rows: list[dict] = ()) -> list:
    blocks = [("h1", "ClaimFrame report"),
              ("p", f"Leaderboard {leaderboard}; corpus {data}; generated {utc_now()} by claimframe "
                    f"{code_version()}. Figures show each system's lowest-seed run.")]
    blocks += _tables(board, "Leaderboard")
    if seeds_board is not None:
        blocks += _tables(seeds_board, "Mean over seeds")
    blocks += _significance(board)
    for split in EVAL_SPLITS:
        blocks += _split_figures(board, split)
    return blocks + _group_heat_maps(board) + _learning_curves(list(rows))


def _html_block(block) -> str:
    kind = block[0]
    if kind in ("h1", "h2", "h3", "p"):
        return f"<{kind}>{html.escape(block[1])}</{kind}>"
    if kind == "table":
        head = "".join(f"<th>{html.escape(c)}</th>" for c in block[1])
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in block[1]) + "</tr>"
                       for r in block[2])
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if kind == "figure":
        figure = block[1]
        data = base64.b64encode(figure.png).decode("ascii")
        return (f'<figure><img alt="{html.escape(figure.caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{html.escape(figure.caption)}</figcaption></figure>")
    return (f"<details><summary>{html.escape(block[1])}</summary>"
            + "".join(_html_block(b) for b in block[2]) + "</details>")


def to_html(blocks: list) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ClaimFrame report</title>"
            f"<style>{STYLE}</style></head><body>\n"
            + "\n".join(_html_block(b) for b in blocks) + "\n</body></html>\n")


def _md_cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_block(block) -> str:
    kind = block[0]
    if kind in ("h1", "h2", "h3"):
        return "#" * int(kind[1]) + " " + block[1]
    if kind == "p":
        return block[1]
    if kind == "table":
        lines = ["| " + " | ".join(block[1]) + " |", "|" + "|".join("---" for _ in block[1]) + "|"]
        return "\n".join(lines + ["| " + " | ".join(_md_cell(r.get(c, "")) for c in block[1]) + " |"
                                  for r in block[2]])
    if kind == "figure":
        return f"![{block[1].caption}]({FIGURES}/{block[1].name}.png)\n\n*{block[1].caption}*"
    return f"**{block[1]}**\n\n" + "\n\n".join(_md_block(b) for b in block[2])


def to_markdown(blocks: list) -> str:
    return "\n\n".join(_md_block(b) for b in blocks) + "\n"


def _figures(blocks: list) -> list[Figure]:
    found = []
    for block in blocks:
        if block[0] == "figure":
            found.append(block[1])
        elif block[0] == "details":
            found += _figures(block[2])
    return found


def write_report(output: Path | str = "reports", leaderboard: Path | None = None, data: Path | None = None,
                 n_resamples: int = DEFAULT_RESAMPLES) -> tuple[Path, Path]:
    """Build everything in memory, then write figures, Markdown and HTML, each atomically."""
    leaderboard = board_to_read(leaderboard)
    rows = load_rows(leaderboard)
    if not rows:
        raise UserError(f"{leaderboard}: no leaderboard rows to report on.")
    board = build_board(rows, data=data, n_resamples=n_resamples)
    if board.corpus is None:
        raise UserError("the report needs the corpus; pass --data.")
    several_seeds = max(Counter((r["system"], r["split"]) for r in rows if not r.get("train_fraction")).values(),
                        default=0) > 1
    seeds_board = build_board(rows, data=data, aggregate=True, n_resamples=n_resamples) if several_seeds else None
    blocks = build_blocks(board, seeds_board, leaderboard, portable_path(Path(data or DEFAULT_DATA)), rows)
    output = Path(output)
    try:
        (output / FIGURES).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{output}: cannot create the report folder ({exc.strerror}).") from None
    for figure in _figures(blocks):
        write_bytes_atomic(output / FIGURES / f"{figure.name}.png", figure.png)
    write_text_atomic(output / MARKDOWN_NAME, to_markdown(blocks))
    write_text_atomic(output / HTML_NAME, to_html(blocks))
    return output / HTML_NAME, output / MARKDOWN_NAME
