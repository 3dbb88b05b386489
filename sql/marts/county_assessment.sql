-- One row per county assessed in the batch (in_exit_batch): the SPEC 3.2 rates from the registry
-- (persons = member rows) and the field survey (persons = surveyed household_size), each
-- indicator's SPEC 3.4 threshold and pass flag, the county's verdict, and the decision on its
-- exit (SPEC 3.6) from the verdict, the agencies' recommendations (agency_findings), the public
-- notice of the manifest and the objections received; then the villages surveyed and how sure
-- the verdict is (SPEC 3.5), the worst confidence class of its indicators (indicator_confidence).
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

agency_recommendations as (
    select * from agency_findings
),

objections as (
    select * from stg_objections
),

indicator_classes as (
    select * from indicator_confidence
),

design as (
    select * from _indicator_design
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
),

-- a null recommendation (an agency could not compute one of its rates) counts as not
-- recommending (SPEC 3.6)
county_agencies as (
    select
        county_code,
        count(*) as agencies,
        count(*) filter (where recommends_exit) as agencies_recommending
    from agency_recommendations
    group by county_code
),

-- Every objection of the county counts for the decision whatever its date; one received
-- outside the notice window, or with no notice given at all, is a finding counted here. An
-- undated objection is not shown to fall within the window, so it counts as outside.
county_objections as (
    select
        objections.county_code,
        count(*) as objections_received,
        count(*) filter (where objections.status = 'upheld') as objections_upheld,
        count(*) filter (where objections.status = 'pending') as objections_pending,
        count(*) filter (
            where not coalesce(
                objections.received_date between manifest.public_notice_start
                and manifest.public_notice_end,
                false
            )
        ) as objections_outside_notice
    from objections
    cross join manifest
    group by objections.county_code
),

-- left joins: a county no agency surveyed or without objections still gets its row, with 0
county_findings as (
    select
        verdicts.*,
        coalesce(county_agencies.agencies, 0) as agencies,
        coalesce(
            county_agencies.agencies_recommending, 0
        ) as agencies_recommending,
        coalesce(
            county_objections.objections_received, 0
        ) as objections_received,
        coalesce(county_objections.objections_upheld, 0) as objections_upheld,
        coalesce(county_objections.objections_pending, 0) as objections_pending,
        coalesce(
            county_objections.objections_outside_notice, 0
        ) as objections_outside_notice,
        manifest.public_notice_start,
        manifest.public_notice_end
    from verdicts
    cross join manifest
    left join county_agencies
        on verdicts.county_code = county_agencies.county_code
    left join county_objections
        on verdicts.county_code = county_objections.county_code
),

-- SPEC 3.6: the first reason that applies, in the SPEC's order; none means approved. Every
-- agency that surveyed the county must recommend, and a county no agency surveyed has no
-- recommendation at all (it cannot meet, having no rates; 0 of 0 is not taken as all).
decision_reasons as (
    select
        county_findings.*,
        case
            when county_findings.verdict = 'fails' then 'verdict_fails'
            when
                county_findings.verdict = 'insufficient_data'
                then 'verdict_insufficient_data'
            when
                county_findings.agencies = 0
                or county_findings.agencies_recommending
                < county_findings.agencies
                then 'agency_not_recommending'
            when
                county_findings.public_notice_start is null
                or county_findings.public_notice_end is null
                then 'no_public_notice'
            when county_findings.objections_upheld > 0 then 'objection_upheld'
            when county_findings.objections_pending > 0 then 'objection_pending'
        end as decision_reason
    from county_findings
),

decisions as (
    select
        decision_reasons.*,
        case
            when decision_reasons.decision_reason is null then 'approved'
            when decision_reasons.decision_reason = 'verdict_fails' then 'rejected'
            when
                decision_reasons.decision_reason = 'verdict_insufficient_data'
                then 'undecided'
            -- it meets, but one of the other conditions does not hold
            else 'withheld'
        end as decision
    from decision_reasons
),

-- the villages of any frame: each survey rate's design has them all, acceptance every frame
county_villages as (
    select
        county_code,
        villages as villages_surveyed
    from design
    where indicator = 'acceptance'
),

-- SPEC 3.5: the worst class of the county's four indicators, ranked worst first
county_confidence as (
    select
        county_code,
        min(
            case confidence
                when 'confident_fails' then 1
                when 'likely_fails' then 2
                when 'undetermined' then 3
                when 'likely_meets' then 4
                when 'confident_meets' then 5
            end
        ) as worst_class
    from indicator_classes
    group by county_code
),

-- a county with no registered person cannot meet (verdicts): undetermined at best
confidences as (
    select
        decisions.*,
        coalesce(county_villages.villages_surveyed, 0) as villages_surveyed,
        case
            least(
                county_confidence.worst_class,
                case when decisions.registered_persons > 0 then 5 else 3 end
            )
            when 1 then 'confident_fails'
            when 2 then 'likely_fails'
            when 3 then 'undetermined'
            when 4 then 'likely_meets'
            when 5 then 'confident_meets'
        end as verdict_confidence
    from decisions
    left join county_villages
        on decisions.county_code = county_villages.county_code
    left join county_confidence
        on decisions.county_code = county_confidence.county_code
)

select
    manifest.batch_id,
    confidences.county_code,
    confidences.county_name,
    confidences.prefecture_code,
    confidences.prefecture_name,
    confidences.region,
    confidences.poverty_county,
    confidences.rural_population,
    confidences.registered_persons,
    confidences.remaining_poor,
    confidences.exited_persons,
    confidences.non_registered_population,
    confidences.sampled_exited_households,
    confidences.sampled_exited_persons,
    confidences.sampled_exited_persons_failing,
    confidences.wrong_exit_rate,
    confidences.wrong_exit_rate_max,
    confidences.passes_wrong_exit_rate,
    confidences.sampled_non_registered_households,
    confidences.sampled_non_registered_persons,
    confidences.sampled_non_registered_persons_failing,
    confidences.missed_rate,
    confidences.missed_rate_max,
    confidences.passes_missed_rate,
    confidences.comprehensive_incidence,
    confidences.incidence_max,
    confidences.passes_incidence,
    confidences.registry_incidence,
    confidences.surveyed_households,
    confidences.accepting_households,
    confidences.acceptance_rate,
    confidences.acceptance_rate_min,
    confidences.passes_acceptance_rate,
    confidences.exited_sample_income,
    confidences.verdict,
    confidences.agencies,
    confidences.agencies_recommending,
    confidences.objections_received,
    confidences.objections_upheld,
    confidences.objections_pending,
    confidences.objections_outside_notice,
    confidences.public_notice_start,
    confidences.public_notice_end,
    confidences.decision,
    confidences.decision_reason,
    confidences.villages_surveyed,
    confidences.verdict_confidence
from confidences
cross join manifest
order by confidences.county_code
