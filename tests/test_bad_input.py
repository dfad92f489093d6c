"""Every bad input a user can type or point at, across every command: exit code 2, one sentence on
stderr naming the file, line or option, no traceback, the leaderboard unchanged and nothing half-written
left behind. The same table holds inputs that must be accepted."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.cli import main
from bench.leaderboard import append_rows, rows_from_metrics

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = FIXTURES / "corpus"
CONFIG = Path(__file__).parents[1] / "configs" / "systems" / "majority.yaml"
GOLD_TEST = [json.loads(line) for line in (CORPUS / "test.jsonl").read_text().splitlines()]


def predictions(rows) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def gold_lines(**change) -> list[dict]:
    return [{"id": row["id"], "label": row["label"]} | change for row in GOLD_TEST]


def write(tmp: Path, name: str, content: str | bytes) -> Path:
    path = tmp / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def config(tmp: Path, text: str) -> Path:
    return write(tmp, "system.yaml", text)


def train(*args):
    return lambda t, ctx: ["train", "--data", str(CORPUS), "--output", str(t / "run"), "--leaderboard",
                           str(ctx["board"]), *[a(t) if callable(a) else a for a in args]]


def evaluate(content: str | bytes, name: str = "p.jsonl", *extra):
    return lambda t, ctx: ["evaluate", "--predictions", str(write(t, name, content)), "--data", str(CORPUS),
                           "--leaderboard", str(ctx["board"]), *extra]


def predict(*args, article: str | bytes | None = None):
    def build(t, ctx):
        files = [str(write(t, "article.txt", article))] if article is not None else []
        return ["predict", "--model", str(ctx["run"]), *files, *args]
    return build


BAD = {
    "seed below zero": (train("--config", str(CONFIG), "--seed", "-1"), "--seed: a seed must be an integer from 0"),
    "seeds below zero": (train("--config", str(CONFIG), "--seeds=-1"), "--seeds: a seed must be an integer from 0"),
    "seed past 2**32": (train("--config", str(CONFIG), "--seed", "4294967296"), "from 0 to 4294967295"),
    "repeated seeds": (train("--config", str(CONFIG), "--seeds", "1,2,1"), "seed 1 is given twice"),
    "cuda without CUDA": (train("--config", str(CONFIG), "--device", "cuda"), "no CUDA device is available"),
    "seeds not numbers": (train("--config", str(CONFIG), "--seeds", "a,b"), "seeds must be integers"),
    "config is a folder": (train("--config", lambda t: str(t)), "is a folder, not a config file"),
    "config not UTF-8": (train("--config", lambda t: str(write(t, "c.yaml", b"name: \xff\xfe\n"))),
                         "config file is not UTF-8 text"),
    "config missing": (train("--config", lambda t: str(t / "absent.yaml")), "absent.yaml: config file not found"),
    "config is a list": (train("--config", lambda t: str(config(t, "- majority\n"))), "must be a YAML mapping"),
    "config malformed": (train("--config", lambda t: str(config(t, "name: [x\n"))), "malformed YAML"),
    "config unknown key": (train("--config", lambda t: str(config(t, "name: m\nsystem: majority\nepochs: 3\n"))),
                           "unknown key 'epochs'"),
    "grid empty list": (train("--config", lambda t: str(config(t, "name: t\nsystem: tfidf_linear\ngrid:\n  C: []\n"))),
                        "grid entry 'C' must be a non-empty list"),
    "param typo": (train("--config", lambda t: str(config(t, "name: t\nsystem: tfidf_linear\nparams:\n  Cc: 1\n"))),
                   "params.Cc is not a parameter of system 'tfidf_linear'"),
    "unknown system": (train("--config", lambda t: str(config(t, "name: t\nsystem: gpt\n"))), "unknown system 'gpt'"),
    "board typo": (lambda t, ctx: ["leaderboard", "--path", str(t / "typo.csv")], "typo.csv: leaderboard file not found"),
    "board unknown split": (lambda t, ctx: ["leaderboard", "--path", str(ctx["board"]), "--split", "nosuch"],
                            "no rows for split 'nosuch'"),
    "predictions missing": (lambda t, ctx: ["evaluate", "--predictions", str(t / "none.jsonl"), "--data", str(CORPUS)],
                            "none.jsonl: prediction file not found"),
    "predictions line is an array": (evaluate('["fx05-00", "factual_claim"]\n'), "p.jsonl:1: line is not a JSON object"),
    "predictions malformed JSON": (evaluate('{"id": "fx05-00",\n'), "p.jsonl:1: malformed JSON"),
    "probs do not sum to 1": (evaluate(predictions(gold_lines(probs=[0.5, 0.4, 0.3]))), "p.jsonl:1: 'probs' must be"),
    "predictions missing ids": (evaluate(predictions(gold_lines()[1:])), "1 missing id (e.g. 'fx05-00')"),
    "predictions extra id": (evaluate(predictions(gold_lines() + [{"id": "zz", "label": "factual_claim"}])),
                             "1 extra id (e.g. 'zz')"),
    "predictions duplicate id": (evaluate(predictions(gold_lines() + gold_lines()[:1])), "1 duplicate id"),
    "predictions unknown label": (evaluate(predictions(gold_lines()[:5] + [{"id": GOLD_TEST[5]["id"], "label": "x"}])),
                                  "unknown label ('x', first at line 6)"),
    "predictions empty": (evaluate(""), "p.jsonl: prediction file is empty"),
    "predictions CSV without header": (evaluate("fx05-00,factual_claim\n", "p.csv"), "must start with the header 'id,label'"),
    "evaluate unknown split": (evaluate(predictions(gold_lines()), "p.jsonl", "--split", "nosuch"), "unknown split 'nosuch'"),
    "article binary": (predict(article=b"\x00\x01\x02"), "article.txt: looks like a binary file"),
    "article empty": (predict(article="  \n"), "article.txt: the input is empty"),
    "article and --text": (predict("--text", "x", article="The vote was 6-3."), "exactly one"),
    "model is a file": (lambda t, ctx: ["predict", "--model", str(ctx["run"] / "metrics.json"), "--text", "x"],
                        "not a ClaimFrame run or model folder"),
    "no finished run for latest": (lambda t, ctx: ["predict", "--model", "latest:no-such-system", "--text", "x"],
                                   "no finished run of system 'no-such-system'"),
    "confidence out of range": (predict("--text", "The vote was 6-3.", "--min-confidence", "2"),
                                "--min-confidence must be between 0 and 1"),
    "reproduce unknown id": (lambda t, ctx: ["reproduce", "nosuch", "--leaderboard", str(ctx["board"])],
                             "no row has run_id 'nosuch'"),
    "corpus missing": (lambda t, ctx: ["data", "validate", str(t / "absent")], "corpus folder or file not found"),
    "corpus duplicate id": (lambda t, ctx: ["data", "validate", str(ctx["broken"]("duplicate"))], "duplicate id 'fx05-00'"),
    "corpus empty text": (lambda t, ctx: ["data", "validate", str(ctx["broken"]("empty"))], "empty or whitespace-only text"),
    "corpus unknown label": (lambda t, ctx: ["data", "validate", str(ctx["broken"]("label"))], "unknown label 'opinion'"),
    "unknown suite": (lambda t, ctx: ["run", "--suite", "nosuch", "--leaderboard", str(ctx["board"])], "unknown suite 'nosuch'"),
    "publish unknown run": (lambda t, ctx: ["publish", "nosuch", "--runs-dir", str(t), "--results", str(t / "r"),
                                            "--leaderboard", str(ctx["board"])], "nosuch: no such run"),
    "external without a data set": (lambda t, ctx: ["evaluate-external", "--model", str(ctx["run"])],
                                    "name a data set (checkthat) or give --config"),
    "split model unknown": (lambda t, ctx: ["setup-model", "gpt-17", "--output", str(t)], "unknown split model 'gpt-17'"),
    "curve fraction zero": (lambda t, ctx: ["curve", "--config", str(CONFIG), "--fractions", "0,0.5", "--data", str(CORPUS),
                                            "--leaderboard", str(ctx["board"])], "--fractions must be in (0, 1], not 0.0"),
    "curve fraction twice": (lambda t, ctx: ["curve", "--config", str(CONFIG), "--fractions", "0.5,0.5", "--data",
                                             str(CORPUS), "--leaderboard", str(ctx["board"])], "gives a fraction twice"),
    "curve fraction not a number": (lambda t, ctx: ["curve", "--config", str(CONFIG), "--fractions", "half",
                                                    "--leaderboard", str(ctx["board"])], "numbers separated by commas"),
    "causal LM without a model": (train("--config", lambda t: str(config(t, "name: c\nsystem: causal_lm\n"))),
                                  "needs a model"),
    "config smoke_test not a bool": (train("--config", lambda t: str(config(t, "name: m\nsystem: majority\nsmoke_test: 3\n"))),
                                     "key 'smoke_test' must be bool"),
}

ACCEPTED = {
    "predictions with a UTF-8 BOM": evaluate("\ufeff" + predictions(gold_lines())),
    "predictions with CRLF line ends": evaluate(predictions(gold_lines()).replace("\n", "\r\n")),
    "predictions with a trailing blank line": evaluate(predictions(gold_lines()) + "\n\n"),
    "CSV predictions": evaluate("id,label\n" + "".join(f"{r['id']},{r['label']}\n" for r in GOLD_TEST), "p.csv"),
}


@pytest.fixture
def ctx(tmp_path, cue_run):
    board = tmp_path / "board.csv"
    append_rows(rows_from_metrics(json.loads((cue_run / "metrics.json").read_text()), cue_run), board)

    def broken(kind: str) -> Path:
        folder = tmp_path / f"corpus-{kind}"
        shutil.copytree(CORPUS, folder)
        rows = [json.loads(line) for line in (folder / "dev.jsonl").read_text().splitlines()]
        if kind == "duplicate":
            rows[0]["id"] = "fx05-00"
        elif kind == "empty":
            rows[0]["text"] = "   "
        else:
            rows[0]["label"] = "opinion"
        (folder / "dev.jsonl").write_text(predictions(rows))
        return folder

    return {"board": board, "run": cue_run, "broken": broken}


def run(argv: list[str]) -> int:
    """The exit code, whether the command returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_table_is_large_enough():
    assert len(BAD) >= 30


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_sentence_and_exit_2(case, tmp_path, ctx, capsys):
    if case == "cuda without CUDA":
        import torch

        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
    build, fragment = BAD[case]
    argv = build(tmp_path, ctx)
    board_before = ctx["board"].read_bytes()
    files_before = snapshot(tmp_path)
    code = run(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("claimframe: error: ") and fragment in err, err
    assert ctx["board"].read_bytes() == board_before
    after = snapshot(tmp_path)
    assert not [name for name in after if ".partial" in name or name.endswith(".tmp")]
    assert {name for name in after if name not in files_before} <= {"board.csv.lock"}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_good_input_is_accepted(case, tmp_path, ctx, capsys):
    assert main(ACCEPTED[case](tmp_path, ctx)) == 0, capsys.readouterr().err

