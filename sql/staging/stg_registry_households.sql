-- Registered (建档立卡) households, one row per household that passed every rule, typed. The
-- head's name and id number stay behind in the raw table.
with

-- the rows that passed every rule, as validation typed them (pipeline/validation.py keeps
-- only those; a quarantined row is in rejected_rows)
accepted as (
    select * from _checked_registry_households
),

-- columns in SPEC section 1 order, as pipeline/schemas/registry.py lists them; validation
-- parsed them (pipeline/warehouse.py's parse macros), once for its rules and for staging
-- poverty_status, poverty_cause: validation stores the ENUM of the codes (a byte a row); text here, as the
-- registry types it (an ENUM would also sort in the order its codes are listed)
staged as (
    select
        line_number,
        household_id,
        county_code,
        village_code,
        household_size,
        cast(poverty_status as varchar) as poverty_status,
        year_registered,
        year_exited,
        cast(poverty_cause as varchar) as poverty_cause,
        per_capita_net_income,
        relocated,
    from accepted
)

select * from staged
