"""The quarantine: every raw row that breaks a rule of its pandera schema, found inside DuckDB.

The rules live in the pandera schemas (`pipeline/schemas/raw.py`); `pipeline.rule_compiler`
turns them into one pass per raw table. The compiled SQL depends only on the code, so it is
cached on disk (`pipeline.sql_cache`) under a hash of that code and of the ibis, pandera and
sqlglot versions: a run with the cache warm needs neither ibis nor pandera.

For each raw table, in SPEC order:

1. the check query reads the raw table once into a temp table (`_checking_<table>_rows`, in
   memory, never in the database file): each row's findings of the rules that look at one row
   alone, its typed values (a coded one as an ENUM of its codes, unless a rule beyond the row
   reads it) and the texts as read that findings show. For a file whose lines are all rows it
   reads the file on every thread, and a row's position is its line, once DuckDB's plan for it
   is seen to move no row (`check_rows`);
2. those findings and the findings of the rules that read beyond their row (uniqueness, a
   member's household among the accepted households) become rows of `rejected_rows`, with
   the source file, the line number and the value as `pipeline.privacy` allows it to be
   shown (an id number is masked in whatever column it was typed), followed by the rows
   ingestion set aside for their field count;
3. what remains are the accepted rows. Their typed values are stored once, as
   `_checked_<table>`, which staging reads (the text is parsed once, and a value the validator
   accepted is the value staging stores; a coded value is stored as the ENUM of its codes, one
   byte, and staging gives it back as text); the columns that the cross-table rules of the
   later tables read are the view `_accepted_<table>` over it: a member of a quarantined
   household is quarantined too, instead of being counted in a county with no household.

Nothing is copied out of the database.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from functools import cache
from importlib.metadata import version
from pathlib import Path

import duckdb

from pipeline import sql_cache
from pipeline.ingest import check_sources_unchanged
from pipeline.raw_sql import normalised_columns, rows_view
from pipeline.schemas.fields import RAW_TABLES, RawTable
from pipeline.schemas.registry import REJECTED_ROWS, ddl
from pipeline.schemas.values import as_code_sql, code_types
from pipeline.validation_plan import (
    TablePlan,
    accepted_table,
    checked_rows_table,
    checked_table,
    checking_table,
    rows_to_check,
    staged_columns,
)
from pipeline.warehouse import grouping_threads, relation_kind

_PIPELINE = Path(__file__).resolve().parent
# Everything the compiled SQL is made from: the schemas' package whole (the rules, the fields,
# the table names), the compiler and the SQL macros the rules meet.
COMPILED_FROM = (
    *sorted((_PIPELINE / "schemas").glob("*.py")),
    _PIPELINE / "validation.py",
    _PIPELINE / "schema_rules.py",
    _PIPELINE / "reference" / "value_labels.toml",  # a coded column's codes (its ENUM)
    _PIPELINE / "rule_compiler.py",
    _PIPELINE / "partition_counts.py",
    _PIPELINE / "sql_shared.py",
    _PIPELINE / "validation_plan.py",
    _PIPELINE / "privacy.py",
    _PIPELINE / "warehouse.py",
    _PIPELINE / "errors.py",
)
COMPILED_WITH = ("ibis-framework", "pandera", "sqlglot")


def plans_key() -> str:
    """The cache key of the compiled SQL: the code it is compiled from and the compilers.

    The year is part of it: the id-number pattern of `pipeline.privacy` accepts birth years
    up to the current one.
    """
    sources = [path.read_bytes() for path in COMPILED_FROM]
    versions = [f"{package}=={version(package)}" for package in COMPILED_WITH]
    return sql_cache.fingerprint(*sources, *versions, str(dt.date.today().year))


@cache
def compiled_plans() -> dict[str, TablePlan]:
    """Every raw table's plan, from the cache or compiled (then cached)."""

    def compile_plans() -> dict:
        from pipeline import rule_compiler  # ibis and pandera: only when not cached

        return {name: plan.to_json() for name, plan in rule_compiler.compile_plans().items()}

    return sql_cache.cached("validation", plans_key(), compile_plans, decode=_decode_plans)


def _decode_plans(stored: dict) -> dict[str, TablePlan]:
    plans = {table.name: TablePlan.from_json(stored[table.name]) for table in RAW_TABLES}
    if set(stored) != set(plans):
        raise ValueError("the cached plans are for other tables")
    return plans


def rows_to_check_sql(con: duckdb.DuckDBPyConnection, table: RawTable) -> str | None:
    """For a file whose lines are all rows, the relation the check query reads in place of
    `rows_to_check(table)`, as SQL: the file as it is, read on every thread and in file order
    (`rows_view`), with no line numbers (the check's n-th row is line n + 1, `check_rows`).
    None for any other file."""
    as_read = rows_view(table.asset)
    if not relation_kind(con, as_read):
        return None
    # A subquery, not a view: DuckDB would bind the normalisation twice, once for the view
    # and once for the query (a tenth of a second a batch, seen in small batches).
    columns = normalised_columns(table.loaded_fields)
    return f'(select null::bigint as line_number, {columns} from "{as_read}")'


# The physical operators a check query read by position may have: none of them moves a row.
_KEEPS_ORDER = {"PROJECTION", "FILTER", "READ_CSV"}


def _operators(node: dict) -> Iterator[str]:
    yield node.get("name", "")
    for child in node.get("children", []):
        yield from _operators(child)


# Verdicts already reached in this process, by query and by the definition of the view of the
# file's rows with its path left out: planning a check costs as much as running it on a small
# file, and a batch's tables plan alike from run to run.
_PLANS_JUDGED: dict[tuple[str, str], bool] = {}
_FILE_PATH = re.compile(r"read_csv\('(?:[^']|'')*'")


def _plan_keeps_order(con: duckdb.DuckDBPyConnection, query: str, rows: str) -> bool:
    """Whether DuckDB would run `query`, which reads the view `rows`, without an operator that
    moves rows. The compiled check has no join (`rule_compiler`), but the optimiser may add
    one: it rewrites a long `IN (...)` list into a join unless told not to."""
    definition = con.execute(
        "select sql from duckdb_views() where view_name = ? and temporary = false", [rows]
    ).fetchone()
    key = (query, _FILE_PATH.sub("read_csv(?", definition[0] if definition else ""))
    if key not in _PLANS_JUDGED:
        explained = con.execute(f"explain (format json) {query}").fetchone()[1]
        plans = json.loads(explained)
        _PLANS_JUDGED[key] = all(
            name in _KEEPS_ORDER for plan in plans for name in _operators(plan)
        )
    return _PLANS_JUDGED[key]


def check_rows(con: duckdb.DuckDBPyConnection, table: RawTable, plan: TablePlan) -> None:
    """Run the table's check query, then the temp view `checking_table` over its rows, each
    with its line number.

    A file whose lines are all rows is read by position when DuckDB's plan for the check
    moves no row; otherwise (another file, or a plan with a join) the numbered raw relation
    is copied once and read instead, which DuckDB numbers on one thread.
    """
    rows = checked_rows_table(table.name)
    source = rows_to_check_sql(con, table)
    if source is not None:
        # Both are database settings: the numbering depends on them. Insertion order is
        # DuckDB's default, which storing the accepted rows turns off for its own statement.
        con.execute("set preserve_insertion_order = true")
        con.execute("set disabled_optimizers = 'in_clause'")
        try:
            select = plan.check_select_over(source)
            if _plan_keeps_order(con, select, rows_view(table.asset)):
                # The line numbers are the rows' positions, not a column of nulls stored.
                con.execute(
                    f'create or replace temp table "{rows}" as '
                    f"select * exclude (line_number) from ({select})"
                )
                # The n-th row inserted is the n-th read: line n + 1.
                _create_checking_view(con, table, "rowid + 2 as line_number, ")
                return
        finally:
            con.execute("reset disabled_optimizers")
    copy = f"{rows_to_check(table.name)}_copy"
    con.execute(f'create or replace temp table "{copy}" as select * from "{table.asset}"')
    con.execute(plan.check_sql_over(f'"{copy}"'))
    con.execute(f'drop table "{copy}"')
    _create_checking_view(con, table)


def _create_checking_view(
    con: duckdb.DuckDBPyConnection, table: RawTable, line_number: str = ""
) -> None:
    """The temp view `checking_table` over the checked rows, `line_number` first if given. A
    coded column the check stored as the ENUM of its codes (`rule_compiler._stored_column`)
    stays one: no rule of the table reads it after the check (one that does is kept as text),
    the checked table stores it as that ENUM (`_stored_columns`), and later tables read it as
    text through `_accepted_<table>`."""
    con.execute(
        f'create or replace temp view "{checking_table(table.name)}" as '
        f'select {line_number}* from "{checked_rows_table(table.name)}"'
    )


def _stored_columns(table: RawTable) -> str:
    """The checked table's select list: the line number and the staged columns, a coded one as
    the ENUM of its codes (`values.code_types`, as the registry describes `_checked_<table>`).
    The check holds most coded columns as that ENUM already (the cast is then the value as it
    is); one a rule beyond a row reads is text there, and every accepted row holds a code."""
    coded = code_types(table)
    columns = []
    for name in ["line_number", *staged_columns(table)]:
        column = f'"{name}"'
        if name in coded:
            column = f"{as_code_sql(column, coded[name], f'{table.name}.{name}')} as {column}"
        columns.append(column)
    return ", ".join(columns)


def _validate_table(
    con: duckdb.DuckDBPyConnection, batch_id: str, table: RawTable, plan: TablePlan
) -> None:
    source_file = con.execute(
        "select source_file from _ingest_reports where source_table = ?", [table.name]
    ).fetchone()[0]
    personal = [field.name for field in table.fields if field.pii] or [""]
    personal_columns = ", ".join(f"'{name}'" for name in personal)
    checking = f'"{checking_table(table.name)}"'
    check_rows(con, table, plan)
    beyond_row_findings = (
        "union all select line_number, unnest(findings) as finding "
        f"from ({plan.beyond_row_findings_sql}) where findings is not null"
        if plan.beyond_row_findings_sql
        else ""
    )
    # The rules beyond a row group every row by its keys (uniqueness).
    rows = (
        con.execute(f"select count(*) from {checking}").fetchone()[0]
        if plan.beyond_row_findings_sql
        else 0
    )
    with grouping_threads(con, rows):
        con.execute(
            f"""
            insert into rejected_rows
            select ?, ?, ?, line_number, finding."column", finding.rule,
                povexit_mask(finding.value, finding."column" in ({personal_columns}))
            from (
                select line_number, unnest(findings) as finding from {checking}
                where findings is not null
                {beyond_row_findings}
            )
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
    accepted_rows = f"""
        from {checking}
        anti join (
            select line_number from rejected_rows where source_table = '{table.name}'
        ) as rejected using (line_number)
    """
    # Only the accepted rows' typed values reach the database file: a quarantined row is in
    # rejected_rows, masked, and its values as read (an id number typed into a code column,
    # the offending value of each finding) are never written there.
    # Stored in no particular order: every row has its line number, and keeping the file's
    # order would make DuckDB recompress the whole table when the database is checkpointed.
    columns = _stored_columns(table)
    con.execute("set preserve_insertion_order = false")
    try:
        con.execute(
            f'create or replace table "{checked_table(table.name)}" as '
            f"select {columns} {accepted_rows}"
        )
    finally:
        con.execute("reset preserve_insertion_order")
    if plan.accepted_columns:
        # The accepted rows are the checked table's: read from it (compressed, in the database
        # file), they hold no memory while the later, larger tables are checked. The compiler
        # sees that the columns are among those it keeps (`rule_compiler.table_plan`).
        # A coded column is read as text, as the later tables' rules compare it.
        coded = code_types(table)
        columns = ", ".join(
            f'"{name}"::varchar as "{name}"' if name in coded else f'"{name}"'
            for name in plan.accepted_columns
        )
        con.execute(
            f'create or replace temp view "{accepted_table(table.name)}" as '
            f'select {columns} from "{checked_table(table.name)}"'
        )
    con.execute(f"drop view {checking}")
    con.execute(f'drop table "{checked_rows_table(table.name)}"')


def validate_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> int:
    """Fill `rejected_rows` for every raw table of the batch; returns the number of findings.

    Needs the raw tables, `batch_manifest`, `_ingest_reports` and `_malformed_rows`.
    """
    plans = compiled_plans()
    con.execute("drop table if exists rejected_rows")
    con.execute(ddl(REJECTED_ROWS))
    # The raw relations read their files: the files must be those the raw step read, before
    # validation starts and until it ends (staging reads validation's typed copy).
    check_sources_unchanged(con)
    for table in RAW_TABLES:
        _validate_table(con, batch_id, table, plans[table.name])
    check_sources_unchanged(con)
    con.execute(
        "create or replace table rejected_rows as select * from rejected_rows "
        'order by source_table, line_number, "column", rule'
    )
    return con.execute("select count(*) from rejected_rows").fetchone()[0]
