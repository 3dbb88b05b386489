"""Where a batch's files are read and its working database and the marts are written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipeline import settings, warehouse
from pipeline.locks import exclusive_lock


class PovexitPaths(dg.ConfigurableResource):
    """The raw and marts folders; empty means the environment's or the project's default.

    `povexit run` passes its folders as this resource's run config; the UI, the sensor and the
    schedule leave them empty.
    """

    raw_dir: str = ""
    marts_dir: str = ""

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
        """The batch's own working database, with the parse macros defined.

        DuckDB lets one process at a time open a database file. Under the multiprocess
        executor a batch's steps run in separate processes, so they take turns on a lock file
        beside the database instead of failing on DuckDB's lock; another batch's steps use
        another file and are never held up.
        """
        path = self.warehouse_path(batch_id)
        with self.warehouse_lock(batch_id):
            con = warehouse.connect(path)
            try:
                yield con
            finally:
                con.close()
