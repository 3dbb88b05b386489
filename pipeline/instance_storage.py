"""Dagster's SQLite storage of runs, event logs and schedules, the shared files opened once per
process.

Dagster's own SQLite storage opens every database file anew for each read and write: a new
SQLAlchemy engine, a new connection, and, as that connection is the last to close, a WAL
checkpoint. A run of a batch writes about 270 events, most of them mirrored into the event
index, and reads its assets' last versions there once per step, so a recorded run
(`DAGSTER_HOME` set: the UI, the sensor, the schedule) spent seconds there: keeping the shared
files open takes about 1.2 s off a recorded run of the reference batch (7.8 s to 6.6 s).

These classes are Dagster's, with one change: the engine of the runs file, the schedules file
and the event index is kept, with its pool of connections, for the life of the process. The
files, their layout under the instance's folder and their schema are Dagster's own, so an
instance configured without these classes (the webserver of an older checkout, `dagster`
commands run elsewhere) reads the same history.

- Each run's own event file is opened as Dagster opens it, anew each time: the UI follows a
  running run by watching that file change, and with a connection kept open its writes would
  stay in the write-ahead log beside it until a checkpoint.
- A process started by `fork` gets engines of its own: a pooled SQLite connection must not
  cross into a child process.
- SQLite's own locking still serialises writers across processes, with the busy timeouts
  Dagster gives each file.

`deploy/dagster.yaml` configures them with the instance's folder as `base_dir`, as Dagster's
`storage: sqlite: base_dir` takes it; like every Dagster process, they need `DAGSTER_HOME` set.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from dagster._config import StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import (
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool


class Engines:
    """One engine per database file and process."""

    def __init__(self, busy_timeout: float | None = None):
        self._connect_args = {"check_same_thread": False}
        if busy_timeout is not None:
            self._connect_args["timeout"] = busy_timeout
        self._engines: dict[str, Engine] = {}
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def get(self, conn_string: str) -> Engine:
        with self._lock:
            if self._pid != os.getpid():
                # Inherited from the parent: SQLite forbids carrying a connection across fork,
                # and closing one here could checkpoint or truncate the write-ahead log under
                # the parent's feet, so they are only forgotten.
                for engine in self._engines.values():
                    engine.dispose(close=False)
                self._engines.clear()
                self._pid = os.getpid()
            engine = self._engines.get(conn_string)
            if engine is None:
                # No cap on connections (`max_overflow`): the webserver's threads and the
                # daemon's would otherwise wait for one, where Dagster's own storage never
                # makes them wait.
                engine = create_engine(
                    conn_string,
                    poolclass=QueuePool,
                    max_overflow=-1,
                    connect_args=self._connect_args,
                )
                self._engines[conn_string] = engine
            return engine

    def dispose(self) -> None:
        with self._lock:
            for engine in self._engines.values():
                engine.dispose(close=self._pid == os.getpid())
            self._engines.clear()


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn


class _OneFileKept:
    """The storage of one database file (runs, schedules) through an engine kept open; Dagster's
    `from_local` makes the file and its tables, `_directory` places it under `base_dir`."""

    _directory: Callable[[str], str]
    _conn_string: str

    def __init__(self, conn_string: str, inst_data=None):
        self._engines = Engines()  # before Dagster's own set-up, which may connect
        super().__init__(conn_string, inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls.from_local(cls._directory(config_value["base_dir"]), inst_data=inst_data)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with _transaction(self._engines.get(self._conn_string)) as conn:
            yield conn

    def dispose(self) -> None:
        super().dispose()
        self._engines.dispose()


class PooledSqliteRunStorage(_OneFileKept, SqliteRunStorage):
    """Runs, in `<base_dir>/history/runs.db`."""

    _directory = staticmethod(_runs_directory)


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Event logs: one file per run and an index, in `<base_dir>/history/runs/`; the index is
    kept open."""

    def __init__(self, base_dir: str, inst_data=None):
        # Before Dagster's own set-up, which indexes an existing history through `_connect`.
        self._engines = Engines(busy_timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(_event_logs_directory(config_value["base_dir"]), inst_data=inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        if shard != INDEX_SHARD_NAME:  # a run's own file: Dagster's way (see the module)
            with super()._connect(shard) as conn:
                yield conn
            return
        # As Dagster's: one connection at a time per process (`_db_lock`), the file's tables
        # created on its first use.
        with self._db_lock:
            engine = self._engines.get(self.conn_string_for_shard(shard))
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with _transaction(engine) as conn:
                yield conn

    def wipe(self) -> None:
        # Dagster deletes the files: nothing of this process may hold them open.
        self._engines.dispose()
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._engines.dispose()


class PooledSqliteScheduleStorage(_OneFileKept, SqliteScheduleStorage):
    """Schedule and sensor state and ticks, in `<base_dir>/schedules/schedules.db`."""

    _directory = staticmethod(_schedule_directory)
