"""`claimframe evaluate` (bench.scoring) end to end through `bench.cli.main`."""

from __future__ import annotations

import csv
import json

import pytest

from bench.cli import main
from bench.labels import LABELS
from bench.scoring import read_predictions


@pytest.fixture
def gold(corpus_dir) -> list[dict]:
    return [json.loads(line) for line in (corpus_dir / "test.jsonl").read_text().splitlines()]


def write_lines(path, rows) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def evaluate(capsys, corpus_dir, predictions, *extra) -> tuple[int, str, str]:
    code = main(["evaluate", "--predictions", str(predictions), "--data", str(corpus_dir),
                 "--resamples", "200", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, corpus_dir, predictions, *extra) -> str:
    """Evaluate, expecting a user error: exit 2 and one line on stderr; returns that line."""
    code, _, err = evaluate(capsys, corpus_dir, predictions, *extra)
    assert code == 2
    assert err.startswith("claimframe: error: ")
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_perfect_predictions(tmp_path, capsys, corpus_dir, gold):
    predictions = write_lines(tmp_path / "perfect.jsonl", [{"id": r["id"], "label": r["label"]} for r in gold])
    output = tmp_path / "card.json"
    code, out, err = evaluate(capsys, corpus_dir, predictions, "--output", str(output))
    assert (code, err) == (0, "")
    assert "n=6  macro-F1 1.0000 [" in out and "accuracy 1.0000 [1.0000, 1.0000]" in out
    card = json.loads(output.read_text())
    assert {"macro_f1", "accuracy", "macro_f1_ci", "per_class", "confusion", "n"} <= set(card)
    assert card["macro_f1"] == 1.0 and card["accuracy"] == 1.0 and card["n"] == 6
    assert card["confusion"]["matrix"] == [[3, 0, 0], [0, 2, 0], [0, 0, 1]]
    assert "ece" not in card


def test_predictions_in_another_order_with_probs(tmp_path, capsys, corpus_dir, gold):
    predicted = {r["id"]: r["label"] for r in gold}
    predicted["fx05-05"] = "framing_language"  # gold attributed_opinion
    rows = [{"id": r["id"], "label": predicted[r["id"]],
             "probs": {label: (0.8 if label == predicted[r["id"]] else 0.1) for label in LABELS}}
            for r in reversed(gold)]
    output = tmp_path / "card.json"
    code, _, _ = evaluate(capsys, corpus_dir, write_lines(tmp_path / "p.jsonl", rows), "--output", str(output))
    card = json.loads(output.read_text())
    assert code == 0
    assert card["accuracy"] == pytest.approx(5 / 6)
    # every item has top confidence 0.8 in one bin, 5/6 correct: ECE = |5/6 - 0.8|
    assert card["ece"] == pytest.approx(5 / 6 - 0.8)


def test_csv_predictions(tmp_path, capsys, corpus_dir, gold):
    path = tmp_path / "pred.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label"])
        writer.writerows([r["id"], "factual_claim"] for r in gold)
    output = tmp_path / "card.json"
    code, out, err = evaluate(capsys, corpus_dir, path, "--output", str(output))
    assert (code, err) == (0, "")
    card = json.loads(output.read_text())
    assert card["accuracy"] == pytest.approx(3 / 6)
    assert card["per_class"]["factual_claim"]["recall"] == 1.0
    assert card["per_class"]["attributed_opinion"]["f1"] == 0.0


def test_csv_without_header_is_refused(tmp_path, capsys, corpus_dir, gold):
    path = tmp_path / "pred.csv"
    path.write_text("".join(f"{r['id']},{r['label']}\n" for r in gold))
    err = refused(capsys, corpus_dir, path)
    assert "must start with the header 'id,label'" in err


def test_empty_file(tmp_path, capsys, corpus_dir):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n  \n")
    assert "prediction file is empty" in refused(capsys, corpus_dir, path)


def test_missing_file(tmp_path, capsys, corpus_dir):
    err = refused(capsys, corpus_dir, tmp_path / "absent.jsonl")
    assert "prediction file not found" in err


def test_malformed_json_line_names_its_line(tmp_path, capsys, corpus_dir, gold):
    rows = [{"id": r["id"], "label": r["label"]} for r in gold]
    rows.insert(3, '{"id": "fx05-03", "label": ')
    path = write_lines(tmp_path / "p.jsonl", rows)
    err = refused(capsys, corpus_dir, path)
    assert f"{path}:4: malformed JSON" in err


def _mismatch_rows(gold: list[dict], case: str) -> list[dict]:
    rows = [{"id": r["id"], "label": r["label"]} for r in gold]
    if case == "missing":
        del rows[1:3]
    elif case == "extra":
        rows += [{"id": "zz-1", "label": LABELS[0]}]
    elif case == "duplicate":
        rows += [dict(rows[0]), dict(rows[0]), dict(rows[4])]
    elif case == "unknown":
        rows[0]["label"] = "opinion"
        rows[1]["label"] = "opinion"
        rows[2]["label"] = "FACT"
    return rows


@pytest.mark.parametrize("case, message", [
    ("missing", "2 missing ids (e.g. 'fx05-01')"),
    ("extra", "1 extra id (e.g. 'zz-1')"),
    ("duplicate", "2 duplicate ids (e.g. 'fx05-00')"),
    ("unknown", "3 unknown labels ('FACT', 'opinion', first at line 1)"),
])
def test_mismatches_are_reported_with_counts(tmp_path, capsys, corpus_dir, gold, case, message):
    path = write_lines(tmp_path / "p.jsonl", _mismatch_rows(gold, case))
    err = refused(capsys, corpus_dir, path)
    assert "does not match the gold split" in err and message in err


def test_every_mismatch_is_reported_at_once(tmp_path, capsys, corpus_dir, gold):
    rows = _mismatch_rows(gold, "missing") + [{"id": "zz-1", "label": "opinion"}, {"id": "fx05-00", "label": "F"}]
    err = refused(capsys, corpus_dir, write_lines(tmp_path / "p.jsonl", rows))
    assert ("2 missing ids (e.g. 'fx05-01'); 1 extra id (e.g. 'zz-1'); 1 duplicate id (e.g. 'fx05-00'); "
            "2 unknown labels ('F', 'opinion', first at line 5)") in err


@pytest.mark.parametrize("probs, message", [
    ([0.5, 0.5, 0.5], "sum to 1"),
    ([1.2, -0.1, -0.1], "in [0, 1]"),
    ([float("nan"), 0.5, 0.5], "in [0, 1]"),
    ([0.5, 0.5], "3 numbers"),
    (["0.2", 0.3, 0.5], "3 numbers"),
    ({"factual_claim": 1.0, "opinion": 0.0, "framing_language": 0.0}, "exactly the keys"),
])
def test_bad_probs(tmp_path, capsys, corpus_dir, gold, probs, message):
    rows = [{"id": r["id"], "label": r["label"], "probs": [1.0, 0.0, 0.0]} for r in gold]
    rows[2]["probs"] = probs
    path = write_lines(tmp_path / "p.jsonl", rows)
    err = refused(capsys, corpus_dir, path)
    assert f"{path}:3: 'probs'" in err and message in err


def test_probs_on_some_lines_only(tmp_path, capsys, corpus_dir, gold):
    rows = [{"id": r["id"], "label": r["label"]} for r in gold]
    rows[0]["probs"] = [1.0, 0.0, 0.0]
    err = refused(capsys, corpus_dir, write_lines(tmp_path / "p.jsonl", rows))
    assert "on every line or on none" in err


def test_read_predictions_keeps_probs_in_label_order(tmp_path):
    path = write_lines(tmp_path / "p.jsonl", [
        {"id": "a", "label": "framing_language",
         "probs": {"framing_language": 0.7, "factual_claim": 0.1, "attributed_opinion": 0.2}}])
    predictions = read_predictions(path)
    assert predictions.ids == ["a"] and predictions.labels == ["framing_language"]
    assert predictions.probs.tolist() == [[0.1, 0.2, 0.7]]


@pytest.mark.parametrize("target", ["missing-folder/card.json", "."])
def test_unwritable_output_leaves_nothing_behind(tmp_path, capsys, corpus_dir, gold, target):
    work = tmp_path / "work"
    work.mkdir()
    predictions = write_lines(tmp_path / "perfect.jsonl", [{"id": r["id"], "label": r["label"]} for r in gold])
    err = refused(capsys, corpus_dir, predictions, "--output", str(work / target))
    assert "cannot write" in err
    assert list(work.iterdir()) == []


def test_leaderboard_gets_one_row(tmp_path, capsys, corpus_dir, gold):
    board = tmp_path / "board.csv"
    predictions = write_lines(tmp_path / "mine.jsonl", [{"id": r["id"], "label": r["label"]} for r in gold])
    for _ in range(2):
        code, _, _ = evaluate(capsys, corpus_dir, predictions, "--leaderboard", str(board), "--system", "oracle")
        assert code == 0
    with open(board, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    assert rows[0]["system"] == "oracle" and rows[0]["split"] == "test"
    assert float(rows[0]["macro_f1"]) == 1.0 and rows[0]["n"] == "6"
    assert len(rows[0]["data_sha256"]) == 64


def test_unknown_split(tmp_path, capsys, corpus_dir, gold):
    predictions = write_lines(tmp_path / "p.jsonl", [{"id": r["id"], "label": r["label"]} for r in gold])
    err = refused(capsys, corpus_dir, predictions, "--split", "validation")
    assert "unknown split 'validation'" in err


def test_the_contrast_set_is_scored_like_a_split(capsys, corpus_dir, tmp_path):
    contrast = [json.loads(line) for line in (corpus_dir / "contrast.jsonl").read_text().splitlines()]
    # one sentence of the first pair mislabelled: 3 of 4 right
    rows = [{"id": r["id"], "label": r["label"]} for r in contrast]
    rows[0]["label"] = next(label for label in LABELS if label != rows[0]["label"])
    code, out, _ = evaluate(capsys, corpus_dir, write_lines(tmp_path / "p.jsonl", rows), "--split", "contrast")
    assert code == 0 and "accuracy 0.7500" in out
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("train", "dev", "test", "test_ood"):
        (broken / f"{name}.jsonl").write_text((corpus_dir / f"{name}.jsonl").read_text())
    (broken / "contrast.jsonl").write_text("".join(json.dumps(r | {"label": contrast[0]["label"]}) + "\n"
                                                   for r in contrast[:2]))
    err = refused(capsys, broken, write_lines(tmp_path / "q.jsonl", rows[:2]), "--split", "contrast")
    assert "must hold two sentences with different labels" in err
