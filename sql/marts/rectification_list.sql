-- One row per sampled `exited` or `non_registered` household that does not meet the standard
-- (SPEC 3.1): the wrong exits and missed households to follow up, with the conditions each
-- fails. From survey_household_income, so it carries no name or id number.
with

surveyed as (
    select * from survey_household_income
),

failing_households as (
    select
        batch_id,
        survey_id,
        county_code,
        village_code,
        household_id,
        sample_frame,
        household_size,
        per_capita_net_income,
        not meets_income_line as fails_income,
        not food_secure as fails_food,
        not clothing_secure as fails_clothing,
        not education_secure as fails_education,
        not medical_secure as fails_medical,
        not housing_secure as fails_housing,
        not water_secure as fails_water
    from surveyed
    -- a `poor`-frame household is still poor by definition: nothing to rectify
    where
        sample_frame in ('exited', 'non_registered')
        and not meets_standard
)

select
    batch_id,
    survey_id,
    county_code,
    village_code,
    household_id,
    sample_frame,
    household_size,
    per_capita_net_income,
    fails_income,
    fails_food,
    fails_clothing,
    fails_education,
    fails_medical,
    fails_housing,
    fails_water,
    -- concat_ws skips the nulls of the conditions that hold
    concat_ws(
        ',',
        case when fails_income then 'income' end,
        case when fails_food then 'food' end,
        case when fails_clothing then 'clothing' end,
        case when fails_education then 'education' end,
        case when fails_medical then 'medical' end,
        case when fails_housing then 'housing' end,
        case when fails_water then 'water' end
    ) as failed_conditions
from failing_households
order by county_code, village_code, survey_id
