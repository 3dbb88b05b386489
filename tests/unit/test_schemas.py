"""Each rule of each raw schema, broken by one edit of the valid tiny batch.

Line numbers count the header as line 1. In the tiny batch: counties 529901 (line 2), 529902
(3), 529903 (4); households 529901…01 (2), 529901…02 (3), 529902…01 (4), 529903…01 poor (5);
members 2-4 of the first household, 5-6 the second, 7-8 the third, 9 the fourth; surveys S1-S4
on lines 2-5.
"""

from __future__ import annotations

import pytest

from pipeline import validation, warehouse
from tests.conftest import grouping_threads_everywhere, rejects, validate


def test_valid_batch__has_no_rejects(tmp_path, batch):
    assert rejects(validate(tmp_path, batch)) == set()


def _set(table, index, **values):
    def edit(batch):
        batch[table][index].update(values)

    return edit


def _duplicate(table, index):
    def edit(batch):
        batch[table].append(dict(batch[table][index]))

    return edit


CASES = {
    "county code pattern": (
        _set("counties", 2, county_code="52990"),
        ("counties", 4, "county_code", "str_matches"),
    ),
    "county outside province": (
        _set("counties", 2, county_code="539903", prefecture_code="539900"),
        ("counties", 4, "county_code", "province_code"),
    ),
    "prefecture of another county": (
        _set("counties", 2, prefecture_code="529800"),
        ("counties", 4, "prefecture_code", "first 4 digits"),
    ),
    "prefecture code pattern": (
        _set("counties", 2, prefecture_code="529901"),
        ("counties", 4, "prefecture_code", "str_matches"),
    ),
    "county code duplicated": (_duplicate("counties", 2), ("counties", 5, "county_code", "unique")),
    "county name missing": (
        _set("counties", 2, county_name=""),
        ("counties", 4, "county_name", "required"),
    ),
    "region unknown": (_set("counties", 2, region="north"), ("counties", 4, "region", "isin")),
    "rural population zero": (
        _set("counties", 2, rural_population="0"),
        ("counties", 4, "rural_population", "greater_than(0)"),
    ),
    "rural population not an integer": (
        _set("counties", 2, rural_population="3.5"),
        ("counties", 4, "rural_population", "type: int"),
    ),
    "boolean unreadable": (
        _set("counties", 2, poverty_county="maybe"),
        ("counties", 4, "poverty_county", "type: bool"),
    ),
    "exit year after the batch": (
        _set("counties", 2, exit_year="2021"),
        ("counties", 4, "exit_year", "assessment_year"),
    ),
    "household id not in its village": (
        _set("registry_households", 3, household_id="529903001002000001"),
        ("registry_households", 5, "household_id", "village_code"),
    ),
    "household id duplicated": (
        _duplicate("registry_households", 3),
        ("registry_households", 6, "household_id", "unique"),
    ),
    "household in an unknown county": (
        _set("registry_households", 3, county_code="529909"),
        ("registry_households", 5, "county_code", "in counties"),
    ),
    "village code pattern": (
        _set("registry_households", 3, village_code="52990300100"),
        ("registry_households", 5, "village_code", "str_matches"),
    ),
    "village outside its county": (
        _set("registry_households", 3, county_code="529902"),
        ("registry_households", 5, "village_code", "starts with county_code"),
    ),
    "head id check digit wrong": (
        _set("registry_households", 3, head_id_number="52990319610101000X"),
        ("registry_households", 5, "head_id_number", "resident id"),
    ),
    "household size out of range": (
        _set("registry_households", 3, household_size="21"),
        ("registry_households", 5, "household_size", "in_range(1, 20)"),
    ),
    "poverty status unknown": (
        _set("registry_households", 3, poverty_status="gone"),
        ("registry_households", 5, "poverty_status", "isin"),
    ),
    "registered before 2013": (
        _set("registry_households", 3, year_registered="2012"),
        ("registry_households", 5, "year_registered", "greater_than_or_equal_to(2013)"),
    ),
    "exit year missing for an exited household": (
        _set("registry_households", 0, year_exited=""),
        ("registry_households", 2, "year_exited", "if and only if"),
    ),
    "exit year on a poor household": (
        _set("registry_households", 3, year_exited="2019"),
        ("registry_households", 5, "year_exited", "if and only if"),
    ),
    "exited before registered": (
        _set("registry_households", 0, year_exited="2013"),
        ("registry_households", 2, "year_exited", "not before year_registered"),
    ),
    "poverty cause unknown": (
        _set("registry_households", 3, poverty_cause="bad luck"),
        ("registry_households", 5, "poverty_cause", "isin"),
    ),
    "negative income": (
        _set("registry_households", 3, per_capita_net_income="-1.00"),
        ("registry_households", 5, "per_capita_net_income", "greater_than_or_equal_to(0)"),
    ),
    "income with three decimals": (
        _set("registry_households", 3, per_capita_net_income="12.345"),
        ("registry_households", 5, "per_capita_net_income", "type: decimal"),
    ),
    "member of an unknown household": (
        _set("registry_members", 7, household_id="529903001001000009"),
        ("registry_members", 9, "household_id", "in registry_households"),
    ),
    "member number repeated in a household": (
        _set("registry_members", 1, member_no="1"),
        ("registry_members", 3, "member_no", "unique within the household"),
    ),
    "id number on two persons": (
        lambda batch: batch["registry_members"][7].update(
            id_number=batch["registry_members"][0]["id_number"]
        ),
        ("registry_members", 9, "id_number", "unique"),
    ),
    "sex disagrees with the id number": (
        _set("registry_members", 7, sex="F"),
        ("registry_members", 9, "sex", "17th digit"),
    ),
    "birth date disagrees with the id number": (
        _set("registry_members", 7, birth_date="1961-01-14"),
        ("registry_members", 9, "birth_date", "digits 7-14"),
    ),
    "relation unknown": (
        _set("registry_members", 7, relation="cousin"),
        ("registry_members", 9, "relation", "isin"),
    ),
    "survey id duplicated": (
        _duplicate("survey_households", 3),
        ("survey_households", 6, "survey_id", "unique"),
    ),
    "agency missing": (
        _set("survey_households", 3, agency_code=""),
        ("survey_households", 5, "agency_code", "required"),
    ),
    "survey in a county outside the batch": (
        _set("survey_households", 3, county_code="529903", village_code="529903001001"),
        ("survey_households", 5, "county_code", "in_exit_batch"),
    ),
    "survey outside the assessment year": (
        _set("survey_households", 3, survey_date="2019-12-31"),
        ("survey_households", 5, "survey_date", "assessment_year"),
    ),
    "survey date unreadable": (
        _set("survey_households", 3, survey_date="2020-13-01"),
        ("survey_households", 5, "survey_date", "type: date"),
    ),
    "sample frame unknown": (
        _set("survey_households", 3, sample_frame="other"),
        ("survey_households", 5, "sample_frame", "isin"),
    ),
    "non-registered household with a registry id": (
        _set("survey_households", 3, household_id="529902001001000001"),
        ("survey_households", 5, "household_id", "empty for non_registered"),
    ),
    "exited sample missing its household": (
        _set("survey_households", 0, household_id=""),
        ("survey_households", 2, "household_id", "present for exited"),
    ),
    "sampled household with another status": (
        _set("survey_households", 0, sample_frame="poor"),
        ("survey_households", 2, "household_id", "status matching the sample_frame"),
    ),
    "survey household size out of range": (
        _set("survey_households", 3, household_size="0"),
        ("survey_households", 5, "household_size", "in_range(1, 20)"),
    ),
    "negative production cost": (
        _set("survey_households", 3, production_cost="-5.00"),
        ("survey_households", 5, "production_cost", "greater_than_or_equal_to(0)"),
    ),
    "acceptance unknown": (
        _set("survey_households", 3, acceptance="maybe"),
        ("survey_households", 5, "acceptance", "isin"),
    ),
    "member number beyond 32 bits": (
        _set("registry_members", 0, member_no="3000000000"),
        ("registry_members", 2, "member_no", "type: int"),
    ),
    "id number typed as a county name": (
        _set("counties", 2, county_name="520402199503310012"),
        ("counties", 4, "county_name", "no resident id number"),
    ),
    "id number typed as a prefecture name": (
        _set("counties", 2, prefecture_name="王五 520402199503310012"),
        ("counties", 4, "prefecture_name", "no resident id number"),
    ),
    "id number typed as a survey id": (
        _set("survey_households", 3, survey_id="520402199503310012"),
        ("survey_households", 5, "survey_id", "no resident id number"),
    ),
    "a name typed as a county name": (
        _set("counties", 2, county_name="周开明"),
        ("counties", 4, "county_name", "a county-level name"),
    ),
    "a name typed as a prefecture name": (
        _set("counties", 2, prefecture_name="户主赵丽"),
        ("counties", 4, "prefecture_name", "a prefecture-level name"),
    ),
    "a name typed as an agency code": (
        _set("survey_households", 3, agency_code="周开明"),
        ("survey_households", 5, "agency_code", "not a person's name"),
    ),
    "a name in a survey id": (
        _set("survey_households", 3, survey_id="S4-欧阳娜娜"),
        ("survey_households", 5, "survey_id", "holds no person's name"),
    ),
    "an id number after the village code of a household id": (
        _set("registry_households", 0, household_id="529901001001520425196003150011"),
        ("registry_households", 2, "household_id", "no resident id number"),
    ),
    "a name after the village code of a household id": (
        _set("registry_households", 0, household_id="529901001001张三"),
        ("registry_households", 2, "household_id", "holds no person's name"),
    ),
    "a spaced id number typed as an agency code": (
        _set("survey_households", 3, agency_code="520102 19880827 9371"),
        ("survey_households", 5, "agency_code", "no resident id number"),
    ),
    "id number typed as an agency code": (
        _set("survey_households", 3, agency_code="52040219950331001X"),
        ("survey_households", 5, "agency_code", "no resident id number"),
    ),
}


@pytest.mark.parametrize("edit, expected", CASES.values(), ids=CASES.keys())
def test_rule__rejects_the_breaking_row(tmp_path, batch, edit, expected):
    edit(batch)
    found = rejects(validate(tmp_path, batch))
    table, line, column, rule = expected
    matching = {r for r in found if r[:3] == (table, line, column) and rule in r[3]}
    assert matching, f"expected {expected} among {sorted(found)}"


def test_quarantined_household__takes_its_members_along(tmp_path, batch):
    batch["registry_households"][1]["household_size"] = "0"  # lines 3; members on lines 5-6
    found = rejects(validate(tmp_path, batch))
    members = {r[1] for r in found if r[0] == "registry_members"}
    assert members == {5, 6}


def test_personal_data__is_masked_in_the_quarantine(tmp_path, batch):
    bad_id = "52990319610101000X"
    batch["registry_households"][3]["head_id_number"] = bad_id
    con = validate(tmp_path, batch)
    values = [v for (v,) in con.execute("select masked_value from rejected_rows").fetchall()]
    assert "5299**********000X" in values
    assert bad_id not in values


def test_chinese_booleans__are_accepted(tmp_path, batch):
    for county in batch["counties"]:
        county["poverty_county"] = "是"
        county["in_exit_batch"] = {"true": "Y", "false": "否"}[county["in_exit_batch"]]
    assert rejects(validate(tmp_path, batch)) == set()


@pytest.mark.parametrize(
    "id_number",
    [
        "52990319610A130337",  # a letter among digits 10-17
        "5299031961011303",  # 16 characters: digit 17 is missing
        "+52990319610113033",  # a sign, which a cast to a number would take
        "529903196101 30337",  # a space inside
    ],
)
def test_an_id_number_not_well_formed__is_reported_by_its_own_rule_alone(
    tmp_path, batch, id_number
):
    # Neither the sex (digit 17) nor the birth date (digits 7-14) can be held against an id
    # whose digits cannot be read; the id's own rule reports it.
    batch["registry_members"][7].update(id_number=id_number, sex="F", birth_date="1961-01-14")
    found = {r for r in rejects(validate(tmp_path, batch)) if r[:2] == ("registry_members", 9)}
    assert {(column, "resident id" in rule) for _, _, column, rule in found} == {
        ("id_number", True)
    }


def test_sex_and_birth_date__are_read_from_the_digits_of_an_id_with_a_wrong_check_character(
    tmp_path, batch
):
    # The check character is wrong but the digits read: each rule still reports its mismatch.
    batch["registry_members"][7].update(
        id_number="529903196101130330", sex="F", birth_date="1961-01-14"
    )
    found = {r[2:] for r in rejects(validate(tmp_path, batch)) if r[:2] == ("registry_members", 9)}
    assert {column for column, _ in found} == {"id_number", "sex", "birth_date"}


def test_rules_beyond_a_row__find_the_same_with_grouping_threads(tmp_path, batch, monkeypatch):
    # A table of a million rows or more groups its keys with more threads
    # (`warehouse.grouping_threads`); this small batch takes that path when the threshold is 0.
    members = batch["registry_members"]
    members[1]["member_no"] = "1"
    members[7]["id_number"] = members[0]["id_number"]
    _duplicate("registry_households", 3)(batch)
    expected = rejects(validate(tmp_path / "default", batch))
    assert {("registry_members", 3), ("registry_members", 9)} <= {r[:2] for r in expected}

    threads_inside = grouping_threads_everywhere(monkeypatch, validation)
    con = validate(tmp_path / "threads", batch)
    assert rejects(con) == expected
    assert threads_inside and min(threads_inside) >= warehouse.GROUPING_THREADS
    with warehouse.connect(":memory:") as fresh:
        default = fresh.execute("select current_setting('threads')").fetchone()[0]
    assert con.execute("select current_setting('threads')").fetchone()[0] == default
