-- One row per evaluation agency and county of the exit batch it surveyed: the SPEC 3.2 rates on
-- the agency's own surveyed households of the county, its comprehensive incidence from those
-- rates and the county's registry figures, each indicator's SPEC 3.4 pass flag with the batch's
-- thresholds, and whether the agency recommends the county's exit (SPEC 3.6).
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

agency_frames as (
    select * from _agency_survey_frames
),

-- an agency has findings only where it surveyed (inner join), and only on counties assessed in
-- the batch; a county without registry rows counts 0 persons, as in county_assessment
agency_counties as (
    select
        agency_frames.agency_code,
        agency_frames.county_code,
        counties.region,
        counties.rural_population,
        coalesce(registry_persons.registered_persons, 0) as registered_persons,
        coalesce(registry_persons.remaining_poor, 0) as remaining_poor,
        coalesce(registry_persons.exited_persons, 0) as exited_persons,
        agency_frames.surveyed_households,
        agency_frames.sampled_exited_households,
        agency_frames.sampled_exited_persons,
        agency_frames.sampled_exited_persons_failing,
        agency_frames.sampled_non_registered_households,
        agency_frames.sampled_non_registered_persons,
        agency_frames.sampled_non_registered_persons_failing,
        agency_frames.accepting_households
    from agency_frames
    inner join counties
        on agency_frames.county_code = counties.county_code
    left join registry_persons
        on agency_frames.county_code = registry_persons.county_code
    where counties.in_exit_batch
),

-- the county's rates (county_assessment) on the agency's households alone: a frame the agency
-- did not survey has no rate (nullif)
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
        / nullif(surveyed_households, 0) as acceptance_rate
    from agency_counties
),

-- the agency's failure rates extrapolate to the county's registered exited persons and its
-- non-registered population: the whole county as that agency found it
incidences as (
    select
        rates.*,
        (
            rates.remaining_poor
            + rates.wrong_exit_rate * rates.exited_persons
            + rates.missed_rate * rates.non_registered_population
        )
        / nullif(rates.rural_population, 0) as comprehensive_incidence
    from rates
),

-- strict inequalities with the batch's thresholds, as county_assessment judges the county
checks as (
    select
        incidences.*,
        incidences.comprehensive_incidence < case incidences.region
            when 'west' then manifest.incidence_max_west
            when 'central' then manifest.incidence_max_central
            when 'east' then manifest.incidence_max_east
        end as passes_incidence,
        incidences.wrong_exit_rate
        < manifest.wrong_exit_rate_max as passes_wrong_exit_rate,
        incidences.missed_rate
        < manifest.missed_rate_max as passes_missed_rate,
        incidences.acceptance_rate
        > manifest.acceptance_rate_min as passes_acceptance_rate
    from incidences
    cross join manifest
),

-- SPEC 3.6: a rate the agency cannot compute (it surveyed no household of that frame) leaves
-- its recommendation null, whatever the other rates show; null counts as not recommending.
-- Unlike the county's verdict, a failing veto does not turn a missing rate into false.
recommendations as (
    select
        checks.*,
        case
            when
                checks.wrong_exit_rate is null
                or checks.missed_rate is null
                or checks.acceptance_rate is null
                or checks.comprehensive_incidence is null
                then null
            else
                checks.passes_incidence
                and checks.passes_wrong_exit_rate
                and checks.passes_missed_rate
                and checks.passes_acceptance_rate
        end as recommends_exit
    from checks
)

select
    manifest.batch_id,
    recommendations.agency_code,
    recommendations.county_code,
    recommendations.surveyed_households,
    recommendations.sampled_exited_households,
    recommendations.sampled_exited_persons,
    recommendations.sampled_exited_persons_failing,
    recommendations.wrong_exit_rate,
    recommendations.passes_wrong_exit_rate,
    recommendations.sampled_non_registered_households,
    recommendations.sampled_non_registered_persons,
    recommendations.sampled_non_registered_persons_failing,
    recommendations.missed_rate,
    recommendations.passes_missed_rate,
    recommendations.comprehensive_incidence,
    recommendations.passes_incidence,
    recommendations.accepting_households,
    recommendations.acceptance_rate,
    recommendations.passes_acceptance_rate,
    recommendations.recommends_exit
from recommendations
cross join manifest
order by recommendations.agency_code, recommendations.county_code
