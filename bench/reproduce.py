"""`claimframe reproduce RUN_ID`: re-run a leaderboard row's recorded config and seed, then check
that every metric comes out the same.

Refused (UserError) when the corpus's fingerprint, the recorded config's hash, or the hash of the
config file the row names (if it still exists) differs from the row's: the row would not be
reproducible as it stands.

Expectation: on the same device kind and the same environment (platform, processor, package
versions as in environment.json) every metric must be identical. Otherwise (e.g. a run recorded
on CUDA re-run on a CPU) every rate (F1, precision, recall, accuracy, their CIs, ECE, Brier,
contrast consistency) must lie within CROSS_DEVICE_TOLERANCE, absolute, and every confusion
cell within CROSS_DEVICE_COUNT_SHARE of the split's size; sizes and supports are always exact."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.config import RunConfig, load_run_config
from bench.external import real_sets
from bench.gold import gold_split
from bench.errors import UserError
from bench.leaderboard import DEFAULT_LEADERBOARD, load_rows
from bench.paths import PUBLISHED_LEADERBOARD
from bench.standings import resolve
from bench.runs import read_run

CROSS_DEVICE_TOLERANCE = 0.01
CROSS_DEVICE_COUNT_SHARE = 0.01
EXACT_KEYS = ("n", "support")  # fixed by the data: never allowed to move
SKIPPED_KEYS = ("bootstrap", "schema_version", "labels", "source", "source_sha256")  # provenance, not metrics
ENVIRONMENT_KEYS = ("platform", "processor", "packages")


@dataclass
class Reproduction:
    run_id: str
    device: str
    exact_expected: bool
    compared: int
    mismatches: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return not self.mismatches


def run_rows(run_id: str, boards: list[Path]) -> list[dict]:
    """The run's rows from the first board that has them (the local one, then the published one)."""
    for board in boards:
        rows = [r for r in load_rows(board) if r["run_id"] == run_id]
        if rows:
            return rows
    raise UserError(f"{' or '.join(str(b) for b in boards)}: no row has run_id '{run_id}'.")


def run_folder(rows: list[dict]) -> Path:
    """The folder of a `claimframe train` run: the one holding the row's predictions."""
    folder = resolve(rows[0]["predictions"]).parent if rows[0].get("predictions") else None
    if folder is None or not (folder / "config.yaml").is_file():
        raise UserError(f"run '{rows[0]['run_id']}' has no run folder with a config.yaml "
                        f"(only rows made by `claimframe train` can be reproduced).")
    return folder


def recorded_config(record: dict, folder: Path, rows: list[dict]) -> RunConfig:
    """The config as declared for the run; refused when its hash, or the current hash of the
    config file the row names, is not the row's."""
    declared = record["config"].get("declared") if isinstance(record["config"], dict) else None
    if not isinstance(declared, dict):
        raise UserError(f"{folder}/config.yaml: no declared config (the run predates "
                        f"`claimframe reproduce`); train it again to make it reproducible.")
    config = RunConfig(**declared)
    for row in rows:
        if str(config.seed) != str(row.get("seed")):
            raise UserError(f"{folder}/config.yaml: the recorded seed {config.seed} is not the row's "
                            f"({row.get('seed')}); refusing to reproduce.")
        if config.sha256() != row["config_sha256"]:
            raise UserError(f"{folder}/config.yaml: the recorded config hashes to {config.sha256()[:12]}, "
                            f"not the row's {row['config_sha256'][:12]}; refusing to reproduce.")
    config_file = resolve(rows[0]["config"]) if rows[0].get("config") else None
    if config_file is not None and config_file.is_file() and config_file.suffix in (".yaml", ".yml"):
        current = load_run_config(config_file).sha256()
        if current != rows[0]["config_sha256"]:
            raise UserError(f"{config_file} has changed since run '{rows[0]['run_id']}' (config hash "
                            f"{current[:12]}, row {rows[0]['config_sha256'][:12]}); refusing to reproduce.")
    return config


def _flatten(value, prefix: str = "") -> dict[str, float]:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() if key not in SKIPPED_KEYS
                for k, v in _flatten(item, f"{prefix}.{key}" if prefix else str(key)).items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _flatten(item, f"{prefix}[{i}]").items()}
    return {prefix: value}


def compare_metrics(recorded: dict, fresh: dict, exact: bool) -> tuple[int, list[str]]:
    """(number of values compared, one line per value that differs beyond what is allowed)."""
    old = _flatten({"splits": recorded["splits"], "contrast_consistency": recorded.get("contrast_consistency")})
    new = _flatten({"splits": fresh["splits"], "contrast_consistency": fresh.get("contrast_consistency")})
    mismatches = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if before is None or after is None or exact or key.rsplit(".", 1)[-1] in EXACT_KEYS:
            mismatches.append(f"{key}: recorded {before}, now {after}")
            continue
        split_size = recorded["splits"][key.split(".")[1]]["n"] if key.startswith("splits.") else 1
        allowed = (CROSS_DEVICE_COUNT_SHARE * split_size if ".confusion." in key else CROSS_DEVICE_TOLERANCE)
        if abs(after - before) > allowed:
            mismatches.append(f"{key}: recorded {before}, now {after} (beyond ±{allowed:g})")
    return len(old), mismatches


def reproduce(run_id: str, leaderboard: Path | None = None, data: Path | None = None,
              device: str | None = None, output: Path | None = None) -> Reproduction:
    """Re-run `run_id` into `output` (a temporary folder when None) and compare its metrics."""
    from bench.training import train_run

    boards = [Path(leaderboard)] if leaderboard else [DEFAULT_LEADERBOARD, PUBLISHED_LEADERBOARD]
    rows = run_rows(run_id, boards)
    folder = run_folder(rows)
    record = read_run(folder)
    config = recorded_config(record, folder, rows)
    data_path = Path(data) if data is not None else resolve(record["config"]["data"])
    for row in rows:
        gold = gold_split(row["split"], data_path)
        if gold is None or gold.fingerprint != row["data_sha256"]:
            now = gold.fingerprint[:12] if gold is not None else "absent"
            raise UserError(f"{data_path}: the gold labels of '{row['split']}' have changed since run '{run_id}' "
                            f"(fingerprint {now}, row {row['data_sha256'][:12]}); refusing to reproduce.")
    needs_real = config.train_extra or record["metrics"].get("real_splits")
    sets = real_sets()[0] if needs_real else []
    if needs_real and not sets:
        raise UserError(f"run '{run_id}' used the real-news sets; {real_sets()[1]}")
    recorded_device = record["metrics"].get("device", "cpu")
    if device is None:  # the recorded device when this machine has it
        device = "cpu" if recorded_device == "cpu" else "auto"
    resamples = next(iter(record["metrics"]["splits"].values()))["bootstrap"]["resamples"]
    with tempfile.TemporaryDirectory(prefix="claimframe-reproduce-") as temp:
        target = Path(output) if output is not None else Path(temp) / run_id
        fresh = train_run(config, seed=config.seed, device=device, output=target, data=data_path,
                          leaderboard=None, n_resamples=resamples, real_sets=sets)
        environment = read_run(target)["environment"]
    same = fresh.metrics["device"] == recorded_device and all(
        environment.get(k) == record["environment"].get(k) for k in ENVIRONMENT_KEYS)
    compared, mismatches = compare_metrics(record["metrics"], fresh.metrics, exact=same)
    return Reproduction(run_id, fresh.metrics["device"], same, compared, mismatches)


def format_reproduction(result: Reproduction) -> str:
    expectation = ("identical values (same device and environment)" if result.exact_expected else
                   f"values within ±{CROSS_DEVICE_TOLERANCE:g} (different device or environment)")
    verdict = "reproduced" if result.matches else "NOT reproduced"
    lines = [f"run {result.run_id} {verdict} on {result.device}: {result.compared} metrics compared, "
             f"expecting {expectation}; {len(result.mismatches)} differ."]
    return "\n".join(lines + [f"  {line}" for line in result.mismatches])
