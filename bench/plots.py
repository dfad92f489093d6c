"""The report's figures, each returned as PNG bytes (matplotlib, Agg backend)."""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

from bench.labels import COLOURS, LABELS  # noqa: E402

DPI = 100
PANEL = 3.2  # inches per small-multiple panel


def to_png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _panels(count: int, columns: int = 4):
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(PANEL * columns, PANEL * rows), squeeze=False,
                                layout="constrained")
    for axis in axes.ravel()[count:]:
        axis.set_visible(False)
    return figure, axes.ravel()


def per_class_f1(systems: list[str], f1: dict[str, dict[str, float]], title: str) -> bytes:
    """Grouped bars: one group per system, one bar per label."""
    figure, axis = plt.subplots(figsize=(max(6.0, 1.1 * len(systems) + 2), 3.6))
    x = np.arange(len(systems))
    width = 0.8 / len(LABELS)
    for i, label in enumerate(LABELS):
        axis.bar(x + (i - (len(LABELS) - 1) / 2) * width, [f1[s][label] for s in systems], width,
                 label=label, color=COLOURS[label])
    axis.set_xticks(x, systems, rotation=30, ha="right")
    axis.set_ylim(0, 1)
    axis.set_ylabel("F1")
    axis.set_title(title)
    axis.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    return to_png(figure)


def confusion_matrices(systems: list[str], matrices: dict[str, np.ndarray], title: str) -> bytes:
    """One count heat map per system; rows gold, columns predicted."""
    figure, axes = _panels(len(systems))
    short = [label.split("_")[0] for label in LABELS]
    for axis, system in zip(axes, systems):
        matrix = np.asarray(matrices[system])
        axis.imshow(matrix, cmap="Blues", vmin=0, vmax=max(1, matrix.max()))
        for (i, j), count in np.ndenumerate(matrix):
            axis.text(j, i, str(count), ha="center", va="center",
                      color="white" if count > matrix.max() / 2 else "black")
        axis.set_xticks(range(len(LABELS)), short)
        axis.set_yticks(range(len(LABELS)), short)
        axis.set_xlabel("predicted")
        axis.set_ylabel("gold")
        axis.set_title(system, fontsize="medium")
    figure.suptitle(title)
    return to_png(figure)


def reliability_diagrams(systems: list[str], tables: dict[str, list[dict]],
                         scores: dict[str, tuple[float, float]], title: str) -> bytes:
    """Per confidence bin: accuracy (bar) and mean confidence (dot); a calibrated system's bars
    reach its dots on the diagonal. ECE and Brier in the title."""
    figure, axes = _panels(len(systems))
    for axis, system in zip(axes, systems):
        filled = [b for b in tables[system] if b["count"]]
        middles = [(b["low"] + b["high"]) / 2 for b in filled]
        width = tables[system][0]["high"] - tables[system][0]["low"]
        axis.bar(middles, [b["accuracy"] for b in filled], width=width, color="#4c9be8", edgecolor="white",
                 label="accuracy")
        axis.plot(middles, [b["confidence"] for b in filled], "o", color="#e0524f", markersize=4,
                  label="mean confidence")
        axis.plot([0, 1], [0, 1], "--", color="grey", linewidth=1)
        axis.set_xlim(0, 1)
        axis.set_ylim(0, 1)
        axis.set_xlabel("confidence")
        axis.set_ylabel("accuracy")
        ece, brier = scores[system]
        axis.set_title(f"{system}\nECE {ece:.3f}  Brier {brier:.3f}", fontsize="medium")
    axes[0].legend(loc="upper left", fontsize="small")
    figure.suptitle(title)
    return to_png(figure)


def heat_map(systems: list[str], groups: list[str], values: np.ndarray, title: str) -> bytes:
    """Systems × groups, NaN (no items) left blank; each cell annotated."""
    figure, axis = plt.subplots(figsize=(max(5.0, 0.9 * len(groups) + 3), max(2.5, 0.45 * len(systems) + 1.5)))
    image = axis.imshow(np.ma.masked_invalid(values), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for (i, j), value in np.ndenumerate(values):
        if not np.isnan(value):
            axis.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize="small",
                      color="black" if value > 0.6 else "white")
    axis.set_xticks(range(len(groups)), groups, rotation=30, ha="right")
    axis.set_yticks(range(len(systems)), systems)
    axis.set_title(title)
    figure.colorbar(image, ax=axis, label="macro-F1")
    return to_png(figure)


def learning_curves(points, title: str) -> bytes:
    """Macro-F1 against training sentences (log scale), one line per system at its seeds' mean, with a
    band from the lowest to the highest seed. `points` are bench.curve.CurvePoint."""
    figure, axis = plt.subplots(figsize=(7.5, 4.5))
    systems = sorted({p.system for p in points})
    for index, system in enumerate(systems):
        mine = sorted((p for p in points if p.system == system), key=lambda p: p.train_sentences)
        x = [p.train_sentences for p in mine]
        colour = plt.get_cmap("tab10")(index % 10)
        axis.plot(x, [p.macro_f1_mean for p in mine], marker="o", color=colour,
                  label=f"{system} ({max(p.seeds for p in mine)} seeds)")
        axis.fill_between(x, [p.macro_f1_min for p in mine], [p.macro_f1_max for p in mine], color=colour, alpha=0.2)
    axis.set_xscale("log")
    sizes = sorted({round(p.train_sentences) for p in points})
    axis.set_xticks(sizes, [f"{size:,}" for size in sizes])
    axis.xaxis.set_minor_formatter(NullFormatter())
    axis.set_xlabel("training sentences (mean over seeds)")
    axis.set_ylabel("macro-F1")
    axis.set_ylim(max(0.0, math.floor(10 * min(p.macro_f1_min for p in points) - 0.5) / 10), 1)
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize="small", loc="lower right")
    axis.set_title(title)
    return to_png(figure)
