-- Registered persons, one row per person who passed every rule (their household included),
-- typed. Names and id numbers stay behind in the raw table: a person counts, nothing more.
with

source as (
    select * from raw_registry_members
),

rejected as (
    select distinct line_number
    from rejected_rows
    where source_table = 'registry_members'
),

accepted as (
    select source.*
    from source
    anti join rejected using (line_number)
),

renamed as (
    select
        -- ids
        line_number,
        household_id,
        povexit_int(member_no)::integer as member_no,
        -- categories
        relation,
        sex,
        -- dates
        povexit_date(birth_date) as birth_date,
    from accepted
)

select * from renamed
