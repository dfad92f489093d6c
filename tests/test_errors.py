"""Reading user files: every failure is one UserError sentence naming the path."""

import pytest

from bench.errors import UserError, read_user_bytes, read_user_text


def test_read_user_text_reads_utf8(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("café", encoding="utf-8")
    assert read_user_text(path) == "café"


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "prediction file not found."),
    (lambda p: p.mkdir(), "is a folder, not a prediction file."),
    (lambda p: p.write_bytes(b"caf\xe9"), "prediction file is not UTF-8 text."),
])
def test_each_failure_is_one_sentence_naming_the_path(tmp_path, make, message):
    path = tmp_path / "preds.jsonl"
    make(path)
    with pytest.raises(UserError) as error:
        read_user_text(path, "prediction file")
    assert str(error.value) == f"{path}: {message}"


def test_read_user_bytes_keeps_bytes_as_they_are(tmp_path):
    path = tmp_path / "b.bin"
    path.write_bytes(b"\xef\xbb\xbfhi\x00")
    assert read_user_bytes(path) == b"\xef\xbb\xbfhi\x00"
