"""Field survey rows: ids, agencies, frames, dates, and households that meet the standard."""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pytest

from pipeline.generate import counties, households, surveys
from pipeline.schemas.fields import SURVEY_HOUSEHOLDS
from tests.unit.generate.conftest import connect

SECURE = (
    "food_secure", "clothing_secure", "education_secure", "medical_secure", "housing_secure",
    "water_secure",
)  # fmt: skip


@pytest.fixture(scope="module", params=[0.003, 0.01])
def con(generated, request):
    return connect(generated(request.param))


def test_survey_ids_agencies_and_dates(con):
    rows = con.execute(
        "select survey_id, agency_code, county_code, village_code, survey_date "
        "from survey_households"
    ).fetchall()
    ids = [row[0] for row in rows]
    assert len(set(ids)) == len(ids)
    in_batch = {
        code for (code,) in con.execute(
            "select county_code from counties where in_exit_batch = 'true'").fetchall()
    }  # fmt: skip
    agencies = defaultdict(set)
    for survey_id, agency, county, village, survey_date in rows:
        assert re.fullmatch(rf"{agency}-{county}-\d{{5}}", survey_id)
        assert county in in_batch and village.startswith(county) and len(village) == 12
        assert "2020-10-15" <= survey_date <= "2020-11-10"
        agencies[agency].add(county)
    assert sorted(agencies) == ["AG01", "AG02", "AG03"]
    assert all(len(assessed) == 3 for assessed in agencies.values())
    assert set().union(*agencies.values()) == in_batch


def test_frames_match_the_registry(con):
    unmatched = con.execute(
        """
        select count(*) from survey_households as s
        left join registry_households as h using (household_id)
        where s.sample_frame = 'exited' and (h.household_id is null
            or h.poverty_status <> 'exited' or h.county_code <> s.county_code
            or h.village_code <> s.village_code or h.household_size <> s.household_size)
        """
    ).fetchone()[0]
    assert unmatched == 0
    frames = dict(
        con.execute(
            "select sample_frame, count(*) filter (where household_id <> '') "
            "from survey_households group by all"
        ).fetchall()
    )
    # The exit counties have no poor or returned households, hence no poor frame.
    assert set(frames) == {"exited", "non_registered"}
    assert frames["non_registered"] == 0
    sampled = con.execute(
        "select count(*), count(distinct household_id) from survey_households "
        "where sample_frame = 'exited'"
    ).fetchone()
    assert sampled[0] == sampled[1]


def test_every_household_meets_the_standard(con):
    rows = con.execute(
        "select household_size::int, wage_income, operating_income, property_income, "
        f"transfer_income, production_cost, {', '.join(SECURE)}, acceptance "
        "from survey_households"
    ).fetchall()
    for size, *rest in rows:
        money, flags, acceptance = rest[:5], rest[5:11], rest[11]
        assert 1 <= size <= 20
        assert all(re.fullmatch(r"\d+\.\d{2}", value) for value in money)
        cents = [round(float(value) * 100) for value in money]
        assert sum(cents[:4]) - cents[4] >= 400_000 * size
        assert flags == ["true"] * 6
        assert acceptance in {"accept", "not_accept", "unsure"}


def test_sample_sizes_do_not_scale(con):
    per_county = con.execute(
        """
        select
            s.county_code,
            count(*) filter (where sample_frame = 'exited'),
            count(*) filter (where sample_frame = 'non_registered'),
            any_value(r.exited_households)
        from survey_households as s
        join (select county_code, count(*) as exited_households from registry_households
              where poverty_status = 'exited' group by all) as r using (county_code)
        group by all
        """
    ).fetchall()
    for _, exited, non_registered, available in per_county:
        assert exited == available or 730 <= exited <= 770
        assert 1 <= non_registered <= 770


def test_full_design__about_1500_interviews_per_county_half_in_each_frame(generated):
    """From scale 0.03 or so every assessed county has the households for the full design."""
    con = connect(generated(0.05))
    per_county = con.execute(
        """
        select
            county_code,
            count(*) filter (where sample_frame = 'exited'),
            count(*) filter (where sample_frame = 'non_registered'),
            count(distinct agency_code)
        from survey_households
        group by all
        """
    ).fetchall()
    assert len(per_county) == 9
    assert con.execute("select count(distinct agency_code) from survey_households").fetchone() == (
        3,
    )
    for code, exited, non_registered, agencies in per_county:
        assert 730 <= exited <= 770, code
        # a few non-registered interviews may go to the acceptance calibration
        assert 700 <= non_registered <= 770, code
        assert agencies == 1, code


def test_poor_frame__sampled_where_poor_households_exist():
    """A county applying to exit before 2020 still has poor households in its own round."""
    reference = counties.reference_for("guizhou-2019")
    line = reference.poverty_line_cents
    county = next(
        c for c in counties.county_frame(reference.province, 5) if c.reference_exit_year == 2019
    )
    drawn = households.draw_households(county, 5, 0.3, 400_000, 200)
    income = np.where(drawn.status_in(2019)[0] == households.EXITED, line + 100_000, line // 2)
    registry = households.snapshot(drawn, 2019, income)
    plan = surveys.plan_county(registry, 10 * registry.persons, 5, ("AG01",), 0)
    assert plan.poor.size > 0
    table = surveys.survey_table([plan], reference, 5, SURVEY_HOUSEHOLDS.columns).to_pydict()
    poor_ids = {
        f"{registry.household_id[i]:018d}"
        for i in np.flatnonzero(registry.status != households.EXITED)
    }
    sampled = [
        hid for hid, frame in zip(table["household_id"], table["sample_frame"], strict=True)
        if frame == "poor"
    ]  # fmt: skip
    assert sampled and set(sampled) <= poor_ids
    assert {date[:4] for date in table["survey_date"]} == {"2019"}
