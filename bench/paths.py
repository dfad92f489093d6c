"""Every path ClaimFrame uses by default, in one place.

The repository (a checkout) holds what is published: configs, data, `results/` and the published
`leaderboard.csv`. The workspace (`runs/`, or `$CLAIMFRAME_WORKSPACE`) holds what a user's commands
make: run folders and the local board. Commands write only to the workspace unless told otherwise
(`claimframe publish`)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_ROOT = REPO_ROOT / "configs"
DATA_ROOT = REPO_ROOT / "data"
DEFAULT_DATA = DATA_ROOT / "claimframe-v2"
STANDOFF_ROOT = DATA_ROOT / "standoff"
REAL_SETS_CONFIG = CONFIG_ROOT / "external" / "checkthat-3way.yaml"
RESULTS = REPO_ROOT / "results"
PUBLISHED_LEADERBOARD = REPO_ROOT / "leaderboard.csv"
CHECKTHAT_DEFAULT = REPO_ROOT.parent / "shared" / "external" / "checkthat-subjectivity-en"
WORKSPACE = Path(os.environ.get("CLAIMFRAME_WORKSPACE") or REPO_ROOT / "runs").expanduser()
LOCAL_LEADERBOARD = WORKSPACE / "leaderboard.csv"
EMBEDDING_CACHE = REPO_ROOT / ".cache" / "embeddings"


def in_checkout(path: Path, what: str) -> Path:
    """`path` if it exists; otherwise say that the package was installed without its checkout."""
    from bench.errors import UserError

    if not path.exists():
        raise UserError(f"{path}: {what} not found; ClaimFrame's configs and data live in a checkout of "
                        f"its repository (pip install -e . from it), not in a plain package install.")
    return path
