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

renamed as (
    select
        -- ids
        line_number,
        household_id,
        county_code,
        village_code,
        -- categories
        poverty_status,
        poverty_cause,
        -- numerics
        povexit_int(household_size)::integer as household_size,
        povexit_int(year_registered)::integer as year_registered,
        povexit_int(year_exited)::integer as year_exited,
        povexit_decimal(per_capita_net_income) as per_capita_net_income,
        -- flags
        povexit_bool(relocated) as relocated,
    from accepted
)

select * from renamed
