-- One row per county assessed in the batch (in_exit_batch): the SPEC 3.2 rates from the registry
-- (persons = member rows) and the field survey (persons = surveyed household_size), each
-- indicator's SPEC 3.4 threshold and pass flag, and the county's verdict.
with

manifest as (
    select * from batch_manifest
),

counties as (
    select * from stg_counties
),

registry_persons as (
    select * from _county_registry_persons
),

survey_frames as (
    select * from _county_survey_frames
),

-- left joins: a county with no registry rows or no surveys still gets its row
assessed_counties as (
    select
        counties.county_code,
        counties.county_name,
        counties.prefecture_code,
        counties.prefecture_name,
        counties.region,
        counties.poverty_county,
        counties.rural_population,
        coalesce(registry_persons.registered_persons, 0) as registered_persons,
        coalesce(registry_persons.remaining_poor, 0) as remaining_poor,
        coalesce(registry_persons.exited_persons, 0) as exited_persons,
        coalesce(
            survey_frames.sampled_exited_households, 0
        ) as sampled_exited_households,
        coalesce(
            survey_frames.sampled_exited_persons, 0
        ) as sampled_exited_persons,
        coalesce(
            survey_frames.sampled_exited_persons_failing, 0
        ) as sampled_exited_persons_failing,
        survey_frames.sampled_exited_net_income,
        coalesce(
            survey_frames.sampled_non_registered_households, 0
        ) as sampled_non_registered_households,
        coalesce(
            survey_frames.sampled_non_registered_persons, 0
        ) as sampled_non_registered_persons,
        coalesce(
            survey_frames.sampled_non_registered_persons_failing, 0
        ) as sampled_non_registered_persons_failing,
        coalesce(survey_frames.surveyed_households, 0) as surveyed_households,
        coalesce(survey_frames.accepting_households, 0) as accepting_households
    from counties
    left join registry_persons
        on counties.county_code = registry_persons.county_code
    left join survey_frames
        on counties.county_code = survey_frames.county_code
    where counties.in_exit_batch
),

-- an empty sample frame has no rate (nullif): its veto is then undecided
rates as (
    select
        *,
        greatest(
            0, rural_population - registered_persons
        ) as non_registered_population,
        cast(sampled_exited_persons_failing as double)
        / nullif(sampled_exited_persons, 0) as wrong_exit_rate,
        cast(sampled_non_registered_persons_failing as double)
        / nullif(sampled_non_registered_persons, 0) as missed_rate,
        cast(accepting_households as double)
        / nullif(surveyed_households, 0) as acceptance_rate,
        cast(sampled_exited_net_income as double)
        / nullif(sampled_exited_persons, 0) as exited_sample_income
    from assessed_counties
),

-- the sampled failure rates extrapolate to the county's exited and
-- non-registered persons
incidences as (
    select
        rates.*,
        (
            rates.remaining_poor
            + rates.wrong_exit_rate * rates.exited_persons
            + rates.missed_rate * rates.non_registered_population
        )
        / nullif(rates.rural_population, 0) as comprehensive_incidence,
        cast(rates.remaining_poor as double)
        / nullif(rates.rural_population, 0) as registry_incidence
    from rates
),

thresholds as (
    select
        incidences.*,
        case incidences.region
            when 'west' then manifest.incidence_max_west
            when 'central' then manifest.incidence_max_central
            when 'east' then manifest.incidence_max_east
        end as incidence_max,
        manifest.wrong_exit_rate_max,
        manifest.missed_rate_max,
        manifest.acceptance_rate_min
    from incidences
    cross join manifest
),

-- strict inequalities (SPEC 3.4): a rate equal to its threshold fails
checks as (
    select
        thresholds.*,
        thresholds.comprehensive_incidence
        < thresholds.incidence_max as passes_incidence,
        thresholds.wrong_exit_rate
        < thresholds.wrong_exit_rate_max as passes_wrong_exit_rate,
        thresholds.missed_rate
        < thresholds.missed_rate_max as passes_missed_rate,
        thresholds.acceptance_rate
        > thresholds.acceptance_rate_min as passes_acceptance_rate
    from thresholds
),

-- Each indicator is a veto: one that fails decides the verdict even when another
-- cannot be computed (the county cannot exit whatever the missing frame would show).
-- insufficient_data is left for a county where nothing fails but something is missing:
-- a rate, or the registry itself. A county with no registered person (no registry
-- households, or households without member rows) counts 0 still poor and 0 exited for
-- want of rows, not by count, so its incidence is the missed rate alone: it never meets.
verdicts as (
    select
        checks.*,
        case
            when
                not checks.passes_incidence
                or not checks.passes_wrong_exit_rate
                or not checks.passes_missed_rate
                or not checks.passes_acceptance_rate
                then 'fails'
            when
                checks.passes_incidence
                and checks.passes_wrong_exit_rate
                and checks.passes_missed_rate
                and checks.passes_acceptance_rate
                and checks.registered_persons > 0
                then 'meets'
            else 'insufficient_data'
        end as verdict
    from checks
)

select
    manifest.batch_id,
    verdicts.county_code,
    verdicts.county_name,
    verdicts.prefecture_code,
    verdicts.prefecture_name,
    verdicts.region,
    verdicts.poverty_county,
    verdicts.rural_population,
    verdicts.registered_persons,
    verdicts.remaining_poor,
    verdicts.exited_persons,
    verdicts.non_registered_population,
    verdicts.sampled_exited_households,
    verdicts.sampled_exited_persons,
    verdicts.sampled_exited_persons_failing,
    verdicts.wrong_exit_rate,
    verdicts.wrong_exit_rate_max,
    verdicts.passes_wrong_exit_rate,
    verdicts.sampled_non_registered_households,
    verdicts.sampled_non_registered_persons,
    verdicts.sampled_non_registered_persons_failing,
    verdicts.missed_rate,
    verdicts.missed_rate_max,
    verdicts.passes_missed_rate,
    verdicts.comprehensive_incidence,
    verdicts.incidence_max,
    verdicts.passes_incidence,
    verdicts.registry_incidence,
    verdicts.surveyed_households,
    verdicts.accepting_households,
    verdicts.acceptance_rate,
    verdicts.acceptance_rate_min,
    verdicts.passes_acceptance_rate,
    verdicts.exited_sample_income,
    verdicts.verdict
from verdicts
cross join manifest
order by verdicts.county_code
