"""`--model PATH`: a run folder (its `model/` is used), a model folder, or `latest` / `latest:SYSTEM`
(the newest finished run in the workspace) → the loaded system and the run's identity for leaderboard rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.errors import UserError
from bench.systems.base import SYSTEM_FILE

MODEL_SUBFOLDER = "model"


@dataclass(frozen=True)
class ModelIdentity:
    """What a leaderboard row says about the model; empty strings where a bare model folder has none."""

    run_id: str
    system: str
    config: str = ""
    config_sha256: str = ""
    seed: int | str = ""


def latest_run(spec: str, workspace: Path | None = None) -> Path:
    """The newest finished run folder (by its metrics.json timestamp), of one system if `latest:SYSTEM`."""
    from bench.paths import WORKSPACE

    workspace = Path(workspace or WORKSPACE)
    system = spec.partition(":")[2]
    runs = []
    for metrics_file in workspace.glob("*/metrics.json"):
        try:
            metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if (metrics_file.parent / MODEL_SUBFOLDER).is_dir() and system in ("", metrics.get("system")):
            runs.append((str(metrics.get("timestamp", "")), metrics_file.parent))
    if not runs:
        which = f" of system '{system}'" if system else ""
        raise UserError(f"{workspace}: no finished run{which} to use as --model {spec}.")
    return max(runs)[1]


def model_directory(path: Path | str) -> Path:
    if str(path) == "latest" or str(path).startswith("latest:"):
        path = latest_run(str(path))
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such run or model folder.")
    if (path / MODEL_SUBFOLDER / SYSTEM_FILE).is_file():
        return path / MODEL_SUBFOLDER
    if (path / SYSTEM_FILE).is_file():
        return path
    raise UserError(f"{path}: not a ClaimFrame run or model folder (no {MODEL_SUBFOLDER}/{SYSTEM_FILE}).")


def model_identity(path: Path | str) -> ModelIdentity:
    """The run's id, system name, config and seed, read from its metrics.json and config.yaml."""
    directory = model_directory(path)
    run = directory.parent if directory.name == MODEL_SUBFOLDER else directory
    try:
        metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
        config = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, yaml.YAMLError):
        return ModelIdentity(run_id=run.name, system=run.name)
    if not isinstance(metrics, dict) or not isinstance(config, dict):
        return ModelIdentity(run_id=run.name, system=run.name)
    return ModelIdentity(run_id=str(metrics.get("run_id", run.name)), system=str(metrics.get("system", run.name)),
                         config=str(config.get("name", "")), config_sha256=str(metrics.get("config_sha256", "")),
                         seed=metrics.get("seed", ""))


def load_model(path: Path | str, device: str | None = "auto"):
    """The system saved under a run or model folder, on `device` where the system has one."""
    from bench.systems import load_system

    directory = model_directory(path)
    try:
        return load_system(directory, device=device)
    except OSError as exc:
        raise UserError(f"{directory}: the model files cannot be read ({exc.strerror or exc}).") from None
