"""What every bench does first: open its report and have the batch ready, generated once."""

from __future__ import annotations

from pathlib import Path

from pipeline.bench.batches import count_rows, ensure_batch
from pipeline.bench.report import Report, failure, generation_line, input_line
from pipeline.bench.storage import input_bytes


def prepared_batch(root: Path, scale: float, seed: int, title: str) -> tuple[Report, Path, int]:
    """The report (`title`), the batch folder and 0; or the generator's exit code if it
    failed, the report saying so."""
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    report = Report(title)
    batch_dir, generation = ensure_batch(root, scale, seed, logs)
    if generation is not None:
        report.data["generate"] = generation.to_json()
        if not generation.ok:
            report.say(failure("generate", generation))
            return report, batch_dir, generation.exit_code
        report.say(generation_line(generation))
    rows, size = count_rows(batch_dir), input_bytes(batch_dir)
    report.data.update(scale=scale, seed=seed, input_rows=rows, input_bytes=size)
    report.say(input_line(scale, seed, rows, size, generation is not None))
    return report, batch_dir, 0
