"""The compiled check query keeps the rows' order: validation numbers a file's rows by their
position in it, so a rule that would make the check join (a subquery of another table, a
window) is evaluated after it, over the numbered rows."""

from __future__ import annotations

import re

import duckdb
import pytest
import sqlglot

from pipeline import rule_compiler, validation
from pipeline.schemas.fields import RAW_TABLES
from pipeline.schemas.values import code_type
from pipeline.validation import compiled_plans
from pipeline.validation_plan import checked_rows_table, staged_columns


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
    # The check and the checked table hold a coded column as the ENUM of its codes, and an
    # accepted row's value is cast strictly: a code the isin rule accepts but the ENUM lacks
    # would stop a valid batch, and one the ENUM holds but the rule refuses is never stored.
    # Both sets must be the same, also for a column the check keeps as text (sample_frame).
    plans = compiled_plans()
    coded = {
        (table.name, field.name): code_type(field)
        for table in RAW_TABLES
        for field in table.loaded_fields
        if code_type(field)
    }
    for (table, column), enum in coded.items():
        codes = set(re.findall(r"'((?:[^']|'')*)'", enum))
        assert codes == _isin_codes(plans[table].check_sql, column), (table, column)
    assert {("registry_members", "relation"), ("survey_households", "sample_frame")} <= set(coded)
    # the check's own casts are to those ENUMs
    enum_cast = re.compile(r'else coalesce\(try_cast\("(\w+)" as (ENUM\(.*?\))\), case when')
    cast = {
        (plan.table, column): enum
        for plan in plans.values()
        for column, enum in enum_cast.findall(plan.check_sql)
    }
    assert cast == {key: enum for key, enum in coded.items() if key[1] != "sample_frame"}


def test_a_coded_column_the_rules_beyond_a_row_read__stays_text():
    # Those rules see every row, also one whose value is no code (kept as read, for them).
    for plan in compiled_plans().values():
        for column in re.findall(r'coalesce\(try_cast\("(\w+)" as ENUM', plan.check_sql):
            assert f'"{column}"' not in (plan.beyond_row_findings_sql or ""), column


def _stored(rows: list[tuple]) -> list:
    """The members' relation as the check stores it, over rows of (has a finding, value)."""
    [members] = [table for table in RAW_TABLES if table.name == "registry_members"]
    codes = rule_compiler._coded_columns(members, set())["relation"]
    expression = rule_compiler._stored_column(members, "relation", codes, ["_fails_0"])
    values = ", ".join(f"({fails}, {'null' if v is None else repr(v)})" for fails, v in rows)
    query = f'select {expression} from (values {values}) as t("_fails_0", "relation")'
    return [value for (value,) in duckdb.connect().execute(query).fetchall()]


def test_a_stored_code__keeps_its_value_and_a_refused_one_is_null():
    assert _stored([(False, "head"), (False, None), (True, "户主x"), (True, "spouse")]) == [
        "head",
        None,
        None,
        "spouse",
    ]


def test_a_non_code_in_a_row_without_findings__stops_the_check_without_quoting_it():
    with pytest.raises(duckdb.Error) as stopped:
        _stored([(False, "head"), (False, "520102196810027967")])
    assert "registry_members.relation" in str(stopped.value)
    assert "5201" not in str(stopped.value)


def test_a_later_rule_reading_personal_data__is_refused_when_compiled():
    # Later tables read the accepted rows from the checked table, which keeps no personal data.
    [households] = [table for table in RAW_TABLES if table.name == "registry_households"]
    with pytest.raises(ValueError, match=r"registry_households\.head_id_number"):
        rule_compiler.table_plan(households, ["household_id", "head_id_number"])


def _surveys_code_type(name: str) -> str:
    [surveys] = [table for table in RAW_TABLES if table.name == "survey_households"]
    return next(code_type(field) for field in surveys.loaded_fields if field.name == name)


def _checked_surveys(sample_frames: list[str | None]) -> list[tuple]:
    """Survey rows through the statement that stores the checked table, with `sample_frame`
    held as text by the check (a rule beyond its row reads it) and `acceptance` as its ENUM:
    (sample_frame, its stored type, acceptance's stored type) of each row."""
    [surveys] = [table for table in RAW_TABLES if table.name == "survey_households"]
    held = ", ".join(
        f'"{name}" {_surveys_code_type(name) if name == "acceptance" else "varchar"}'
        for name in ["line_number", *staged_columns(surveys)]
    )
    rows = checked_rows_table(surveys.name)
    con = duckdb.connect()
    con.execute(f'create temp table "{rows}" ({held})')
    for line, frame in enumerate(sample_frames, start=2):
        con.execute(
            f'insert into "{rows}" (line_number, sample_frame, acceptance) values (?, ?, ?)',
            [line, frame, "accept"],
        )
    select = validation._stored_columns(surveys)
    con.execute(f'create table stored as select {select} from "{rows}"')
    return con.execute(
        "select sample_frame::varchar, typeof(sample_frame), typeof(acceptance) from stored"
    ).fetchall()


def test_the_checked_table__stores_a_coded_column_held_as_text_as_its_enum():
    frame, acceptance = _surveys_code_type("sample_frame"), _surveys_code_type("acceptance")
    assert _checked_surveys(["poor", None]) == [
        ("poor", frame, acceptance),
        (None, frame, acceptance),
    ]


def test_the_checked_table__stops_on_a_non_code_without_quoting_it():
    with pytest.raises(duckdb.Error) as stopped:
        _checked_surveys(["poor", "520102196810027967"])
    assert "survey_households.sample_frame" in str(stopped.value)
    assert "5201" not in str(stopped.value)
