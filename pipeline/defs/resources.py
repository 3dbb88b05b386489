"""Where a batch's files are read and its working database and the marts are written."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from pipeline import settings, warehouse
from pipeline.locks import exclusive_lock


class PovexitPaths(dg.ConfigurableResource):
    """The raw and marts folders; empty means the environment's or the project's default.

    `povexit run` passes its folders as this resource's run config; the UI, the sensor and the
    schedule leave them empty.
    """

    raw_dir: str = ""
    marts_dir: str = ""
    # During a run: each working database this process has opened, with its lock held, by
    # batch id (`warehouse`); None outside a run.
    _open: dict[str, tuple[ExitStack, duckdb.DuckDBPyConnection]] | None = PrivateAttr(None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # Once per run with the in-process executor, once per step process with the
        # multiprocess one (Dagster's resource lifecycle).
        self._open = {}

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        for batch_id in list(self._open or {}):
            self.release_warehouse(batch_id)
        self._open = None

    def folders_config(self) -> dict[str, str]:
        """This resource's folders as run config (`resources.paths.config`)."""
        return {"raw_dir": self.raw_dir, "marts_dir": self.marts_dir}

    @property
    def raw(self) -> Path:
        return settings.raw_dir(self.raw_dir or None)

    @property
    def marts(self) -> Path:
        return settings.marts_dir(self.marts_dir or None)

    def batch_dir(self, batch_id: str) -> Path:
        return self.raw / settings.check_batch_id(batch_id)

    def warehouse_path(self, batch_id: str) -> Path:
        return settings.warehouse_path(self.marts, batch_id)

    def sources_dir(self, batch_id: str) -> Path:
        """The batch's scratch folder for copies of its files (a GB18030 file's UTF-8 copy, a
        workbook's Parquet copy): they hold every name and id number, so validation removes
        it once it has read them, and a failed run removes it too (`pipeline.defs.hooks`)."""
        return self.warehouse_path(batch_id).with_suffix(".sources")

    def warehouse_lock(self, batch_id: str) -> AbstractContextManager[None]:
        """A turn on the batch's working database: whoever opens or attaches it holds this."""
        path = self.warehouse_path(batch_id)
        return exclusive_lock(path.with_name(f"{path.name}.lock"))

    def run_lock(
        self, batch_id: str, on_wait: Callable[[int | None], None] | None = None
    ) -> AbstractContextManager[None]:
        """The batch to one run at a time, from loading its files to reading its outcome: two
        runs of a batch (even from two raw folders) would otherwise interleave their steps on
        its one working database. `on_wait` gets the holder's pid if the batch is taken."""
        path = self.warehouse_path(batch_id)
        return exclusive_lock(path.with_name(f"{batch_id}.run.lock"), on_wait)

    @contextmanager
    def warehouse(self, batch_id: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the batch's own working database, with the parse macros defined.

        DuckDB lets one process at a time open a database file. Under the multiprocess
        executor a batch's steps run in separate processes, so they take turns on a lock file
        beside the database instead of failing on DuckDB's lock; another batch's steps use
        another file and are never held up.

        During a run the database stays open, its lock held, until the run ends (or, under
        the multiprocess executor, the step's process) or `release_warehouse`: each step gets
        a connection of its own to it (its own temp tables) without loading the catalog again
        or checkpointing when it is done. Outside a run, the database is opened and closed
        around the block.
        """
        if self._open is None:
            with self.warehouse_lock(batch_id):
                con = self._open_working(batch_id)
                try:
                    yield con
                finally:
                    con.close()
            return
        if batch_id not in self._open:
            held = ExitStack()
            held.enter_context(self.warehouse_lock(batch_id))
            try:
                opened = self._open_working(batch_id)
            except BaseException:
                held.close()
                raise
            held.callback(opened.close)  # closed (checkpointed) before the lock is let go
            self._open[batch_id] = (held, opened)
        con = warehouse.another_connection(self._open[batch_id][1])
        try:
            yield con
        finally:
            con.close()

    def _open_working(self, batch_id: str) -> duckdb.DuckDBPyConnection:
        """The working database opened, its lock held by the caller. DuckDB's spill folder
        beside it goes first: one left by a process that was killed holds rows as read (id
        numbers among them), and with the lock held no live database uses it."""
        path = self.warehouse_path(batch_id)
        shutil.rmtree(path.with_name(f"{path.name}.tmp"), ignore_errors=True)
        return warehouse.connect(path)

    def release_warehouse(self, batch_id: str) -> None:
        """Close the batch's working database if this run holds it open, and let go of its
        lock: publishing attaches the file from another database, which DuckDB refuses while
        this one has it."""
        if self._open and batch_id in self._open:
            held, _ = self._open.pop(batch_id)
            held.close()
