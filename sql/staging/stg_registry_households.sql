-- Registered (建档立卡) households, one row per household that passed every rule, typed. The
-- head's name and id number stay behind in the raw table.
with

source as (
    select * from raw_registry_households
),

rejected as (
    select distinct line_number
    from rejected_rows
    where source_table = 'registry_households'
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
        household_id,
        county_code,
        village_code,
        povexit_int(household_size) as household_size,
        poverty_status,
        povexit_int(year_registered) as year_registered,
        povexit_int(year_exited) as year_exited,
        poverty_cause,
        povexit_decimal(per_capita_net_income) as per_capita_net_income,
        povexit_bool(relocated) as relocated,
    from accepted
)

select * from typed
