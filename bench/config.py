"""YAML → one frozen `RunConfig` (a system) or `SuiteConfig` (a list of systems); unknown keys are errors."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.paths import CONFIG_ROOT, in_checkout
from bench.errors import UserError, read_user_text


@dataclass(frozen=True)
class RunConfig:
    """One system: which class, its fixed parameters, and the dev-selected grid."""

    name: str
    system: str
    params: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list] = field(default_factory=dict)
    model: str | None = None
    data: str | None = None
    seed: int = 0
    train_extra: str | None = None  # a real-news set added to train (e.g. real-dev); never scored on
    select_on: str = "dev"  # the set that picks the grid point and best epoch: dev, or a real-news set
    smoke_test: bool = False  # the model only shows the path runs (e.g. a tiny random LM): never a result
    description: str = ""
    source: str = ""

    def to_dict(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "source"}

    def sha256(self) -> str:
        """Hash of what decides the result, seed excluded (it has its own column)."""
        content = {k: v for k, v in self.to_dict().items() if k not in ("seed", "description")}
        if not content["smoke_test"]:
            del content["smoke_test"]  # so configs written before the key existed keep their hash
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class SuiteEntry:
    config: RunConfig
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class SuiteConfig:
    name: str
    entries: tuple[SuiteEntry, ...]
    description: str = ""


MAX_SEED = 2**32 - 1  # NumPy's and scikit-learn's random_state limit


def check_seeds(seeds, where: str) -> tuple[int, ...]:
    """Seeds must be distinct integers in [0, 2**32 - 1]."""
    seeds = tuple(seeds)
    for seed in seeds:
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
            raise UserError(f"{where}: a seed must be an integer from 0 to {MAX_SEED}, not {seed!r}.")
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise UserError(f"{where}: seed {repeated[0]} is given twice.")
    return seeds


def _read_yaml(path: Path) -> dict:
    text = read_user_text(path, "config file")
    try:
        content = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise UserError(f"{path}: malformed YAML{where}.") from None
    if not isinstance(content, dict):
        raise UserError(f"{path}: a config must be a YAML mapping.")
    return content


def _check_keys(content: dict, allowed: dict[str, type | tuple], path: Path) -> None:
    for key, value in content.items():
        if key not in allowed:
            raise UserError(f"{path}: unknown key '{key}' (allowed: {', '.join(sorted(allowed))}).")
        kind = allowed[key]
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool) and kind is int):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise UserError(f"{path}: key '{key}' must be {names}, not {type(value).__name__}.")


_RUN_KEYS = {"name": str, "system": str, "params": dict, "grid": dict, "model": str, "data": str,
             "seed": int, "train_extra": str, "select_on": str, "smoke_test": bool, "description": str}


RUN_SET_PARAMS = {"seed": "--seed or the config's seed:", "device": "--device", "model": "the config's model:"}


def _check_system_params(content: dict, accepted: set[str], path: Path) -> None:
    """Every key of params and grid must be a parameter of the system, and not one the run sets."""
    for section in ("params", "grid"):
        for key in content.get(section) or {}:
            if key in RUN_SET_PARAMS:
                raise UserError(f"{path}: {section}.{key} is set by the run ({RUN_SET_PARAMS[key]}), not in {section}.")
            if key not in accepted:
                raise UserError(f"{path}: {section}.{key} is not a parameter of system '{content['system']}' "
                                f"(its parameters: {', '.join(sorted(accepted - set(RUN_SET_PARAMS)))}).")
    if content.get("model") and "model" not in accepted:
        raise UserError(f"{path}: system '{content['system']}' takes no model:.")


def load_run_config(path: Path | str) -> RunConfig:
    path = Path(path)
    content = _read_yaml(path)
    _check_keys(content, _RUN_KEYS, path)
    for key in ("name", "system"):
        if not content.get(key):
            raise UserError(f"{path}: missing required key '{key}'.")
    for key, values in (content.get("grid") or {}).items():
        if not isinstance(values, list) or not values:
            raise UserError(f"{path}: grid entry '{key}' must be a non-empty list.")
    from bench.systems import SYSTEMS, system_params

    if content["system"] not in SYSTEMS:
        raise UserError(f"{path}: unknown system '{content['system']}' "
                        f"(known: {', '.join(sorted(SYSTEMS))}).")
    _check_system_params(content, system_params(content["system"]), path)
    if "seed" in content:
        check_seeds([content["seed"]], str(path))
    content = {k: v for k, v in content.items() if v is not None}
    return RunConfig(**content, source=str(path))


def load_suite(name_or_path: str) -> SuiteConfig:
    """A suite by name (configs/suites/NAME.yaml) or by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = in_checkout(CONFIG_ROOT, "the configs folder") / "suites" / f"{name_or_path}.yaml"
        if not path.exists():
            known = sorted(p.stem for p in (CONFIG_ROOT / "suites").glob("*.yaml"))
            raise UserError(f"unknown suite '{name_or_path}' (known: {', '.join(known)}).")
    content = _read_yaml(path)
    _check_keys(content, {"name": str, "systems": list, "description": str}, path)
    entries = []
    for item in content.get("systems") or []:
        if isinstance(item, str):
            item = {"config": item}
        if not isinstance(item, dict) or "config" not in item:
            raise UserError(f"{path}: each system entry needs a 'config' path.")
        _check_keys(item, {"config": str, "seeds": list}, path)
        config = load_run_config(CONFIG_ROOT / item["config"])
        seeds = check_seeds(item.get("seeds") or [config.seed], str(path))
        entries.append(SuiteEntry(config, seeds))
    if not entries:
        raise UserError(f"{path}: a suite needs at least one system.")
    return SuiteConfig(content.get("name", path.stem), tuple(entries), content.get("description", ""))
