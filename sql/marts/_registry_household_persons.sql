-- One row per registered (建档立卡) household with its persons counted as its member rows in
-- stg_registry_members; its recorded household_size may differ (a finding, not a reject).
with

households as (
    select * from stg_registry_households
),

members as (
    select * from stg_registry_members
),

member_counts as (
    select
        household_id,
        count(*) as member_count
    from members
    group by household_id
)

select
    households.household_id,
    households.county_code,
    households.village_code,
    households.poverty_status,
    households.year_registered,
    households.year_exited,
    households.household_size,
    households.per_capita_net_income,
    -- a household without member rows still exists, with no persons to count
    coalesce(member_counts.member_count, 0) as member_count
from households
left join member_counts
    on households.household_id = member_counts.household_id
