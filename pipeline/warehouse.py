"""A batch's working DuckDB database, and the parse macros every reader of raw text shares.

Raw tables hold text as read. Validation (through ibis) and the staging SQL both turn that text
into values with the same macros, so a value the validator accepts is the value staging stores.
Ingestion has already mapped every accepted spelling to its canonical one
(`pipeline/reference/value_labels.toml`), so a boolean here is `true` or `false`. The parsers
are strict on purpose: `3.5` is not an integer and `1e3` is not money, where a plain
cast would round or convert silently. An integer is 32-bit (every count and year of SPEC fits),
so a value like 3000000000 fails its type rule here instead of overflowing a cast downstream.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from pipeline.errors import InputError
from pipeline.privacy import MASK_VALUE_MACRO

# A value parses if it is spelt as its pattern says. Most values are spelt exactly as DuckDB
# prints what they parse to ('7', '8324.68', '1968-10-02'): for them a cast and a print (a
# third of the pattern's cost) show it, and only the others are held to the pattern. Both
# branches give the same answer wherever the first applies (tests/unit/test_warehouse.py); a
# date's ten characters keep out years past 9999, which DuckDB reads and the pattern does not;
# year 0000, which DuckDB reads as 1 BC, is no date (a text below '0001' starts with it).
PARSE_MACROS = r"""
create or replace temp macro povexit_int(v) as
    case when cast(try_cast(v as integer) as varchar) = v then try_cast(v as integer)
        when regexp_full_match(v, '[+-]?[0-9]+(\.0+)?') then try_cast(v as integer) end;
create or replace temp macro povexit_decimal(v) as
    case when cast(try_cast(v as decimal(12, 2)) as varchar) = v
            then try_cast(v as decimal(12, 2))
        when regexp_full_match(v, '[+-]?[0-9]+(\.[0-9]{1,2})?')
            then try_cast(v as decimal(12, 2)) end;
create or replace temp macro povexit_date(v) as
    case when strlen(v) = 10 and cast(try_cast(v as date) as varchar) = v
            then try_cast(v as date)
        when regexp_full_match(v, '[0-9]{4}-[0-9]{2}-[0-9]{2}') and v >= '0001'
            then try_cast(v as date) end;
create or replace temp macro povexit_bool(v) as
    case v when 'true' then true when 'false' then false end;
"""
# Masking, for values the database itself writes out (`rejected_rows`).
PARSE_MACROS += MASK_VALUE_MACRO

# The macro that parses each field type; text needs none.
PARSER_OF_TYPE = {
    "string": None,
    "int": "povexit_int",
    "decimal": "povexit_decimal",
    "bool": "povexit_bool",
    "date": "povexit_date",
}


# The oldest DuckDB that must open the files the pipeline writes: the `duckdb` shell on PyPI
# (`duckdb-cli`) is still 1.x, and DuckDB 2's own format (storage version 69) is closed to it.
READABLE_SINCE = "v1.4.0"


def connection_config() -> dict[str, str]:
    """DuckDB settings for every connection the pipeline opens.

    DuckDB would take 80% of the machine's memory; a bounded limit makes it spill to disk
    instead, so a full province fits beside whatever else the machine runs.

    A database file takes its storage version when it is created and keeps it, so every file
    the pipeline creates (marts, working databases) is written for `READABLE_SINCE` onwards and
    an analyst can open it with the shell. A working database already in DuckDB 2's format
    keeps that format until it is deleted (the next run of its batch creates it anew).
    """
    return {
        "memory_limit": memory_limit(),
        "storage_compatibility_version": READABLE_SINCE,
    }


MEMORY_LIMIT_ENV = "POVEXIT_DUCKDB_MEMORY_LIMIT"
# A size as DuckDB reads one; below about 100 MB no batch's validation can run at all.
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B)\s*", re.IGNORECASE)
_UNIT_BYTES = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
SMALLEST_LIMIT = 100 * 10**6


def memory_limit() -> str:
    """DuckDB's memory cap: `POVEXIT_DUCKDB_MEMORY_LIMIT` or 1.5 GB.

    Raises:
        InputError: the variable is not a size DuckDB can work in (one line, not a failed run).
    """
    value = os.environ.get(MEMORY_LIMIT_ENV) or "1.5GB"  # set but empty: the default
    size = _SIZE.fullmatch(value)
    if size is None or float(size[1]) * _UNIT_BYTES[size[2][0].lower()] < SMALLEST_LIMIT:
        raise InputError(
            f"{MEMORY_LIMIT_ENV}={value!r}: give a size such as 1.5GB or 800MB (at least 100MB)"
        )
    return value.strip()


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a database: the one place the pipeline opens DuckDB. The parse macros are
    defined for the connection, and for a writer the quantile functions the marts call
    (`pipeline.quantiles`, SPEC 3.5).

    A reader (`read_only`) is opened with DuckDB's defaults, as any client opens the marts:
    DuckDB refuses a second connection to a file one process already holds open with other
    settings, and a reader neither creates a file nor runs a heavy query.
    """
    if read_only:
        con = duckdb.connect(str(path), read_only=True)
    else:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        con = _open_writer(path)
        # Imported here: validation's compiled SQL comes from this module and never calls them.
        from pipeline import quantiles

        quantiles.register(con)
    con.execute(PARSE_MACROS)
    return con


# DuckDB splits a hash aggregate's groups into as many partitions as it has threads. On two
# cores, millions of distinct keys (a person's id number, a member's household and number) fill
# two hash tables too large for the processor's cache; with four threads the same grouping takes
# half as long on the same two cores (9.2 million keys: 0.70 s and 0.33 s). A query that reads
# a file or computes row by row gains nothing from threads beyond the cores, and loses a little,
# so only the statements that group many keys get them. Changing the threads costs a few
# milliseconds each way, more than a small table's grouping gains.
GROUPING_THREADS = 4
GROUPING_ROWS = 1_000_000


def _threads_to_raise(con: duckdb.DuckDBPyConnection, rows: int) -> int | None:
    """DuckDB's threads, if a grouping of `rows` rows is to run with more; else None."""
    if rows < GROUPING_ROWS:
        return None
    threads = con.execute("select current_setting('threads')").fetchone()[0]
    return threads if threads < GROUPING_THREADS else None


@contextmanager
def grouping_threads(con: duckdb.DuckDBPyConnection, rows: int) -> Iterator[None]:
    """Run the block's statements, which group `rows` rows, with at least `GROUPING_THREADS`
    DuckDB threads when they are `GROUPING_ROWS` or more (a setting of the whole database: the
    steps of a run take turns)."""
    threads = _threads_to_raise(con, rows)
    if threads is None:
        yield
        return
    con.execute(f"set threads = {GROUPING_THREADS}")
    try:
        yield
    except BaseException:
        # The block's own error is the one to report, not a failed restore after it.
        with suppress(duckdb.Error):
            con.execute(f"set threads = {threads}")
        raise
    con.execute(f"set threads = {threads}")


def another_connection(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A new connection to the database `con` holds open, as `connect` would make it: the same
    settings and quantile functions (the database's), its own temp objects and parse macros.
    Opening the file again costs a catalog load and closing it a checkpoint; this costs
    neither."""
    cursor = con.cursor()
    cursor.execute(PARSE_MACROS)
    return cursor


# DuckDB's word for a file another process has open, and the process it names.
_HELD = re.compile(r"Could not set lock on file .*?\(PID (\d+)\)", re.DOTALL)


def connect_scratch() -> duckdb.DuckDBPyConnection:
    """A database in memory for queries that read files and store nothing (the raw step's
    screens, read ahead by `pipeline.prefetch`): DuckDB's defaults, with a memory cap of its
    own. A screen aggregates three numbers as it streams, but DuckDB's CSV reader holds
    buffers of the file for each thread: the members of scale 1 ran out of 100 MB once."""
    return duckdb.connect(config={"memory_limit": "256MB"})


def _open_writer(path: Path | str) -> duckdb.DuckDBPyConnection:
    """`path` opened for writing; a file another process holds (an analyst's shell, a reader
    left open) is the user's to release, not a fault of the run.

    Raises:
        InputError: another process has the file open.
    """
    try:
        return duckdb.connect(str(path), config=connection_config())
    except duckdb.IOException as error:
        held = _HELD.search(str(error))
        if held is None:
            raise
        raise InputError(
            f"{path}: open in another process (pid {held[1]}); close it there, then run again"
        ) from None


def relation_kind(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """ "table" or "view" for the relation `name` of the main schema, None if there is none."""
    found = con.execute(
        "select table_type from information_schema.tables "
        "where table_schema = 'main' and table_name = ?",
        [name],
    ).fetchone()
    return None if found is None else ("view" if found[0] == "VIEW" else "table")
