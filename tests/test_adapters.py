import shutil
from pathlib import Path

import pytest
import yaml

from bench.adapters import load_adapter_config, read_adapter
from bench.cli import main
from bench.paths import REPO_ROOT as PACKAGE_ROOT
from bench.errors import UserError
from bench.external import evaluate_config
from bench.leaderboard import load_rows

FIXTURES = Path(__file__).parent / "fixtures"
EXTERNAL = FIXTURES / "external"
BIAS = {"name": "mini-bias", "path": str(EXTERNAL / "bias.csv"), "text_column": "sentence",
        "label_column": "verdict", "mapping": "binary",
        "labels": {"biased": "SUBJ", "neutral": "OBJ", "unclear": None}}
KINDS = {"name": "mini-kinds", "path": str(EXTERNAL / "kinds.jsonl"), "text_column": "text",
         "label_column": "kind", "mapping": "claimframe",
         "labels": {"fact": "factual_claim", "opinion": "attributed_opinion"}}


def write_config(tmp_path: Path, content: dict, name: str = "set.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(content), encoding="utf-8")
    return path


def test_binary_csv_drops_null_labels_and_scores_the_collapse(cue_run, tmp_path):
    leaderboard = tmp_path / "lb.csv"
    card, = evaluate_config(cue_run, write_config(tmp_path, BIAS), leaderboard=leaderboard, n_resamples=100,
                            device="cpu")
    # Cue rules: "shocking", "absurd" → SUBJ; "said" → OBJ; row 6 has no cue → OBJ (a miss).
    assert (card["n"], card["dropped"]) == (5, 1)
    assert card["confusion"] == {"labels": ["OBJ", "SUBJ"], "matrix": [[2, 0], [1, 2]]}
    assert card["macro_f1"] == pytest.approx(0.8)
    row, = load_rows(leaderboard)
    assert (row["split"], row["n"], row["macro_f1"]) == ("mini-bias", "5", "0.8")


def test_claimframe_mapping_scores_only_the_labels_the_set_has(cue_run, tmp_path):
    leaderboard = tmp_path / "lb.csv"
    card, = evaluate_config(cue_run, write_config(tmp_path, KINDS), leaderboard=leaderboard, n_resamples=100,
                            device="cpu")
    # "clearly" sends one fact to framing_language: factual F1 0.8, attributed F1 1.0.
    assert card["scored_labels"] == ["factual_claim", "attributed_opinion"]
    assert card["macro_f1"] == pytest.approx(0.9)
    assert card["confusion"]["matrix"] == [[2, 0, 1], [0, 2, 0], [0, 0, 0]]
    row, = load_rows(leaderboard)
    assert (row["f1_factual_claim"], row["f1_attributed_opinion"], row["f1_framing_language"]) == ("0.8", "1.0", "0.0")


def test_tsv_with_identity_labels(tmp_path):
    config = {"path": str(EXTERNAL / "checkthat" / "train_en.tsv"), "text_column": "sentence",
              "label_column": "label", "mapping": "binary"}
    data = read_adapter(load_adapter_config(write_config(tmp_path, config, "ct.yaml")))
    assert data.name == "ct" and len(data.texts) == 8
    assert data.gold.count("SUBJ") == 3
    assert data.texts[7] == '"We will not raise taxes," the treasurer told reporters.'


def test_hugging_face_dataset_is_loaded_with_load_dataset(tmp_path, monkeypatch):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "hf-set"
    folder.mkdir()
    shutil.copy(EXTERNAL / "kinds.jsonl", folder / "train.jsonl")
    config = {k: v for k, v in KINDS.items() if k != "path"} | {"dataset": str(folder), "split": "train"}
    data = read_adapter(load_adapter_config(write_config(tmp_path, config)))
    assert data.source == f"{folder}:train"
    assert data.gold == ["factual_claim", "attributed_opinion", "factual_claim", "attributed_opinion",
                         "factual_claim"]
    with pytest.raises(UserError, match="cannot load dataset"):
        read_adapter(load_adapter_config(write_config(tmp_path, config | {"split": "validation"})))


@pytest.mark.parametrize("change, message", [
    ({"colour": "red"}, "unknown key 'colour'"),
    ({"path": None}, "exactly one of 'path'"),
    ({"dataset": "someone/set"}, "exactly one of 'path'"),
    ({"mapping": "ternary"}, "mapping must be one of binary, claimframe"),
    ({"labels": {"biased": "framing_language"}}, "label 'biased: framing_language' must map to one of OBJ, SUBJ"),
    ({"text_column": None}, "missing required key 'text_column'"),
    ({"path": "notes.txt"}, "cannot tell the format"),
])
def test_config_mistakes_are_user_errors(tmp_path, change, message):
    with pytest.raises(UserError, match=message):
        load_adapter_config(write_config(tmp_path, BIAS | change))


@pytest.mark.parametrize("change, message", [
    ({"labels": {"biased": "SUBJ", "neutral": "OBJ"}}, r"bias.csv:6: unknown label 'unclear'"),
    ({"text_column": "text"}, r"bias.csv:2: no value in column 'text' \(columns: row, sentence, verdict\)"),
    ({"path": str(EXTERNAL / "missing.csv")}, "data file not found"),
])
def test_data_mistakes_name_file_and_line(tmp_path, change, message):
    with pytest.raises(UserError, match=message):
        read_adapter(load_adapter_config(write_config(tmp_path, BIAS | change)))


def test_csv_row_with_extra_fields_is_a_user_error(tmp_path):
    data = tmp_path / "set.csv"
    data.write_text("sentence,verdict\nThe jury met.,neutral\nIt rained,heavily.,neutral\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"set.csv:3: wrong column count"):
        read_adapter(load_adapter_config(write_config(tmp_path, BIAS | {"path": str(data)})))


def test_shipped_configs_load_and_relative_paths_start_at_the_repository():
    configs = {path.stem: load_adapter_config(path) for path in (PACKAGE_ROOT / "configs" / "external").glob("*.yaml")}
    assert set(configs) >= {"checkthat-dev", "babe", "claimbuster"}
    assert configs["checkthat-dev"].path == (PACKAGE_ROOT.parent / "shared" / "external" /
                                             "checkthat-subjectivity-en" / "dev_en.tsv").resolve()
    assert configs["checkthat-dev"].name == "checkthat-dev_en"
    assert configs["claimbuster"].labels == {"-1": "SUBJ", "0": "OBJ", "1": "OBJ"}
    assert configs["babe"].labels["No agreement"] is None


def test_cli_scores_a_config(cue_run, tmp_path, capsys):
    assert main(["evaluate-external", "--config", str(write_config(tmp_path, BIAS)), "--model", str(cue_run),
                 "--leaderboard", str(tmp_path / "lb.csv"), "--resamples", "20"]) == 0
    out = capsys.readouterr().out
    assert "mini-bias" in out and "binary macro-F1 0.8000" in out and "1 rows dropped" in out
    assert main(["evaluate-external", "--config", str(write_config(tmp_path, BIAS | {"colour": 1})),
                 "--model", str(cue_run), "--no-leaderboard"]) == 2
    assert "unknown key 'colour'" in capsys.readouterr().err
