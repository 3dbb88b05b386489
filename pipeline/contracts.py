"""Whether a table the pipeline built is the table the registry describes.

A staging or mart table must have the registry's columns, in its order, with its types, and one
row per grain (no two rows share the key columns). A model whose SQL drifted from its
description fails here, before anything downstream reads it or a publish copies it.
"""

from __future__ import annotations

import re

import duckdb

from pipeline.schemas.registry import Table
from pipeline.warehouse import grouping_threads


def built_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    """(column, type) of a built table, types spelt as the registry spells them."""
    rows = con.execute(
        """
        select column_name, data_type
        from information_schema.columns
        where table_schema = 'main' and table_name = ?
        order by ordinal_position
        """,
        [name],
    ).fetchall()
    return [(column, spelt(dtype)) for column, dtype in rows]


# A quoted text inside a type (an ENUM's codes) and what lies between such texts.
_QUOTED_OR_NOT = re.compile(r"('(?:[^']|'')*')|[^']+")


def spelt(dtype: str) -> str:
    """A type as compared: lower case, no space after a comma (`decimal(12,2)`); an ENUM's codes
    as they are (`ENUM('M', 'F')` is `enum('M','F')`: a column of codes 'm' and 'f' holds other
    values)."""
    return "".join(
        match[1] or match[0].lower().replace(", ", ",") for match in _QUOTED_OR_NOT.finditer(dtype)
    )


def column_problems(built: list[tuple[str, str]], table: Table) -> list[str]:
    expected = [(column.name, spelt(column.dtype)) for column in table.columns]
    if built == expected:
        return []
    built_types, expected_types = dict(built), dict(expected)
    problems = [f"missing column {name}" for name in expected_types if name not in built_types]
    problems += [f"unexpected column {name}" for name in built_types if name not in expected_types]
    problems += [
        f"column {name} is {built_types[name]}, the registry says {dtype}"
        for name, dtype in expected
        if name in built_types and built_types[name] != dtype
    ]
    if not problems:
        problems.append(
            "columns out of the registry's order: " + ", ".join(name for name, _ in built)
        )
    return problems


# The function grouping a grain's keys first (a test swaps in one that collides).
GRAIN_HASH = "hash"


def repeated_keys(con: duckdb.DuckDBPyConnection, table: Table) -> int:
    """Key values (of the table's grain) held by more than one row."""
    rows = con.execute(f'select count(*) from "{table.name}"').fetchone()[0]
    with grouping_threads(con, rows):
        return _repeated_keys(con, table)


def _repeated_keys(con: duckdb.DuckDBPyConnection, table: Table) -> int:
    keys = ", ".join(f'"{name}"' for name in table.grain)
    if len(table.grain) > 1:
        # Grouping millions of rows by several columns costs half again what grouping one
        # 8-byte hash of them does (a person's household and member number: 1.0 s and 0.7 s
        # over 9.2 million rows). Repeated keys share a hash, so when no hash repeats no key
        # does; when one does (a repeat, or two keys colliding) the keys are compared.
        shared = con.execute(
            f'select count(*) from (select {GRAIN_HASH}({keys}) from "{table.name}" '
            "group by all having count(*) > 1)"
        ).fetchone()[0]
        if not shared:
            return 0
    return con.execute(
        f'select count(*) from (select {keys} from "{table.name}" group by all having count(*) > 1)'
    ).fetchone()[0]


def table_problems(con: duckdb.DuckDBPyConnection, table: Table) -> list[str]:
    """What differs between the built table and its registry entry (empty: nothing)."""
    built = built_columns(con, table.name)
    if not built:
        return [f"table {table.name} not built"]
    problems = column_problems(built, table)
    if not problems and (repeated := repeated_keys(con, table)):
        grain = ", ".join(table.grain)
        problems.append(f"{repeated} values of the grain ({grain}) are held by several rows")
    return problems
