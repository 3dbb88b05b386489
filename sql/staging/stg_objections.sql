-- Objections received during the public notice (公示异议), one row per objection that passed
-- every rule, typed. The free-text summary is personal data and never read, so it is not here.
with

source as (
    select * from _checked_objections
),

rejected as (
    select distinct line_number
    from rejected_rows
    where source_table = 'objections'
),

accepted as (
    select source.*
    from source
    anti join rejected using (line_number)
),

-- columns in SPEC section 1 order, as pipeline/schemas/registry.py lists them
staged as (
    select
        line_number,
        objection_id,
        county_code,
        received_date,
        status,
    from accepted
)

select * from staged
