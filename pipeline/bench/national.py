"""`make bench-national`: one run at national scale (10), its memory and its disk.

One run, not a median: at this scale three runs take too long for a routine measurement, and
the targets are limits, not fine comparisons. The run is recorded in a throwaway persistent
Dagster instance, so its step timings show where the time goes at this scale.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.bench import tables
from pipeline.bench.batches import BATCH
from pipeline.bench.prepare import prepared_batch
from pipeline.bench.report import Report, failure
from pipeline.bench.runs import run_watched
from pipeline.bench.standard import steps_section
from pipeline.bench.steps import recorded_steps, recording_home
from pipeline.bench.storage import working_storage

# The targets for the run alone.
WALL_TARGET_SECONDS = 180
PEAK_TARGET_MIB = 6 * 1024


def bench(root: Path, scale: float, seed: int) -> tuple[Report, int]:
    report, batch_dir, failed = prepared_batch(
        root, scale, seed, f"make bench-national: scale {scale:g}, one run"
    )
    if failed:
        return report, failed
    logs, size = root / "logs", report.data["input_bytes"]
    report.say("One run only: a median of 3 would take too long at this scale.")

    marts = root / f"marts-scale{scale:g}"
    home = recording_home(root)
    try:
        run, storage_peak = run_watched(
            batch_dir, marts, logs / f"run-national-scale{scale:g}.log", home
        )
        steps = recorded_steps(home)  # after a failure too: where the time went until then
    finally:
        shutil.rmtree(home, ignore_errors=True)
    working = working_storage(marts, BATCH)
    report.data.update(
        run=run.to_json(),
        working_storage=working,
        working_storage_peak_bytes=storage_peak,
        steps=[{"step": s.step_key, "seconds": s.seconds} for s in steps],
    )
    if not run.ok:
        report.say(failure("povexit run", run) + "\n\nThe figures below stop at the failure.")
    report.say(targets_table(run.seconds, run.peak_rss_mib, sum(working.values()), size))
    report.say(storage_lines(working, storage_peak, marts))
    report.say(steps_section(steps, run, "the run"))
    return report, run.exit_code


def targets_table(wall: float, peak_mib: float, working_bytes: int, input_size: int) -> str:
    rows = [
        ["run wall", tables.seconds(wall), f"<= {WALL_TARGET_SECONDS} s",
         tables.target(wall <= WALL_TARGET_SECONDS)],
        ["peak RSS", tables.mib(peak_mib), f"<= {tables.size(PEAK_TARGET_MIB * tables.MIB)}",
         tables.target(peak_mib <= PEAK_TARGET_MIB)],
        ["working storage", tables.size(working_bytes), f"<= input ({tables.size(input_size)})",
         tables.target(working_bytes <= input_size)],
    ]  # fmt: skip
    return tables.markdown_table(["", "measured", "target", ""], rows, right={1})


def storage_lines(working: dict[str, int], peak_bytes: int, marts: Path) -> str:
    """What the working storage figure counts, entry by entry, and its peak during the run."""
    if not working:
        return f"No working storage found under {marts}/_work."
    entries = ", ".join(f"{name} {tables.size(size)}" for name, size in working.items())
    return (
        f"Working storage counts every entry of {marts}/_work named after the batch "
        f"(database, write-ahead log, any .sources folder, DuckDB's spill folder), locks "
        f"aside. After the run: {entries}. Largest during the run (sampled each second): "
        f"{tables.size(peak_bytes)}."
    )
