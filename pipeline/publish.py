"""Publishing a batch's marts: build a new marts file, then rename it over the old one.

A reader holding the old file open keeps reading the old file (the rename swaps the directory
entry, not the bytes under an open handle), so a reader is never blocked and never sees half a
publish. The old file is copied before it is read, so even a reader holding it open read-write
does not lock the publisher out. Other batches' rows are carried over untouched; the batch's own
rows are replaced whole.

Being a new file each time, the marts take the storage version `connection_config()` asks for
(DuckDB 1.4's), so the `duckdb` shell from PyPI opens them, even after a publish over a file
an older pipeline wrote in DuckDB 2's format.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import duckdb

from pipeline import warehouse
from pipeline.contracts import table_problems
from pipeline.locks import exclusive_lock
from pipeline.schemas.registry import TABLES, comment_statements
from pipeline.settings import check_batch_id
from pipeline.sql_models import PROVINCE_LAYER, build_order, load_models, materialize


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    rows = con.execute(
        "select table_name from duckdb_tables() where database_name = ?", [catalog]
    ).fetchall()
    return {name for (name,) in rows}


def publish_lock(marts_dir: Path) -> AbstractContextManager[None]:
    """One publisher at a time, across processes (Dagster's pool serialises runs it launches;
    this also covers `povexit run` and anything else that publishes)."""
    return exclusive_lock(marts_dir / ".publish.lock")


def publish_batch(working: Path, marts_file: Path, batch_id: str, tables: list[str]) -> dict:
    """Replace `batch_id`'s rows of `tables` in `marts_file` by those of the working database
    `working`; returns the batch's row count per table."""
    check_batch_id(batch_id)  # it is spelled into the SQL below
    with publish_lock(marts_file.parent):
        return _publish(working, marts_file, batch_id, tables)


@contextmanager
def _replacing(marts_file: Path) -> Iterator[Path]:
    """A new marts file's path beside `marts_file` (not yet created); renamed over it, synced,
    when the block ends without error, else removed. Callers hold the publish lock."""
    # Publishers take turns (publish_lock), so leftovers of a killed publish are stale.
    for stale in marts_file.parent.glob(f".{marts_file.name}.*"):
        stale.unlink(missing_ok=True)
    handle, new_name = tempfile.mkstemp(prefix=f".{marts_file.name}.", dir=marts_file.parent)
    os.close(handle)
    new_file = Path(new_name)
    new_file.unlink()  # DuckDB, or a copy, creates the file itself
    try:
        yield new_file
        with new_file.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(new_file, marts_file)
    finally:
        new_file.unlink(missing_ok=True)
        Path(f"{new_file}.wal").unlink(missing_ok=True)


def _publish(working: Path, marts_file: Path, batch_id: str, tables: list[str]) -> dict:
    counts = {}
    with _replacing(marts_file) as new_file:
        _build(new_file, working, marts_file, batch_id, tables, counts)
    return counts


def _build(
    new_file: Path, working: Path, marts_file: Path, batch_id: str, tables: list[str], counts: dict
) -> None:
    snapshot = new_file.with_suffix(".old")
    try:
        # The file is created here, so it takes connection_config()'s storage version.
        con = warehouse.connect(new_file)
        con.execute(f"attach '{working}' as wh (read_only)")
        old_tables: set[str] = set()
        if marts_file.exists():
            shutil.copyfile(marts_file, snapshot)
            con.execute(f"attach '{snapshot}' as old (read_only)")
            old_tables = _tables(con, "old")
        province = {model.name for model in province_models()}
        for table in sorted(old_tables - set(tables) - province):
            con.execute(f'create table "{table}" as select * from old."{table}"')
        for table in tables:
            # The registry's columns, in its order: a column an older publish had under another
            # name is left behind, one it lacked reads null for the batches it holds.
            columns = ", ".join(f'"{name}"' for name in TABLES[table].column_names)
            kept = (
                f"select * from old.\"{table}\" where batch_id <> '{batch_id}' union all by name "
                if table in old_tables
                else ""
            )
            con.execute(
                f'create table "{table}" as select {columns} from ('
                f'{kept}select * from wh."{table}") order by all'
            )
            for statement in comment_statements(TABLES[table]):
                con.execute(statement)
            counts[table] = con.execute(
                f'select count(*) from "{table}" where batch_id = ?', [batch_id]
            ).fetchone()[0]
        con.execute("detach wh")
        if old_tables:
            con.execute("detach old")
        # The cross-batch tables change with every batch's rows: rebuilt in the same file, a
        # reader never sees them disagree with the batches they summarise.
        build_province_tables(con)
        con.execute("checkpoint")
        con.close()
    finally:
        snapshot.unlink(missing_ok=True)


class ProvinceTablesUnbuilt(Exception):
    """A province model's table is not what the registry describes: nothing was published."""


def build_province_tables(con: duckdb.DuckDBPyConnection) -> dict:
    """(Re)build the cross-batch tables (`sql/province/`) from the marts in `con`, with their
    comments; returns their row counts.

    Raises:
        ProvinceTablesUnbuilt: a table differs from its registry entry.
    """
    counts = {}
    for model in province_models():
        counts[model.name] = materialize(con, model)
        if problems := table_problems(con, TABLES[model.name]):
            raise ProvinceTablesUnbuilt(f"{model.name}: " + "; ".join(problems))
        for statement in comment_statements(TABLES[model.name]):
            con.execute(statement)
    return counts


def province_models() -> list:
    models = load_models(layers=(PROVINCE_LAYER,))
    return [models[name] for name in build_order(models)]


def publish_province_tables(marts_file: Path) -> dict:
    """Rebuild the cross-batch tables in a new marts file renamed over the old one; returns
    their row counts. Nothing is written while no batch has published (no marts file).

    Raises:
        ProvinceTablesUnbuilt: a table differs from its registry entry; the old file stays.
    """
    if not marts_file.exists():
        return {}
    with publish_lock(marts_file.parent), _replacing(marts_file) as new_file:
        # A copy, not the file itself: readers holding the old file keep it whole.
        shutil.copyfile(marts_file, new_file)
        with warehouse.connect(new_file) as con:
            counts = build_province_tables(con)
            con.execute("checkpoint")
    return counts
