"""Dagster's own step timings for one `povexit run`.

`povexit run` records its run in a persistent instance when `DAGSTER_HOME` is set
(`pipeline.runner._instance`), in an ephemeral one otherwise. The bench points one run at a
fresh temporary home holding the project's instance settings (`deploy/dagster.yaml`: the
storage a recorded run of the UI, sensor or schedule gets), then reads that run's step stats
back.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.settings import PROJECT_ROOT

INSTANCE_SETTINGS = PROJECT_ROOT / "deploy" / "dagster.yaml"


@dataclass(frozen=True)
class StepTiming:
    step_key: str
    started: float  # epoch seconds
    ended: float

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def recording_home(parent: Path) -> Path:
    """A fresh DAGSTER_HOME under `parent` with the project's instance settings."""
    parent.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="dagster-home-", dir=parent))
    shutil.copy(INSTANCE_SETTINGS, home / "dagster.yaml")
    return home


def recorded_steps(home: Path) -> list[StepTiming]:
    """The steps of the runs one `povexit run` recorded in `home` (the batch's, then the
    province tables'), in the order they started."""
    import dagster as dg  # only here: the bench itself does not need Dagster loaded

    # The settings name their folder as `DAGSTER_HOME`, which the bench's own process leaves
    # unset (`pipeline.bench.runs.run_environment`).
    before = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            stats = [
                stat
                for record in instance.get_run_records()
                for stat in instance.get_run_step_stats(record.dagster_run.run_id)
            ]
    finally:
        if before is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = before
    return in_execution_order(
        StepTiming(s.step_key, s.start_time, s.end_time)
        for s in stats
        if s.start_time is not None and s.end_time is not None
    )


def in_execution_order(steps) -> list[StepTiming]:
    return sorted(steps, key=lambda step: (step.started, step.ended))


def outside_steps(
    steps: list[StepTiming], process_started: float, process_seconds: float
) -> dict[str, float]:
    """Where the run's wall time goes outside Dagster's steps.

    `start-up` is the process wall less the sum of the steps (the issue's definition). It splits
    into the time before the first step (interpreter, imports, checks of the input, the
    instance and the job), Dagster's own time between steps, and the time after the last step
    (the run summary printed, the process ending).
    """
    in_steps = sum(step.seconds for step in steps)
    if not steps:
        return {"steps": 0.0, "start-up": process_seconds}
    first, last = steps[0].started, max(step.ended for step in steps)
    return {
        "steps": in_steps,
        "start-up": process_seconds - in_steps,
        "before the first step": first - process_started,
        "between steps": (last - first) - in_steps,
        "after the last step": process_started + process_seconds - last,
    }
