-- The batch's registry snapshot by status, year registered and year exited: households and
-- persons (member rows) of each cohort. The few figures the province's poverty trajectory
-- (SPEC 3.7, sql/province/poverty_trajectory.sql) reads from every published batch.
with

manifest as (
    select * from batch_manifest
),

households as (
    select * from _registry_household_persons
),

cohorts as (
    select
        poverty_status,
        year_registered,
        year_exited,
        count(*) as households,
        cast(sum(member_count) as bigint) as persons
    from households
    group by all
)

select
    manifest.batch_id,
    cohorts.poverty_status,
    cohorts.year_registered,
    cohorts.year_exited,
    cohorts.households,
    cohorts.persons
from cohorts
cross join manifest
order by all
