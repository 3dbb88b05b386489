"""One child process, timed: wall seconds and peak resident memory of that process alone.

Every measured command runs as its own child so nothing the bench itself holds (imports, caches,
earlier runs) is counted; `wait4` reports the child's own peak RSS.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Measurement:
    command: str
    seconds: float
    peak_rss_mib: int
    exit_code: int
    started_at: float  # epoch seconds, to place Dagster's step timestamps inside the run
    log: str = ""  # where the child's stdout and stderr went

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_json(self) -> dict:
        return asdict(self)


def measured(
    argv: list[str], env: dict[str, str] | None = None, log: Path | None = None
) -> Measurement:
    """Run a command to its end; its output goes to `log` (or is inherited) so the bench's own
    report stays readable."""
    handle = log.open("wb") if log else None
    try:
        started_at = time.time()
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdout=handle, stderr=handle)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    finally:
        if handle:
            handle.close()
    child.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen quiet
    return Measurement(
        command=" ".join(argv),
        seconds=seconds,
        peak_rss_mib=round(usage.ru_maxrss / 1024),  # Linux reports KiB
        exit_code=child.returncode,
        started_at=started_at,
        log=str(log or ""),
    )


def median(values: list[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    if not values:
        raise ValueError("median of no values")
    return statistics.median(values)


def log_tail(measurement: Measurement, lines: int = 15) -> str:
    """The end of a failed command's output, to show why it failed."""
    if not measurement.log or not Path(measurement.log).is_file():
        return ""
    text = Path(measurement.log).read_text(encoding="utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])
