-- One row for the batch: the press-release figures (SPEC 3.3, 4). Acceptance and the exited
-- sample's income are pooled over the batch's surveyed households (person-weighted income); the
-- provincial average weights each registered household's income by its member rows.
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

county_totals as (
    select
        count(*) as counties_assessed,
        count(*) filter (where verdict = 'meets') as counties_meeting,
        avg(acceptance_rate) as mean_county_acceptance
    from assessments
),

survey_totals as (
    select
        count(*) as surveyed_households,
        count(*) filter (where acceptance = 'accept') as accepting_households,
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
        sum(per_capita_net_income * member_count) as registry_net_income,
        sum(member_count) as registry_persons
    from registry_households
),

-- exited: in an earlier batch (exit_year set) or meets in this one
poverty_county_totals as (
    select
        count(*) filter (where counties.poverty_county) as poverty_counties,
        count(*) filter (
            where
                counties.poverty_county
                and (
                    counties.exit_year is not null
                    or assessments.verdict = 'meets'
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
    poverty_county_totals.poverty_counties_exited
from manifest
cross join county_totals
cross join survey_totals
cross join incomes
cross join poverty_county_totals
order by manifest.batch_id
