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

renamed as (
    select
        -- ids
        line_number,
        county_code,
        county_name,
        prefecture_code,
        prefecture_name,
        region,
        -- numerics
        povexit_int(rural_population) as rural_population,
        povexit_int(exit_year)::integer as exit_year,
        -- flags
        povexit_bool(poverty_county) as poverty_county,
        povexit_bool(in_exit_batch) as in_exit_batch,
    from accepted
)

select * from renamed
