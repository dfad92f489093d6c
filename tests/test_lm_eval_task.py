"""bench.lm_eval_task: the exported task runs in the real lm-evaluation-harness on a tiny random causal LM,
the harness scores what ClaimFrame's scorer scores from its samples, with ClaimFrame's prompt; and the
export and `evaluate --format lm-eval-samples` commands refuse bad input like every other command."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.cli import main
from bench.data import load_contrast, read_jsonl
from bench.labels import LABELS
from bench.lm_eval_task import GROUP, predictions_from_samples, task_name
from bench.metrics import contrast_consistency, macro_f1
from bench.prompt import CHOICES, context

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"
SETS = ("test", "test_ood", "contrast")


def gold_rows(name: str) -> list[dict]:
    return load_contrast(FIXTURE_CORPUS) if name == "contrast" else read_jsonl(FIXTURE_CORPUS / f"{name}.jsonl")


@pytest.fixture(scope="module")
def tiny_lm(tiny_causal_lm) -> Path:
    return tiny_causal_lm


@pytest.fixture(scope="module")
def task_folder(tmp_path_factory) -> Path:
    """The task exported for the fixture corpus, then moved: its data paths must not be fixed at export."""
    root = tmp_path_factory.mktemp("task")
    assert main(["export", "lm-eval", "--output", str(root / "exported"), "--data", str(FIXTURE_CORPUS)]) == 0
    return (root / "exported").rename(root / "moved")


@pytest.fixture(scope="module")
def harness(tiny_lm, task_folder, tmp_path_factory) -> dict:
    """One run of the real harness on the tiny LM: the group's results and each set's samples file."""
    work = tmp_path_factory.mktemp("harness")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(work / "hf"),
           "HF_DATASETS_CACHE": str(work / "hf" / "datasets"), "TOKENIZERS_PARALLELISM": "false"}
    command = [sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args", f"pretrained={tiny_lm},dtype=float32",
               "--tasks", GROUP, "--include_path", str(task_folder), "--device", "cpu", "--batch_size", "4",
               "--log_samples", "--output_path", str(work / "out")]
    # run from an unrelated folder: nothing may depend on the working directory
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    (results,) = (work / "out").glob("*/results_*.json")

    def samples(name: str) -> Path:
        pattern = re.compile(rf"samples_{task_name(name)}_\d{{4}}-.*\.jsonl")
        (path,) = [p for p in results.parent.iterdir() if pattern.fullmatch(p.name)]
        return path

    return {"results": json.loads(results.read_text())["results"], "samples": {name: samples(name) for name in SETS}}


def load_utils(folder: Path):
    spec = importlib.util.spec_from_file_location("claimframe_exported_utils", folder / "utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_export_writes_the_group_three_tasks_their_data_and_utils(task_folder):
    assert sorted(p.name for p in task_folder.iterdir()) == [
        "_claimframe_template_yaml", "claimframe.yaml", "claimframe_contrast.yaml", "claimframe_test.yaml",
        "claimframe_test_ood.yaml", "contrast.jsonl", "test.jsonl", "test_ood.jsonl", "utils.py"]
    for name in SETS:
        docs = read_jsonl(task_folder / f"{name}.jsonl")
        assert [(d["id"], d["text"], d["label"]) for d in docs] == [(r["id"], r["text"], r["label"])
                                                                    for r in gold_rows(name)]
        assert [d["gold"] for d in docs] == [LABELS.index(d["label"]) for d in docs]
    assert all("pair_id" in d for d in read_jsonl(task_folder / "contrast.jsonl"))


def test_utils_rebuilds_the_claimframe_prompt_exactly(task_folder):
    utils = load_utils(task_folder)
    assert utils.CHOICES == CHOICES
    texts = [r["text"] for name in SETS for r in gold_rows(name)]
    texts += ["  Leading and trailing  ", "tabs\tand\nnew lines", "non-ASCII: café — “quoted”"]
    for text in texts:
        assert utils.doc_to_text({"text": text}) == context(text)


def test_utils_needs_no_claimframe(task_folder):
    code = ("import sys, importlib.util\n"
            "sys.modules['bench'] = None\n"  # any `import bench...` now fails
            f"spec = importlib.util.spec_from_file_location('u', {str(task_folder / 'utils.py')!r})\n"
            "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_harness_metrics_equal_claimframe_scores(harness, tmp_path, capsys):
    for name in SETS:
        reported = harness["results"][task_name(name)]
        rows = predictions_from_samples(harness["samples"][name])
        gold = gold_rows(name)
        assert [r["id"] for r in rows] == [g["id"] for g in gold]
        labels, predicted = [g["label"] for g in gold], [r["label"] for r in rows]
        assert abs(reported["macro_f1,none"] - macro_f1(labels, predicted)) < 1e-9
        assert abs(reported["acc,none"] - sum(g == p for g, p in zip(labels, predicted)) / len(gold)) < 1e-9
        assert all(abs(sum(r["probs"].values()) - 1) < 1e-9 for r in rows)
        if name == "contrast":
            consistency = contrast_consistency([g["pair_id"] for g in gold], labels, predicted)
            assert abs(reported["contrast_consistency,none"] - consistency) < 1e-9
            continue
        card = tmp_path / f"{name}.json"
        assert main(["evaluate", "--predictions", str(harness["samples"][name]), "--format", "lm-eval-samples",
                     "--split", name, "--data", str(FIXTURE_CORPUS), "--output", str(card), "--resamples", "10"]) == 0
        scorecard = json.loads(card.read_text())
        assert abs(scorecard["macro_f1"] - reported["macro_f1,none"]) < 1e-9
        assert abs(scorecard["accuracy"] - reported["acc,none"]) < 1e-9
        assert f"macro-F1 {reported['macro_f1,none']:.4f}" in capsys.readouterr().out


def test_harness_scored_our_prompt_with_our_verbalisers(harness, tiny_lm):
    """The harness's log-likelihoods of one doc, recomputed by hand: the summed log-softmax of each
    verbaliser's tokens after `context(text)`, split the way lm-eval splits (encode the context, encode
    context + verbaliser, the continuation is what the second adds)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    sample = json.loads(harness["samples"]["test"].read_text().splitlines()[0])
    prompt = context(sample["doc"]["text"])
    assert [(a["arg_0"], a["arg_1"]) for a in sample["arguments"].values()] == [(prompt, c) for c in CHOICES]
    tokenizer = AutoTokenizer.from_pretrained(tiny_lm)
    model = AutoModelForCausalLM.from_pretrained(tiny_lm, dtype=torch.float32).eval()
    prompt_ids = tokenizer.encode(prompt)
    for choice, (reported, _) in zip(CHOICES, sample["filtered_resps"]):
        whole = tokenizer.encode(prompt + choice)
        continuation = whole[len(prompt_ids):]
        with torch.no_grad():
            logits = model(torch.tensor([whole[:-1]])).logits[0]
        logprobs = torch.log_softmax(logits[len(prompt_ids) - 1:], dim=-1)
        expected = float(logprobs[torch.arange(len(continuation)), torch.tensor(continuation)].sum())
        assert abs(float(reported) - expected) < 1e-4


def test_evaluate_samples_with_a_leaderboard_keeps_the_converted_file_the_board_reads(harness, tmp_path, capsys):
    board = tmp_path / "board.csv"
    samples = harness["samples"]["test"]
    assert main(["evaluate", "--predictions", str(samples), "--format", "lm-eval-samples", "--split", "test",
                 "--data", str(FIXTURE_CORPUS), "--leaderboard", str(board), "--system", "tiny-lm",
                 "--resamples", "10"]) == 0
    kept = tmp_path / "lm-eval" / f"{samples.stem}.jsonl"
    assert [r["id"] for r in read_jsonl(kept)] == [r["id"] for r in gold_rows("test")]
    assert str(kept) in board.read_text()
    capsys.readouterr()
    assert main(["leaderboard", "--path", str(board), "--data", str(FIXTURE_CORPUS)]) == 0
    assert "tiny-lm" in capsys.readouterr().out


def test_export_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    output = tmp_path / "task"
    output.mkdir()
    (output / "notes.txt").write_text("mine")
    assert main(["export", "lm-eval", "--output", str(output), "--data", str(FIXTURE_CORPUS)]) == 2
    _, err = capsys.readouterr()
    assert err == f"claimframe: error: {output}: already exists and is not an empty folder; choose a new --output.\n"
    assert [p.name for p in tmp_path.iterdir()] == ["task"]
    assert [p.name for p in output.iterdir()] == ["notes.txt"] and (output / "notes.txt").read_text() == "mine"


def test_export_fills_an_empty_folder_and_prints_the_harness_command(tmp_path, capsys):
    output = tmp_path / "task"
    output.mkdir()
    assert main(["export", "lm-eval", "--output", str(output), "--data", str(FIXTURE_CORPUS)]) == 0
    out, _ = capsys.readouterr()
    assert f"wrote {output / 'utils.py'}" in out
    assert f"lm_eval --model hf --model_args pretrained=MODEL_FOLDER --tasks claimframe --include_path {output}" in out
    assert (output / "claimframe.yaml").is_file()


def test_export_is_all_or_nothing(tmp_path, capsys, monkeypatch):
    written = []

    def write_text(self, text, encoding=None):
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        written.append(self)

    monkeypatch.setattr(Path, "write_text", write_text)
    assert main(["export", "lm-eval", "--output", str(tmp_path / "task"), "--data", str(FIXTURE_CORPUS)]) == 2
    _, err = capsys.readouterr()
    assert err == f"claimframe: error: {tmp_path / 'task'}: cannot write the task folder (No space left on device).\n"
    assert list(tmp_path.iterdir()) == []


def test_evaluate_samples_refuses_a_missing_doc_like_any_prediction_file(harness, tmp_path, capsys):
    lines = harness["samples"]["test"].read_text().splitlines(keepends=True)
    samples = tmp_path / "samples_claimframe_test.jsonl"
    samples.write_text("".join(lines[1:]))
    board = tmp_path / "board.csv"
    assert main(["evaluate", "--predictions", str(samples), "--format", "lm-eval-samples", "--split", "test",
                 "--data", str(FIXTURE_CORPUS), "--leaderboard", str(board)]) == 2
    _, err = capsys.readouterr()
    missing = gold_rows("test")[0]["id"]
    assert err == (f"claimframe: error: {samples} does not match the gold split: 1 missing id (e.g. '{missing}').\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [samples.name]


def _sample(**change) -> dict:
    sample = {"doc_id": 0, "doc": {"id": "fx05-00", "text": "x", "label": "factual_claim", "gold": 0},
              "filtered_resps": [["-1.5", "False"], ["-0.5", "True"], ["-2.0", "False"]]}
    return sample | change


@pytest.mark.parametrize("lines, message", [
    (["{not json"], ":1: malformed JSON"),
    ([json.dumps(_sample()), "[1, 2]"], ":2: line is not a JSON object"),
    ([json.dumps(_sample(filtered_resps=None))], ":1: not an lm-evaluation-harness sample"),
    ([json.dumps(_sample(filtered_resps=[["-1", "False"], ["-2", "False"]]))], ":1: not an lm-evaluation-harness"),
    ([json.dumps(_sample(filtered_resps=[["-1", "False"], ["x", "False"], ["-2", "False"]]))], ":1: not an lm-eval"),
    ([json.dumps(_sample(filtered_resps=[["-1", "False"], ["nan", "False"], ["-2", "False"]]))], ":1: not an lm-e"),
    ([json.dumps(_sample()), json.dumps(_sample(doc={"text": "x"}))], ":2: the doc has no string 'id'"),
    ([json.dumps({"id": "fx05-00", "label": "factual_claim"})], ":1: not an lm-evaluation-harness sample"),
])
def test_evaluate_samples_names_the_file_and_line_of_a_bad_sample(tmp_path, capsys, lines, message):
    samples = tmp_path / "samples.jsonl"
    samples.write_text("\n".join(lines) + "\n")
    assert main(["evaluate", "--predictions", str(samples), "--format", "lm-eval-samples",
                 "--data", str(FIXTURE_CORPUS)]) == 2
    _, err = capsys.readouterr()
    assert err.startswith(f"claimframe: error: {samples}{message}") and err.count("\n") == 1


def test_predictions_from_samples_softmax_and_first_best_label(tmp_path):
    samples = tmp_path / "samples.jsonl"
    tie = _sample(doc={"id": "b"}, filtered_resps=[["-3", "False"], ["-1", "False"], ["-1", "False"]])
    samples.write_text(json.dumps(_sample()) + "\n" + json.dumps(tie) + "\n")
    first, second = predictions_from_samples(samples)
    assert first["id"] == "fx05-00" and first["label"] == "attributed_opinion"
    assert list(first["probs"].values()) == pytest.approx([0.23122, 0.62853, 0.14024], abs=1e-5)
    assert tuple(first["probs"]) == LABELS
    assert second["label"] == "attributed_opinion"  # a tie goes to the first, as in the harness (np.argmax)


def test_the_causal_lm_system_gives_the_harness_probabilities(harness, tiny_lm):
    """The zero-shot `causal_lm` system (prefix cache, batches) and the harness score the same prompt with
    the same model: the same softmax over the three log-likelihoods on every test sentence."""
    from bench.systems import build_system

    gold = gold_rows("test")
    system = build_system("causal_lm", {"model": str(tiny_lm), "shots": 0, "batch_size": 4, "device": "cpu"})
    ours = system.fit([g["text"] for g in gold], [g["label"] for g in gold]).predict_proba([g["text"] for g in gold])
    harness_probs = [[row["probs"][label] for label in LABELS] for row in predictions_from_samples(harness["samples"]["test"])]
    assert np.allclose(ours, harness_probs, atol=1e-4)
