"""Sizes on disk: the raw input and a batch's working storage beside the marts."""

from __future__ import annotations

import threading
from pathlib import Path

from pipeline import settings


def size_of(path: Path) -> int:
    """Bytes of a file, or of every file under a folder."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


def input_files(batch_dir: Path) -> list[Path]:
    """The raw tables of a batch: what `povexit run` reads (the manifest is a few bytes)."""
    return sorted(p for p in batch_dir.iterdir() if p.is_file() and p.name != "batch.toml")


def input_bytes(batch_dir: Path) -> int:
    return sum(size_of(p) for p in input_files(batch_dir))


def is_working_storage(name: str, batch_id: str) -> bool:
    """Whether an entry of `<marts>/_work` holds the batch's working data.

    The database file counts, and so does anything kept beside it under the batch's name (its
    write-ahead log, a `.sources` folder of copied inputs, a spill folder): all of it is disk the
    run needs. Lock files are empty markers.
    """
    return name.startswith(f"{batch_id}.") and not name.endswith(".lock")


def working_storage(marts: Path, batch_id: str) -> dict[str, int]:
    """Bytes per entry of the batch's working storage, by entry name."""
    work_dir = marts / settings.WORK_DIR_NAME
    if not work_dir.is_dir():
        return {}
    return {
        entry.name: size_of(entry)
        for entry in sorted(work_dir.iterdir())
        if is_working_storage(entry.name, batch_id)
    }


class PeakWatcher:
    """Samples a batch's working storage while a run goes on, keeping the largest total.

    What is left after the run can be less than what the run needed: DuckDB spills to a
    folder beside the database and removes it, and copied sources may be dropped at the end.
    """

    def __init__(self, marts: Path, batch_id: str, interval: float = 1.0):
        self.marts, self.batch_id, self.interval = marts, batch_id, interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def sample(self) -> None:
        try:
            total = sum(working_storage(self.marts, self.batch_id).values())
        except FileNotFoundError:  # an entry removed while it was being measured
            return
        self.peak_bytes = max(self.peak_bytes, total)

    def __enter__(self) -> PeakWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
