-- Field-survey households (实地评估调查), one row per questionnaire that passed every rule,
-- typed: sample frame, assessor's household size, income components, the 3+1 guarantees and
-- the household's acceptance of the exit.
with

-- the rows that passed every rule, as validation typed them (pipeline/validation.py keeps
-- only those; a quarantined row is in rejected_rows)
accepted as (
    select * from _checked_survey_households
),

-- columns in SPEC section 1 order, as pipeline/schemas/registry.py lists them; validation
-- parsed them (pipeline/warehouse.py's parse macros), once for its rules and for staging
-- sample_frame, acceptance: validation stores the ENUM of the codes (a byte a row); text here, as the
-- registry types it (an ENUM would also sort in the order its codes are listed)
staged as (
    select
        line_number,
        survey_id,
        agency_code,
        county_code,
        village_code,
        survey_date,
        cast(sample_frame as varchar) as sample_frame,
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
        cast(acceptance as varchar) as acceptance,
    from accepted
)

select * from staged
