"""`claimframe run` (bench.suite) end to end."""

from __future__ import annotations

from bench.cli import main
from bench.leaderboard import load_rows

QUICK_SYSTEMS = ["majority", "cue-rules", "tfidf-logreg"]


def board_cells(out: str, split: str = "test") -> dict[str, dict[str, str]]:
    """system → {column: cell} of the printed board's table for `split`, read by column position."""
    lines = out.splitlines()
    header = lines.index(f"== {split} ==") + 2
    names = lines[header].split()
    starts = [lines[header].index(name) for name in names] + [None]
    assert set(lines[header + 1]) <= {"-", " "}
    cells = {}
    for line in lines[header + 2:]:
        if not line.strip() or not line[0].isdigit():
            break
        row = {name: line[a:b].strip() for name, a, b in zip(names, starts, starts[1:])}
        cells[row["system"].removesuffix(" (floor)")] = row
    return cells


def run_quick_suite(capsys, tmp_path, *data_args) -> tuple[str, list[dict]]:
    board, runs = tmp_path / "board.csv", tmp_path / "runs"
    code = main(["run", "--suite", "quick", "--device", "cpu", "--no-real", *data_args, "--leaderboard", str(board),
                 "--runs-dir", str(runs)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err
    folders = sorted(p.name for p in runs.iterdir())
    assert len(folders) == 3 and all((runs / f / "metrics.json").exists() for f in folders)
    assert sorted(f.split("-s0-")[0] for f in folders) == sorted(QUICK_SYSTEMS)
    return out, load_rows(board)


def test_quick_suite_on_the_fixture_corpus(capsys, tmp_path, corpus_dir):
    out, rows = run_quick_suite(capsys, tmp_path, "--data", str(corpus_dir))
    assert sorted((r["system"], r["split"]) for r in rows) == sorted(
        (system, split) for system in QUICK_SYSTEMS for split in ("dev", "test", "test_ood"))
    assert all(r["n"] == "6" for r in rows)
    table = board_cells(out)
    assert set(table) == set(QUICK_SYSTEMS)
    assert out.count("== test ==") == 1  # one board, not a second table
    for row in rows:
        if row["split"] == "test":
            assert table[row["system"]]["macro_f1"] == f"{float(row['macro_f1']):.4f}"
            assert table[row["system"]]["tier"] != ""
    majority = next(r for r in rows if r["system"] == "majority" and r["split"] == "test")
    # the fixture's training labels tie factual_claim with framing_language at 7 each; the tie goes to
    # factual_claim, which is 3 of the 6 test sentences: F1 = 2·3/(3+6) for it, 0 for the others
    assert float(majority["macro_f1"]) == round((2 * 3 / 9) / 3, 4)
    assert float(majority["accuracy"]) == 0.5


def test_quick_suite_on_the_shipped_corpus(capsys, tmp_path):
    """Runs on the shipped corpus (bench.paths.DEFAULT_DATA)."""
    out, rows = run_quick_suite(capsys, tmp_path)
    assert {r["system"] for r in rows} == set(QUICK_SYSTEMS)
    assert {r["split"] for r in rows} >= {"dev", "test"}
    assert all(int(r["n"]) > 0 for r in rows)
    assert sorted(board_cells(out)) == sorted(QUICK_SYSTEMS)
