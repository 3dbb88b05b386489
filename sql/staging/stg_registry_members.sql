-- Registered persons, one row per person who passed every rule (their household included),
-- typed. Names and id numbers stay behind in the raw table: a person counts, nothing more.
with

source as (
    select * from _checked_registry_members
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

-- columns in SPEC section 1 order, as pipeline/schemas/registry.py lists them; validation
-- parsed them (pipeline/warehouse.py's parse macros), once for its rules and for staging
staged as (
    select
        line_number,
        household_id,
        member_no,
        relation,
        sex,
        birth_date,
    from accepted
)

select * from staged
