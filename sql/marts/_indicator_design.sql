-- One row per surveyed county and survey rate (wrong_exit, missed, acceptance): the sums of the
-- SPEC 3.5 design, from survey_household_income. The county is a stratum and its surveyed
-- villages (any frame) the primary sampling units: the village totals Y_i and M_i of the rate's
-- frame (zero for a village without a household of the frame), the ratio R, its
-- Taylor-linearised variance V = k / (k - 1) * sum z_i^2 with z_i = (Y_i - R * M_i) / M, Kish's
-- effective size n_kish = (sum m_h)^2 / sum m_h^2 and the degrees of freedom k_f - 1.
with

surveyed as (
    select * from survey_household_income
),

rates as (
    select * from (values ('wrong_exit'), ('missed'), ('acceptance')) as rates (indicator)
),

-- m_h and y_h of each household for each rate (SPEC 3.5): persons, and the persons of a
-- household failing the standard, for the two failure rates; 1, and 1 when it accepts, for
-- acceptance. A household outside the rate's frame weighs 0 but keeps its village in the design.
household_rates as (
    select
        surveyed.county_code,
        surveyed.village_code,
        rates.indicator,
        case rates.indicator
            when 'wrong_exit' then surveyed.sample_frame = 'exited'
            when 'missed' then surveyed.sample_frame = 'non_registered'
            when 'acceptance' then true
        end as in_frame,
        case rates.indicator
            when 'acceptance' then 1
            else surveyed.household_size
        end as weight,
        -- as _agency_survey_frames counts them: `unsure` does not accept
        case
            when rates.indicator = 'acceptance'
                then case when surveyed.acceptance = 'accept' then 1 else 0 end
            when surveyed.meets_standard then 0
            else surveyed.household_size
        end as outcome
    from surveyed
    cross join rates
),

-- every surveyed village of the county, for every rate
village_totals as (
    select
        county_code,
        indicator,
        village_code,
        count(*) filter (where in_frame) as households,
        coalesce(sum(outcome) filter (where in_frame), 0) as y_total,
        coalesce(sum(weight) filter (where in_frame), 0) as m_total,
        coalesce(sum(weight * weight) filter (where in_frame), 0) as m_squared
    from household_rates
    group by county_code, indicator, village_code
),

county_totals as (
    select
        county_code,
        indicator,
        count(*) as villages,
        count(*) filter (where households > 0) as frame_villages,
        sum(households) as households,
        sum(y_total) as y_total,
        sum(m_total) as m_total,
        sum(m_squared) as m_squared,
        -- the rate as county_assessment computes it (an empty frame has none)
        cast(sum(y_total) as double) / nullif(sum(m_total), 0) as estimate
    from village_totals
    group by county_code, indicator
),

-- each village's linearised score z_i; they sum to zero over the county's villages
scores as (
    select
        village_totals.county_code,
        village_totals.indicator,
        village_totals.village_code,
        (village_totals.y_total - county_totals.estimate * village_totals.m_total)
        / county_totals.m_total as score
    from village_totals
    inner join county_totals
        on
            village_totals.county_code = county_totals.county_code
            and village_totals.indicator = county_totals.indicator
),

squared_scores as (
    select
        county_code,
        indicator,
        -- added village by village in a fixed order: a sum of doubles depends on the order
        -- of its terms, which DuckDB's threads would change from run to run
        sum(score * score order by village_code) as squared_scores
    from scores
    group by county_code, indicator
)

select
    county_totals.county_code,
    county_totals.indicator,
    county_totals.villages,
    county_totals.frame_villages,
    cast(county_totals.households as bigint) as households,
    cast(county_totals.y_total as bigint) as y_total,
    cast(county_totals.m_total as bigint) as m_total,
    county_totals.estimate,
    -- with replacement, no finite-population correction; none for a single village
    county_totals.villages / nullif(county_totals.villages - 1, 0)
    * squared_scores.squared_scores as variance,
    cast(county_totals.m_total as double) * county_totals.m_total
    / nullif(county_totals.m_squared, 0) as n_kish,
    -- the villages that hold the frame, as R's degf(subset(design, frame)); none when empty
    nullif(county_totals.frame_villages, 0) - 1 as df
from county_totals
inner join squared_scores
    on
        county_totals.county_code = squared_scores.county_code
        and county_totals.indicator = squared_scores.indicator
order by county_totals.county_code, county_totals.indicator
