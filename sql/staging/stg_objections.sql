-- Objections received during the public notice (公示异议), one row per objection that passed
-- every rule, typed. The free-text summary is personal data and never read, so it is not here.
with

-- the rows that passed every rule, as validation typed them (pipeline/validation.py keeps
-- only those; a quarantined row is in rejected_rows)
accepted as (
    select * from _checked_objections
),

-- columns in SPEC section 1 order, as pipeline/schemas/registry.py lists them
-- status: validation stores the ENUM of the codes (a byte a row); text here, as the
-- registry types it (an ENUM would also sort in the order its codes are listed)
staged as (
    select
        line_number,
        objection_id,
        county_code,
        received_date,
        cast(status as varchar) as status,
    from accepted
)

select * from staged
