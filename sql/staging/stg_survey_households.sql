-- Field-survey households (实地评估调查), one row per questionnaire that passed every rule,
-- typed: sample frame, assessor's household size, income components, the 3+1 guarantees and
-- the household's acceptance of the exit.
with

source as (
    select * from _checked_survey_households
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

-- columns in SPEC section 1 order, as pipeline/schemas/registry.py lists them; validation
-- parsed them (pipeline/warehouse.py's parse macros), once for its rules and for staging
staged as (
    select
        line_number,
        survey_id,
        agency_code,
        county_code,
        village_code,
        survey_date,
        sample_frame,
        household_id,
        household_size,
        wage_income,
        operating_income,
        property_income,
        transfer_income,
        production_cost,
        food_secure,
        clothing_secure,
        education_secure,
        medical_secure,
        housing_secure,
        water_secure,
        acceptance,
    from accepted
)

select * from staged
