"""The raw step's first reads of a batch's CSV files, done while `povexit run` starts.

A run spends its first seconds in Python on one core (importing Dagster, making its instance,
planning the job) while the other core idles. Meanwhile a background thread does, for each
CSV file of the batch whose header is UTF-8, what the raw step does first: the survey of its
bytes (`pipeline.byte_scan`) and, for a file whose lines are its rows, DuckDB's screening pass
(`raw_sql.screen_sql`) on a database of its own. The raw step (`pipeline.raw_view`) takes
these answers instead of reading the file twice more. Then the thread hashes the batch's
fingerprint (`pipeline.fingerprint`), which the publish step records.

An answer is only ever the one the raw step would have computed:

- it is for the file as it is when asked: the same stamp (path, size, modification time,
  inode) before and after the thread read it, and the file had not been written in the two
  seconds before (a file's times are too coarse to show a change within them);
- a screen is for the same layout (`CsvLayout`: the same SQL over the same file);
- a read that failed in any way leaves no answer, and says nothing: the raw step reads the file
  itself and says what is wrong with it.

When the raw step asks for the file the thread is reading, it waits for it: the thread's
DuckDB has as many threads as the raw step's, so finishing that read is never slower than
starting it again. When it asks for a file the thread has not begun, it reads the file itself
and the thread skips it. So no file is read twice, and once the raw step has caught up with
the thread, the two take turns.
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
from pipeline.file_stamps import FileStamp, file_stamp
from pipeline.fingerprint import SETTLED_NS, batch_fingerprint
from pipeline.raw_sql import CsvLayout, csv_layout, screen_sql
from pipeline.readers import utf8_csv_source
from pipeline.schemas.fields import RAW_TABLES, RawTable
from pipeline.warehouse import connection_config

# A screen aggregates three numbers as it streams: it needs little memory.
_SCREEN_MEMORY = "256MB"
# How far the thread steps back (Unix niceness, 0-19): at 10, Linux gives a thread of the run
# about nine tenths of a core the two share.
_NICENESS = 10


@dataclass
class _ReadAhead:
    """What the thread has found, and what it is doing."""

    scans: dict[str, tuple[FileStamp, ByteScan]] = field(default_factory=dict)
    screens: dict[CsvLayout, tuple[FileStamp, tuple]] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)  # files yet to be read ahead
    reading: str | None = None  # the file being read ahead


_CHANGED = threading.Condition()  # guards _READ_AHEAD; notified when a file's read ends
_READ_AHEAD = _ReadAhead()
_STARTED: set[Path] = set()


def start(folder: Path, screens: bool) -> threading.Thread | None:
    """Start the thread for the batch in `folder`, once per folder and process: with
    `screens`, the raw step's reads of its CSV files, then its fingerprint; without, the
    fingerprint alone (a run of several batches has work for every core from the start).
    Returns the thread, or None if one was started before."""
    folder = folder.resolve()
    with _CHANGED:
        if folder in _STARTED:
            return None
        _STARTED.add(folder)
    # A daemon: nothing waits for it at exit, and an unfinished read is only a loss of time.
    thread = threading.Thread(target=_run, args=(folder, screens), name="prefetch", daemon=True)
    thread.start()
    return thread


def _run(folder: Path, screens: bool) -> None:
    if screens:
        _read_files_ahead(folder)
    # A file gone meanwhile is the run's to report, not this thread's.
    with contextlib.suppress(OSError):
        batch_fingerprint(folder)


def _read_files_ahead(folder: Path) -> None:
    # Imported here: the raw step's modules import this one.
    from pipeline.ingest import find_source

    _yield_to_the_run()

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
    database = None
    try:
        for table, path in sources:
            with _CHANGED:
                if str(path) not in _READ_AHEAD.pending:
                    continue  # the raw step has read it already
                _READ_AHEAD.pending.discard(str(path))
                _READ_AHEAD.reading = str(path)
            try:
                database = _read_ahead(table, path, database)
            except Exception:  # any failure leaves no answer (see the module's text)
                pass
            finally:
                with _CHANGED:
                    _READ_AHEAD.reading = None
                    _CHANGED.notify_all()
    finally:
        with _CHANGED:
            _READ_AHEAD.pending.clear()
            _CHANGED.notify_all()
        if database is not None:
            database.close()


def _yield_to_the_run() -> None:
    """Lower this thread's priority, and that of the threads its DuckDB starts (a thread is
    born with its creator's): the thread then takes the time the run's own threads leave idle,
    and all of both cores while the raw step waits for it. On Linux only, where a thread has a
    priority of its own (elsewhere this would lower the whole process's)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _NICENESS)


def _read_ahead(
    table: RawTable, path: Path, database: duckdb.DuckDBPyConnection | None
) -> duckdb.DuckDBPyConnection | None:
    """Read `path` ahead; returns the DuckDB connection for the next file (opened on the first
    screen)."""
    from pipeline.ingest import canonical_header

    started = time.time_ns()
    before = file_stamp(path)
    if before is None or max(before.mtime_ns, path.stat().st_ctime_ns) >= started - SETTLED_NS:
        return database
    source = utf8_csv_source(path)
    if source is None:  # a workbook, or a file the raw step reads through a UTF-8 copy
        return database
    names, _ = canonical_header(path, source.header, table)
    scan = scan_bytes(path)
    if file_stamp(path) != before:
        return database
    with _CHANGED:
        _READ_AHEAD.scans[before.path] = (before, scan)
    if scan.first_nul is not None or scan.needs_line_scan:
        return database  # the raw step's exact line scan reads it
    layout = csv_layout(table, path, names, scan)
    if database is None:
        # The pipeline's settings (the storage version does not matter: nothing is stored).
        config = connection_config() | {"memory_limit": _SCREEN_MEMORY}
        database = duckdb.connect(config=config)
    screened = database.execute(screen_sql(layout)).fetchone()
    if file_stamp(path) == before:
        with _CHANGED:
            _READ_AHEAD.screens[layout] = (before, screened)
    return database


def _claim(path: str) -> None:
    """Before the raw step reads `path`: if the thread is reading it ahead, wait until it is
    done; if it has yet to begin, it skips it (the caller holds `_CHANGED`)."""
    _READ_AHEAD.pending.discard(path)
    _CHANGED.wait_for(lambda: _READ_AHEAD.reading != path)


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
