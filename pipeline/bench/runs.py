"""The measured commands: `povexit run` on a fresh marts folder, and the DuckDB floor."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from pipeline.bench.batches import BATCH
from pipeline.bench.measure import Measurement, measured
from pipeline.bench.storage import PeakWatcher


def run_command(raw: Path, marts: Path) -> list[str]:
    return [
        sys.executable, "-m", "pipeline.cli",
        "run", "--batch", BATCH, "--raw", str(raw), "--marts", str(marts),
    ]  # fmt: skip


def run_environment(dagster_home: Path | None) -> dict[str, str]:
    """The bench's environment, with the Dagster instance chosen on purpose: a recording home
    for the run whose steps are read back, none (an ephemeral instance, what a plain
    `povexit run` gets) for the others, whatever the caller's shell exports."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    # The assessment alone: the brief (HTML and xlsx, zh and en) is timed on its own
    # (`brief_once`), so the run's figures compare with those before it existed.
    env["POVEXIT_BRIEFS"] = "0"
    if dagster_home is not None:
        env["DAGSTER_HOME"] = str(dagster_home)
    return env


def run_once(
    batch_dir: Path, marts: Path, log: Path, dagster_home: Path | None = None
) -> Measurement:
    """One `povexit run` in a fresh process on an empty marts folder: nothing from an earlier
    run (working database, published marts) is reused."""
    shutil.rmtree(marts, ignore_errors=True)
    return measured(
        run_command(batch_dir.parent, marts), env=run_environment(dagster_home), log=log
    )


def run_watched(
    batch_dir: Path, marts: Path, log: Path, dagster_home: Path | None = None
) -> tuple[Measurement, int]:
    """`run_once`, with the largest size the batch's working storage reached during the run."""
    # Emptied before watching starts: the last run's files are not this run's.
    shutil.rmtree(marts, ignore_errors=True)
    with PeakWatcher(marts, BATCH) as watcher:
        run = run_once(batch_dir, marts, log, dagster_home)
    return run, watcher.peak_bytes


def floor_once(batch_dir: Path, log: Path) -> tuple[Measurement, dict[str, int]]:
    """The floor in a fresh process; with the rows and characters it read."""
    measurement = measured([sys.executable, "-m", "pipeline.bench.floor", str(batch_dir)], log=log)
    counts = {}
    if measurement.ok:
        counts = json.loads(Path(log).read_text(encoding="utf-8").strip().splitlines()[-1])
    return measurement, counts


def brief_once(marts: Path, batch_id: str, log: Path) -> tuple[Measurement, dict]:
    """The batch's four brief files built in a fresh process from published marts; with the
    seconds and bytes the child reported."""
    measurement = measured(
        [sys.executable, "-m", "pipeline.bench.brief", str(marts), batch_id], log=log
    )
    built = {}
    if measurement.ok:
        built = json.loads(Path(log).read_text(encoding="utf-8").strip().splitlines()[-1])
    return measurement, built
