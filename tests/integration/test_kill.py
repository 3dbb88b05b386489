"""A run killed with SIGKILL at any moment leaves the published marts as they were."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from pipeline.cli import main
from tests.batch_builder import write_batch
from tests.integration.test_run import marts_content

# Whole pipeline runs: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow

# Spread over a whole run (interpreter start, ingestion, validation, models, publish).
KILL_AFTER_SECONDS = (1.0, 3.0, 4.0, 4.5, 5.0, 6.0)


def pooled_acceptance(marts) -> float:
    with duckdb.connect(str(marts / "exit_assessment.duckdb"), read_only=True) as con:
        return con.execute("select acceptance_rate from batch_summary").fetchone()[0]


def test_sigkill_at_any_moment__leaves_old_or_new_marts_whole(folders, batch):
    raw, marts = folders
    write_batch(raw, batch)
    assert main(["run"]) == 0
    old = marts_content(marts)
    for survey in batch["survey_households"]:
        survey["acceptance"] = "unsure"
    write_batch(raw, batch)

    outcomes = []
    for delay in KILL_AFTER_SECONDS:
        child = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "run"],
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        now = marts_content(marts)  # opens: never a half-written file
        outcomes.append(now == old)
        if now != old:
            # The run got as far as the rename: then the new marts are there whole.
            assert pooled_acceptance(marts) == 0.0, "half a publish"
            break
    assert outcomes[0], "killed at once, the marts must be the old ones"
    assert main(["run"]) == 0
    assert pooled_acceptance(marts) == 0.0
