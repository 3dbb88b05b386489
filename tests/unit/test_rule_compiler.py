"""The compiled check query keeps the rows' order: validation numbers a file's rows by their
position in it, so a rule that would make the check join (a subquery of another table, a
window) is evaluated after it, over the numbered rows."""

from __future__ import annotations

import re

import pytest
import sqlglot

from pipeline import rule_compiler
from pipeline.validation import compiled_plans


@pytest.mark.parametrize(
    "query",
    [
        "select a from t where a in (select b from u)",
        "select a in (select b from u) as f from t",
        "select a, count(*) over (partition by a) from t",
        "select t.a from t join u on t.a = u.b",
        "select a from t where exists (select 1 from u)",
        "select a from t order by a",
    ],
)
def test_a_query_that_moves_rows__is_refused(query):
    with pytest.raises(ValueError, match="reorder rows"):
        rule_compiler._check_keeps_order(sqlglot.parse_one(query, dialect="duckdb"))


def test_a_projection__is_accepted():
    query = "select a, a in ('x', 'y') as f, hash(a) from (select a from t where a is not null)"
    rule_compiler._check_keeps_order(sqlglot.parse_one(query, dialect="duckdb"))


def test_every_compiled_check__keeps_order_and_cross_table_rules_come_after_it():
    plans = compiled_plans()
    for plan in plans.values():
        select = plan.check_sql.split(" as\n", 1)[1]
        rule_compiler._check_keeps_order(sqlglot.parse_one(select, dialect="duckdb"))
    members = plans["registry_members"]
    assert "_accepted_registry_households" not in members.check_sql
    assert "_accepted_registry_households" in members.beyond_row_findings_sql
    assert "'in registry_households'" in members.beyond_row_findings_sql


def _isin_codes(check_sql: str, column: str) -> set[str] | None:
    """The codes of the column's isin rule, as the findings list names it."""
    found = re.search(rf"'column': '{column}', 'rule': 'isin\(\((.*?)\)\)'", check_sql)
    return set(re.findall(r"''([^']*)''", found.group(1))) if found else None


def test_a_coded_column__is_stored_as_an_enum_of_exactly_its_rule_codes():
    # The check stores a coded column as an ENUM, and a row without findings is cast strictly:
    # a code the isin rule accepts but the ENUM lacks would stop a valid batch, and one the
    # ENUM holds but the rule refuses is never stored. Both sets must be the same.
    stored = {}
    enum_cast = re.compile(r'else cast\("(\w+)" as ENUM\((.*?)\)\) end')
    for plan in compiled_plans().values():
        for column, enum in enum_cast.findall(plan.check_sql):
            stored[(plan.table, column)] = set(re.findall(r"'([^']*)'", enum))
            assert stored[(plan.table, column)] == _isin_codes(plan.check_sql, column), column
    assert {("registry_members", "relation"), ("registry_members", "sex")} <= set(stored)
    assert ("registry_households", "poverty_status") in stored


def test_a_coded_column_the_rules_beyond_a_row_read__stays_text():
    # Those rules see every row, also one whose value is no code (kept as read, for them).
    for plan in compiled_plans().values():
        for column in re.findall(r'else cast\("(\w+)" as ENUM', plan.check_sql):
            assert f'"{column}"' not in (plan.beyond_row_findings_sql or ""), column
