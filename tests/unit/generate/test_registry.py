"""Registry households and persons: valid, unique ids; sizes, heads and enums as SPEC says."""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from tests.unit.generate.conftest import connect

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
STATUSES = {"poor", "exited", "returned"}
CAUSES = {
    "illness", "disability", "education", "disaster", "lack_land", "lack_water", "lack_skills",
    "lack_labour", "lack_capital", "poor_transport", "lack_motivation", "other",
}  # fmt: skip
RELATIONS = {"head", "spouse", "child", "parent", "grandchild", "other"}
# Persons are drawn as of mid-2016, the first round of the history, in every round: ages are
# counted from that day.
PERSONS_AS_OF = date(2016, 6, 30)


def check_character(body: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


@pytest.fixture(scope="module")
def con(generated):
    return connect(generated(0.003))


@pytest.fixture(scope="module")
def members(con):
    return con.execute(
        "select household_id, member_no::int, name, id_number, relation, sex, birth_date "
        "from registry_members"
    ).fetchall()


def test_check_character__standard_example():
    assert check_character("11010519491231002") == "X"


def test_id_numbers__valid_and_agree_with_person(members):
    for household_id, _, _, id_number, _, sex, birth_date in members:
        assert re.fullmatch(r"\d{17}[\dX]", id_number), id_number
        assert id_number[17] == check_character(id_number[:17]), id_number
        assert id_number[:6] == household_id[:6]  # the county code
        assert id_number[6:14] == birth_date.replace("-", "")
        assert (int(id_number[16]) % 2 == 1) == (sex == "M")
        assert date(1900, 1, 1) < date.fromisoformat(birth_date) <= PERSONS_AS_OF


def test_id_numbers__unique(members):
    ids = [row[3] for row in members]
    assert len(set(ids)) == len(ids)


def test_households__size_equals_members_and_one_head(con, members):
    by_household: dict[str, list] = {}
    for row in members:
        by_household.setdefault(row[0], []).append(row)
    households = con.execute(
        "select household_id, household_size::int, head_name, head_id_number "
        "from registry_households"
    ).fetchall()
    assert len(households) == len(by_household)
    for household_id, size, head_name, head_id in households:
        rows = by_household[household_id]
        assert len(rows) == size and 1 <= size <= 20
        assert sorted(r[1] for r in rows) == list(range(1, size + 1))
        heads = [r for r in rows if r[4] == "head"]
        assert len(heads) == 1 and heads[0][1] == 1
        assert (heads[0][2], heads[0][3]) == (head_name, head_id)


def test_members__enums_and_plausible_ages(members):
    birth = {}
    for household_id, member_no, name, _, relation, sex, birth_date in members:
        assert relation in RELATIONS and sex in {"M", "F"}
        assert 2 <= len(name) <= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", name)
        birth[household_id, member_no] = (relation, date.fromisoformat(birth_date))
    for (household_id, _), (relation, born) in birth.items():
        head_born = birth[household_id, 1][1]
        years_older = (head_born - born).days / 365.25
        if relation == "child":
            assert years_older <= -18
        elif relation == "grandchild":
            assert years_older <= -36
        elif relation == "parent":
            assert years_older >= 17
        elif relation == "spouse":
            assert (PERSONS_AS_OF - born).days / 365.25 >= 18


def test_households__codes_enums_years_income(con):
    rows = con.execute("select * from registry_households").fetchall()
    ids = [row[0] for row in rows]
    assert len(set(ids)) == len(ids)
    for (household_id, county, village, _, _, _, status, registered, exited, cause, income,
         relocated) in rows:  # fmt: skip
        assert re.fullmatch(r"\d{18}", household_id) and household_id[:12] == village
        assert re.fullmatch(r"\d{12}", village) and village.startswith(county)
        assert status in STATUSES and cause in CAUSES and relocated in {"true", "false"}
        assert 2013 <= int(registered) <= 2020
        assert (exited is not None) == (status == "exited")
        if exited:
            assert int(registered) <= int(exited) <= 2020
        assert re.fullmatch(r"\d+\.\d{2}", income)
        assert (float(income) >= 4000) == (status == "exited")


def test_households__distributions(con):
    mean_size, relocated, exit_batch_not_exited = con.execute(
        """
        select
            avg(household_size::int),
            sum(household_size::int) filter (where relocated = 'true') / sum(household_size::int),
            count(*) filter (where poverty_status <> 'exited' and county_code in (
                select county_code from counties where in_exit_batch = 'true'))
        from registry_households
        """
    ).fetchone()
    assert 3.6 <= mean_size <= 3.9
    assert 0.15 <= relocated <= 0.25
    assert exit_batch_not_exited == 0
    causes = Counter(
        dict(
            con.execute(
                "select poverty_cause, count(*) from registry_households group by all"
            ).fetchall()
        )
    )
    total = causes.total()
    assert 0.17 <= causes["illness"] / total <= 0.23
    assert 0.17 <= causes["lack_capital"] / total <= 0.23


def test_counties__reference_and_populations(con):
    rows = con.execute(
        "select c.*, coalesce(r.persons, 0) from counties as c left join ("
        "  select h.county_code, count(*) as persons from registry_members as m"
        "  join registry_households as h using (household_id) group by all"
        ") as r using (county_code) order by county_code"
    ).fetchall()
    assert len(rows) == 88
    for code, name, prefecture, _, region, rural, poverty, exit_year, in_batch, persons in rows:
        assert code.startswith("52") and prefecture[:4] == code[:4] and prefecture[4:] == "00"
        assert name and region == "west" and int(rural) > 0
        assert poverty in {"true", "false"} and in_batch in {"true", "false"}
        assert exit_year is None or (poverty == "true" and 2016 <= int(exit_year) < 2020)
        assert persons <= int(rural) / 2
    shares = {
        kind: con.execute(
            "select sum(p) / sum(rural_population::int) from counties join ("
            "  select county_code, count(*) as p from registry_members"
            "  join registry_households using (household_id) group by all"
            f") using (county_code) where {where}"
        ).fetchone()[0]
        for kind, where in {
            "batch": "in_exit_batch = 'true'",
            "non_poverty": "poverty_county = 'false'",
        }.items()
    }
    assert 0.30 <= shares["batch"] <= 0.45
    assert 0.04 <= shares["non_poverty"] <= 0.15


def test_counties__real_codes_names_and_exits_from_the_reference(con):
    """Every county of the province's reference list, unchanged, with this batch's exits."""
    reference_file = Path(__file__).resolve().parents[3] / "pipeline/reference/guizhou_counties.csv"
    with reference_file.open(encoding="utf-8", newline="") as handle:
        reference = {row["county_code"]: row for row in csv.DictReader(handle)}
    rows = con.execute(
        "select county_code, county_name, prefecture_code, prefecture_name, poverty_county, "
        "exit_year, in_exit_batch from counties"
    ).fetchall()
    assert {row[0] for row in rows} == set(reference) and len(rows) == 88
    for code, name, prefecture, prefecture_name, poverty, exit_year, in_batch in rows:
        known = reference[code]
        assert (name, prefecture, prefecture_name, poverty) == (
            known["county_name"],
            known["prefecture_code"],
            known["prefecture_name"],
            known["poverty_county"],
        )
        # the 2020 exits are this batch's own; earlier exits are history
        assert in_batch == ("true" if known["exit_year"] == "2020" else "false"), code
        assert exit_year == (known["exit_year"] if known["exit_year"] < "2020" else None) or (
            exit_year is None and known["exit_year"] == ""
        ), code


def test_members__heads_alone_are_old_and_mostly_women_family_heads_married_age(members):
    by_household: dict[str, list] = {}
    for row in members:
        by_household.setdefault(row[0], []).append(row)
    alone_women = alone_ages = family_men = 0
    alone, family = [], []
    reference = PERSONS_AS_OF
    for rows in by_household.values():
        head = next(r for r in rows if r[4] == "head")
        age = (reference - date.fromisoformat(head[6])).days / 365.25
        (alone if len(rows) == 1 else family).append((head[5], age))
    alone_women = sum(sex == "F" for sex, _ in alone) / len(alone)
    alone_ages = sum(age for _, age in alone) / len(alone)
    family_men = sum(sex == "M" for sex, _ in family) / len(family)
    assert 0.5 < alone_women < 0.7  # widows
    assert 60 < alone_ages < 72
    assert 0.8 < family_men < 0.95
    assert min(age for _, age in family) >= 22  # legal marriage age for men
