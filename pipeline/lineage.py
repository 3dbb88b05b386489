"""Column-level lineage of a SQL model, read from its SQL with sqlglot.

For each column a model outputs, the columns of the tables it reads that feed it (through every
CTE, expression and join). `select *` is expanded with the schemas of the tables in the
warehouse, so lineage is computed where the model is built.
"""

from __future__ import annotations

import duckdb
from sqlglot import exp, parse_one
from sqlglot.lineage import lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope


def warehouse_schema(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Every table's columns and types, as sqlglot takes a schema."""
    schema: dict[str, dict[str, str]] = {}
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'main' order by table_name, ordinal_position"
    ).fetchall()
    for table, column, data_type in rows:
        schema.setdefault(table, {})[column] = data_type
    return schema


def column_lineage(sql: str, schema: dict[str, dict[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """{output column: sorted [(source table, source column), ...]}."""
    query = qualify(
        parse_one(sql, dialect="duckdb"),
        schema=schema,
        dialect="duckdb",
        validate_qualify_columns=False,
    )
    scope = build_scope(query)
    result = {}
    for select in query.selects:
        column = select.alias_or_name
        root = lineage(column, query, schema=schema, dialect="duckdb", scope=scope,
                       trim_selects=False)  # fmt: skip
        sources = {
            (node.source.name, node.name.rsplit(".", 1)[-1].strip('"'))
            for node in root.walk()
            if not node.downstream and isinstance(node.source, exp.Table)
        }
        result[column] = sorted(sources)
    return result
