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

-- columns in SPEC section 1 order, as pipeline/schemas/registry.py lists them
typed as (
    select
        line_number,
        household_id,
        povexit_int(member_no) as member_no,
        relation,
        sex,
        povexit_date(birth_date) as birth_date,
    from accepted
)

select * from typed
