"""`make bench`: `povexit run` against the floor, median of repeated runs, and Dagster's steps.

Floor and run alternate (floor, run, floor, run, ...) so a machine that slows down part way
weighs on both sides of the ratio alike. The first run is recorded in a throwaway persistent
Dagster instance so its step timings can be read back; the others use the ephemeral instance a
plain `povexit run` uses.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline.bench import tables
from pipeline.bench.batches import BATCH
from pipeline.bench.measure import Measurement, median
from pipeline.bench.prepare import prepared_batch
from pipeline.bench.report import Report, failure
from pipeline.bench.runs import brief_once, floor_once, run_once
from pipeline.bench.steps import StepTiming, outside_steps, recorded_steps, recording_home
from pipeline.settings import PROJECT_ROOT

# The issue's target: the whole run within six bare reads of its input.
RATIO_TARGET = 6.0


def bench(root: Path, scale: float, seed: int, repeat: int) -> tuple[Report, int]:
    report, batch_dir, failed = prepared_batch(
        root, scale, seed, f"make bench: scale {scale:g}, median of {repeat}"
    )
    if failed:
        return report, failed

    home = recording_home(root)
    try:
        floors, runs = alternate(batch_dir, root, repeat, home)
        steps = recorded_steps(home)  # after a failure too: where the time went until then
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report.data.update(
        floors=[f.to_json() for f in floors],
        runs=[r.to_json() for r in runs],
        steps=[{"step": s.step_key, "seconds": s.seconds} for s in steps],
    )

    failed = next((m for m in [*floors, *runs] if not m.ok), None)
    if failed is not None:
        which = "floor" if failed in floors else "povexit run"
        report.say(failure(f"{which} {len(floors)}", failed))
    # A failure stops the repetitions; what came before it is still shown, said to be fewer.
    complete = [i for i, run in enumerate(runs) if run.ok and floors[i].ok]
    if complete:
        report.say(
            summary_table([runs[i] for i in complete], [floors[i] for i in complete], repeat)
        )
    if runs:
        report.say(steps_section(steps, runs[0], "run 1"))
    if runs and runs[-1].ok:
        logs = root / "logs"
        report.say(brief_line(f"scale {scale:g}", root / "marts", logs / "brief.log", report.data))
        reference = root / "marts-reference"
        published = run_once(PROJECT_ROOT / "data" / "raw" / BATCH, reference, logs / "ref.log")
        if published.ok:
            line = brief_line(
                "the committed reference batch", reference, logs / "ref-brief.log", report.data
            )
            report.say(line)
        else:
            report.say(failure("povexit run of the reference batch", published))
    return report, failed.exit_code if failed else 0


def brief_line(which: str, marts: Path, log: Path, data: dict) -> str:
    """The brief of a published batch (HTML and xlsx, zh and en), built in a fresh process:
    what the `brief` asset adds to a run. The timed runs leave it out (POVEXIT_BRIEFS=0)."""
    measurement, built = brief_once(marts, BATCH, log)
    data.setdefault("brief", {})[which] = {"measurement": measurement.to_json(), **built}
    if not measurement.ok:
        return failure(f"brief of {which}", measurement)
    sizes = ", ".join(f"{name} {size / 1024:,.0f} KiB" for name, size in built["bytes"].items())
    return (
        f"Brief of {BATCH}, {which} (4 files, imports included): {built['seconds']:.1f} s to "
        f"build, {measurement.seconds:.1f} s wall for its process, peak "
        f"{measurement.peak_rss_mib:,} MiB; {sizes}. (The timed runs leave the brief out.)"
    )


def alternate(
    batch_dir: Path, root: Path, repeat: int, home: Path
) -> tuple[list[Measurement], list[Measurement]]:
    """Floor, run, floor, run ...; the first run recorded in `home`. Stops at a failure."""
    logs = root / "logs"
    floors, runs = [], []
    for i in range(1, repeat + 1):
        floor, counts = floor_once(batch_dir, logs / f"floor-{i}.log")
        floors.append(floor)
        if not floor.ok:
            break
        run = run_once(batch_dir, root / "marts", logs / f"run-{i}.log", home if i == 1 else None)
        runs.append(run)
        print(
            f"  {i}/{repeat}: floor {tables.seconds(floor.seconds)} ({counts['rows']:,} rows),"
            f" run {tables.seconds(run.seconds)}, peak {tables.mib(run.peak_rss_mib)}",
            flush=True,
        )
        if not run.ok:
            break
    return floors, runs


def summary_table(runs: list[Measurement], floors: list[Measurement], planned: int) -> str:
    """Medians of wall time and peak memory, each repetition beside them, and the ratio; a
    note when fewer than the `planned` repetitions completed."""
    run_wall = median([r.seconds for r in runs])
    floor_wall = median([f.seconds for f in floors])
    rows = [
        measurement_row("povexit run", runs),
        measurement_row("floor (DuckDB read_csv, all varchar)", floors),
    ]
    table = tables.markdown_table(
        ["", f"wall, median of {len(runs)}", "each run (s)", "peak RSS, median", "each run (MiB)"],
        rows,
        right={1, 2, 3, 4},
    )
    run_ratio = run_wall / floor_wall
    fewer = (
        f"\n\nOnly {len(runs)} of {planned} repetitions completed: the median is of those."
        if len(runs) < planned
        else ""
    )
    return (
        f"{table}\n\nrun / floor: {tables.ratio(run_ratio)} "
        f"(target <= {RATIO_TARGET:g}x: {tables.target(run_ratio <= RATIO_TARGET)}){fewer}"
    )


def measurement_row(name: str, measurements: list[Measurement]) -> list[str]:
    walls = [m.seconds for m in measurements]
    peaks = [m.peak_rss_mib for m in measurements]
    return [
        name,
        tables.seconds(median(walls)),
        tables.series(walls),
        tables.mib(median(peaks)),
        tables.series(peaks, digits=0),
    ]


def steps_section(steps: list[StepTiming], run: Measurement, which: str) -> str:
    if not steps:
        return f"Dagster recorded no step timings for {which}."
    return (
        f"Dagster's step timings, {which} (recorded in a temporary persistent instance):\n\n"
        + steps_table(steps, run.started_at, run.seconds)
    )


def steps_table(steps: list[StepTiming], process_started: float, process_seconds: float) -> str:
    """Step -> seconds as executed, then where the rest of the run's wall time went."""
    outside = outside_steps(steps, process_started, process_seconds)
    rows = [[step.step_key, f"{step.seconds:,.1f}"] for step in steps]
    rows += [
        ["**sum of steps**", f"{outside['steps']:,.1f}"],
        ["**start-up** (run wall - sum of steps)", f"{outside['start-up']:,.1f}"],
        *[
            [f"  of which {part}", f"{outside[part]:,.1f}"]
            for part in ("before the first step", "between steps", "after the last step")
        ],
        ["**run wall**", f"{process_seconds:,.1f}"],
    ]
    return tables.markdown_table(["step", "seconds"], rows, right={1})
