-- One row per county with registered households: its registered persons (member rows) in all,
-- still poor (status `poor` or `returned`, SPEC 3.2) and exited, from the registry.
with

registry_households as (
    select * from _registry_household_persons
),

county_persons as (
    select
        county_code,
        sum(member_count) as registered_persons,
        -- a household that fell back into poverty is poor again, not exited
        sum(
            case
                when poverty_status in ('poor', 'returned') then member_count
                else 0
            end
        ) as remaining_poor,
        sum(
            case when poverty_status = 'exited' then member_count else 0 end
        ) as exited_persons
    from registry_households
    group by county_code
)

select
    county_code,
    cast(registered_persons as bigint) as registered_persons,
    cast(remaining_poor as bigint) as remaining_poor,
    cast(exited_persons as bigint) as exited_persons
from county_persons
order by county_code
