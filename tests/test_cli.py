"""bench.cli: help works, and every command turns a UserError into exit 2 and one line on stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli import main

REPOSITORY = Path(__file__).parents[1]


def test_module_help():
    result = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=REPOSITORY, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("usage: claimframe")
    for command in ("data", "train", "evaluate", "leaderboard", "run", "perf"):
        assert command in result.stdout


def _user_error_commands(tmp: Path, corpus: Path) -> dict[str, list[str]]:
    bad_board = tmp / "board.csv"
    bad_board.write_text("who,what\nx,y\n")
    bad_config = tmp / "config.yaml"
    bad_config.write_text("name: x\nsystem: majority\nepochs: 3\n")
    return {
        "data validate": ["data", "validate", str(tmp / "absent")],
        "data stats": ["data", "stats", str(tmp / "absent")],
        "train": ["train", "--config", str(bad_config), "--data", str(corpus), "--output", str(tmp / "run")],
        "evaluate": ["evaluate", "--predictions", str(tmp / "absent.jsonl"), "--data", str(corpus)],
        "leaderboard": ["leaderboard", "--path", str(bad_board)],
        "run": ["run", "--suite", "no-such-suite", "--leaderboard", str(tmp / "b.csv")],
        "perf": ["perf", "--model", str(tmp), "--data", str(corpus)],
    }


@pytest.mark.parametrize("command", ["data validate", "data stats", "train", "evaluate", "leaderboard", "run",
                                     "perf"])
def test_user_error_exits_2_with_one_line(tmp_path, capsys, corpus_dir, command):
    argv = _user_error_commands(tmp_path, corpus_dir)[command]
    code = main(argv)
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("claimframe: error: ") and err.count("\n") == 1
    assert "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_invalid_corpus_lists_problems_then_one_error_line(tmp_path, capsys):
    (tmp_path / "train.jsonl").write_text('{"id": 1}\nnot json\n')
    assert main(["data", "validate", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert "train.jsonl:2: malformed JSON" in out
    assert err.startswith(f"claimframe: error: {tmp_path}: 9 problems found, the first: {tmp_path}/train.jsonl:")
    assert err.count("\n") == 1


def test_user_error_in_a_real_process(tmp_path):
    environment = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "bench", "leaderboard", "--path", str(tmp_path / "x.csv")],
                            cwd=REPOSITORY, capture_output=True, text=True, timeout=60, env=environment)
    assert result.returncode == 2
    assert result.stderr == f"claimframe: error: {tmp_path / 'x.csv'}: leaderboard file not found.\n"
    result = subprocess.run([sys.executable, "-m", "bench", "data", "validate", str(tmp_path / "absent")],
                            cwd=REPOSITORY, capture_output=True, text=True, timeout=60, env=environment)
    assert result.returncode == 2
    assert result.stderr == f"claimframe: error: {tmp_path / 'absent'}: corpus folder or file not found.\n"
    assert result.stdout == ""


def test_every_option_of_every_command_has_help_text():
    import argparse

    from bench.cli import build_parser

    def parsers(parser):
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from parsers(sub)

    missing = [f"{p.prog} {a.option_strings or a.dest}" for p in parsers(build_parser()) for a in p._actions
               if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)) and not a.help]
    assert missing == []


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("claimframe ")
