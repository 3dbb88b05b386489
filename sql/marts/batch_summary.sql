-- One row for the batch: the press-release figures (SPEC 3.3, 4). Acceptance and the exited
-- sample's income are pooled over the batch's surveyed households (person-weighted income); the
-- provincial average weights each registered household's income by its member rows. Counties
-- exited count this batch's approved ones (SPEC 3.6), beside the agencies and the households to
-- monitor.
with

manifest as (
    select * from batch_manifest
),

counties as (
    select * from stg_counties
),

assessments as (
    select * from county_assessment
),

surveyed as (
    select * from survey_household_income
),

registry_households as (
    select * from _registry_household_persons
),

agency_recommendations as (
    select * from agency_findings
),

monitored as (
    select * from monitoring_list
),

county_totals as (
    select
        count(*) as counties_assessed,
        count(*) filter (where verdict = 'meets') as counties_meeting,
        count(*) filter (where decision = 'approved') as counties_approved,
        -- in a fixed order, as every sum of doubles in the marts (_indicator_design.sql)
        avg(acceptance_rate order by county_code) as mean_county_acceptance,
        -- what the round's surveys found, over its assessed counties (SPEC 3.7)
        cast(
            sum(sampled_exited_persons_failing) as bigint
        ) as wrong_exit_persons_found,
        cast(
            sum(sampled_non_registered_persons_failing) as bigint
        ) as missed_persons_found
    from assessments
),

-- the registry snapshot over the whole province (SPEC 3.7), every county
province_population as (
    select cast(sum(rural_population) as bigint) as rural_population
    from counties
),

survey_totals as (
    select
        count(*) as surveyed_households,
        count(*) filter (where acceptance = 'accept') as accepting_households,
        count(distinct agency_code) as agencies,
        sum(net_income) filter (
            where sample_frame = 'exited'
        ) as sampled_exited_net_income,
        sum(household_size) filter (
            where sample_frame = 'exited'
        ) as sampled_exited_persons
    from surveyed
),

registry_totals as (
    select
        cast(sum(member_count) as bigint) as registered_persons,
        cast(
            coalesce(
                sum(member_count) filter (
                    where poverty_status in ('poor', 'returned')
                ),
                0
            ) as bigint
        ) as remaining_poor,
        sum(per_capita_net_income * member_count) as registry_net_income,
        sum(member_count) as registry_persons
    from registry_households
),

-- an agency recommends the batch's exits when it recommends every county it surveyed; a null
-- recommendation (a rate it could not compute) counts as not recommending (SPEC 3.6)
agency_verdicts as (
    select
        agency_code,
        bool_and(coalesce(recommends_exit, false)) as recommends_every_county
    from agency_recommendations
    group by agency_code
),

agency_totals as (
    select
        count(*) filter (
            where recommends_every_county
        ) as agencies_recommending
    from agency_verdicts
),

monitoring_totals as (
    select count(*) as households_to_monitor
    from monitored
),

-- exited: in an earlier batch (exit_year set) or approved in this one (SPEC 3.6, 4); a county
-- that meets but is withheld has not exited
poverty_county_totals as (
    select
        count(*) filter (where counties.poverty_county) as poverty_counties,
        count(*) filter (
            where
                counties.poverty_county
                and (
                    counties.exit_year is not null
                    or assessments.decision = 'approved'
                )
        ) as poverty_counties_exited
    from counties
    left join assessments
        on counties.county_code = assessments.county_code
),

-- nullif: no surveyed or registered persons gives no average (null), where DuckDB
-- would divide zero by zero into NaN
incomes as (
    select
        cast(survey_totals.accepting_households as double)
        / nullif(survey_totals.surveyed_households, 0) as acceptance_rate,
        cast(survey_totals.sampled_exited_net_income as double)
        / nullif(
            survey_totals.sampled_exited_persons, 0
        ) as exited_sample_income,
        cast(registry_totals.registry_net_income as double)
        / nullif(
            registry_totals.registry_persons, 0
        ) as province_registry_income
    from survey_totals
    cross join registry_totals
)

select
    manifest.batch_id,
    manifest.province_code,
    manifest.province_name,
    manifest.assessment_year,
    manifest.poverty_line_yuan,
    county_totals.counties_assessed,
    county_totals.counties_meeting,
    survey_totals.surveyed_households,
    survey_totals.accepting_households,
    incomes.acceptance_rate,
    county_totals.mean_county_acceptance,
    incomes.exited_sample_income,
    incomes.exited_sample_income
    - manifest.poverty_line_yuan as income_over_line,
    incomes.province_registry_income,
    incomes.exited_sample_income
    - incomes.province_registry_income as income_over_province,
    poverty_county_totals.poverty_counties,
    poverty_county_totals.poverty_counties_exited,
    survey_totals.agencies,
    agency_totals.agencies_recommending,
    monitoring_totals.households_to_monitor,
    county_totals.counties_approved,
    manifest.public_notice_start,
    manifest.public_notice_end,
    province_population.rural_population,
    registry_totals.registered_persons,
    registry_totals.remaining_poor,
    registry_totals.remaining_poor
    / nullif(province_population.rural_population, 0) as registry_incidence,
    county_totals.wrong_exit_persons_found,
    county_totals.missed_persons_found
from manifest
cross join province_population
cross join registry_totals
cross join county_totals
cross join survey_totals
cross join incomes
cross join poverty_county_totals
cross join agency_totals
cross join monitoring_totals
order by manifest.batch_id
