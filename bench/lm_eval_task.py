"""ClaimFrame as an EleutherAI lm-evaluation-harness task, and the harness's per-sample log read back.

`export_task` writes a task folder for `lm_eval --include_path`: the group `claimframe` of three
multiple-choice tasks (test, test_ood, contrast) that score each label's verbaliser after the zero-shot
prompt of `bench.prompt`, with acc and macro-F1 aggregated by the harness itself. The folder needs only
lm_eval (its utils.py imports nothing from ClaimFrame). `evaluate_samples` turns a `--log_samples` file
into a ClaimFrame prediction file and scores it like any other (`claimframe evaluate --format lm-eval-samples`)."""

from __future__ import annotations

import json
import os
import shlex
import tempfile
from pathlib import Path

import numpy as np

from bench.data import load_contrast, load_corpus, parse_jsonl
from bench.errors import UserError, read_user_text
from bench.gold import gold_split
from bench.labels import LABELS, LABEL_TO_ID
from bench.paths import DEFAULT_DATA
from bench.prompt import CHOICES, context, prefix
from bench.runs import write_text_atomic
from bench.scoring import Predictions, check_predictions, evaluate_file

GROUP = "claimframe"
SETS = ("test", "test_ood", "contrast")  # corpus splits, then the contrast set
TEMPLATE = "_claimframe_template_yaml"  # no .yaml suffix: the harness indexes *.yaml files as tasks
UTILS = "utils.py"
SENTENCE_MARK = "\x00"  # stands for the sentence when splitting ClaimFrame's prompt around it


def task_name(name: str) -> str:
    return f"{GROUP}_{name}"


def _prompt_parts() -> tuple[str, str, str]:
    """ClaimFrame's zero-shot prompt as (what comes before the sentence, the sentence's lead-in, what
    follows it), so that utils.py rebuilds `bench.prompt.context(text)` exactly."""
    head = prefix()
    lead, tail = context(SENTENCE_MARK)[len(head):].split(SENTENCE_MARK)
    return head, lead, tail


def _python_string(text: str, indent: str = "    ") -> str:
    """A string literal for generated code: one piece per line of `text`, in parentheses."""
    pieces = text.splitlines(keepends=True) or [""]
    if len(pieces) == 1:
        return repr(text)
    return "(\n" + "".join(f"{indent}{piece!r}\n" for piece in pieces) + ")"


def utils_source(names: list[str]) -> str:
    """utils.py of the task folder: the prompt and verbalisers copied from bench.prompt at export time,
    the data file of each exported set, and the harness hooks."""
    head, lead, tail = _prompt_parts()
    data_files = "".join(f"{name.upper()}_FILES = {{{name!r}: str(_HERE / {name + '.jsonl'!r})}}\n"
                         for name in names)
    return f'''"""ClaimFrame for lm-evaluation-harness: prompt, verbalisers, data files and metrics.

Written by `claimframe export lm-eval` from ClaimFrame's bench/prompt.py; export again rather than edit.
Needs lm_eval (numpy, scikit-learn) only."""

from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

LABELS = {list(LABELS)!r}
CHOICES = {list(CHOICES)!r}
PREFIX = {_python_string(head)}
SENTENCE_LEAD = {lead!r}
SENTENCE_TAIL = {tail!r}

# The task YAMLs read these through `!function utils.NAME`, which the harness resolves beside the YAML;
# a relative data_files path would be read from the working directory instead, and an absolute one
# written at export time would break when the folder moves.
_HERE = Path(__file__).resolve().parent
{data_files}

def doc_to_text(doc):
    return PREFIX + SENTENCE_LEAD + " ".join(doc["text"].split()) + SENTENCE_TAIL


def doc_to_choice(doc):
    return list(CHOICES)


def process_results(doc, results):
    """results: one (log-likelihood, is_greedy) pair per choice; the prediction is the first best."""
    pred = int(np.argmax([loglikelihood for loglikelihood, _ in results]))
    return {{"acc": float(pred == doc["gold"]), "macro_f1": (doc["gold"], pred)}}


def process_contrast_results(doc, results):
    scores = process_results(doc, results)
    return {{**scores, "contrast_consistency": (doc["pair_id"], scores["acc"])}}


def macro_f1(items):
    golds, preds = zip(*items)
    return float(f1_score(golds, preds, labels=list(range(len(LABELS))), average="macro", zero_division=0))


def contrast_consistency(items):
    """Share of contrast pairs whose two sentences are both labelled correctly."""
    both = {{}}
    for pair_id, correct in items:
        both[pair_id] = both.get(pair_id, True) and correct == 1.0
    return float(np.mean(list(both.values())))
'''


def _template_yaml() -> str:
    return f"""# Shared by the ClaimFrame tasks; written by `claimframe export lm-eval`.
dataset_path: json
output_type: multiple_choice
doc_to_text: !function utils.doc_to_text
doc_to_choice: !function utils.doc_to_choice
doc_to_target: gold
target_delimiter: ""
num_fewshot: 0
process_results: !function utils.process_results
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: macro_f1
    aggregation: !function utils.macro_f1
    higher_is_better: true
metadata:
  version: 1.0
"""


def _task_yaml(name: str) -> str:
    text = f"""include: {TEMPLATE}
task: {task_name(name)}
dataset_kwargs:
  data_files: !function utils.{name.upper()}_FILES
test_split: {name}
"""
    if name == "contrast":
        text += """process_results: !function utils.process_contrast_results
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: macro_f1
    aggregation: !function utils.macro_f1
    higher_is_better: true
  - metric: contrast_consistency
    aggregation: !function utils.contrast_consistency
    higher_is_better: true
"""
    return text


def _group_yaml(names: list[str]) -> str:
    return (f"group: {GROUP}\ntask:\n" + "".join(f"  - {task_name(name)}\n" for name in names)
            + "metadata:\n  version: 1.0\n")


def _docs(data: Path | None) -> dict[str, list[dict]]:
    """The rows of each set the corpus has, as harness docs: id, text, label, its index `gold`
    (and pair_id for the contrast set)."""
    corpus = load_corpus(data)
    sets: dict[str, list[dict]] = {}
    for split in SETS[:2]:
        if split in corpus:
            rows = corpus[split]
            sets[split] = [{"id": i, "text": t, "label": label, "gold": LABEL_TO_ID[label]}
                           for i, t, label in zip(rows["id"], rows["text"], rows["label"])]
    contrast = load_contrast(data)
    if contrast:
        sets["contrast"] = [{"id": r["id"], "text": r["text"], "label": r["label"], "gold": LABEL_TO_ID[r["label"]],
                             "pair_id": r["pair_id"]} for r in contrast]
    return sets


def export_task(output: Path, data: Path | None = None) -> list[str]:
    """Write the task folder `output` (new, or empty) for the corpus at `data` and return the names of the
    files in it. All or nothing: the folder is filled beside `output`, then renamed into place."""
    output = Path(output)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise UserError(f"{output}: already exists and is not an empty folder; choose a new --output.")
    sets = _docs(data)
    if not sets:
        raise UserError(f"{data or DEFAULT_DATA}: the corpus has no test, test_ood or contrast set to export.")
    names = list(sets)
    files = {TEMPLATE: _template_yaml(), UTILS: utils_source(names), f"{GROUP}.yaml": _group_yaml(names)}
    for name, docs in sets.items():
        files[f"{task_name(name)}.yaml"] = _task_yaml(name)
        files[f"{name}.jsonl"] = "".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in docs)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=output.parent, prefix=f".{output.name}.") as temp:
            stage = Path(temp) / "task"
            stage.mkdir()
            for name, text in files.items():
                (stage / name).write_text(text, encoding="utf-8")
            os.replace(stage, output)  # replaces an empty folder too
    except OSError as exc:
        raise UserError(f"{output}: cannot write the task folder ({exc.strerror}).") from None
    return sorted(files)


def harness_command(folder: Path) -> str:
    """The lm_eval command line that runs the exported group on any local causal LM."""
    return (f"HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 lm_eval --model hf --model_args pretrained=MODEL_FOLDER "
            f"--tasks {GROUP} --include_path {shlex.quote(str(Path(folder).resolve()))} --batch_size 8 --log_samples "
            f"--output_path RESULTS_FOLDER")


def _loglikelihoods(sample: dict) -> list[float] | None:
    """The per-choice log-likelihoods of a sample (its `filtered_resps` are [log-likelihood, is_greedy]
    pairs, written as strings by the harness), or None when they are not that."""
    pairs = sample.get("filtered_resps")
    if not isinstance(pairs, list) or len(pairs) != len(LABELS):
        return None
    values = []
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2 or isinstance(pair[0], bool):
            return None
        try:
            values.append(float(pair[0]))
        except (TypeError, ValueError):
            return None
    # written so that NaN fails (every comparison with NaN is False); one choice must be possible
    if not all(v <= 0 for v in values) or max(values) == float("-inf"):
        return None
    return values


def predictions_from_samples(samples: Path) -> list[dict]:
    """The samples file of one ClaimFrame task (`lm_eval --log_samples`) as ClaimFrame prediction rows:
    id, label (the harness's own choice: the first highest log-likelihood) and probs (the softmax of the
    three log-likelihoods, by label)."""
    samples = Path(samples)
    text = read_user_text(samples, "samples file")
    if not text.strip():
        raise UserError(f"{samples}: samples file is empty.")
    records, problems = parse_jsonl(text, samples)
    if problems:
        raise UserError(f"{problems[0]}.")
    rows = []
    for record in records:
        where = f"{samples}:{record['_line']}"
        doc, loglikelihoods = record.get("doc"), _loglikelihoods(record)
        if not isinstance(doc, dict) or loglikelihoods is None:
            raise UserError(f"{where}: not an lm-evaluation-harness sample of a ClaimFrame task (it needs 'doc' "
                            f"and 'filtered_resps' with {len(LABELS)} [log-likelihood, is_greedy] pairs).")
        if not isinstance(doc.get("id"), str):
            raise UserError(f"{where}: the doc has no string 'id' (export the task with `claimframe export lm-eval`).")
        scores = np.array(loglikelihoods)
        probs = np.exp(scores - scores.max())
        probs /= probs.sum()
        rows.append({"id": doc["id"], "label": LABELS[int(np.argmax(scores))],
                     "probs": {label: float(p) for label, p in zip(LABELS, probs)}})
    return rows


def evaluate_samples(samples: Path, split: str = "test", data: Path | None = None, system: str | None = None,
                     output: Path | None = None, leaderboard: Path | None = None, n_resamples: int = 1000) -> dict:
    """`claimframe evaluate --format lm-eval-samples`: the samples become a ClaimFrame prediction file that
    `evaluate_file` checks against the gold split and scores like any other.

    A leaderboard row names its prediction file and the board reads it again (significance, tiers), so
    with a leaderboard the converted file is kept in `lm-eval/` beside the board; otherwise it only lives
    while it is scored."""
    samples = Path(samples)
    rows = predictions_from_samples(samples)
    gold = gold_split(split, data)
    if gold is not None:  # refuse a mismatch naming the samples file, before anything is written
        check_predictions(Predictions([r["id"] for r in rows], [r["label"] for r in rows], None), gold.ids,
                          source=str(samples))
    with tempfile.TemporaryDirectory(prefix="claimframe-lm-eval-") as temp:
        keep = leaderboard is not None and gold is not None  # an unknown split: evaluate_file says so
        folder = Path(leaderboard).parent / "lm-eval" if keep else Path(temp)
        converted = folder / f"{samples.stem}.jsonl"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"{folder}: cannot create the folder ({exc.strerror}).") from None
        write_text_atomic(converted, "".join(json.dumps(row) + "\n" for row in rows))
        return evaluate_file(converted, split=split, data=data, system=system or samples.stem, output=output,
                             leaderboard=leaderboard, n_resamples=n_resamples)
