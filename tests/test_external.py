import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

from bench.cli import main
from bench.errors import UserError
from bench.gold import rows_fingerprint
from bench.external import CHECKTHAT_DEFAULT, evaluate_checkthat, read_checkthat
from bench.leaderboard import load_rows
from bench.metrics import bootstrap_scores, resample_indices, scorecard

FIXTURES = Path(__file__).parent / "fixtures"
CHECKTHAT = FIXTURES / "external" / "checkthat"


def write_tsv(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "set_en.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_header_with_optional_fourth_column_and_quoted_sentence():
    data = read_checkthat(CHECKTHAT / "train_en.tsv")
    assert data.name == "checkthat-train_en"
    assert data.gold == ["OBJ", "SUBJ", "SUBJ", "OBJ", "OBJ", "OBJ", "SUBJ", "OBJ"]
    assert data.texts[2] == "Is anyone surprised that the mayor caved again?"
    assert data.texts[7] == '"We will not raise taxes," the treasurer told reporters.'


def test_no_header_with_label_before_sentence():
    data = read_checkthat(CHECKTHAT / "dev_en.tsv")
    assert data.gold == ["SUBJ", "OBJ", "SUBJ", "OBJ"]
    assert data.texts[0] == "The so-called reform is yet another gift to landlords."


@pytest.mark.parametrize("lines", [
    ["label\tsentence_id\tsentence", "SUBJ\tx1\tWhat a shameful spectacle.", "OBJ\tx2\tThe vote was 6-3."],
    ["x1\tWhat a shameful spectacle.\tSUBJ\tFalse", "x2\tThe vote was 6-3.\tOBJ\tTrue"],
    ["7\tWhat a shameful spectacle.\tSUBJ", "8\tThe vote was 6-3.\tOBJ"],
])
def test_other_column_orders_read_the_same(tmp_path, lines):
    data = read_checkthat(write_tsv(tmp_path, *lines))
    assert data.texts == ["What a shameful spectacle.", "The vote was 6-3."]
    assert data.gold == ["SUBJ", "OBJ"]


@pytest.mark.parametrize("lines, message", [
    (["sentence_id\tsentence\tlabel", "x1\tThe vote was 6-3.\tOBJ", "x2\tOBJ"], r"set_en.tsv:3: wrong column count"),
    (["x1\tThe vote was 6-3.\tOBJ", "x2\tIt rained.\tOBJ\tFalse\textra"], r"set_en.tsv:2: wrong column count"),
    (["x1\tThe vote was 6-3.\tOBJ", "x2\tIt rained.\tNEUTRAL"], r"set_en.tsv:2: unknown label 'NEUTRAL'"),
    (["id\tsentence\tlabel", "x1\tThe vote was 6-3.\tOBJ"], r"set_en.tsv:1: a CheckThat! header"),
    (["x1\tThe vote was 6-3.\tobjective"], r"set_en.tsv:1: no OBJ or SUBJ label"),
    (["sentence_id\tsentence\tlabel", "x1\t \tOBJ"], r"set_en.tsv:2: empty sentence"),
])
def test_malformed_tsv_names_file_and_line(tmp_path, lines, message):
    with pytest.raises(UserError, match=message):
        read_checkthat(write_tsv(tmp_path, *lines))


def test_non_utf8_and_missing_folder_are_user_errors(tmp_path):
    bad = tmp_path / "bad_en.tsv"
    bad.write_bytes(b"x1\tCaf\xe9 prices rose.\tOBJ\n")
    with pytest.raises(UserError, match="not UTF-8"):
        read_checkthat(bad)
    with pytest.raises(UserError, match="CheckThat! folder not found"):
        evaluate_checkthat(tmp_path / "nope", path=tmp_path / "absent")


def test_scores_collapse_framing_to_subj_and_append_one_row_per_file(cue_run, tmp_path):
    leaderboard = tmp_path / "lb.csv"
    cards = evaluate_checkthat(cue_run, path=CHECKTHAT, leaderboard=leaderboard, n_resamples=200, device="cpu")
    dev, train = cards
    # train: cue rules call s5 ("Critics ... disaster") SUBJ and miss s7 → OBJ F1 .8, SUBJ F1 2/3.
    assert train["confusion"] == {"labels": ["OBJ", "SUBJ"], "matrix": [[4, 1], [1, 2]]}
    assert train["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2)
    assert train["per_class"]["SUBJ"]["precision"] == pytest.approx(2 / 3)
    assert dev["confusion"]["matrix"] == [[2, 0], [1, 1]]
    assert dev["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2)
    assert train["macro_f1_ci"][0] <= train["macro_f1"] <= train["macro_f1_ci"][1]
    rows = load_rows(leaderboard)
    assert [r["split"] for r in rows] == ["checkthat-dev_en", "checkthat-train_en"]
    assert {r["model_run_id"] for r in rows} == {"run"} and {r["system"] for r in rows} == {"cue-rules"}
    assert len({r["run_id"] for r in rows}) == 1 and rows[0]["run_id"].startswith("eval-")
    assert rows[0]["run_id"].endswith("-run")
    assert rows[1]["n"] == "8" and float(rows[1]["macro_f1"]) == pytest.approx(0.7333, abs=1e-4)
    assert rows[1]["f1_factual_claim"] == rows[1]["f1_framing_language"] == ""
    train_set = read_checkthat(CHECKTHAT / "train_en.tsv")
    assert rows[1]["data_sha256"] == rows_fingerprint([str(i) for i in range(8)], train_set.texts, train_set.gold)


def test_bootstrap_for_two_labels_matches_sklearn():
    rng = np.random.default_rng(3)
    gold, pred = rng.integers(0, 2, 60), rng.integers(0, 2, 60)
    indices = resample_indices(60, 5, seed=1)
    f1s, accuracy = bootstrap_scores(gold, pred, indices, n_labels=2)
    for k, sample in enumerate(indices):
        assert f1s[k] == pytest.approx(f1_score(gold[sample], pred[sample], labels=[0, 1], average="macro",
                                                zero_division=0))
        assert accuracy[k] == pytest.approx(np.mean(gold[sample] == pred[sample]))


def test_macro_f1_averages_only_the_scored_labels():
    gold = ["factual_claim", "factual_claim", "attributed_opinion"]
    pred = ["factual_claim", "framing_language", "attributed_opinion"]
    labels = ["factual_claim", "attributed_opinion", "framing_language"]
    card = scorecard(gold, pred, n_resamples=50, labels=labels, scored=labels[:2])
    assert card["macro_f1"] == pytest.approx((2 / 3 + 1.0) / 2)
    assert card["per_class"]["framing_language"]["support"] == 0
    assert card["confusion"]["matrix"] == [[1, 0, 1], [0, 1, 0], [0, 0, 0]]


def test_cli_prints_the_confusion_and_writes_scorecards(cue_run, tmp_path, capsys):
    output = tmp_path / "cards.json"
    assert main(["evaluate-external", "checkthat", "--path", str(CHECKTHAT / "dev_en.tsv"), "--model",
                 str(cue_run), "--no-leaderboard", "--output", str(output), "--resamples", "50"]) == 0
    out = capsys.readouterr().out
    assert "checkthat-dev_en" in out and "binary macro-F1 0.7333" in out
    assert [line.split()[-5:-3] for line in out.splitlines() if line.strip().startswith("gold")] == \
        [["2", "0"], ["1", "1"]]
    assert json.loads(output.read_text())["scorecards"][0]["n"] == 4


@pytest.mark.parametrize("args, message", [
    ([], "name a data set"),
    (["squad"], "unknown external data set 'squad'"),
    (["checkthat", "--config", "configs/external/checkthat-dev.yaml"], "not both"),
])
def test_cli_rejects_ambiguous_requests(cue_run, tmp_path, capsys, args, message):
    assert main(["evaluate-external", *args, "--model", str(cue_run), "--leaderboard",
                 str(tmp_path / "lb.csv")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "lb.csv").exists()


@pytest.mark.skipif(not CHECKTHAT_DEFAULT.is_dir(),
                    reason=f"CheckThat! data not present at {CHECKTHAT_DEFAULT} (it is never copied into the project)")
def test_real_checkthat_files_read_completely(cue_run):
    dev = read_checkthat(CHECKTHAT_DEFAULT / "dev_en.tsv")
    train = read_checkthat(CHECKTHAT_DEFAULT / "train_en.tsv")
    # Counts from the data set's README: dev OBJ 222 / SUBJ 240, train OBJ 532 / SUBJ 298.
    assert (dev.gold.count("OBJ"), dev.gold.count("SUBJ")) == (222, 240)
    assert (train.gold.count("OBJ"), train.gold.count("SUBJ")) == (532, 298)
    card = evaluate_checkthat(cue_run, path=CHECKTHAT_DEFAULT / "dev_en.tsv", n_resamples=100, device="cpu")[0]
    assert card["n"] == 462 and sum(map(sum, card["confusion"]["matrix"])) == 462
