-- The province's counties, one row per county that passed every rule of counties.csv, typed:
-- codes, region, rural population (the incidence denominator) and exit status.
with

source as (
    select * from raw_counties
),

rejected as (
    select distinct line_number
    from rejected_rows
    where source_table = 'counties'
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
        county_code,
        county_name,
        prefecture_code,
        prefecture_name,
        region,
        povexit_int(rural_population) as rural_population,
        povexit_bool(poverty_county) as poverty_county,
        povexit_int(exit_year) as exit_year,
        povexit_bool(in_exit_batch) as in_exit_batch,
    from accepted
)

select * from typed
