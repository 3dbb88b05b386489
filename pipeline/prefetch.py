"""The raw step's first reads of a batch's CSV files, done while `povexit run` starts.

A run spends its first seconds in Python on one core (importing Dagster, making its instance,
planning the job) while the other core idles. Meanwhile a background thread does, for each
CSV file of the batch whose header is UTF-8, what the raw step does first: the survey of its
bytes (`pipeline.byte_scan`) and, for a file whose lines are its rows, DuckDB's screening pass
(`raw_sql.screen_sql`) on a database of its own. The raw step (`pipeline.raw_view`) takes
these answers instead of reading the file twice more. Beside it, a thread of its own hashes the
batch's fingerprint (`pipeline.fingerprint`), which the publish step records.

An answer is only ever the one the raw step would have computed:

- it is for the file as it is when asked: the same size, modification and change times, inode
  and path before and after the thread read it (the change time moves on any write, even one
  that puts the modification time back), and the file had not been written in the two seconds
  before (a file's times are too coarse to show a change within them);
- a screen is for the same layout (`CsvLayout`: the same SQL over the same file);
- a read that failed in any way leaves no answer, and says nothing: the raw step reads the file
  itself and says what is wrong with it.

The thread steps back (a lower priority, which the threads its DuckDB starts inherit): it takes
the time the run leaves idle, and all of both cores while the raw step waits for it. When the
raw step asks for a file the thread has not begun, it reads the file itself and the thread
skips it. When it asks for the file the thread is reading, it waits, as long as the thread has
spent on it so far at most: a read that was not starved of time by other work on the machine
is done by then (its DuckDB has as many threads as the raw step's), and one that was is
stopped, and the raw step reads the file itself. No file is read twice but that one.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.byte_scan import ByteScan, scan_bytes
from pipeline.errors import InputError
from pipeline.file_stamps import SETTLED_NS, FileStamp, file_stamp
from pipeline.fingerprint import batch_fingerprint
from pipeline.raw_sql import CsvLayout, csv_layout, screen_sql
from pipeline.readers import utf8_csv_source
from pipeline.schemas.fields import RAW_TABLES, RawTable
from pipeline.warehouse import connect_scratch

# How far the thread steps back (Unix niceness, 0-19): at 10, Linux gives a thread of the run
# about nine tenths of a core the two share.
_NICENESS = 10


@dataclass
class _ReadAhead:
    """What the thread has found, and what it is doing."""

    # Each answer with the stamp of the file it is for (`file_stamps.FileStamp`: its path,
    # size, modification and change times, inode), keyed by the file's resolved path.
    scans: dict[str, tuple[FileStamp, ByteScan]] = field(default_factory=dict)
    screens: dict[CsvLayout, tuple[FileStamp, tuple]] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)  # files yet to be read ahead
    reading: str | None = None  # the file being read ahead
    reading_since: float = 0.0  # time.monotonic() when its read began
    abandoned: str | None = None  # the file the raw step stopped waiting for
    database: duckdb.DuckDBPyConnection | None = None


_CHANGED = threading.Condition()  # guards _READ_AHEAD; notified when a file's read ends
_READ_AHEAD = _ReadAhead()
_STARTED: set[Path] = set()


def start(folder: Path, screens: bool) -> list[threading.Thread]:
    """Start the threads for the batch in `folder`, once per folder and process: the one that
    hashes its fingerprint and, with `screens`, the one that reads its CSV files ahead (a run
    of several batches has work for every core from the start). Returns the threads started
    (none if they were started before)."""
    folder = folder.resolve()
    with _CHANGED:
        if folder in _STARTED:
            return []
        _STARTED.add(folder)
    # Daemons: nothing waits for them at exit, and an unfinished read is only a loss of time.
    # The hash runs at the run's own priority (the publish step waits for it), once the files
    # have been read ahead: during the start-up it would only take time from the two.
    read_ahead = (
        threading.Thread(target=_read_files_ahead, args=(folder,), daemon=True) if screens else None
    )
    fingerprint = threading.Thread(target=_fingerprint, args=(folder, read_ahead), daemon=True)
    threads = [thread for thread in (read_ahead, fingerprint) if thread is not None]
    for thread in threads:
        thread.start()
    return threads


def _fingerprint(folder: Path, after: threading.Thread | None) -> None:
    if after is not None:
        after.join()
    # A file gone or unreadable is the run's to report (preflight names it), not this
    # thread's: an exception escaping a thread prints a traceback.
    with contextlib.suppress(OSError, InputError):
        batch_fingerprint(folder)


def _read_files_ahead(folder: Path) -> None:
    # Imported here: the raw step's modules import this one.
    from pipeline.ingest import find_source

    _step_back()
    sources = []
    for table in RAW_TABLES:
        try:
            path = find_source(folder, table)
        except Exception:  # the raw step says what is wrong
            continue
        if path is not None:
            sources.append((table, path.resolve()))
    with _CHANGED:
        _READ_AHEAD.pending |= {str(path) for _, path in sources}
    try:
        for table, path in sources:
            with _CHANGED:
                if str(path) not in _READ_AHEAD.pending:
                    continue  # the raw step has read it already
                _READ_AHEAD.pending.discard(str(path))
                _READ_AHEAD.reading = str(path)
                _READ_AHEAD.reading_since = time.monotonic()
            try:
                _read_ahead(table, path)
            except Exception:  # any failure leaves no answer (see the module's text)
                pass
            finally:
                with _CHANGED:
                    _READ_AHEAD.reading = None
                    _CHANGED.notify_all()
    finally:
        with _CHANGED:
            _READ_AHEAD.pending.clear()
            database, _READ_AHEAD.database = _READ_AHEAD.database, None
            _CHANGED.notify_all()
        if database is not None:
            database.close()


def _step_back() -> None:
    """Lower this thread's priority by `_NICENESS`, and so that of the threads its DuckDB
    starts (a thread is born with its creator's). On Linux only, where a thread has a priority
    of its own (elsewhere this would lower the whole process's)."""
    if sys.platform.startswith("linux"):
        thread = threading.get_native_id()
        with contextlib.suppress(OSError):
            current = os.getpriority(os.PRIO_PROCESS, thread)
            os.setpriority(os.PRIO_PROCESS, thread, min(current + _NICENESS, 19))


def _read_ahead(table: RawTable, path: Path) -> None:
    from pipeline.ingest import canonical_header

    started = time.time_ns()
    before = file_stamp(path)
    if before is None or not before.written_before(started - SETTLED_NS):
        return
    source = utf8_csv_source(path)
    if source is None:  # a workbook, or a file the raw step reads through a UTF-8 copy
        return
    names, _ = canonical_header(path, source.header, table)
    # Stopped as soon as the raw step gives up waiting: it reads the file itself by then.
    scan = scan_bytes(path, stop=lambda: _READ_AHEAD.abandoned == before.path)
    with _CHANGED:
        if file_stamp(path) != before or _READ_AHEAD.abandoned == before.path:
            return
        _READ_AHEAD.scans[before.path] = (before, scan)
        if scan.first_nul is not None or scan.needs_line_scan:
            return  # the raw step's exact line scan reads it
        if _READ_AHEAD.database is None:
            _READ_AHEAD.database = connect_scratch()
        database = _READ_AHEAD.database
    layout = csv_layout(table, path, names, scan)
    screened = database.execute(screen_sql(layout)).fetchone()
    with _CHANGED:
        if file_stamp(path) == before and _READ_AHEAD.abandoned != before.path:
            _READ_AHEAD.screens[layout] = (before, screened)


def _claim(path: str) -> None:
    """Before the raw step reads `path` (the caller holds `_CHANGED`): a file the thread has
    yet to begin, it skips; one it is reading, the caller waits for, as long as the thread has
    spent on it so far at most, and then stops the thread's read."""
    _READ_AHEAD.pending.discard(path)
    if _READ_AHEAD.reading != path:
        return
    spent = time.monotonic() - _READ_AHEAD.reading_since
    if _CHANGED.wait_for(lambda: _READ_AHEAD.reading != path, timeout=spent):
        return
    # Starved by other work on the machine: the raw step reads the file at its own priority.
    _READ_AHEAD.abandoned = path
    if _READ_AHEAD.database is not None:
        _READ_AHEAD.database.interrupt()


def scan_of(path: Path) -> ByteScan | None:
    """The survey of `path`'s bytes read ahead, if it is still the file's; else None."""
    stamp = file_stamp(path)
    if stamp is None:
        return None
    with _CHANGED:
        _claim(stamp.path)
        found = _READ_AHEAD.scans.get(stamp.path)
    return found[1] if found and found[0] == stamp else None


def screen_of(layout: CsvLayout) -> tuple | None:
    """The screen of `layout` (`screen_sql`'s one row) read ahead, if it is still the file's;
    else None."""
    stamp = file_stamp(layout.path)
    if stamp is None:
        return None
    with _CHANGED:
        _claim(stamp.path)
        found = _READ_AHEAD.screens.get(layout)
    return found[1] if found and found[0] == stamp else None
