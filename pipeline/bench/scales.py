"""`make bench-scales`: one run per scale in one table, to see whether peak memory grows.

Batches come from the bench cache (generated once per scale and seed). One run per scale: the
question is the trend of the peak across scales, which a single run answers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.bench import tables
from pipeline.bench.batches import BATCH, count_rows, ensure_batch
from pipeline.bench.measure import Measurement
from pipeline.bench.report import Report, failure, generation_line
from pipeline.bench.runs import run_watched
from pipeline.bench.storage import input_bytes, working_storage


def bench(root: Path, scales: list[float], seed: int) -> tuple[Report, int]:
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    names = ", ".join(f"{scale:g}" for scale in scales)
    report = Report(f"make bench-scales: scales {names}, one run each")
    measured_rows = []
    for scale in scales:
        batch_dir, generation = ensure_batch(root, scale, seed, logs)
        if generation is not None:
            if not generation.ok:
                report.say(failure(f"generate scale {scale:g}", generation))
                return report, generation.exit_code
            report.say(f"Scale {scale:g}: {generation_line(generation)}")
        marts = root / "marts"
        run, storage_peak = run_watched(batch_dir, marts, logs / f"run-scale{scale:g}.log")
        print(f"  scale {scale:g}: {tables.seconds(run.seconds)}, {tables.mib(run.peak_rss_mib)}")
        if not run.ok:
            # The other scales still run: the table shows how far each one got.
            report.say(failure(f"povexit run at scale {scale:g}", run))
        measured_rows.append(
            ScaleRun(
                scale=scale,
                input_rows=count_rows(batch_dir),
                input_bytes=input_bytes(batch_dir),
                run=run,
                working_bytes=sum(working_storage(marts, BATCH).values()),
                working_peak_bytes=storage_peak,
            )
        )
    report.data["scales"] = [asdict(row) for row in measured_rows]
    report.say(scales_table(measured_rows))
    return report, max(row.run.exit_code for row in measured_rows)


@dataclass
class ScaleRun:
    scale: float
    input_rows: int
    input_bytes: int
    run: Measurement
    working_bytes: int  # the batch's working storage left after the run
    working_peak_bytes: int  # its largest size during the run


def scales_table(measured_rows: list[ScaleRun]) -> str:
    """One line per scale; the peak is also shown against the first (smallest) scale's. A failed
    run's figures stop at its failure."""
    first_peak = measured_rows[0].run.peak_rss_mib
    rows = [
        [
            f"{row.scale:g}",
            f"{row.input_rows:,}",
            tables.size(row.input_bytes),
            tables.seconds(row.run.seconds),
            tables.mib(row.run.peak_rss_mib),
            tables.ratio(row.run.peak_rss_mib / first_peak),
            tables.size(row.working_bytes),
            tables.size(row.working_peak_bytes),
            "published" if row.run.ok else f"FAILED (exit {row.run.exit_code})",
        ]
        for row in measured_rows
    ]
    header = ["scale", "input rows", "input", "run wall", "peak RSS", "peak / first",
              "working storage", "during run, max", "run"]  # fmt: skip
    return tables.markdown_table(header, rows, right=set(range(1, len(header) - 1)))
