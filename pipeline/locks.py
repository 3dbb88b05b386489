"""Exclusive locks across processes, on a lock file beside what they guard.

The holder writes its process id into the lock file, so whoever has to wait can say for whom.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

# How long a waiter looks for the holder's pid: the holder writes it right after locking.
PID_WAIT_SECONDS = 1.0


def _holder_pid(handle: IO[str]) -> int | None:
    handle.seek(0)
    text = handle.read().strip()
    return int(text) if text.isdigit() else None


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _wait_for_holder(handle: IO[str], on_wait: Callable[[int | None], None]) -> None:
    """Lock `handle`; if it is taken, call `on_wait` once with the holder's pid, then wait."""
    deadline = time.monotonic() + PID_WAIT_SECONDS
    while not _try_lock(handle):
        pid = _holder_pid(handle)
        # An empty file means the holder has locked but not yet written its pid.
        if pid is not None or time.monotonic() >= deadline:
            on_wait(pid)
            fcntl.flock(handle, fcntl.LOCK_EX)
            return
        time.sleep(0.02)


@contextmanager
def exclusive_lock(
    lock_file: Path, on_wait: Callable[[int | None], None] | None = None
) -> Iterator[None]:
    """Hold an exclusive lock on `lock_file` (created if missing) for the block; a second
    holder, in this process or another, waits until the first lets go.

    If the lock is taken, `on_wait` (when given) is called once, with the holder's pid (None if
    it cannot be read), before waiting.
    """
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    # Append mode never truncates a file another process holds; writes go to the end, which
    # after truncate(0) is the start.
    with lock_file.open("a+", encoding="ascii") as handle:
        if on_wait is None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        else:
            _wait_for_holder(handle, on_wait)
        try:
            handle.truncate(0)
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield
        finally:
            # Cleared before unlocking: the next waiter must not name a process that has left.
            handle.truncate(0)
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
