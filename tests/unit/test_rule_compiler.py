"""The compiled check query keeps the rows' order: validation numbers a file's rows by their
position in it, so a rule that would make the check join (a subquery of another table, a
window) is evaluated after it, over the numbered rows."""

from __future__ import annotations

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
