-- One row per household interviewed in the field survey: its net income and whether it meets
-- the exit standard (SPEC 3.1), from stg_survey_households and the manifest's poverty line.
-- The income line is compared on the household total in decimal, so income at the line meets it.
with

manifest as (
    select * from batch_manifest
),

surveys as (
    select * from stg_survey_households
),

incomes as (
    select
        survey_id,
        agency_code,
        county_code,
        village_code,
        sample_frame,
        household_id,
        household_size,
        acceptance,
        food_secure,
        clothing_secure,
        education_secure,
        medical_secure,
        housing_secure,
        water_secure,
        cast(
            wage_income
            + operating_income
            + property_income
            + transfer_income
            - production_cost
            as decimal(18, 2)
        ) as net_income
    from surveys
),

judged as (
    select
        manifest.batch_id,
        incomes.*,
        -- y_h >= line as I_h >= line * size: exact in decimal, no rounding
        incomes.net_income >= (
            manifest.poverty_line_yuan * incomes.household_size
        ) as meets_income_line,
        incomes.food_secure
        and incomes.clothing_secure
        and incomes.education_secure
        and incomes.medical_secure
        and incomes.housing_secure
        and incomes.water_secure as meets_guarantees
    from incomes
    cross join manifest
)

select
    judged.batch_id,
    judged.survey_id,
    judged.agency_code,
    judged.county_code,
    judged.village_code,
    judged.sample_frame,
    judged.household_id,
    judged.household_size,
    judged.net_income,
    -- double, not rounded money: a rounded figure could reach the line while
    -- the household total is below it
    cast(judged.net_income as double)
    / judged.household_size as per_capita_net_income,
    judged.food_secure,
    judged.clothing_secure,
    judged.education_secure,
    judged.medical_secure,
    judged.housing_secure,
    judged.water_secure,
    judged.meets_income_line,
    judged.meets_guarantees,
    judged.meets_income_line and judged.meets_guarantees as meets_standard,
    judged.acceptance
from judged
order by judged.county_code, judged.survey_id
