-- One row per county with surveyed households: per sample frame the households, their persons
-- (the survey's household_size, SPEC 3.2) and the persons of those failing the standard, plus
-- the exited sample's net income and the acceptance answers. Summed over the agencies that
-- surveyed the county (_agency_survey_frames), so the county's figures are its agencies' added up.
with

agency_frames as (
    select * from _agency_survey_frames
),

-- counts and decimal sums: adding per agency gives exactly the county's totals
county_frames as (
    select
        county_code,
        sum(sampled_exited_households) as sampled_exited_households,
        sum(sampled_exited_persons) as sampled_exited_persons,
        sum(sampled_exited_persons_failing) as sampled_exited_persons_failing,
        sum(sampled_exited_net_income) as sampled_exited_net_income,
        sum(
            sampled_non_registered_households
        ) as sampled_non_registered_households,
        sum(sampled_non_registered_persons) as sampled_non_registered_persons,
        sum(
            sampled_non_registered_persons_failing
        ) as sampled_non_registered_persons_failing,
        sum(surveyed_households) as surveyed_households,
        sum(accepting_households) as accepting_households
    from agency_frames
    group by county_code
)

select
    county_code,
    cast(sampled_exited_households as bigint) as sampled_exited_households,
    cast(sampled_exited_persons as bigint) as sampled_exited_persons,
    cast(
        sampled_exited_persons_failing as bigint
    ) as sampled_exited_persons_failing,
    cast(
        sampled_exited_net_income as decimal(18, 2)
    ) as sampled_exited_net_income,
    cast(
        sampled_non_registered_households as bigint
    ) as sampled_non_registered_households,
    cast(
        sampled_non_registered_persons as bigint
    ) as sampled_non_registered_persons,
    cast(
        sampled_non_registered_persons_failing as bigint
    ) as sampled_non_registered_persons_failing,
    cast(surveyed_households as bigint) as surveyed_households,
    cast(accepting_households as bigint) as accepting_households
from county_frames
order by county_code
