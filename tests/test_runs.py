import subprocess

from bench import runs


def test_code_version_keeps_the_dirty_flag(monkeypatch):
    monkeypatch.setattr(runs, "git_commit", lambda: "a" * 40 + "-dirty")
    assert runs.code_version().endswith("+aaaaaaaaaaaa-dirty")
    monkeypatch.setattr(runs, "git_commit", lambda: "b" * 40)
    assert runs.code_version().endswith("+bbbbbbbbbbbb")


def test_git_failure_is_unknown_not_a_commit(monkeypatch):
    def failing(args, **kwargs):
        return subprocess.CompletedProcess(args, 128, stdout="", stderr="fatal: not a git repository")

    monkeypatch.setattr(runs.subprocess, "run", failing)
    assert runs.git_commit() == "unknown"
    assert runs.code_version().endswith("+unknown")


def test_dirty_status_marks_the_commit(monkeypatch):
    def fake(args, **kwargs):
        out = "c" * 40 + "\n" if args[1] == "rev-parse" else " M bench/cli.py\n"
        return subprocess.CompletedProcess(args, 0, stdout=out, stderr="")

    monkeypatch.setattr(runs.subprocess, "run", fake)
    assert runs.git_commit() == "c" * 40 + "-dirty"


def test_the_environment_names_the_device(tmp_path):
    record = runs.environment_record("cpu", 0, {"all": "x"}, "y", 1.0)
    assert record["device_name"]["name"]
    assert isinstance(record["device_name"]["bf16_native"], bool)
