"""The one-pass validation finds what evaluating each rule on its own finds.

A tiny batch full of faults (several per row, duplicates, null keys, quarantines that cascade
from counties to households to members and surveys) is validated by `validate_batch`, then
every rule is evaluated again the plain way: the typed table stored, one query per rule, the
uniqueness rules as window functions, the accepted rows rebuilt after each table. Both must
give the same findings; a few of them are also written out by hand.
"""

from __future__ import annotations

import ibis
import pytest

from pipeline import schema_rules
from pipeline.privacy import mask_value
from pipeline.schemas.fields import RAW_TABLES
from pipeline.validation_plan import rows_to_check
from tests.conftest import validate

# Line numbers count the header as line 1 (see tests/unit/test_schemas.py for the batch).
HOUSEHOLD_1 = "529901001001000001"
IFF_EXITED = "present if and only if poverty_status is exited"
ANSWERS = "isin(('accept', 'not_accept', 'unsure'))"


def faulty_batch(batch: dict) -> dict:
    counties, households = batch["counties"], batch["registry_households"]
    members, surveys = batch["registry_members"], batch["survey_households"]
    # Line 4: two findings on one row; its household (line 5) and member (line 9) follow.
    counties[2].update(rural_population="3.5", region="north")
    # Line 3: two findings; its members (lines 5-6) are quarantined with it.
    households[1].update(household_size="0", year_exited="")
    # Line 6: the first household again; both copies fail, and so do their members.
    households.append(dict(households[0]))
    # Lines 7-8: the same member number twice in one household; line 8 is no man either.
    members[6].update(member_no="1", sex="X")
    # Lines 10-11: no household, the same member number, the same id as line 7.
    for _ in range(2):
        members.append({**members[5], "household_id": "", "member_no": "05"})
    # Line 12: an id with a wrong check character and a birth date that is no date.
    members.append({**members[5], "id_number": "52990219610101000X", "birth_date": "1961-02-30"})
    # Lines 3 and 6: a survey id twice; line 5: an unknown answer and a negative income.
    surveys.append(dict(surveys[1]))
    surveys[3].update(acceptance="maybe", production_cost="-5.00")
    return batch


def findings(con) -> list[tuple]:
    return con.execute(
        'select source_table, line_number, "column", rule, masked_value from rejected_rows '
        "where rule not like 'field count:%'"
    ).fetchall()


def per_rule_findings(con) -> list[tuple]:
    """Every rule evaluated on its own, table after table, as validation did before."""
    found = []
    for table in RAW_TABLES:
        typed_name = f"_typed_{table.name}"
        view = schema_rules.typed_view(table)
        con.execute(
            f'create or replace temp table "{rows_to_check(table.name)}" as '
            f'select * from "{table.asset}"'
        )
        con.execute(
            f'create or replace temp table "{typed_name}" as {ibis.to_sql(view, dialect="duckdb")}'
        )
        typed = ibis.table(view.schema(), name=typed_name)
        personal = {field.name for field in table.fields if field.pii}
        failing_lines = set()
        for rule in schema_rules.table_rules(table):
            text = typed[schema_rules.text_column(rule.field)]
            query = typed.filter(rule.fails(typed)).select(typed.line_number, value=text)
            for line, value in con.execute(ibis.to_sql(query, dialect="duckdb")).fetchall():
                shown = mask_value(value, rule.field.name in personal)
                found.append((table.name, line, rule.field.name, rule.name, shown))
                failing_lines.add(line)
        lines = ", ".join(str(line) for line in failing_lines) or "null"
        # Validation left its accepted rows as a view over its checked table.
        con.execute(f'drop view if exists "_accepted_{table.name}"')
        con.execute(
            f'create or replace temp table "_accepted_{table.name}" as '
            f'select * from "{typed_name}" where line_number not in ({lines})'
        )
    return found


@pytest.fixture
def validated(tmp_path, batch):
    return validate(tmp_path, faulty_batch(batch))


def test_one_pass__finds_what_each_rule_finds_on_its_own(validated):
    one_pass = findings(validated)
    assert sorted(one_pass) == sorted(per_rule_findings(validated))
    assert len(one_pass) > 30


def test_one_pass__a_few_findings_by_hand(validated):
    found = {row[:4]: row[4] for row in findings(validated)}
    expected = {
        ("counties", 4, "rural_population", "type: int"): "3.5",
        ("counties", 4, "region", "isin(('west', 'central', 'east'))"): "north",
        ("registry_households", 5, "county_code", "in counties"): "529903",
        ("registry_households", 3, "household_size", "in_range(1, 20)"): "0",
        ("registry_households", 3, "year_exited", IFF_EXITED): None,
        ("registry_households", 2, "household_id", "unique"): HOUSEHOLD_1,
        ("registry_households", 6, "household_id", "unique"): HOUSEHOLD_1,
        ("registry_members", 2, "household_id", "in registry_households"): HOUSEHOLD_1,
        ("registry_members", 9, "household_id", "in registry_households"): "529903001001000001",
        ("registry_members", 7, "member_no", "unique within the household"): "1",
        ("registry_members", 8, "member_no", "unique within the household"): "1",
        ("registry_members", 8, "sex", "isin(('M', 'F'))"): "X",
        # Null household ids make one partition, as in a window: both rows share member 05.
        ("registry_members", 10, "member_no", "unique within the household"): "05",
        ("registry_members", 11, "member_no", "unique within the household"): "05",
        ("registry_members", 10, "household_id", "required"): None,
        ("registry_members", 12, "birth_date", "type: date"): "1961-02-30",
        ("survey_households", 3, "survey_id", "unique"): "S2",
        ("survey_households", 6, "survey_id", "unique"): "S2",
        ("survey_households", 5, "acceptance", ANSWERS): "maybe",
        ("survey_households", 5, "production_cost", "greater_than_or_equal_to(0)"): "-5.00",
    }
    assert {key: found.get(key, "missing") for key in expected} == expected
    # The same id on three persons: each is a finding, the id masked in its personal column.
    id_rows = [key for key in found if key[0] == "registry_members" and key[3] == "unique"]
    assert sorted(line for _, line, _, _ in id_rows) == [7, 10, 11]
    assert all("*" in found[key] for key in id_rows)
    # A member breaking no rule of its own is quarantined only with its household.
    assert [key[3] for key in found if key[:2] == ("registry_members", 4)] == [
        "in registry_households"
    ]


def test_one_pass__rows_stay_in_the_order_of_the_quarantine(validated):
    keys = validated.execute(
        'select source_table, line_number, "column", rule from rejected_rows'
    ).fetchall()
    # A whole-row finding (no column) comes after the column findings of its line.
    assert keys == sorted(keys, key=lambda k: (k[0], k[1], k[2] is None, k[2] or "", k[3]))
