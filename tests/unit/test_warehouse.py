"""DuckDB's memory cap from the environment: a size DuckDB can work in, or one clear error; the
threads a grouping statement gets; the macros that parse a value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- parsing ------------------------------------------------------------------------------

# What a value must look like to parse, and nothing else: the macros' definition by pattern.
BY_PATTERN = {
    "povexit_int": (r"[+-]?[0-9]+(\.0+)?", "integer"),
    "povexit_decimal": (r"[+-]?[0-9]+(\.[0-9]{1,2})?", "decimal(12, 2)"),
    # Years 0001-9999: DuckDB would read 0000 as 1 BC.
    "povexit_date": (
        r"(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-[0-9]{2}-[0-9]{2}",
        "date",
    ),
}
SPELLINGS = st.one_of(
    st.text(alphabet="0123456789+-. e/", max_size=13),
    st.integers(-(10**12), 10**12).map(str),
    st.decimals(-(10**11), 10**11, places=3, allow_nan=False).map(str),
    st.dates(date(1, 1, 1), date(9999, 12, 31)).map(str),
    # Years of up to five digits, months and days zero-padded or not.
    st.builds(
        lambda y, m, d, padded: f"{y:04d}-{m:02d}-{d:02d}" if padded else f"{y}-{m}-{d}",
        st.integers(0, 99999),
        st.integers(0, 13),
        st.integers(0, 32),
        st.booleans(),
    ),
)


@pytest.fixture(scope="module")
def parsing():
    con = duckdb.connect()
    con.execute(warehouse.PARSE_MACROS)
    return con


@settings(max_examples=400, deadline=None)
@given(values=st.lists(SPELLINGS, min_size=1, max_size=50))
def test_parse_macros__parse_exactly_what_their_patterns_allow(parsing, values):
    for macro, (pattern, type_) in BY_PATTERN.items():
        parsed = parsing.execute(
            f"""
            select list(v), list({macro}(v)),
                list(case when regexp_full_match(v, '{pattern}') then try_cast(v as {type_}) end)
            from (select unnest(?::varchar[]) as v)
            """,
            [values],
        ).fetchone()
        assert parsed[1] == parsed[2], (macro, parsed[0])


@pytest.mark.parametrize(
    ("macro", "value", "expected"),
    [
        ("povexit_int", "7", 7),
        ("povexit_int", "+07", 7),
        ("povexit_int", "7.00", 7),
        ("povexit_int", "7.5", None),
        ("povexit_decimal", "8324.68", Decimal("8324.68")),
        ("povexit_decimal", "8324.6", Decimal("8324.60")),
        ("povexit_decimal", "1e3", None),
        ("povexit_date", "1968-10-02", date(1968, 10, 2)),
        ("povexit_date", "10000-01-01", None),  # DuckDB reads the year; the pattern does not
        ("povexit_date", "0000-01-01", None),  # DuckDB reads 1 BC
        ("povexit_date", "0001-01-01", date(1, 1, 1)),
        ("povexit_date", "1968-2-3", None),
        ("povexit_date", "1969-02-29", None),
    ],
)
def test_parse_macros__canonical_and_other_spellings(parsing, macro, value, expected):
    assert parsing.execute(f"select {macro}(?)", [value]).fetchone()[0] == expected
