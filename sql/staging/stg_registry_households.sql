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
staged as (
    select
        line_number,
        household_id,
        county_code,
        village_code,
        household_size,
        poverty_status,
        year_registered,
        year_exited,
        poverty_cause,
        per_capita_net_income,
        relocated,
    from accepted
)

select * from staged
