-- The province's counties, one row per county that passed every rule of counties.csv, typed:
-- codes, region, rural population (the incidence denominator) and exit status.
with

source as (
    select * from _checked_counties
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

-- columns in SPEC section 1 order, as pipeline/schemas/registry.py lists them; validation
-- parsed them (pipeline/warehouse.py's parse macros), once for its rules and for staging
staged as (
    select
        line_number,
        county_code,
        county_name,
        prefecture_code,
        prefecture_name,
        region,
        rural_population,
        poverty_county,
        exit_year,
        in_exit_batch,
    from accepted
)

select * from staged
