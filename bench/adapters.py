"""External data sets declared in `configs/external/*.yaml`: a CSV, TSV or JSONL file, or a Hugging Face
dataset, with its text and label columns and a mapping of its labels onto ClaimFrame's three labels
(`mapping: claimframe`) or onto the CheckThat!-style OBJ/SUBJ framing collapse (`mapping: binary`).

A config with `standoff:` instead takes ClaimFrame's own labels for the user's copy from a standoff file
(bench.standoff), joined on `id_column`; each entry of `parts` (set name → file and source split) becomes
one scored set."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from bench.config import _check_keys, _read_yaml
from bench.data import parse_jsonl
from bench.paths import REPO_ROOT
from bench.errors import UserError, decode_user_text, read_user_bytes
from bench.labels import LABELS
from bench.standoff import join, read_standoff

BINARY_LABELS = ("OBJ", "SUBJ")
TARGETS = {"binary": BINARY_LABELS, "claimframe": LABELS}
FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl"}
ADAPTER_KEYS = {"name": str, "description": str, "licence": str, "path": str, "format": str,
                "dataset": str, "subset": str, "split": str, "text_column": str, "label_column": str,
                "mapping": str, "labels": dict, "id_column": str, "standoff": str, "parts": dict}
STANDOFF_PART_KEYS = {"path": str, "source_split": str}


@dataclass
class ExternalSet:
    """Sentences with gold labels already in the target label set (`BINARY_LABELS` or `LABELS`)."""

    name: str
    source: str
    mapping: str
    texts: list[str]
    gold: list[str]
    source_sha256: str  # SHA-256 of the file (or dataset fingerprint) read, recorded in the scorecard
    dropped: int = 0
    ids: list[str] = field(default_factory=list)
    second_labels: list[str] = field(default_factory=list)  # blind second annotation, for the ceiling row
    unlabelled: int = 0


@dataclass(frozen=True)
class StandoffPart:
    name: str
    path: Path
    source_split: str


@dataclass(frozen=True)
class AdapterConfig:
    name: str
    text_column: str
    label_column: str
    mapping: str
    labels: dict = field(default_factory=dict)  # their label → target label, or None to drop the row
    path: Path | None = None
    format: str = ""
    dataset: str | None = None
    subset: str | None = None
    split: str = "train"
    description: str = ""
    source: str = ""
    id_column: str | None = None
    standoff: Path | None = None
    parts: tuple[StandoffPart, ...] = ()


def resolve_data_path(value: str) -> Path:
    """`~` expanded; a relative path is taken from the repository root, wherever the command runs."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else (REPO_ROOT / path).resolve()


def load_adapter_config(path: Path | str) -> AdapterConfig:
    path = Path(path)
    content = _read_yaml(path)
    _check_keys(content, ADAPTER_KEYS, path)
    if content.get("standoff"):
        return _standoff_config(content, path)
    for key in ("id_column", "parts"):
        if content.get(key):
            raise UserError(f"{path}: '{key}' belongs to a standoff config (one with 'standoff:').")
    for key in ("text_column", "label_column", "mapping"):
        if not content.get(key):
            raise UserError(f"{path}: missing required key '{key}'.")
    if bool(content.get("path")) == bool(content.get("dataset")):
        raise UserError(f"{path}: give exactly one of 'path' (a CSV, TSV or JSONL file) and 'dataset' "
                        f"(a Hugging Face dataset name).")
    mapping = content["mapping"]
    if mapping not in TARGETS:
        raise UserError(f"{path}: mapping must be one of {', '.join(TARGETS)}, not '{mapping}'.")
    targets = TARGETS[mapping]
    labels = {str(their): ours for their, ours in (content.get("labels") or {t: t for t in targets}).items()}
    wrong = [f"{their}: {ours}" for their, ours in labels.items() if ours is not None and ours not in targets]
    if wrong:
        raise UserError(f"{path}: label '{wrong[0]}' must map to one of {', '.join(targets)} "
                        f"(or to null to drop those rows) under mapping '{mapping}'.")
    data_path = resolve_data_path(content["path"]) if content.get("path") else None
    fmt = content.get("format") or (FORMATS.get(data_path.suffix.lower(), "") if data_path else "")
    if data_path is not None and fmt not in FORMATS.values():
        raise UserError(f"{path}: cannot tell the format of '{data_path.name}'; set format: "
                        f"{' | '.join(FORMATS.values())}.")
    return AdapterConfig(name=content.get("name") or path.stem, text_column=content["text_column"],
                         label_column=content["label_column"], mapping=mapping, labels=labels,
                         path=data_path, format=fmt, dataset=content.get("dataset"),
                         subset=content.get("subset"), split=content.get("split") or "train",
                         description=content.get("description", ""), source=str(path))


def _standoff_config(content: dict, path: Path) -> AdapterConfig:
    for key in ("path", "dataset", "label_column", "labels"):
        if content.get(key):
            raise UserError(f"{path}: a standoff config takes its labels from 'standoff' and its files from "
                            f"'parts'; remove '{key}'.")
    if content.get("mapping", "claimframe") != "claimframe":
        raise UserError(f"{path}: standoff labels are ClaimFrame labels; mapping must be claimframe.")
    for key in ("text_column", "id_column", "parts"):
        if not content.get(key):
            raise UserError(f"{path}: missing required key '{key}'.")
    parts = []
    for name, part in content["parts"].items():
        if not isinstance(part, dict):
            raise UserError(f"{path}: part '{name}' must be a mapping with path and source_split.")
        _check_keys(part, STANDOFF_PART_KEYS, path)
        missing = [key for key in STANDOFF_PART_KEYS if not part.get(key)]
        if missing:
            raise UserError(f"{path}: part '{name}' needs '{missing[0]}'.")
        parts.append(StandoffPart(str(name), resolve_data_path(part["path"]), part["source_split"]))
    fmt = content.get("format") or ""
    for part in parts:
        part_fmt = fmt or FORMATS.get(part.path.suffix.lower(), "")
        if part_fmt not in FORMATS.values():
            raise UserError(f"{path}: cannot tell the format of '{part.path.name}'; set format: "
                            f"{' | '.join(FORMATS.values())}.")
    return AdapterConfig(name=content.get("name") or path.stem, text_column=content["text_column"],
                         label_column="", mapping="claimframe", format=fmt,
                         description=content.get("description", ""), source=str(path),
                         id_column=content["id_column"], standoff=resolve_data_path(content["standoff"]),
                         parts=tuple(parts))


def _file_records(path: Path, fmt: str) -> tuple[list[tuple[str, dict]], str]:
    """(where, record) pairs and the file's SHA-256."""
    raw = read_user_bytes(path, "data file")
    text = decode_user_text(raw, path, "data file", "utf-8-sig")
    records = []
    if fmt == "jsonl":
        rows, problems = parse_jsonl(text, path)
        if problems:
            raise UserError(f"{problems[0]}.")
        records = [(f"{path}:{row.pop('_line')}", row) for row in rows]
    else:
        reader = csv.DictReader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ",")
        try:
            for record in reader:
                if None in record:
                    raise UserError(f"{path}:{reader.line_num}: wrong column count (more fields than the "
                                    f"{len(reader.fieldnames)} header columns).")
                records.append((f"{path}:{reader.line_num}", record))
        except csv.Error as exc:
            raise UserError(f"{path}:{reader.line_num}: malformed {fmt.upper()} ({exc}).") from None
    return records, hashlib.sha256(raw).hexdigest()


def _read_standoff_sets(config: AdapterConfig) -> list[ExternalSet]:
    """One set per part: the user's file joined with the standoff labels of its source split."""
    labels = read_standoff(config.standoff)
    sets = []
    for part in config.parts:
        if not part.path.is_file():
            raise UserError(f"{part.path}: your copy of this data set is not there; put the file at that path "
                            f"or point parts.{part.name}.path in {config.source} at it (the text is never "
                            f"shipped with ClaimFrame).")
        records, digest = _file_records(part.path, config.format or FORMATS[part.path.suffix.lower()])
        rows = []
        for where, record in records:
            for column in (config.id_column, config.text_column):
                if record.get(column) is None:
                    raise UserError(f"{where}: no value in column '{column}' "
                                    f"(columns: {', '.join(str(k) for k in record)}).")
            rows.append((str(record[config.id_column]).strip(), str(record[config.text_column])))
        joined = join(rows, labels, part.source_split, part.path)
        sets.append(ExternalSet(part.name, str(part.path), "claimframe", joined.texts,
                                [label.label for label in joined.labels], digest, ids=joined.ids,
                                second_labels=[label.label_b for label in joined.labels],
                                unlabelled=joined.unlabelled))
    return sets


def read_adapter_sets(config: AdapterConfig) -> list[ExternalSet]:
    """The scored sets of a config: one per standoff part, or the single mapped set."""
    return _read_standoff_sets(config) if config.standoff is not None else [read_adapter(config)]


def _dataset_records(config: AdapterConfig) -> tuple[list[tuple[str, dict]], str]:
    """Rows of a Hugging Face dataset; with HF_HUB_OFFLINE=1 only a cached or local copy is read."""
    import datasets

    try:
        rows = datasets.load_dataset(config.dataset, config.subset, split=config.split)
    except Exception as exc:  # datasets raises many types (hub, builder, file); all mean "cannot load"
        raise UserError(f"cannot load dataset '{config.dataset}' split '{config.split}': "
                        f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    return ([(f"{config.dataset}[{config.split}] row {i}", row) for i, row in enumerate(rows)],
            getattr(rows, "_fingerprint", ""))


def read_adapter(config: AdapterConfig) -> ExternalSet:
    """Every row mapped to the target labels; rows whose label maps to null are dropped and counted."""
    if config.path is not None:
        records, digest = _file_records(config.path, config.format)
        source = str(config.path)
    else:
        records, digest = _dataset_records(config)
        source = f"{config.dataset}:{config.split}"
    texts, gold, dropped = [], [], 0
    for where, record in records:
        for column in (config.text_column, config.label_column):
            if record.get(column) is None:
                raise UserError(f"{where}: no value in column '{column}' "
                                f"(columns: {', '.join(str(k) for k in record)}).")
        label, text = str(record[config.label_column]).strip(), str(record[config.text_column]).strip()
        if label not in config.labels:
            raise UserError(f"{where}: unknown label '{label}' (the config maps "
                            f"{', '.join(repr(k) for k in config.labels)}).")
        if config.labels[label] is None:
            dropped += 1
            continue
        if not text:
            raise UserError(f"{where}: empty text in column '{config.text_column}'.")
        texts.append(text)
        gold.append(config.labels[label])
    if not texts:
        raise UserError(f"{source}: no rows to score.")
    return ExternalSet(config.name, source, config.mapping, texts, gold, digest, dropped)
