"""The pandera schemas, compiled to SQL that finds every failing row inside DuckDB.

For each raw table the schema's rules (presence, type, uniqueness and each check) become one
query over the typed view of the raw text; each failing (row, column, rule) becomes a row of
`rejected_rows` with the source file, its line number and the value as `pipeline.privacy`
allows it to be shown (an id number is masked in whatever column it was typed). Nothing is
copied out of the database: ibis turns the checks into SQL, DuckDB runs it.
Tables are validated in SPEC order so that a cross-table rule reads the accepted rows
(`_valid_<table>`) of the tables before it: a member of a quarantined household is quarantined
too, instead of being counted in a county with no household.
"""

from __future__ import annotations

from functools import cache

import duckdb
import ibis
import ibis.expr.datatypes as dt
import pandera.ibis as pa
from pandera.api.ibis.types import IbisData

from pipeline.schemas.fields import RAW_TABLES, RawTable
from pipeline.schemas.raw import DTYPES, SCHEMAS
from pipeline.warehouse import PARSER_OF_TYPE

REJECTED_ROWS_DDL = """
create or replace table rejected_rows (
    batch_id varchar,
    source_file varchar,
    source_table varchar,
    line_number bigint,
    "column" varchar,
    rule varchar,
    masked_value varchar
)
"""


def _parser(name: str, dtype: dt.DataType):
    """An ibis call of one of the warehouse's parse macros."""

    @ibis.udf.scalar.builtin(name=name, signature=((dt.String(),), dtype))
    def parse(value):
        """Runs in DuckDB as the macro of the same name."""

    return parse


PARSERS = {kind: _parser(macro, DTYPES[kind]) for kind, macro in PARSER_OF_TYPE.items() if macro}


def raw_table(table: RawTable) -> ibis.Table:
    columns = {field.name: "string" for field in table.loaded_fields}
    return ibis.table({"line_number": "int64", **columns}, name=table.asset)


def typed_view(table: RawTable) -> ibis.Table:
    """Each raw column parsed to its type, beside the text as read (`<column>__raw`)."""
    raw = raw_table(table)
    columns = {"line_number": raw.line_number}
    for field in table.loaded_fields:
        text = raw[field.name]
        parse = PARSERS.get(field.dtype)
        columns[field.name] = parse(text) if parse else text
        columns[f"{field.name}__raw"] = text
    return raw.select(**columns)


def typed_table(table: RawTable) -> ibis.Table:
    """The typed view stored once as `_typed_<table>`: every rule reads it, so the text is
    parsed once per batch instead of once per rule."""
    return ibis.table(typed_view(table).schema(), name=f"_typed_{table.name}")


def check_passes(check: pa.Check, table: ibis.Table, column: str) -> ibis.Value:
    """The boolean row condition a pandera check stands for, over `table`."""
    data = IbisData(table, column)
    if check.is_builtin_check:
        out = check._check_fn(data, **check.statistics)
    else:
        out = check._check_fn(data)
    if isinstance(out, ibis.Table):
        # Built-in checks return a one-column projection of `table`; keep its expression.
        out = out.op().values[column].to_expr()
    return out


def rule_name(check: pa.Check) -> str:
    return str(check.error or check.name)


def violations(table: RawTable) -> ibis.Table:
    """One row per (line, column, rule) that fails the table's schema."""
    schema = SCHEMAS[table.name]
    typed = typed_table(table)
    parts = []

    def failing(condition: ibis.Value, column: str, rule: str) -> None:
        parts.append(
            typed.filter(condition).select(
                line_number=typed.line_number,
                column=ibis.literal(column),
                rule=ibis.literal(rule),
                value=typed[f"{column}__raw"],
            )
        )

    for field in table.loaded_fields:
        column = schema.columns[field.name]
        value, text = typed[field.name], typed[f"{field.name}__raw"]
        if not column.nullable:
            failing(text.isnull(), field.name, "required")
        if field.dtype in PARSERS:
            failing(text.notnull() & value.isnull(), field.name, f"type: {field.dtype}")
        if column.unique:
            repeated = value.count().over(group_by=value) > 1
            failing(value.notnull() & repeated, field.name, "unique")
        for check in column.checks:
            # A rule that cannot be decided (another column missing) is that column's finding.
            fails = ~check_passes(check, typed, field.name).fill_null(True)
            if check.ignore_na:
                fails = value.notnull() & fails
            failing(fails, field.name, rule_name(check))
    return ibis.union(*parts, distinct=False)


def to_sql(expression: ibis.Expr) -> str:
    return ibis.to_sql(expression, dialect="duckdb")


@cache
def typed_view_sql(table: RawTable) -> str:
    """The typed view's SQL; compiled once per process (ibis takes about 0.2 s a table)."""
    return to_sql(typed_view(table))


@cache
def violations_sql(table: RawTable) -> str:
    return to_sql(violations(table))


def validate_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> int:
    """Fill `rejected_rows` for every raw table of the batch; returns the number of findings.

    Needs the raw tables, `batch_manifest`, `_ingest_reports` and `_malformed_rows`.
    """
    con.execute(REJECTED_ROWS_DDL)
    for table in RAW_TABLES:
        source_file = con.execute(
            "select source_file from _ingest_reports where source_table = ?", [table.name]
        ).fetchone()[0]
        personal = [field.name for field in table.fields if field.pii] or [""]
        personal_columns = ", ".join(f"'{name}'" for name in personal)
        con.execute(
            f'create or replace temp table "_typed_{table.name}" as {typed_view_sql(table)}'
        )
        con.execute(
            f"""
            insert into rejected_rows
            select ?, ?, ?, line_number, "column", rule,
                povexit_mask(value, "column" in ({personal_columns}))
            from ({violations_sql(table)})
            """,
            [batch_id, source_file, table.name],
        )
        con.execute(
            """
            insert into rejected_rows
            select ?, source_file, source_table, line_number, null,
                'field count: ' || fields_found || ' fields, the header has ' || fields_expected,
                null
            from _malformed_rows where source_table = ?
            """,
            [batch_id, table.name],
        )
        # What remains are the accepted rows, for the cross-table rules of the tables after
        # this one (rejects are few, so deleting them beats copying the rest).
        con.execute(
            f"""
            delete from "_typed_{table.name}" where line_number in (
                select line_number from rejected_rows where source_table = '{table.name}'
            )
            """
        )
        con.execute(f'drop table if exists "_valid_{table.name}"')
        con.execute(f'alter table "_typed_{table.name}" rename to "_valid_{table.name}"')
    con.execute(
        "create or replace table rejected_rows as select * from rejected_rows "
        'order by source_table, line_number, "column", rule'
    )
    return con.execute("select count(*) from rejected_rows").fetchone()[0]
