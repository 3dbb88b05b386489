"""A run keeps its batch's working database open: each step gets a connection of its own (its
own temp tables, the parse macros defined), the file's lock stays held until the run ends or
publishing lets go of it, and outside a run the database is opened and closed around each use."""

from __future__ import annotations

import fcntl
import subprocess
import sys

import duckdb
import pytest

from pipeline.defs.resources import PovexitPaths
from pipeline.errors import InputError

BATCH = "test-2020"


def lock_is_free(paths: PovexitPaths) -> bool:
    path = paths.warehouse_path(BATCH)
    with path.with_name(f"{path.name}.lock").open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def read_back(paths: PovexitPaths) -> list[tuple]:
    """The table the test kept, read by another connection: the database is closed."""
    with duckdb.connect(str(paths.warehouse_path(BATCH)), read_only=True) as reader:
        return reader.execute("select x from kept").fetchall()


@pytest.fixture
def in_a_run(tmp_path):
    paths = PovexitPaths(marts_dir=str(tmp_path / "marts"))
    paths.setup_for_execution(None)
    yield paths
    paths.teardown_after_execution(None)


def test_steps_of_a_run__share_the_open_database_not_their_temp_tables(in_a_run):
    paths = in_a_run
    with paths.warehouse(BATCH) as con:
        con.execute("create table kept as select 1 as x")
        con.execute("create temp table scratch as select 1 as x")
    assert not lock_is_free(paths)  # held between steps
    with paths.warehouse(BATCH) as con:
        assert con.execute("select x from kept").fetchall() == [(1,)]
        assert con.execute("select povexit_int('7')").fetchone() == (7,)
        with pytest.raises(duckdb.CatalogException):
            con.execute("select * from scratch")


def test_release__closes_the_database_so_another_can_attach_it(in_a_run, tmp_path):
    paths = in_a_run
    with paths.warehouse(BATCH) as con:
        con.execute("create table kept as select 1 as x")
    paths.release_warehouse(BATCH)
    assert lock_is_free(paths)
    with duckdb.connect(str(tmp_path / "other.duckdb")) as other:
        other.execute(f"attach '{paths.warehouse_path(BATCH)}' as wh (read_only)")
        assert other.execute("select x from wh.kept").fetchall() == [(1,)]
    with paths.warehouse(BATCH) as con:  # opened again if a step needs it after all
        assert con.execute("select x from kept").fetchall() == [(1,)]


def test_the_end_of_a_run__closes_the_database_and_lets_go_of_its_lock(tmp_path):
    paths = PovexitPaths(marts_dir=str(tmp_path / "marts"))
    paths.setup_for_execution(None)
    with paths.warehouse(BATCH) as con:
        con.execute("create table kept as select 1 as x")
    paths.teardown_after_execution(None)
    assert lock_is_free(paths)
    assert read_back(paths) == [(1,)]


def test_outside_a_run__each_use_opens_and_closes_the_database(tmp_path):
    paths = PovexitPaths(marts_dir=str(tmp_path / "marts"))
    with paths.warehouse(BATCH) as con:
        con.execute("create table kept as select 1 as x")
        assert not lock_is_free(paths)
    assert lock_is_free(paths)
    assert read_back(paths) == [(1,)]


def test_a_database_another_process_holds__is_one_clear_input_error(tmp_path):
    paths = PovexitPaths(marts_dir=str(tmp_path / "marts"))
    with paths.warehouse(BATCH) as con:
        con.execute("create table kept as select 1 as x")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; "
            f"c = duckdb.connect({str(paths.warehouse_path(BATCH))!r}, read_only=True); "
            "print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        held = rf"open in another process \(pid {holder.pid}\)"
        with pytest.raises(InputError, match=held), paths.warehouse(BATCH):
            pass
    finally:
        holder.stdin.close()
        holder.wait(30)


def test_a_spill_folder_left_by_a_killed_run__is_removed_when_the_database_opens(tmp_path):
    paths = PovexitPaths(marts_dir=str(tmp_path / "marts"))
    path = paths.warehouse_path(BATCH)
    spill = path.with_name(f"{path.name}.tmp")
    spill.mkdir(parents=True)
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"520102197210024863")
    with paths.warehouse(BATCH):
        pass
    assert not spill.exists()
