"""What a bench prints, kept as it goes so the same text lands in `.bench/results*.md`."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

from pipeline.bench import tables
from pipeline.bench.measure import Measurement, log_tail
from pipeline.warehouse import MEMORY_LIMIT_ENV, memory_limit


class Report:
    def __init__(self, title: str):
        self.blocks: list[str] = []
        self.data: dict = {"title": title}
        self.say(f"## {title}\n\n{machine()}")

    def say(self, text: str) -> None:
        """Print a block now (a long bench shows its progress) and keep it for the file."""
        print(f"\n{text}", flush=True)
        self.blocks.append(text)

    def write(self, markdown: Path) -> None:
        markdown.write_text("\n\n".join(self.blocks) + "\n", encoding="utf-8")
        markdown.with_suffix(".json").write_text(
            json.dumps(self.data, indent=2, default=str) + "\n", encoding="utf-8"
        )
        print(f"\nwritten: {markdown} and {markdown.with_suffix('.json').name}")


def machine() -> str:
    """When and on what: bench figures mean little without the machine beside them, nor
    without DuckDB's memory cap, which decides how much of a large batch spills to disk.

    Raises:
        InputError: `POVEXIT_DUCKDB_MEMORY_LIMIT` is not a size (every run would refuse it).
    """
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    cap = memory_limit()
    cap_origin = f" ({MEMORY_LIMIT_ENV})" if os.environ.get(MEMORY_LIMIT_ENV) else ""
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
        f"{tables.size(memory)} memory, Python {platform.python_version()}, "
        f"DuckDB memory cap {cap}{cap_origin}"
    )


def input_line(scale: float, seed: int, rows: int, input_bytes: int, generated: bool) -> str:
    origin = "generated now" if generated else "reused from the bench cache"
    return (
        f"Input: scale {scale:g}, seed {seed}: {rows:,} rows in {tables.size(input_bytes)} "
        f"of CSV ({origin})."
    )


def generation_line(generation: Measurement) -> str:
    return (
        f"Generate: {tables.seconds(generation.seconds)}, "
        f"peak {tables.mib(generation.peak_rss_mib)}."
    )


def failure(what: str, measurement: Measurement) -> str:
    """A failed command: its exit code and the end of its output."""
    tail = log_tail(measurement)
    where = (
        f"exit {measurement.exit_code} after {tables.seconds(measurement.seconds)}, "
        f"peak {tables.mib(measurement.peak_rss_mib)}; log {measurement.log}"
    )
    return f"{what} failed ({where}):\n\n```\n{tail}\n```"
