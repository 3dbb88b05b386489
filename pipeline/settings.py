"""Where batches are read from and marts are written to, and what a batch id may be.

Paths default to `data/raw` and `data/marts` under the project root. The environment variables
`POVEXIT_RAW_DIR` and `POVEXIT_MARTS_DIR` override them for the command line and the Dagster
definitions alike; command-line flags override both.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pipeline.errors import InputError
from pipeline.privacy import shown

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BATCH_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
MARTS_FILE_NAME = "exit_assessment.duckdb"
# Per-batch working databases live beside the marts, in a folder readers can ignore.
WORK_DIR_NAME = "_work"


DEFAULT_RAW_DIR = PROJECT_ROOT / "data" / "raw"
DEFAULT_MARTS_DIR = PROJECT_ROOT / "data" / "marts"


def raw_dir(override: str | Path | None = None) -> Path:
    return Path(override or os.environ.get("POVEXIT_RAW_DIR") or DEFAULT_RAW_DIR)


def marts_dir(override: str | Path | None = None) -> Path:
    chosen = override or os.environ.get("POVEXIT_MARTS_DIR") or DEFAULT_MARTS_DIR
    return Path(chosen)


def check_batch_id(batch_id: str) -> str:
    """The id itself, or an InputError: checked before any file is opened."""
    if not BATCH_ID_PATTERN.fullmatch(batch_id):
        raise InputError(
            f"invalid batch id {shown(batch_id)}: it must match ^[a-z0-9][a-z0-9-]{{0,63}}$ "
            "(lowercase letters, digits and '-', at most 64 characters)"
        )
    return batch_id


def marts_path(marts: Path) -> Path:
    return marts / MARTS_FILE_NAME


def warehouse_path(marts: Path, batch_id: str) -> Path:
    return marts / WORK_DIR_NAME / f"{check_batch_id(batch_id)}.duckdb"


def briefs_wanted() -> bool:
    """Whether `povexit run` writes each published batch's brief (HTML and xlsx, zh and en):
    yes unless POVEXIT_BRIEFS=0, for runs that need only the marts (the test suite, a quick
    check); the Dagster deployment writes them whatever this says."""
    return os.environ.get("POVEXIT_BRIEFS", "1") != "0"
