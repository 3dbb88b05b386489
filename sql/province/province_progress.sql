-- One row per published batch: the province's progress at that round (SPEC 3.7). Counties
-- assessed, meeting and exited, the registry snapshot's remaining poor and incidence, the
-- persons the round's surveys found wrongly exited or missed, and the run of consecutive
-- assessment years up to this one whose surveys found none (zero_error_years).
with

summaries as (
    select * from batch_summary
),

-- A year counts as error-free when every published batch of the province for that year found
-- zero wrong-exit and zero missed persons; a batch whose counts are unknown (no survey) does
-- not count as error-free.
province_years as (
    select
        province_code,
        assessment_year,
        bool_and(
            coalesce(wrong_exit_persons_found = 0 and missed_persons_found = 0, false)
        ) as error_free
    from summaries
    group by province_code, assessment_year
),

-- Gaps and islands over the error-free years alone: consecutive years share
-- year - rank, so a year with errors or without a batch starts a new run.
error_free_runs as (
    select
        province_code,
        assessment_year,
        assessment_year - row_number() over (
            partition by province_code order by assessment_year
        ) as run
    from province_years
    where error_free
),

run_lengths as (
    select
        province_code,
        assessment_year,
        assessment_year - min(assessment_year) over (
            partition by province_code, run
        ) + 1 as zero_error_years
    from error_free_runs
)

select
    summaries.batch_id,
    summaries.province_code,
    summaries.province_name,
    summaries.assessment_year,
    summaries.counties_assessed,
    summaries.counties_meeting,
    summaries.counties_approved,
    summaries.poverty_counties,
    summaries.poverty_counties_exited,
    summaries.rural_population,
    summaries.registered_persons,
    summaries.remaining_poor,
    summaries.registry_incidence,
    summaries.wrong_exit_persons_found,
    summaries.missed_persons_found,
    cast(coalesce(run_lengths.zero_error_years, 0) as integer) as zero_error_years
from summaries
left join run_lengths
    on
        summaries.province_code = run_lengths.province_code
        and summaries.assessment_year = run_lengths.assessment_year
order by summaries.province_code, summaries.assessment_year, summaries.batch_id
