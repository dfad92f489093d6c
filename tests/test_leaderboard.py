"""bench.leaderboard: concurrent locked appends, crash safety, loading, ordering and rendering."""

from __future__ import annotations

import csv
import multiprocessing
import os

import pytest

from bench.errors import UserError
from bench.leaderboard import COLUMNS, append_rows, load_rows, render, select

WRITERS = 8
ROWS_PER_WRITE = 3


def make_row(run_id: str, system: str = "sys", split: str = "test", macro_f1: float = 0.5) -> dict:
    return {"run_id": run_id, "system": system, "split": split, "macro_f1": macro_f1, "n": 10,
            "timestamp": "2026-01-01T00:00:00Z", "config": "", "config_sha256": "", "data_sha256": "",
            "macro_f1_ci_low": macro_f1, "macro_f1_ci_high": macro_f1, "accuracy": macro_f1}


@pytest.mark.parametrize("change, message", [
    ({"macro_f1_ci": 0.5}, "unexpected keyword argument 'macro_f1_ci'"),
    ({"accuracy": None, "drop": "accuracy"}, "missing 1 required positional argument: 'accuracy'"),
])
def test_a_row_with_an_unknown_or_missing_field_is_refused(tmp_path, change, message):
    row = make_row("r1") | change
    row.pop(row.pop("drop", "none"), None)
    with pytest.raises(ValueError, match=message):
        append_rows([row], tmp_path / "board.csv")
    assert not (tmp_path / "board.csv").exists()


def test_a_board_of_another_row_schema_is_refused(tmp_path):
    path = tmp_path / "board.csv"
    path.write_text("run_id,system,split,macro_f1\nr1,sys,test,0.5\n")
    with pytest.raises(UserError, match="written with another row schema"):
        load_rows(path)


def _append_after_barrier(path: str, writer: int, barrier) -> None:
    barrier.wait()
    for batch in range(2):
        append_rows([make_row(f"w{writer}-b{batch}-r{k}") for k in range(ROWS_PER_WRITE)], path)


def test_concurrent_appends_lose_no_row(tmp_path):
    path = tmp_path / "board.csv"
    append_rows([make_row("existing")], path)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WRITERS)
    workers = [context.Process(target=_append_after_barrier, args=(str(path), w, barrier)) for w in range(WRITERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * WRITERS
    rows = load_rows(path)
    expected = {"existing"} | {f"w{w}-b{b}-r{k}" for w in range(WRITERS) for b in range(2)
                               for k in range(ROWS_PER_WRITE)}
    assert len(rows) == len(expected) and {r["run_id"] for r in rows} == expected
    with open(path, newline="") as handle:
        assert next(csv.reader(handle)) == COLUMNS
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("failure", [OSError(5, "Input/output error"), RuntimeError("killed")])
def test_crash_mid_write_leaves_the_previous_file_intact(tmp_path, monkeypatch, failure):
    path = tmp_path / "board.csv"
    append_rows([make_row("first"), make_row("second")], path)
    before = path.read_bytes()

    def crash(source, target):
        raise failure

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(UserError if isinstance(failure, OSError) else RuntimeError):
        append_rows([make_row("third")], path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board.csv", "board.csv.lock"]


def test_unwritable_leaderboard_is_a_user_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="cannot write the leaderboard"):
        append_rows([make_row("x")], blocker / "board.csv")


@pytest.mark.parametrize("content, message", [
    ("system,split,macro_f1\nsys,test,0.5\n", "not a ClaimFrame leaderboard (no column 'run_id')"),
    ("run_id,system,split,macro_f1\nr1,sys,test,0.5,extra\n", ":2: row has the wrong number of columns"),
    ("run_id,system,split,macro_f1\nr1,sys,test,0.5\nr2,sys\n", ":3: row has the wrong number of columns"),
    (b"run_id,system,split,macro_f1\nr1,\xff\xfe,test,0.5\n", "malformed leaderboard CSV"),
])
def test_malformed_leaderboard(tmp_path, content, message):
    path = tmp_path / "board.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_rows(path)
    with pytest.raises(UserError):
        append_rows([make_row("x")], path)
    assert path.read_bytes() == (content if isinstance(content, bytes) else content.encode())


def test_missing_or_empty_leaderboard_has_no_rows(tmp_path):
    assert load_rows(tmp_path / "absent.csv") == []
    (tmp_path / "empty.csv").write_text("")
    assert load_rows(tmp_path / "empty.csv") == []


def test_select_filters_and_orders_by_macro_f1(tmp_path):
    path = tmp_path / "board.csv"
    append_rows([make_row("a", "tfidf", macro_f1=0.61), make_row("b", "majority", macro_f1=0.2),
                 make_row("c", "bert", macro_f1=0.83), make_row("d", "bert", "dev", 0.9),
                 make_row("e", "tfidf", macro_f1=0.7)], path)
    rows = load_rows(path)
    assert [r["run_id"] for r in select(rows)] == ["d", "c", "e", "a", "b"]
    assert [r["run_id"] for r in select(rows, split="test")] == ["c", "e", "a", "b"]
    assert [r["run_id"] for r in select(rows, split="test", system="tfidf")] == ["e", "a"]
    assert select(rows, system="absent") == []


def test_render_formats_contain_the_rows():
    rows = [make_row("run-1", "bert", macro_f1=0.83), make_row("run-2", "majority", macro_f1=0.2)]
    columns = ["system", "macro_f1", "run_id"]
    table = render(rows, columns).splitlines()
    assert table[0].split() == columns and set(table[1]) <= {"-", " "}
    assert table[2].split() == ["bert", "0.83", "run-1"] and table[3].split() == ["majority", "0.2", "run-2"]
    assert render(rows, columns, "md").splitlines() == [
        "| system | macro_f1 | run_id |", "|---|---|---|", "| bert | 0.83 | run-1 |", "| majority | 0.2 | run-2 |"]
    assert render(rows, columns, "csv") == "system,macro_f1,run_id\nbert,0.83,run-1\nmajority,0.2,run-2\n"


def test_a_schema_2_0_board_is_read_with_the_new_columns_blank_and_rewritten_as_2_1(tmp_path):
    from bench.leaderboard import ADDED_IN_2_1, ROW_SCHEMA_VERSION

    path = tmp_path / "board.csv"
    append_rows([make_row("old")], path)
    old_columns = [c for c in COLUMNS if c not in ADDED_IN_2_1]
    with open(path, newline="") as handle:
        rows = [row | {"schema_version": "2.0"} for row in csv.DictReader(handle)]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=old_columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    [old] = load_rows(path)
    assert {old[c] for c in ADDED_IN_2_1} == {""}
    append_rows([make_row("new") | {"train_fraction": 0.25}], path)
    with open(path, newline="") as handle:
        assert next(csv.reader(handle)) == COLUMNS
    assert [(r["run_id"], r["train_fraction"], r["schema_version"]) for r in load_rows(path)] == \
        [("old", "", "2.0"), ("new", "0.25", ROW_SCHEMA_VERSION)]
