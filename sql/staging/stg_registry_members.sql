-- Registered persons, one row per person who passed every rule (their household included),
-- typed. Names and id numbers stay behind in the raw table: a person counts, nothing more.
with

-- the rows that passed every rule, as validation typed them (pipeline/validation.py keeps
-- only those; a quarantined row is in rejected_rows)
accepted as (
    select * from _checked_registry_members
),

-- columns in SPEC section 1 order, as pipeline/schemas/registry.py lists them; validation
-- parsed them (pipeline/warehouse.py's parse macros), once for its rules and for staging
-- relation, sex: validation stores the ENUM of the codes (a byte a row); text here, as the
-- registry types it (an ENUM would also sort in the order its codes are listed)
staged as (
    select
        line_number,
        household_id,
        member_no,
        cast(relation as varchar) as relation,
        cast(sex as varchar) as sex,
        birth_date,
    from accepted
)

select * from staged
