-- Persons in poverty at the end of each year, as each published batch's registry snapshot
-- tells it (SPEC 3.7): from the first year anyone was registered to the batch's assessment
-- year, the registered persons of households registered by then and not yet exited
-- (`returned` households have no exit year, so they count as poor from registration on).
-- Each batch is read from its own snapshot, so two batches may differ about a past year.
with

summaries as (
    select * from batch_summary
),

cohorts as (
    select * from registry_cohorts
),

batch_years as (
    select
        summaries.batch_id,
        unnest(
            range(
                min(cohorts.year_registered),
                any_value(summaries.assessment_year) + 1
            )
        ) as year
    from summaries
    inner join cohorts on summaries.batch_id = cohorts.batch_id
    group by summaries.batch_id
),

in_poverty as (
    select
        batch_years.batch_id,
        batch_years.year,
        coalesce(
            sum(cohorts.persons) filter (
                where
                    cohorts.year_registered <= batch_years.year
                    and (
                        cohorts.poverty_status = 'returned'
                        or cohorts.year_exited is null
                        or cohorts.year_exited > batch_years.year
                    )
            ),
            0
        ) as persons_in_poverty
    from batch_years
    inner join cohorts on batch_years.batch_id = cohorts.batch_id
    group by batch_years.batch_id, batch_years.year
)

select
    batch_id,
    cast(year as integer) as year,
    cast(persons_in_poverty as bigint) as persons_in_poverty
from in_poverty
order by batch_id, year
