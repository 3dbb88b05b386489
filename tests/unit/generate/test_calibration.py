"""The press-release figures (SPEC section 5), recomputed from the generated CSVs with queries
written straight from SPEC section 3: no pipeline code is involved."""

from __future__ import annotations

import pytest

from tests.unit.generate.conftest import connect

LINE = 4000

COUNTY_FIGURES = f"""
with
    persons as (
        select household_id, count(*) as member_count
        from registry_members
        group by household_id
    ),
    households as (
        select h.county_code, h.poverty_status, coalesce(p.member_count, 0) as member_count
        from registry_households as h
        left join persons as p using (household_id)
    ),
    registry as (
        select
            county_code,
            sum(member_count) as registered,
            coalesce(sum(member_count) filter (
                where poverty_status in ('poor', 'returned')), 0) as remaining_poor,
            coalesce(sum(member_count) filter (where poverty_status = 'exited'), 0)
                as exited_persons
        from households
        group by county_code
    ),
    surveyed as (
        select
            county_code,
            sample_frame,
            acceptance,
            household_size::int as size,
            wage_income::decimal(14, 2) + operating_income::decimal(14, 2)
                + property_income::decimal(14, 2) + transfer_income::decimal(14, 2)
                - production_cost::decimal(14, 2) as net_income,
            net_income / size >= {LINE}
                and food_secure = 'true' and clothing_secure = 'true'
                and education_secure = 'true' and medical_secure = 'true'
                and housing_secure = 'true' and water_secure = 'true' as meets
        from survey_households
    ),
    rates as (
        select
            county_code,
            coalesce(sum(size) filter (where sample_frame = 'exited' and not meets), 0)
                / sum(size) filter (where sample_frame = 'exited') as wrong_exit_rate,
            coalesce(sum(size) filter (where sample_frame = 'non_registered' and not meets), 0)
                / sum(size) filter (where sample_frame = 'non_registered') as missed_rate,
            count(*) filter (where acceptance = 'accept') / count(*) as acceptance_rate
        from surveyed
        group by county_code
    )
select
    c.county_code,
    coalesce(r.wrong_exit_rate, 0) as wrong_exit_rate,
    coalesce(r.missed_rate, 0) as missed_rate,
    r.wrong_exit_rate is null or r.missed_rate is null as insufficient,
    r.acceptance_rate,
    (g.remaining_poor + r.wrong_exit_rate * g.exited_persons
        + r.missed_rate * greatest(0, c.rural_population::bigint - g.registered))
        / c.rural_population::bigint as comprehensive_incidence
from counties as c
join registry as g using (county_code)
left join rates as r using (county_code)
where c.in_exit_batch = 'true'
order by c.county_code
"""

BATCH_FIGURES = """
with
    persons as (
        select household_id, count(*) as member_count from registry_members group by household_id
    ),
    surveyed as (
        select
            sample_frame,
            acceptance,
            household_size::int as size,
            wage_income::decimal(14, 2) + operating_income::decimal(14, 2)
                + property_income::decimal(14, 2) + transfer_income::decimal(14, 2)
                - production_cost::decimal(14, 2) as net_income
        from survey_households
    )
select
    (select count(*) filter (where acceptance = 'accept') / count(*) from surveyed)
        as acceptance_rate,
    (select sum(net_income) / sum(size) from surveyed where sample_frame = 'exited')
        as exited_sample_income,
    (select sum(h.per_capita_net_income::decimal(14, 2) * p.member_count) / sum(p.member_count)
        from registry_households as h join persons as p using (household_id))
        as province_registry_income,
    (select count(*) from counties where poverty_county = 'true') as poverty_counties,
    (select count(*) from counties where poverty_county = 'true' and exit_year is not null)
        as exited_earlier,
    (select count(*) from counties where in_exit_batch = 'true') as in_exit_batch
"""

CASES = [(0.001, 2020), (0.0017, 2020), (0.003, 2020), (0.01, 2020), (0.001, 11), (0.003, 11)]


@pytest.mark.parametrize(("scale", "seed"), CASES)
def test_press_release_figures__every_scale(generated, scale, seed):
    con = connect(generated(scale, seed))
    counties = con.execute(COUNTY_FIGURES).fetchall()
    assert len(counties) == 9
    for code, wrong, missed, insufficient, acceptance, incidence in counties:
        assert not insufficient, code
        assert round(100 * wrong, 2) == 0 and wrong < 0.02, code
        assert round(100 * missed, 2) == 0 and missed < 0.02, code
        assert round(100 * incidence, 2) == 0 and incidence < 0.03, code
        assert acceptance > 0.90, code  # so all four tests pass: verdict meets

    acceptance, income, province, poverty, earlier, batch = con.execute(BATCH_FIGURES).fetchone()
    assert round(100 * acceptance, 2) == 99.12
    assert round(income, 2) == 11487.39
    assert round(income - LINE, 2) == 7487.39
    assert 9925.375 <= province < 9925.385
    assert round(income - province, 2) == 1562.01
    assert (poverty, earlier, batch) == (66, 57, 9)
    assert earlier + len(counties) == 66


@pytest.mark.parametrize(("scale", "seed"), CASES[:4])
def test_exact_to_the_cent(generated, scale, seed):
    """The calibrated sums hold exactly in cents, not only after rounding."""
    con = connect(generated(scale, seed))
    income_cents, persons = con.execute(
        """
        select
            sum((wage_income::decimal(14, 2) + operating_income::decimal(14, 2)
                + property_income::decimal(14, 2) + transfer_income::decimal(14, 2)
                - production_cost::decimal(14, 2)) * 100)::bigint,
            sum(household_size::int)
        from survey_households where sample_frame = 'exited'
        """
    ).fetchone()
    assert income_cents == 1_148_739 * persons
    registry_cents, members = con.execute(
        """
        select sum(h.per_capita_net_income::decimal(14, 2) * 100 * m.n)::bigint, sum(m.n)
        from registry_households as h
        join (select household_id, count(*) as n from registry_members group by all) as m
            using (household_id)
        """
    ).fetchone()
    assert registry_cents == 992_538 * members
