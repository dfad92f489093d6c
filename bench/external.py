"""`claimframe evaluate-external`: a ClaimFrame model scored on other people's data.

`checkthat` reads the CLEF CheckThat! subjectivity TSV files (`sentence_id, sentence, label
[, solved_conflict]`, header optional, label and sentence columns in either order); `--config` reads
any set declared in configs/external/*.yaml (bench.adapters). On a binary set the model's three labels
collapse to framing_language = SUBJ versus the rest = OBJ (bench.labels.BINARY_FRAMING)."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import numpy as np

from bench.adapters import BINARY_LABELS, ExternalSet, load_adapter_config, read_adapter_sets
from bench.paths import CHECKTHAT_DEFAULT, REAL_SETS_CONFIG
from bench.errors import UserError, decode_user_text, read_user_bytes
from bench.labels import BINARY_FRAMING, LABELS
from bench.metrics import macro_f1, scorecard

CHECKTHAT_COLUMNS = ("sentence_id", "sentence", "label", "solved_conflict")


def _checkthat_layout(path: Path, line: int, cells: list[str]) -> tuple[dict[str, int], bool]:
    """Column positions, and whether this first row is a header."""
    names = [c.strip().lower() for c in cells]
    if "sentence" in names and "label" in names:
        unknown = [n for n in names if n not in CHECKTHAT_COLUMNS]
        if unknown or "sentence_id" not in names:
            raise UserError(f"{path}:{line}: a CheckThat! header names the columns "
                            f"{', '.join(CHECKTHAT_COLUMNS[:3])}[, solved_conflict], not {', '.join(cells)}.")
        return {name: names.index(name) for name in CHECKTHAT_COLUMNS if name in names}, True
    if len(cells) not in (3, 4):
        raise UserError(f"{path}:{line}: expected 3 or 4 tab-separated columns "
                        f"(sentence_id, sentence, label[, solved_conflict]), found {len(cells)}.")
    stripped = [c.strip() for c in cells]
    label_at = [i for i, c in enumerate(stripped) if c in BINARY_LABELS]
    if not label_at:
        raise UserError(f"{path}:{line}: no OBJ or SUBJ label in any column.")
    layout = {"label": label_at[-1]}
    rest = [i for i in range(len(cells)) if i != layout["label"]]
    if len(cells) == 4:
        layout["solved_conflict"] = next((i for i in reversed(rest) if stripped[i].lower() in ("true", "false")),
                                         rest[-1])
        rest.remove(layout["solved_conflict"])
    # An id is one token (a UUID or a number); the sentence is the column with more words.
    first, second = rest
    by_words = len(stripped[first].split()) > len(stripped[second].split())
    layout["sentence"], layout["sentence_id"] = (first, second) if by_words else (second, first)
    return layout, False


def read_checkthat(path: Path | str) -> ExternalSet:
    """One CheckThat! TSV file; a malformed row is a user error naming file and line."""
    path = Path(path)
    raw = read_user_bytes(path)
    text = decode_user_text(raw, path, encoding="utf-8-sig")
    reader = csv.reader(io.StringIO(text), delimiter="\t")
    layout, width, texts, gold = None, 0, [], []
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if layout is None:
                layout, is_header = _checkthat_layout(path, line, cells)
                width = len(cells)
                if is_header:
                    continue
            needed = max(layout[c] for c in ("sentence_id", "sentence", "label")) + 1
            if not needed <= len(cells) <= width:
                raise UserError(f"{path}:{line}: wrong column count: expected {width} tab-separated "
                                f"columns, found {len(cells)}.")
            label, sentence = cells[layout["label"]].strip(), cells[layout["sentence"]].strip()
            if label not in BINARY_LABELS:
                raise UserError(f"{path}:{line}: unknown label '{label}' (expected OBJ or SUBJ).")
            if not sentence:
                raise UserError(f"{path}:{line}: empty sentence.")
            texts.append(sentence)
            gold.append(label)
    except csv.Error as exc:
        raise UserError(f"{path}:{reader.line_num}: malformed TSV ({exc}).") from None
    if not texts:
        raise UserError(f"{path}: no sentences.")
    return ExternalSet(f"checkthat-{path.stem}", str(path), "binary", texts, gold,
                       hashlib.sha256(raw).hexdigest())


def checkthat_files(path: Path | str) -> list[Path]:
    """A TSV file, or every *.tsv in a folder (sorted)."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise UserError(f"{path}: CheckThat! folder not found (give --path to the folder with "
                        f"train_en.tsv and dev_en.tsv).")
    files = sorted(path.glob("*.tsv"))
    if not files:
        raise UserError(f"{path}: no .tsv files in the folder.")
    return files


def score_proba(data: ExternalSet, proba: np.ndarray, n_resamples: int = 1000, seed: int = 0) -> dict:
    """Probabilities over ClaimFrame's labels scored against `data` (collapsed for a binary set).
    On a set mapped to only some ClaimFrame labels, macro-F1 averages over those present in gold.
    A set with a blind second annotation also gets that annotator's macro-F1 against gold (the ceiling)."""
    proba = np.asarray(proba)
    predicted = [LABELS[i] for i in proba.argmax(axis=1)]
    if data.mapping == "binary":
        labels, scored, predicted = list(BINARY_LABELS), list(BINARY_LABELS), [BINARY_FRAMING[p] for p in predicted]
        card = scorecard(data.gold, predicted, n_resamples=n_resamples, seed=seed, labels=labels, scored=scored)
    else:
        scored = [label for label in LABELS if label in set(data.gold)]
        card = scorecard(data.gold, predicted, proba if scored == list(LABELS) else None,
                         n_resamples=n_resamples, seed=seed, labels=list(LABELS), scored=scored)
    card.update({"dataset": data.name, "source": data.source, "source_sha256": data.source_sha256,
                 "mapping": data.mapping, "dropped": data.dropped})
    if data.second_labels:
        card["second_annotator_macro_f1"] = macro_f1(data.gold, data.second_labels)
    if data.unlabelled:
        card["unlabelled"] = data.unlabelled
    return card


def score_set(system, data: ExternalSet, n_resamples: int = 1000, seed: int = 0) -> dict:
    return score_proba(data, system.predict_proba(data.texts), n_resamples, seed)


def real_sets(config: Path = REAL_SETS_CONFIG) -> tuple[list[ExternalSet], str | None]:
    """The real-news sets (real-dev, real-test) joined with the user's copy, or none and the reason.

    A missing copy is not an error here (the main job runs without one); a copy that does not match
    the labels still is."""
    adapter = load_adapter_config(config)
    absent = [part.path for part in adapter.parts if not part.path.is_file()]
    if absent:
        return [], (f"real-news sets skipped: {absent[0]} is not there (put your copy of the CheckThat! "
                    f"subjectivity data there, or edit {config}).")
    return read_adapter_sets(adapter), None


def evaluate_sets(sets: list[ExternalSet], model: Path | str, device: str = "auto",
                  leaderboard: Path | None = None, output: Path | None = None,
                  n_resamples: int = 1000, seed: int = 0) -> list[dict]:
    """Score every set, then write the scorecards (`output`) and one leaderboard row per set."""
    from bench.device import resolve_device
    from bench.leaderboard import append_rows, row_from_scorecard
    from bench.model_folder import load_model, model_identity
    from bench.runs import code_version, utc_now, write_json_atomic

    if n_resamples < 0:
        raise UserError(f"--resamples must be 0 or more, not {n_resamples}.")
    identity = model_identity(model)
    system = load_model(model, device=device)
    cards = [score_set(system, data, n_resamples, seed) for data in sets]
    if output is not None:
        write_json_atomic(Path(output), {"model": str(model), "run_id": identity.run_id, "scorecards": cards})
    if leaderboard is not None:
        resolved, stamp = resolve_device(device), utc_now()
        # the evaluation has its own id; model_run_id names the run whose model it scored
        evaluation = f"eval-{stamp.replace(':', '').replace('-', '')}-{identity.run_id}"
        append_rows([row_from_scorecard(
            card, run_id=evaluation, timestamp=stamp, system=identity.system, config=identity.config,
            config_sha256=identity.config_sha256, data_sha256=set_fingerprint(data), split=data.name,
            seed=identity.seed, device=resolved, code_version=code_version(), model_run_id=identity.run_id)
            for card, data in zip(cards, sets)], leaderboard)
    return cards


def set_fingerprint(data: ExternalSet) -> str:
    """The gold fingerprint (bench.gold) of an external set; rows without ids are keyed by position."""
    from bench.gold import rows_fingerprint

    return rows_fingerprint(data.ids or [str(i) for i in range(len(data.texts))], data.texts, data.gold)


def evaluate_checkthat(model: Path | str, path: Path | str | None = None, **kwargs) -> list[dict]:
    """`claimframe evaluate-external checkthat`: every TSV file under `path`, read and checked first."""
    sets = [read_checkthat(file) for file in checkthat_files(path or CHECKTHAT_DEFAULT)]
    return evaluate_sets(sets, model, **kwargs)


def evaluate_config(model: Path | str, config: Path | str, **kwargs) -> list[dict]:
    """`claimframe evaluate-external --config X.yaml`."""
    return evaluate_sets(read_adapter_sets(load_adapter_config(config)), model, **kwargs)


def evaluate_external(model: Path | str, dataset: str | None = None, path: Path | str | None = None,
                      config: Path | str | None = None, **kwargs) -> list[dict]:
    """`claimframe evaluate-external`: the named set (`checkthat`) or an adapter config, not both."""
    if (dataset is None) == (config is None):
        raise UserError("name a data set (checkthat) or give --config configs/external/X.yaml, not both.")
    if config is not None:
        if path is not None:
            raise UserError("--path belongs to `evaluate-external checkthat`; an adapter config names its own file.")
        return evaluate_config(model, config, **kwargs)
    if dataset != "checkthat":
        raise UserError(f"unknown external data set '{dataset}' (known: checkthat; others via --config).")
    return evaluate_checkthat(model, path, **kwargs)


def format_external(card: dict) -> str:
    low, high = card["macro_f1_ci"]
    kind = "binary " if card["mapping"] == "binary" else ""
    lines = [f"{card['dataset']} ({card['source']})",
             f"  n={card['n']}  {kind}macro-F1 {card['macro_f1']:.4f} [{low:.4f}, {high:.4f}]  "
             f"accuracy {card['accuracy']:.4f}" + (f"  ({card['dropped']} rows dropped by the mapping)"
                                                  if card["dropped"] else "")]
    labels = card["confusion"]["labels"]
    width = max(len(label) for label in labels) + len("gold   ")
    lines.append(f"  {'':{width}}" + "".join(f"{'pred ' + label:>{width}}" for label in labels)
                 + f"{'precision':>11}{'recall':>8}{'f1':>8}")
    for label, row in zip(labels, card["confusion"]["matrix"]):
        m = card["per_class"][label]
        lines.append(f"  {'gold ' + label:{width}}" + "".join(f"{count:>{width}}" for count in row)
                     + f"{m['precision']:>11.4f}{m['recall']:>8.4f}{m['f1']:>8.4f}")
    return "\n".join(lines)
