-- One row per county assessed in the batch and indicator of the standard (SPEC 3.1): how many
-- sampled `exited` and `non_registered` households meet it. `poor`-frame households are left out:
-- the exit is judged on the other two frames, and a poor household is expected to fall short.
with

manifest as (
    select * from batch_manifest
),

counties as (
    select * from stg_counties
),

surveyed as (
    select * from survey_household_income
),

indicators as (
    select *
    from (
        values
            (1, 'food'),
            (2, 'clothing'),
            (3, 'education'),
            (4, 'medical'),
            (5, 'housing'),
            (6, 'water'),
            (7, 'income')
    ) as indicator_list (indicator_order, indicator)
),

judged_households as (
    select
        county_code,
        food_secure,
        clothing_secure,
        education_secure,
        medical_secure,
        housing_secure,
        water_secure,
        meets_income_line
    from surveyed
    where sample_frame in ('exited', 'non_registered')
),

household_indicators as (
    select
        judged_households.county_code,
        indicators.indicator,
        case indicators.indicator
            when 'food' then judged_households.food_secure
            when 'clothing' then judged_households.clothing_secure
            when 'education' then judged_households.education_secure
            when 'medical' then judged_households.medical_secure
            when 'housing' then judged_households.housing_secure
            when 'water' then judged_households.water_secure
            when 'income' then judged_households.meets_income_line
        end as is_secure
    from judged_households
    cross join indicators
),

indicator_counts as (
    select
        county_code,
        indicator,
        count(*) as households,
        count(*) filter (where is_secure) as households_secure
    from household_indicators
    group by county_code, indicator
),

-- every county x indicator: a county without judged households shows zero
county_indicators as (
    select
        counties.county_code,
        indicators.indicator_order,
        indicators.indicator
    from counties
    cross join indicators
    where counties.in_exit_batch
)

select
    manifest.batch_id,
    county_indicators.county_code,
    county_indicators.indicator,
    coalesce(indicator_counts.households, 0) as households,
    coalesce(indicator_counts.households_secure, 0) as households_secure,
    cast(indicator_counts.households_secure as double)
    / nullif(indicator_counts.households, 0) as rate
from county_indicators
cross join manifest
left join indicator_counts
    on
        county_indicators.county_code = indicator_counts.county_code
        and county_indicators.indicator = indicator_counts.indicator
order by county_indicators.county_code, county_indicators.indicator_order
