import json
import shutil
from pathlib import Path

import pytest
from sklearn.metrics import f1_score

from bench.adapters import load_adapter_config, read_adapter_sets
from bench.cli import main
from bench.errors import UserError
from bench.labels import LABELS
from bench.standoff import join, read_standoff, text_sha256

STANDOFF = Path(__file__).parent / "fixtures" / "external" / "standoff"
CONFIG = STANDOFF / "config.yaml"


def copy_fixture(tmp_path: Path) -> Path:
    """The fixture folder copied, with a config whose paths point into the copy."""
    folder = tmp_path / "standoff"
    shutil.copytree(STANDOFF, folder)
    text = CONFIG.read_text().replace("tests/fixtures/external/standoff", str(folder))
    (folder / "config.yaml").write_text(text)
    return folder


def test_hash_ignores_whitespace_runs_and_unicode_normal_form():
    assert text_sha256("  The  vote\twas 6-3. ") == text_sha256("The vote was 6-3.")
    assert text_sha256("caf\u0065\u0301") == text_sha256("caf\u00e9")
    assert text_sha256("The vote was 6-3.") != text_sha256("The vote was 6-4.")


def test_each_part_joins_in_copy_order_and_counts_unlabelled_rows():
    sets = read_adapter_sets(load_adapter_config(CONFIG))
    assert [s.name for s in sets] == ["real-dev", "real-test"]
    dev, test = sets
    assert dev.ids == ["a1", "a2", "a3", "a4", "a5"]
    assert dev.gold == ["factual_claim", "framing_language", "attributed_opinion", "framing_language",
                        "factual_claim"]
    assert dev.second_labels[4] == "attributed_opinion"
    assert dev.texts[1] == "What an utter fiasco the timetable has become."
    assert test.ids == ["b1", "b2", "b3"] and test.unlabelled == 1


def test_missing_ids_and_changed_text_are_reported_with_counts(tmp_path):
    folder = copy_fixture(tmp_path)
    lines = (folder / "part_a.tsv").read_text().splitlines()
    lines = [line for line in lines if not line.startswith("a4\t")]
    lines = [line.replace("twice a day", "three times a day").replace("7-2", "8-1") for line in lines]
    (folder / "part_a.tsv").write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError, match=r"part_a.tsv: your copy does not match the 5 labelled sentences of "
                                        r"'train': 1 labelled id is missing from it \(a4\) and 2 sentences "
                                        r"have a different text than the one labelled \(a1, a5\)"):
        read_adapter_sets(load_adapter_config(folder / "config.yaml"))


def test_absent_copy_exits_2_saying_where_to_put_it(tmp_path, capsys, cue_run):
    folder = copy_fixture(tmp_path)
    (folder / "part_b.tsv").unlink()
    code = main(["evaluate-external", "--config", str(folder / "config.yaml"), "--model", str(cue_run),
                 "--no-leaderboard"])
    err = capsys.readouterr().err
    assert code == 2
    assert "part_b.tsv: your copy of this data set is not there; put the file at that path" in err
    assert "Traceback" not in err and err.count("\n") == 1


@pytest.mark.parametrize("edit, message", [
    (lambda r: r | {"text": "The ferry runs."}, r"labels.jsonl:1: unknown field 'text'"),
    (lambda r: r | {"label": "opinion"}, r"labels.jsonl:1: unknown label 'opinion'"),
    (lambda r: {k: v for k, v in r.items() if k != "text_sha256"}, r"labels.jsonl:1: missing or empty field"),
])
def test_malformed_standoff_lines_name_file_and_line(tmp_path, edit, message):
    rows = [json.loads(line) for line in (STANDOFF / "labels.jsonl").read_text().splitlines()]
    rows[0] = edit(rows[0])
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(UserError, match=message):
        read_standoff(path)


def test_duplicate_id_in_labels_or_copy_is_an_error(tmp_path):
    lines = (STANDOFF / "labels.jsonl").read_text().splitlines()
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(lines + lines[:1]) + "\n")
    with pytest.raises(UserError, match=r"labels.jsonl:9: duplicate sentence_id 'a1'"):
        read_standoff(path)
    labels = read_standoff(STANDOFF / "labels.jsonl")
    rows = [("a1", "The ferry to Kellin Island runs twice a day in winter.")] * 2
    with pytest.raises(UserError, match=r"duplicate id 'a1' in your copy"):
        join(rows, labels, "train", "copy.tsv")


def test_standoff_config_refuses_a_label_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(CONFIG.read_text() + "label_column: label\n")
    with pytest.raises(UserError, match=r"remove 'label_column'"):
        load_adapter_config(path)


def test_cli_scores_both_parts_with_the_second_annotator_ceiling(tmp_path, capsys, cue_run):
    output = tmp_path / "cards.json"
    board = tmp_path / "board.csv"
    assert main(["evaluate-external", "--config", str(CONFIG), "--model", str(cue_run), "--output", str(output),
                 "--leaderboard", str(board)]) == 0
    cards = {c["dataset"]: c for c in json.loads(output.read_text())["scorecards"]}
    assert set(cards) == {"real-dev", "real-test"}
    assert cards["real-dev"]["n"] == 5 and cards["real-test"]["n"] == 3
    gold = ["factual_claim", "attributed_opinion", "framing_language"]
    second = ["factual_claim", "attributed_opinion", "factual_claim"]
    expected = f1_score(gold, second, labels=list(LABELS), average="macro", zero_division=0)
    assert cards["real-test"]["second_annotator_macro_f1"] == pytest.approx(expected)
    assert cards["real-test"]["unlabelled"] == 1
    assert "real-dev" in capsys.readouterr().out


def test_the_scorecard_records_which_file_was_read(tmp_path, cue_run):
    import hashlib

    output = tmp_path / "cards.json"
    assert main(["evaluate-external", "--config", str(CONFIG), "--model", str(cue_run), "--output", str(output),
                 "--no-leaderboard"]) == 0
    card = json.loads(output.read_text())["scorecards"][1]
    assert card["source_sha256"] == hashlib.sha256((STANDOFF / "part_b.tsv").read_bytes()).hexdigest()
