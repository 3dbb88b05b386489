-- One row per county assessed in the batch and indicator (incidence, wrong_exit, missed,
-- acceptance): how sure the survey makes the verdict (SPEC 3.5). Each survey rate gets a
-- Korn-Graubard (Clopper-Pearson at the design's effective size) 95% interval and one-sided 95%
-- bounds from the design sums of _indicator_design; comprehensive incidence gets bounds built
-- from those of its two rates (Bonferroni). Each indicator's confidence class follows from its
-- estimate and bounds against the SPEC 3.4 threshold, and a survey rate likely to meet gets the
-- households its frame would need, at the same estimate, for its one-sided bound to clear the
-- threshold. The t and beta quantiles are scipy's, registered as DuckDB functions
-- (pipeline/quantiles.py).
with recursive

manifest as (
    select * from batch_manifest
),

counties as (
    select * from stg_counties
),

registry_persons as (
    select * from _county_registry_persons
),

design as (
    select * from _indicator_design
),

-- the indicator's threshold and its side: acceptance passes above it, the others below
survey_rates as (
    select * from (
        values ('wrong_exit', false), ('missed', false), ('acceptance', true)
    ) as survey_rates (indicator, passes_above)
),

-- the levels 1 - a the bounds are needed at: 95% intervals (a = 0.05), one-sided 95% bounds
-- (the ends of the interval at a = 0.10), and the rates' intervals at a = 0.025 that give
-- incidence its 95% interval
levels as (
    select cast(a as double) as a
    from (values (0.025), (0.05), (0.10)) as levels (a)
),

-- the county figures incidence extrapolates to, as county_assessment counts them
assessed_counties as (
    select
        counties.county_code,
        counties.rural_population,
        coalesce(registry_persons.remaining_poor, 0) as remaining_poor,
        coalesce(registry_persons.exited_persons, 0) as exited_persons,
        greatest(
            0,
            counties.rural_population
            - coalesce(registry_persons.registered_persons, 0)
        ) as non_registered_population,
        case counties.region
            when 'west' then manifest.incidence_max_west
            when 'central' then manifest.incidence_max_central
            when 'east' then manifest.incidence_max_east
        end as incidence_max,
        manifest.wrong_exit_rate_max,
        manifest.missed_rate_max,
        manifest.acceptance_rate_min
    from counties
    cross join manifest
    left join registry_persons
        on counties.county_code = registry_persons.county_code
    where counties.in_exit_batch
),

-- left join: a county never surveyed has every rate, with no estimate
county_rates as (
    select
        assessed_counties.county_code,
        survey_rates.indicator,
        survey_rates.passes_above,
        design.estimate,
        case survey_rates.indicator
            when 'wrong_exit' then assessed_counties.wrong_exit_rate_max
            when 'missed' then assessed_counties.missed_rate_max
            when 'acceptance' then assessed_counties.acceptance_rate_min
        end as threshold,
        design.variance,
        design.df,
        coalesce(design.households, 0) as households,
        design.n_kish
    from assessed_counties
    cross join survey_rates
    left join design
        on
            assessed_counties.county_code = design.county_code
            and survey_rates.indicator = design.indicator
),

-- n_eff = min(n_kish, R(1-R)/V) * (t(n - 1, a/2) / t(df, a/2))^2, n_kish alone where V = 0.
-- No interval for a frame in one village (df = 0) or of one household, nor an empty frame.
effective_sizes as (
    select
        county_rates.county_code,
        county_rates.indicator,
        county_rates.estimate,
        levels.a,
        case
            when county_rates.variance > 0
                then least(
                    county_rates.n_kish,
                    county_rates.estimate * (1 - county_rates.estimate)
                    / county_rates.variance
                )
            else county_rates.n_kish
        end
        * pow(
            povexit_t_quantile(levels.a / 2, county_rates.households - 1)
            / povexit_t_quantile(levels.a / 2, county_rates.df),
            2
        ) as n_eff
    from county_rates
    cross join levels
    where county_rates.df >= 1 and county_rates.households >= 2
),

-- Clopper-Pearson at the effective size, x = R * n_eff successes
bounds as (
    select
        county_code,
        indicator,
        a,
        n_eff,
        case
            when estimate = 0 then 0
            else povexit_beta_quantile(
                a / 2, estimate * n_eff, n_eff * (1 - estimate) + 1
            )
        end as low,
        case
            when estimate = 1 then 1
            else povexit_beta_quantile(
                1 - a / 2, estimate * n_eff + 1, n_eff * (1 - estimate)
            )
        end as high
    from effective_sizes
),

rate_bounds as (
    select
        county_code,
        indicator,
        max(n_eff) filter (where a = 0.05) as n_eff,
        max(n_eff) filter (where a = 0.10) as n_eff_90,
        max(low) filter (where a = 0.05) as ci_low,
        max(high) filter (where a = 0.05) as ci_high,
        max(low) filter (where a = 0.10) as lower95,
        max(high) filter (where a = 0.10) as upper95,
        max(low) filter (where a = 0.025) as low_975,
        max(high) filter (where a = 0.025) as high_975
    from bounds
    group by county_code, indicator
),

rate_intervals as (
    select
        county_rates.*,
        sqrt(
            case when rate_bounds.n_eff is not null then county_rates.variance end
        ) as se,
        rate_bounds.n_eff,
        rate_bounds.n_eff_90,
        rate_bounds.ci_low,
        rate_bounds.ci_high,
        rate_bounds.lower95,
        rate_bounds.upper95,
        rate_bounds.low_975,
        rate_bounds.high_975
    from county_rates
    left join rate_bounds
        on
            county_rates.county_code = rate_bounds.county_code
            and county_rates.indicator = rate_bounds.indicator
),

-- Incidence rises with both rates: its bounds put each rate's bound at level 1 - a/2 into
-- the SPEC 3.2 formula (the 95% interval from the rates' at a = 0.025, the one-sided bounds
-- from their 95% intervals). Either rate without an interval leaves it none.
incidences as (
    select
        assessed_counties.county_code,
        'incidence' as indicator,
        false as passes_above,
        (
            assessed_counties.remaining_poor
            + wrong_exit.estimate * assessed_counties.exited_persons
            + missed.estimate * assessed_counties.non_registered_population
        )
        / nullif(assessed_counties.rural_population, 0) as estimate,
        assessed_counties.incidence_max as threshold,
        (
            assessed_counties.remaining_poor
            + wrong_exit.low_975 * assessed_counties.exited_persons
            + missed.low_975 * assessed_counties.non_registered_population
        )
        / nullif(assessed_counties.rural_population, 0) as ci_low,
        (
            assessed_counties.remaining_poor
            + wrong_exit.high_975 * assessed_counties.exited_persons
            + missed.high_975 * assessed_counties.non_registered_population
        )
        / nullif(assessed_counties.rural_population, 0) as ci_high,
        (
            assessed_counties.remaining_poor
            + wrong_exit.ci_low * assessed_counties.exited_persons
            + missed.ci_low * assessed_counties.non_registered_population
        )
        / nullif(assessed_counties.rural_population, 0) as lower95,
        (
            assessed_counties.remaining_poor
            + wrong_exit.ci_high * assessed_counties.exited_persons
            + missed.ci_high * assessed_counties.non_registered_population
        )
        / nullif(assessed_counties.rural_population, 0) as upper95
    from assessed_counties
    inner join rate_intervals as wrong_exit
        on
            assessed_counties.county_code = wrong_exit.county_code
            and wrong_exit.indicator = 'wrong_exit'
    inner join rate_intervals as missed
        on
            assessed_counties.county_code = missed.county_code
            and missed.indicator = 'missed'
),

indicators as (
    select
        county_code,
        indicator,
        passes_above,
        estimate,
        threshold,
        se,
        df,
        households,
        n_kish,
        n_eff,
        n_eff_90,
        ci_low,
        ci_high,
        lower95,
        upper95
    from rate_intervals
    union all
    select
        county_code,
        indicator,
        passes_above,
        estimate,
        threshold,
        null as se,
        null as df,
        null as households,
        null as n_kish,
        null as n_eff,
        null as n_eff_90,
        ci_low,
        ci_high,
        lower95,
        upper95
    from incidences
),

-- SPEC 3.5 classes; a missing bound (no interval) leaves the estimate to decide: likely
classified as (
    select
        indicators.*,
        case
            when indicators.estimate is null then 'undetermined'
            when not indicators.passes_above and indicators.estimate < indicators.threshold
                then case
                    when indicators.upper95 < indicators.threshold then 'confident_meets'
                    else 'likely_meets'
                end
            when not indicators.passes_above
                then case
                    when indicators.lower95 >= indicators.threshold then 'confident_fails'
                    else 'likely_fails'
                end
            when indicators.estimate > indicators.threshold
                then case
                    when indicators.lower95 > indicators.threshold then 'confident_meets'
                    else 'likely_meets'
                end
            else case
                when indicators.upper95 <= indicators.threshold then 'confident_fails'
                else 'likely_fails'
            end
        end as confidence
    from indicators
),

-- households_to_certify: the smallest effective size e at which the one-sided bound (upper95,
-- lower95 for acceptance) at the same estimate clears the threshold, by bisection to 1e-6.
-- From the rate's own size at a = 0.10, which does not clear, the size doubles until one
-- does; then the bracket [lo, hi] (hi clears) halves.
certifying_search as (
    select
        county_code,
        indicator,
        passes_above,
        estimate,
        threshold,
        n_eff_90 as lo,
        n_eff_90 as hi,
        false as bracketed,
        0 as step
    from classified
    where
        confidence = 'likely_meets'
        and indicator <> 'incidence'
        and n_eff_90 is not null
    union all
    select
        county_code,
        indicator,
        passes_above,
        estimate,
        threshold,
        case
            when not probe_clears then probe
            when bracketed then lo
            else hi
        end as lo,
        case
            when probe_clears or not bracketed then probe
            else hi
        end as hi,
        bracketed or probe_clears as bracketed,
        step + 1 as step
    from (
        select
            *,
            -- the one-sided bound of `bounds` at a = 0.10, at effective size `probe`
            case
                when passes_above
                    then povexit_beta_quantile(
                        0.05, estimate * probe, probe * (1 - estimate) + 1
                    ) > threshold
                else povexit_beta_quantile(
                    0.95, estimate * probe + 1, probe * (1 - estimate)
                ) < threshold
            end as probe_clears
        from (
            select
                *,
                case when bracketed then (lo + hi) / 2 else 2 * hi end as probe
            from certifying_search
            where not (bracketed and hi - lo < 1e-6) and step < 200
        )
    )
),

certifying_sizes as (
    select
        county_code,
        indicator,
        hi as certifying_size
    from certifying_search
    where bracketed and hi - lo < 1e-6
)

select
    manifest.batch_id,
    classified.county_code,
    classified.indicator,
    classified.estimate,
    classified.threshold,
    classified.se,
    cast(classified.df as bigint) as df,
    cast(classified.households as bigint) as households,
    cast(classified.n_kish as double) as n_kish,
    cast(classified.n_eff as double) as n_eff,
    classified.ci_low,
    classified.ci_high,
    classified.lower95,
    classified.upper95,
    classified.confidence,
    -- the households of the frame at the same ratio of households to effective size
    cast(
        ceil(
            classified.households * certifying_sizes.certifying_size
            / classified.n_eff_90
        ) as bigint
    ) as households_to_certify
from classified
cross join manifest
left join certifying_sizes
    on
        classified.county_code = certifying_sizes.county_code
        and classified.indicator = certifying_sizes.indicator
order by classified.county_code, classified.indicator
