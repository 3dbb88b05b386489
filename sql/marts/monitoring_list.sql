-- One row per surveyed household to monitor against poverty (防返贫监测, SPEC 3.6): an `exited`
-- household below the monitoring line (monitoring_income_ratio x the poverty line, per person)
-- or failing any of the six guarantees is an unstable exit; a `non_registered` household below
-- that line is near-poor. From survey_household_income, so it carries no name or id number.
with

manifest as (
    select * from batch_manifest
),

surveyed as (
    select * from survey_household_income
),

-- the monitoring line per person, money to the fen: 1.5 x 4000.00 is 6000.00
monitoring_line as (
    select
        cast(
            round(monitoring_income_ratio * poverty_line_yuan, 2)
            as decimal(12, 2)
        ) as income_threshold
    from manifest
),

-- A `poor`-frame household is poor already: it is followed as such, not monitored here.
-- y_h < line as I_h < line * size, in decimal as the poverty line is compared, so income
-- exactly at the monitoring line is not below it.
judged_households as (
    select
        surveyed.batch_id,
        surveyed.survey_id,
        surveyed.agency_code,
        surveyed.county_code,
        surveyed.village_code,
        surveyed.household_id,
        surveyed.sample_frame,
        surveyed.household_size,
        surveyed.per_capita_net_income,
        monitoring_line.income_threshold,
        surveyed.net_income < (
            monitoring_line.income_threshold * surveyed.household_size
        ) as below_income_threshold,
        surveyed.meets_guarantees,
        not surveyed.food_secure as fails_food,
        not surveyed.clothing_secure as fails_clothing,
        not surveyed.education_secure as fails_education,
        not surveyed.medical_secure as fails_medical,
        not surveyed.housing_secure as fails_housing,
        not surveyed.water_secure as fails_water
    from surveyed
    cross join monitoring_line
    where surveyed.sample_frame in ('exited', 'non_registered')
),

-- an exited household is at risk on income or on any guarantee; a non-registered one on
-- income alone (one failing a guarantee is a missed household: rectification_list)
risks as (
    select
        *,
        case
            when
                sample_frame = 'exited'
                and (below_income_threshold or not meets_guarantees)
                then 'unstable_exit'
            when
                sample_frame = 'non_registered'
                and below_income_threshold
                then 'near_poor'
        end as risk_reason
    from judged_households
)

select
    batch_id,
    survey_id,
    agency_code,
    county_code,
    village_code,
    household_id,
    sample_frame,
    household_size,
    per_capita_net_income,
    income_threshold,
    below_income_threshold,
    fails_food,
    fails_clothing,
    fails_education,
    fails_medical,
    fails_housing,
    fails_water,
    -- concat_ws skips the nulls of the guarantees that hold
    concat_ws(
        ',',
        case when fails_food then 'food' end,
        case when fails_clothing then 'clothing' end,
        case when fails_education then 'education' end,
        case when fails_medical then 'medical' end,
        case when fails_housing then 'housing' end,
        case when fails_water then 'water' end
    ) as failed_guarantees,
    risk_reason
from risks
where risk_reason is not null
order by county_code, village_code, survey_id
