"""The pandera schemas compiled to the SQL of one validation pass per raw table.

The rules (`pipeline.schema_rules`) are evaluated together:

- the *check* query reads the raw table once: it parses every column, evaluates every rule
  that looks at one row alone and keeps, for each row, the list of its findings (column, rule,
  value as read) beside the few columns the rest of validation still needs. It is a
  projection and nothing else, so its rows keep the file's order and a row's position is its
  line (`pipeline.validation`): a join would reorder them;
- the *beyond-row findings* query evaluates, over those kept columns, the rules that read
  more than their row: those comparing rows with each other (uniqueness, and any check
  written as a window over the table), with counts over partitions read from a group-by
  (`pipeline.partition_counts`), and those reading another table's accepted rows.

The result is plain SQL text (`TablePlan`): `pipeline.validation` caches it, so ibis and
pandera are imported only when the schemas' code has changed.
"""

from __future__ import annotations

import ibis
import ibis.expr.operations as ops
from ibis.backends.sql.compilers.duckdb import compiler as duckdb_compiler
from sqlglot import exp

from pipeline.partition_counts import group_counts, partition_counts, partition_hash, rebased
from pipeline.schema_rules import (
    Rule,
    accepted_columns,
    columns_read,
    reads_beyond_its_row,
    table_rules,
    text_column,
    typed_view,
)
from pipeline.schemas.fields import RAW_TABLES, RawTable
from pipeline.schemas.values import as_code_sql, code_types
from pipeline.sql_shared import compute_shared_once
from pipeline.validation_plan import (
    TablePlan,
    checked_rows_table,
    checking_table,
    staged_columns,
)


def _sql(expression: ibis.Table, keeps_order: bool = False) -> str:
    query = duckdb_compiler.to_sqlglot(expression.unbind())
    if isinstance(query, exp.Select):
        query = compute_shared_once(query)
    if keeps_order:
        _check_keeps_order(query)
    return query.sql(dialect=duckdb_compiler.dialect)


def _check_keeps_order(query: exp.Expression) -> None:
    """Raise unless `query` only filters and projects its one source: a join (also the mark
    join of `x in (select ...)`), a window or a sort would move rows, and the check query's
    rows are numbered by their position."""
    for node in query.walk():
        moves_rows = isinstance(node, exp.Join | exp.Window | exp.Order | exp.Exists) or (
            isinstance(node, exp.In) and node.args.get("query") is not None
        )
        if moves_rows:
            raise ValueError(f"the check query would reorder rows: {node.sql()[:80]}")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _findings_list(rules: list[Rule], flags: list[str]) -> str:
    """SQL for a row's findings: a list of (column, rule, value) structs, null when none."""
    findings = ",\n        ".join(
        f"case when {_ident(flag)} then {{'column': {_quote(rule.field.name)}, "
        f"'rule': {_quote(rule.name)}, 'value': {_ident(text_column(rule.field))}}} end"
        for rule, flag in zip(rules, flags, strict=True)
    )
    return (
        f"case when {_any_of(flags)} then list_filter([\n        {findings}\n    ], "
        "lambda finding: finding is not null) end"
    )


def _any_of(flags: list[str]) -> str:
    """SQL: whether any of the row's flags is set."""
    return " or ".join(_ident(flag) for flag in flags) or "false"


def _coded_columns(table: RawTable, read_beyond: set[str]) -> dict[str, str]:
    """The check's coded text columns that the rules beyond a row do not read, with the ENUM
    of their codes: those the checking table stores as ENUMs (`_stored_column`)."""
    return {name: enum for name, enum in code_types(table).items() if name not in read_beyond}


def _stored_column(table: RawTable, name: str, enum: str | None, flags: list[str]) -> str:
    """The check query's select of a kept column, as the checking table stores it.

    A coded text column (one of a few codes: relation, sex, poverty status) that the rules
    beyond a row do not read is stored as the ENUM of its codes (`values.code_type`), one
    byte a row instead of a 16-byte string: at national scale the checking table outgrows
    DuckDB's memory cap, and every byte of it is written to disk and read back. The checked
    table stores the column as the same ENUM, and staging gives it back as text, so its values
    are exactly those read. A row with a finding keeps NULL for a value outside the codes (its
    finding holds the text as read); a row without one must hold a code, and the check stops
    rather than drop a value no rule refused (`values.as_code_sql`).
    """
    column = _ident(name)
    if not enum:
        return column
    return (
        f"case when {_any_of(flags)} then try_cast({column} as {enum}) "
        f"else {as_code_sql(column, enum, f'{table.name}.{name}')} end as {column}"
    )


def _hash_column(index: int) -> str:
    return f"_partition_hash_{index}"


def table_plan(table: RawTable, accepted: list[str]) -> TablePlan:
    # Later tables' rules read the accepted rows from the checked table, which holds no
    # personal data (`pipeline.validation`).
    if unkept := sorted(set(accepted) - set(staged_columns(table))):
        raise ValueError(
            f"a rule of a later table reads {table.name}.{', '.join(unkept)}, which validation "
            "does not keep (personal data): compare with a value derived from it instead"
        )
    typed = typed_view(table)
    rules = table_rules(table)
    conditions = [rule.fails(typed) for rule in rules]
    ruled = list(zip(rules, conditions, strict=True))
    row_rules = [
        (rule, condition) for rule, condition in ruled if not reads_beyond_its_row(condition, typed)
    ]
    beyond_rules = [
        (rule, condition) for rule, condition in ruled if reads_beyond_its_row(condition, typed)
    ]
    windows = partition_counts([condition for _, condition in beyond_rules], typed)

    # Kept for staging (the typed values, parsed once, are what staging stores), for the
    # rules reading beyond their row and for the cross-table rules of the tables after this.
    read_beyond = [
        name
        for rule, condition in beyond_rules
        for name in [*sorted(columns_read(condition, typed.op())), text_column(rule.field)]
    ]
    kept = [*staged_columns(table), *accepted, *read_beyond]
    kept = [name for name in dict.fromkeys(kept) if name != "line_number"]
    hashes = {_hash_column(index): partition_hash(window) for index, window in enumerate(windows)}

    texts = list(dict.fromkeys(text_column(rule.field) for rule, _ in row_rules))
    row_flags = [f"_fails_{index}" for index in range(len(row_rules))]
    flagged = typed.select(
        line_number=typed.line_number,
        **{name: typed[name] for name in dict.fromkeys([*kept, *texts])},
        **hashes,
        **{flag: condition for flag, (_, condition) in zip(row_flags, row_rules, strict=True)},
    )
    coded = _coded_columns(table, set(read_beyond))
    columns = ", ".join(
        _stored_column(table, name, coded.get(name), row_flags)
        for name in ["line_number", *kept, *hashes]
    )
    check_sql = (
        f"create or replace temp table {_ident(checked_rows_table(table.name))} as\n"
        f"select {columns},\n"
        f"    {_findings_list([rule for rule, _ in row_rules], row_flags)} as findings\n"
        f"from (\n{_sql(flagged, keeps_order=True)}\n) as flagged"
    )
    checked = ibis.table(
        {"line_number": "int64", **typed.select(*kept, **hashes).schema()},
        name=checking_table(table.name),
    )
    hash_columns = {
        rebased(window, typed, checked): name for window, name in zip(windows, hashes, strict=True)
    }
    beyond_row_findings_sql = _beyond_row_findings_sql(
        [rule for rule, _ in beyond_rules], checked, hash_columns
    )
    return TablePlan(table.name, check_sql, beyond_row_findings_sql, tuple(accepted))


def _beyond_row_findings_sql(
    rules: list[Rule], checked: ibis.Table, hash_columns: dict[ops.WindowFunction, str]
) -> str | None:
    """The findings of the rules reading beyond their row, over the checking table.

    Each count over a partition is read from a group-by of the partitions with more than one
    row (left-joined: a row of a one-row partition counts itself); any other window is left
    to DuckDB as it is.
    """
    if not rules:
        return None
    conditions = [rule.fails(checked) for rule in rules]
    groups = {
        window: group_counts(window, checked, hash_column, index)
        for index, (window, hash_column) in enumerate(hash_columns.items())
    }
    replacements = {window: group.count.op() for window, group in groups.items()}
    conditions = [condition.op().replace(replacements).to_expr() for condition in conditions]
    joined = checked
    for group in groups.values():
        joined = joined.left_join(group.counts, group.matches)
    flags = [f"_fails_{index}" for index in range(len(rules))]
    texts = dict.fromkeys(text_column(rule.field) for rule in rules)
    flagged = joined.select(
        line_number=checked.line_number,
        **{name: checked[name] for name in texts},
        **dict(zip(flags, conditions, strict=True)),
    )
    return (
        f"select line_number, {_findings_list(rules, flags)} as findings\n"
        f"from (\n{_sql(flagged)}\n) as flagged"
    )


def compile_plans() -> dict[str, TablePlan]:
    """The validation SQL of every raw table, in validation order."""
    accepted = accepted_columns()
    return {table.name: table_plan(table, accepted[table.name]) for table in RAW_TABLES}
