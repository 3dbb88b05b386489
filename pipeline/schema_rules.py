"""The rules of the pandera schemas (`pipeline.schemas.raw`) as conditions over typed rows.

Each rule of a table's schema (presence, type, uniqueness and every check) becomes a `Rule`:
its name in `rejected_rows` and the condition under which a row fails it, an ibis expression
over a table whose raw columns are parsed with the warehouse's parse macros, so a value the
validator accepts is the value staging stores. `pipeline.rule_compiler` evaluates them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import pandera.ibis as pa
from pandera.api.ibis.types import IbisData

from pipeline.schemas.fields import RAW_TABLES, Field, RawTable
from pipeline.schemas.raw import DTYPES, SCHEMAS, valid_table
from pipeline.validation_plan import rows_to_check
from pipeline.warehouse import PARSER_OF_TYPE


def _parser(name: str, dtype: dt.DataType):
    """An ibis call of one of the warehouse's parse macros."""

    @ibis.udf.scalar.builtin(name=name, signature=((dt.String(),), dtype))
    def parse(value):
        """Runs in DuckDB as the macro of the same name."""

    return parse


PARSERS = {kind: _parser(macro, DTYPES[kind]) for kind, macro in PARSER_OF_TYPE.items() if macro}


def text_column(field: Field) -> str:
    """The column holding a field's text as read (a finding shows that, not the parsed value)."""
    return f"{field.name}__raw" if field.dtype in PARSERS else field.name


def raw_table(table: RawTable) -> ibis.Table:
    columns = {field.name: "string" for field in table.loaded_fields}
    # The check reads the raw relation's rows through `rows_to_check`, on every thread.
    return ibis.table({"line_number": "int64", **columns}, name=rows_to_check(table.name))


def typed_view(table: RawTable) -> ibis.Table:
    """Each raw column parsed to its type; a parsed column keeps its text beside it."""
    raw = raw_table(table)
    columns = {"line_number": raw.line_number}
    for field in table.loaded_fields:
        text = raw[field.name]
        parse = PARSERS.get(field.dtype)
        columns[field.name] = parse(text) if parse else text
        if parse:
            columns[text_column(field)] = text
    return raw.select(**columns)


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


@dataclass(frozen=True)
class Rule:
    """One rule of one column: its name in `rejected_rows` and when a row fails it."""

    field: Field
    name: str
    fails: Callable[[ibis.Table], ibis.BooleanValue]


def _check_fails(check: pa.Check, column: str) -> Callable[[ibis.Table], ibis.BooleanValue]:
    def fails(t: ibis.Table) -> ibis.BooleanValue:
        # A rule that cannot be decided (another column missing) is that column's finding.
        failing = ~check_passes(check, t, column).fill_null(True)
        return t[column].notnull() & failing if check.ignore_na else failing

    return fails


def table_rules(table: RawTable) -> list[Rule]:
    """Every rule of the table's schema, column by column."""
    schema = SCHEMAS[table.name]
    rules = []
    for field in table.loaded_fields:
        column = schema.columns[field.name]
        name, text = field.name, text_column(field)
        if not column.nullable:
            rules.append(Rule(field, "required", lambda t, text=text: t[text].isnull()))
        if field.dtype in PARSERS:
            rules.append(
                Rule(
                    field,
                    f"type: {field.dtype}",
                    lambda t, name=name, text=text: t[text].notnull() & t[name].isnull(),
                )
            )
        if column.unique:
            rules.append(
                Rule(
                    field,
                    "unique",
                    lambda t, name=name: (
                        t[name].notnull() & (t[name].count().over(group_by=t[name]) > 1)
                    ),
                )
            )
        for check in column.checks:
            rules.append(Rule(field, rule_name(check), _check_fails(check, name)))
    return rules


# Relations with the rows and columns of their parent.
_SAME_COLUMNS = (ops.Filter, ops.Sort, ops.Limit, ops.Distinct, ops.Sample)


def _base(relation: ops.Relation) -> ops.Relation:
    while isinstance(relation, _SAME_COLUMNS):
        relation = relation.parent
    return relation


def columns_read(condition: ibis.Value, relation: ops.Relation) -> set[str]:
    """The columns of `relation` a condition reads, directly or through a filter of it."""
    return {field.name for field in condition.op().find(ops.Field) if _base(field.rel) == relation}


def reads_beyond_its_row(condition: ibis.Value, typed: ibis.Table) -> bool:
    """Whether a condition reads more than its row: other rows of its table (a window, a
    subquery of it) or another table (a subquery of its accepted rows)."""
    if condition.op().find(ops.WindowFunction):
        return True
    own = {typed.op(), *typed.op().find(ops.Relation)}
    return any(relation not in own for relation in condition.op().find(ops.Relation))


def accepted_columns() -> dict[str, list[str]]:
    """For each table, the columns of its accepted rows that cross-table rules read."""
    read: dict[str, set[str]] = {table.name: set() for table in RAW_TABLES}
    for table in RAW_TABLES:
        typed = typed_view(table)
        for rule in table_rules(table):
            condition = rule.fails(typed)
            for other in RAW_TABLES:
                read[other.name] |= columns_read(condition, valid_table(other).op())
    return {name: sorted(columns - {"line_number"}) for name, columns in read.items()}
