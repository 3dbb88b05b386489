"""DuckDB's memory cap from the environment: a size DuckDB can work in, or one clear error; the
threads a grouping statement gets."""

from __future__ import annotations

import duckdb
import pytest

from pipeline import warehouse
from pipeline.errors import InputError


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "1.5GB"), ("", "1.5GB"), ("800MB", "800MB"), (" 2GiB ", "2GiB"), ("1.5gb", "1.5gb")],
)
def test_memory_limit__a_size_or_the_default(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv(warehouse.MEMORY_LIMIT_ENV, raising=False)
    else:
        monkeypatch.setenv(warehouse.MEMORY_LIMIT_ENV, value)
    assert warehouse.memory_limit() == expected
    with warehouse.connect(":memory:") as con:  # DuckDB takes it
        assert con.execute("select current_setting('memory_limit')").fetchone()[0]


@pytest.mark.parametrize("value", ["abc", "0", "10KB", "99MB", "1.5", "-1GB", "1e3GB"])
def test_memory_limit__anything_else_is_one_input_error(monkeypatch, value):
    monkeypatch.setenv(warehouse.MEMORY_LIMIT_ENV, value)
    with pytest.raises(InputError, match="POVEXIT_DUCKDB_MEMORY_LIMIT"):
        warehouse.memory_limit()


def _threads(con) -> int:
    return con.execute("select current_setting('threads')").fetchone()[0]


@pytest.mark.parametrize("threads", [1, 2, warehouse.GROUPING_THREADS + 2])
def test_grouping_threads__at_least_the_grouping_count_then_as_before(threads):
    many = warehouse.GROUPING_ROWS
    with warehouse.connect(":memory:") as con:
        con.execute(f"set threads = {threads}")
        with warehouse.grouping_threads(con, many):
            assert _threads(con) == max(threads, warehouse.GROUPING_THREADS)
        assert _threads(con) == threads
        # restored after a failing statement too
        with (
            pytest.raises(duckdb.CatalogException, match="no_such_table"),
            warehouse.grouping_threads(con, many),
        ):
            con.execute("select * from no_such_table")
        assert _threads(con) == threads


def test_grouping_threads__a_small_grouping_keeps_the_threads():
    with warehouse.connect(":memory:") as con:
        con.execute("set threads = 1")
        with warehouse.grouping_threads(con, warehouse.GROUPING_ROWS - 1):
            assert _threads(con) == 1


def test_grouping_threads__a_failed_restore_does_not_hide_the_blocks_error():
    class Database:  # answers the threads query; refuses the restore, as a broken database would
        def __init__(self):
            self.statements = []

        def execute(self, sql):
            self.statements.append(sql)
            if sql == "set threads = 2":
                raise duckdb.ConnectionException("database invalidated")
            return self

        def fetchone(self):
            return (2,)

    con = Database()
    with (
        pytest.raises(ValueError, match="the block's"),
        warehouse.grouping_threads(con, warehouse.GROUPING_ROWS),
    ):
        raise ValueError("the block's own error")
    assert con.statements[-1] == "set threads = 2"  # the restore was tried
