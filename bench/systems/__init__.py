"""System name → class. Heavy (torch) systems are imported only when asked for."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

from bench.errors import UserError
from bench.systems.base import SYSTEM_FILE, write_system_file

SYSTEMS = {
    "majority": "bench.systems.baselines:Majority",
    "stratified": "bench.systems.baselines:Stratified",
    "cue_rules": "bench.systems.baselines:CueRules",
    "length_only": "bench.systems.baselines:LengthOnly",
    "tfidf_linear": "bench.systems.linear:TfidfLinear",
    "frozen_encoder": "bench.systems.encoder:FrozenEncoder",
    "finetune": "bench.systems.transformer:FineTunedTransformer",
    "causal_lm": "bench.systems.causal_lm:CausalLM",
    "setfit": "bench.systems.setfit_classifier:SetFitClassifier",
}


def system_class(name: str):
    if name not in SYSTEMS:
        raise UserError(f"unknown system '{name}' (known: {', '.join(sorted(SYSTEMS))}).")
    module, cls = SYSTEMS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def system_params(name: str) -> set[str]:
    """The parameters a system's constructor takes (scikit-learn's get_params names)."""
    return set(inspect.signature(system_class(name).__init__).parameters) - {"self"}


def build_system(name: str, params: dict):
    """Instantiate a system; unknown parameters are a user error, not a TypeError."""
    cls = system_class(name)
    accepted = system_params(name)
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise UserError(f"system '{name}' has no parameter {', '.join(repr(u) for u in unknown)} "
                        f"(accepted: {', '.join(sorted(accepted))}).")
    return cls(**params)


def save_system(system, name: str, directory: Path) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    system.save(directory)
    write_system_file(directory, name, system.get_params())


def load_system(directory: Path, device: str | None = None):
    """Reload a system saved by `save_system`; a folder that is not one is a user error.
    `device` overrides the saved device of systems that have one."""
    file = Path(directory) / SYSTEM_FILE
    if not file.exists():
        raise UserError(f"{directory}: not a ClaimFrame model folder (no {SYSTEM_FILE}).")
    try:
        spec = json.loads(file.read_text())
        name, params = spec["system"], spec["params"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise UserError(f"{file}: malformed system file.") from None
    if device is not None and "device" in params:
        params["device"] = device
    return system_class(name).load(Path(directory), params)
