-- Field-survey households (实地评估调查), one row per questionnaire that passed every rule,
-- typed: sample frame, assessor's household size, income components, the 3+1 guarantees and
-- the household's acceptance of the exit.
with

source as (
    select * from raw_survey_households
),

rejected as (
    select distinct line_number
    from rejected_rows
    where source_table = 'survey_households'
),

accepted as (
    select source.*
    from source
    anti join rejected using (line_number)
),

-- columns in SPEC section 1 order, as pipeline/schemas/registry.py lists them
typed as (
    select
        line_number,
        survey_id,
        agency_code,
        county_code,
        village_code,
        povexit_date(survey_date) as survey_date,
        sample_frame,
        household_id,
        povexit_int(household_size) as household_size,
        povexit_decimal(wage_income) as wage_income,
        povexit_decimal(operating_income) as operating_income,
        povexit_decimal(property_income) as property_income,
        povexit_decimal(transfer_income) as transfer_income,
        povexit_decimal(production_cost) as production_cost,
        povexit_bool(food_secure) as food_secure,
        povexit_bool(clothing_secure) as clothing_secure,
        povexit_bool(education_secure) as education_secure,
        povexit_bool(medical_secure) as medical_secure,
        povexit_bool(housing_secure) as housing_secure,
        povexit_bool(water_secure) as water_secure,
        acceptance,
    from accepted
)

select * from typed
