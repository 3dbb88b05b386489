-- The province's counties, one row per county that passed every rule of counties.csv, typed:
-- codes, region, rural population (the incidence denominator) and exit status.
with

-- the rows that passed every rule, as validation typed them (pipeline/validation.py keeps
-- only those; a quarantined row is in rejected_rows)
accepted as (
    select * from _checked_counties
),

-- columns in SPEC section 1 order, as pipeline/schemas/registry.py lists them; validation
-- parsed them (pipeline/warehouse.py's parse macros), once for its rules and for staging
-- region: validation stores the ENUM of the codes (a byte a row); text here, as the
-- registry types it (an ENUM would also sort in the order its codes are listed)
staged as (
    select
        line_number,
        county_code,
        county_name,
        prefecture_code,
        prefecture_name,
        cast(region as varchar) as region,
        rural_population,
        poverty_county,
        exit_year,
        in_exit_batch,
    from accepted
)

select * from staged
