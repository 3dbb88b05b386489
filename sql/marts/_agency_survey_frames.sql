-- One row per county and evaluation agency that surveyed it: per sample frame the households,
-- their persons (the survey's household_size, SPEC 3.2) and the persons of those failing the
-- standard, plus the exited sample's net income and the acceptance answers, from
-- survey_household_income. An agency's own findings (SPEC 3.6) and, summed over its agencies,
-- the county's (_county_survey_frames) come from these same sums.
with

surveyed as (
    select * from survey_household_income
),

households as (
    select
        county_code,
        agency_code,
        sample_frame = 'exited' as is_exited_sample,
        sample_frame = 'non_registered' as is_non_registered_sample,
        household_size,
        case
            when meets_standard then 0
            else household_size
        end as failing_persons,
        net_income,
        -- `unsure` is not an acceptance (SPEC 3.2)
        acceptance = 'accept' as is_accepting
    from surveyed
),

agency_frames as (
    select
        county_code,
        agency_code,
        count(*) filter (where is_exited_sample) as sampled_exited_households,
        sum(
            case when is_exited_sample then household_size else 0 end
        ) as sampled_exited_persons,
        sum(
            case when is_exited_sample then failing_persons else 0 end
        ) as sampled_exited_persons_failing,
        sum(
            case when is_exited_sample then net_income else 0 end
        ) as sampled_exited_net_income,
        count(*) filter (
            where is_non_registered_sample
        ) as sampled_non_registered_households,
        sum(
            case when is_non_registered_sample then household_size else 0 end
        ) as sampled_non_registered_persons,
        sum(
            case when is_non_registered_sample then failing_persons else 0 end
        ) as sampled_non_registered_persons_failing,
        count(*) as surveyed_households,
        count(*) filter (where is_accepting) as accepting_households
    from households
    group by county_code, agency_code
)

select
    county_code,
    agency_code,
    sampled_exited_households,
    cast(sampled_exited_persons as bigint) as sampled_exited_persons,
    cast(
        sampled_exited_persons_failing as bigint
    ) as sampled_exited_persons_failing,
    cast(
        sampled_exited_net_income as decimal(18, 2)
    ) as sampled_exited_net_income,
    sampled_non_registered_households,
    cast(
        sampled_non_registered_persons as bigint
    ) as sampled_non_registered_persons,
    cast(
        sampled_non_registered_persons_failing as bigint
    ) as sampled_non_registered_persons_failing,
    surveyed_households,
    accepting_households
from agency_frames
order by county_code, agency_code
