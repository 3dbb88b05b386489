"""Dagster's SQLite storage of runs, event logs and schedules, each file opened once per process.

Dagster's own SQLite storage opens every database file anew for each read and write: a new
SQLAlchemy engine, a new connection, and, as that connection is the last to close, a WAL
checkpoint. A run of a batch writes about 270 events and reads its assets' last versions once
per step, so a recorded run (`DAGSTER_HOME` set: the UI, the sensor, the schedule) spent about
2 s of its time there, a third of the time of the reference batch.

These classes are Dagster's, with one change: the engine of each file is kept, with its pool of
connections, for the life of the process. The files, their layout under the instance's folder
and their schema are Dagster's own, so an instance configured without these classes (the
webserver of an older checkout, `dagster` commands run elsewhere) reads the same history.

- A process started by `fork` gets engines of its own: a pooled SQLite connection must not
  cross into a child process.
- A run's events are in a file of their own: only the engines of the last few run files are
  kept, so a long-lived process (the webserver, the daemon) does not hold every run's file
  open.
- SQLite's own locking still serialises writers across processes, with Dagster's busy timeout.

`deploy/dagster.yaml` configures them with the instance's folder as `base_dir`, as Dagster's
`storage: sqlite: base_dir` takes it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
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

# Run files whose engines a process keeps besides the index's: a run writes to its own file
# while the webserver reads a few others.
RUN_FILES_KEPT = 4


class Engines:
    """One engine per database file and process, the least recently used dropped past `kept`."""

    def __init__(self, kept: int | None = None, busy_timeout: float | None = None):
        self._kept = kept
        self._connect_args = {"check_same_thread": False}
        if busy_timeout is not None:
            self._connect_args["timeout"] = busy_timeout
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._never_dropped: set[str] = set()
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._engines)

    def get(self, conn_string: str, keep: bool = False) -> Engine:
        """The engine of `conn_string`; `keep`: never dropped to make room (the index file)."""
        with self._lock:
            if self._pid != os.getpid():
                # Inherited from the parent: its connections are not this process's to use or
                # close (closing them would reset the parent's), so they are only forgotten.
                for engine in self._engines.values():
                    engine.dispose(close=False)
                self._engines.clear()
                self._pid = os.getpid()
            engine = self._engines.get(conn_string)
            if engine is None:
                engine = create_engine(
                    conn_string, poolclass=QueuePool, connect_args=self._connect_args
                )
                self._engines[conn_string] = engine
            if keep:
                self._never_dropped.add(conn_string)
            self._engines.move_to_end(conn_string)
            self._drop_least_recent()
            return engine

    def _drop_least_recent(self) -> None:
        if self._kept is None:
            return
        droppable = [key for key in self._engines if key not in self._never_dropped]
        for key in droppable[: max(0, len(droppable) - self._kept)]:
            self._engines.pop(key).dispose()

    def dispose(self) -> None:
        with self._lock:
            for engine in self._engines.values():
                engine.dispose(close=self._pid == os.getpid())
            self._engines.clear()


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn


class PooledSqliteRunStorage(SqliteRunStorage):
    """Runs, in `<base_dir>/history/runs.db`."""

    def __init__(self, conn_string: str, inst_data=None):
        self._engines = Engines()  # before Dagster's own set-up, which may connect
        super().__init__(conn_string, inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls.from_local(_runs_directory(config_value["base_dir"]), inst_data=inst_data)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with _transaction(self._engines.get(self._conn_string)) as conn:
            yield conn

    def dispose(self) -> None:
        super().dispose()
        self._engines.dispose()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Event logs: one file per run and an index, in `<base_dir>/history/runs/`."""

    def __init__(self, base_dir: str, inst_data=None):
        # Before Dagster's own set-up, which indexes an existing history through `_connect`.
        self._engines = Engines(kept=RUN_FILES_KEPT, busy_timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(_event_logs_directory(config_value["base_dir"]), inst_data=inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As Dagster's: one connection at a time per process (`_db_lock`), each file's tables
        # created on its first use.
        with self._db_lock:
            conn_string = self.conn_string_for_shard(shard)
            engine = self._engines.get(conn_string, keep=shard == INDEX_SHARD_NAME)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with _transaction(engine) as conn:
                yield conn

    def dispose(self) -> None:
        super().dispose()
        self._engines.dispose()


class PooledSqliteScheduleStorage(SqliteScheduleStorage):
    """Schedule and sensor state and ticks, in `<base_dir>/schedules/schedules.db`."""

    def __init__(self, conn_string: str, inst_data=None):
        self._engines = Engines()  # before Dagster's own set-up, which may connect
        super().__init__(conn_string, inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls.from_local(_schedule_directory(config_value["base_dir"]), inst_data=inst_data)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with _transaction(self._engines.get(self._conn_string)) as conn:
            yield conn

    def dispose(self) -> None:
        super().dispose()
        self._engines.dispose()
