"""One pandera schema per raw table: every row rule of SPEC section 1, declared once.

The schemas are written against pandera's ibis backend. Their checks are ibis expressions over
a table whose columns are already typed (`pipeline.validation` parses the raw text with the
warehouse's parse macros first), so the same rules compile to SQL that DuckDB runs over the
whole table. Rules that compare with another table read that table's accepted rows
(`_accepted_<table>`, unbound here) or the batch manifest (`batch_manifest`).
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import pandera.ibis as pa
from pandera.api.ibis.types import IbisData
from pandera.backends.ibis.register import register_ibis_backends

from pipeline.privacy import (
    HAN,
    NAME_PATTERN,
    OLD_ID_IN_TEXT_PATTERN,
    WHOLE_NAME_PATTERN,
    id_pattern,
)
from pipeline.schemas import fields as f

# Built-in checks find their ibis implementation only once the ibis backend is registered.
register_ibis_backends()

DTYPES = {
    "string": dt.String(),
    "int": dt.Int64(),
    "decimal": dt.Decimal(12, 2),
    "bool": dt.Boolean(),
    "date": dt.Date(),
}

# Unbound tables: the rules name them, the warehouse holds them when the SQL runs.
MANIFEST = ibis.table(
    {"batch_id": "string", "province_code": "string", "assessment_year": "int64"},
    name="batch_manifest",
)


def valid_table(table: f.RawTable) -> ibis.Table:
    """The accepted, typed rows of an already validated raw table (a rule reads the columns
    `schema_rules.accepted_columns` lists; `pipeline.validation` keeps those)."""
    schema = {field.name: DTYPES[field.dtype] for field in table.loaded_fields}
    return ibis.table(schema, name=f"_accepted_{table.name}")


def rule(name: str, error: str, function, ignore_na: bool = True) -> pa.Check:
    """A named row rule; `function(table, column)` returns the passing-row condition."""
    return pa.Check(
        lambda data: function(data.table, data.key),
        name=name,
        error=error,
        ignore_na=ignore_na,
    )


# --- rules shared by several tables -------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"


def id_well_formed(value: ibis.StringValue):
    """17 digits and a digit or X: an id whose digits can be read, right or wrong."""
    return value.re_search(r"^\d{17}[\dX]$")


def id_digits(value: ibis.StringValue):
    """An id number's first 17 characters read as two numbers: digits 1-9 and 10-17; what
    they mean only where the id is well formed (`id_well_formed`: a cast also reads '+123',
    ' 123' or '1e5').

    Every rule on an id's digits takes them from these two (the check character, the birth
    date, the sex): two casts per id instead of one substring and cast per digit, on every
    registered person, and the compiler computes the two, and the form's test, once for all
    the rules (`pipeline.sql_shared`). Both numbers stay below 2**53, so their divisions are
    exact.
    """
    return value.substr(0, 9).try_cast("int64"), value.substr(9, 8).try_cast("int64")


def resident_id_valid(table: ibis.Table, column: str):
    """GB 11643: 17 digits, then the ISO 7064 MOD 11-2 check character."""
    value = table[column]
    high, low = id_digits(value)
    total = sum(
        (high // 10 ** (8 - position)) % 10 * weight
        for position, weight in enumerate(ID_WEIGHTS[:9])
    ) + sum(
        (low // 10 ** (7 - position)) % 10 * weight
        for position, weight in enumerate(ID_WEIGHTS[9:])
    )
    expected = ibis.literal(ID_CHECK_CHARACTERS).substr(total % 11, 1)
    return id_well_formed(value) & (value.substr(17, 1) == expected)


RESIDENT_ID = rule(
    "resident_id", "valid 18-character resident id (GB 11643 check digit)", resident_id_valid
)


# Free-text columns reach the marts as they are: personal data typed into one is a finding.
NO_ID_NUMBER = rule(
    "no_id_number",
    "holds no resident id number (personal data)",
    lambda t, c: ~t[c].re_search(id_pattern()),
)


# A place name holds no number at all, so an old 15-digit id in one is found too (a code may be
# a 15-digit number with a date's digits in place, and is held to 18-character ids only).
NO_OLD_ID_NUMBER = rule(
    "no_old_id_number",
    "holds no first-generation (15-digit) id number (personal data)",
    lambda t, c: ~t[c].re_search(OLD_ID_IN_TEXT_PATTERN),
)


# A name needs Han characters, which a plain ASCII value (most codes) has none of: the name
# rules search only the other values. A search costs about 100 ns a value, every household's
# id is searched, and a CASE evaluates only the branch a value takes (an OR evaluates both).
@ibis.udf.scalar.builtin(name="strlen")
def _byte_length(value: str) -> int:
    """DuckDB's strlen: the bytes of a text; as many as its characters only for ASCII."""


def _holds_no_name(value: ibis.StringValue, pattern: str) -> ibis.BooleanValue:
    """True unless `pattern` (a name) is found in `value`; not searched in plain ASCII."""
    return ibis.ifelse(_byte_length(value) == value.length(), True, ~value.re_search(pattern))


NOT_A_NAME = rule(
    "not_a_name",
    "is not a person's name (personal data)",
    lambda t, c: _holds_no_name(t[c], WHOLE_NAME_PATTERN),
)
# A code column (ids of households and questionnaires) holds no name anywhere in it.
NO_NAME = rule(
    "no_name",
    "holds no person's name (personal data)",
    lambda t, c: _holds_no_name(t[c], NAME_PATTERN),
)


def administrative_name(suffixes: str, what: str) -> pa.Check:
    """A Chinese place name ends as its level's names do (南明区, 紫云苗族布依族自治县); a
    person's name typed in its place does not. Names in Latin letters are not judged."""
    return rule(
        "administrative_name",
        f"a {what} name: in Chinese, it ends in {' or '.join(suffixes)}",
        lambda t, c: ~t[c].re_search(HAN) | t[c].re_search(f"[{suffixes}]$"),
    )


def starts_with_column(other: str) -> pa.Check:
    return rule(
        f"starts_with_{other}",
        f"starts with {other}",
        lambda t, c: t[c].substr(0, t[other].length()) == t[other],
    )


def in_valid(table: f.RawTable, column: str, where=None) -> pa.Check:
    """Membership in another table's accepted rows, e.g. a member's household."""

    def member(t: ibis.Table, c: str):
        valid = valid_table(table)
        if where is not None:
            valid = valid.filter(where(valid))
        return t[c].isin(valid[column])

    suffix = " with in_exit_batch" if where is not None else ""
    return rule(f"in_{table.name}", f"in {table.name}{suffix}", member)


def year_within_batch() -> pa.Check:
    return rule(
        "not_after_assessment_year",
        "not after the batch's assessment_year",
        lambda t, c: t[c] <= MANIFEST.assessment_year.as_scalar(),
    )


def column(field: f.Field, *checks: pa.Check, unique: bool = False) -> pa.Column:
    return pa.Column(
        DTYPES[field.dtype],
        checks=list(checks),
        nullable=field.nullable,
        unique=unique,
        required=field.required,
        description=field.description,
        title=field.label_zh,
    )


def schema(table: f.RawTable, rules: dict[str, list[pa.Check]], unique=()) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            field.name: column(field, *rules.get(field.name, []), unique=field.name in unique)
            for field in table.fields
        },
        name=table.name,
        description=table.description,
        strict=False,
    )


# --- the schemas ---------------------------------------------------------------------

COUNTIES = schema(
    f.COUNTIES,
    {
        "county_code": [
            pa.Check.str_matches(r"^\d{6}$"),
            rule(
                "starts_with_province_code",
                "starts with the batch's province_code",
                lambda t, c: t[c].substr(0, 2) == MANIFEST.province_code.as_scalar(),
            ),
        ],
        "prefecture_code": [
            pa.Check.str_matches(r"^\d{4}00$"),
            rule(
                "same_prefecture_as_county",
                "same first 4 digits as county_code",
                lambda t, c: t[c].substr(0, 4) == t.county_code.substr(0, 4),
            ),
        ],
        "county_name": [
            NO_ID_NUMBER,
            NO_OLD_ID_NUMBER,
            administrative_name("县区市旗", "county-level"),
        ],
        "prefecture_name": [
            NO_ID_NUMBER,
            NO_OLD_ID_NUMBER,
            administrative_name("市州区盟", "prefecture-level"),
        ],
        "region": [pa.Check.isin(f.REGIONS)],
        "rural_population": [pa.Check.gt(0)],
        "exit_year": [pa.Check.ge(1986), year_within_batch()],
    },
    unique=("county_code",),
)

REGISTRY_HOUSEHOLDS = schema(
    f.REGISTRY_HOUSEHOLDS,
    {
        "household_id": [
            rule(
                "starts_with_village_code",
                "first 12 characters are village_code",
                lambda t, c: t[c].substr(0, 12) == t.village_code,
            ),
            NO_ID_NUMBER,
            NO_NAME,
        ],
        "county_code": [in_valid(f.COUNTIES, "county_code")],
        "village_code": [pa.Check.str_matches(r"^\d{12}$"), starts_with_column("county_code")],
        "head_id_number": [RESIDENT_ID],
        "household_size": [pa.Check.in_range(1, 20)],
        "poverty_status": [pa.Check.isin(f.POVERTY_STATUSES)],
        "year_registered": [pa.Check.ge(2013), year_within_batch()],
        "year_exited": [
            rule(
                "required_iff_exited",
                "present if and only if poverty_status is exited",
                lambda t, c: t[c].notnull() == (t.poverty_status == "exited"),
                ignore_na=False,
            ),
            rule(
                "not_before_year_registered",
                "not before year_registered",
                lambda t, c: t[c] >= t.year_registered,
            ),
            year_within_batch(),
        ],
        "poverty_cause": [pa.Check.isin(f.POVERTY_CAUSES)],
        "per_capita_net_income": [pa.Check.ge(0)],
    },
    unique=("household_id",),
)


def sex_of_id_number(t: ibis.Table):
    """M or F as the id number's 17th digit is odd or even (the last of digits 10-17);
    unknown (no finding) where the id is not well formed: the id's own rule reports it."""
    well_formed = id_well_formed(t.id_number)
    _, low = id_digits(t.id_number)
    return ibis.cases((well_formed & (low % 2 == 1), "M"), (well_formed & (low % 2 == 0), "F"))


def birth_of_id_number(t: ibis.Table):
    """The id number's digits 7-14 (the birth date, YYYYMMDD) as a number: the last three of
    digits 1-9 and the first five of digits 10-17; unknown where the id is not well formed."""
    high, low = id_digits(t.id_number)
    return ibis.ifelse(id_well_formed(t.id_number), high % 1000 * 100000 + low // 1000, None)


def date_as_number(date: ibis.DateValue):
    """A date as the number YYYYMMDD."""
    return date.year() * 10000 + date.month() * 100 + date.day()


REGISTRY_MEMBERS = schema(
    f.REGISTRY_MEMBERS,
    {
        "household_id": [in_valid(f.REGISTRY_HOUSEHOLDS, "household_id")],
        "member_no": [
            pa.Check.ge(1),
            rule(
                "unique_within_household",
                "unique within the household",
                lambda t, c: t[c].count().over(group_by=[t.household_id, t[c]]) == 1,
            ),
        ],
        "id_number": [RESIDENT_ID],
        "relation": [pa.Check.isin(f.RELATIONS)],
        "sex": [
            pa.Check.isin(f.SEXES),
            rule(
                "sex_matches_id_number",
                "matches the id number's 17th digit (odd = M)",
                lambda t, c: t[c] == sex_of_id_number(t),
            ),
        ],
        "birth_date": [
            rule(
                "birth_date_matches_id_number",
                "matches the id number's digits 7-14",
                lambda t, c: date_as_number(t[c]) == birth_of_id_number(t),
            )
        ],
    },
    unique=("id_number",),
)


def _survey_household_known(t: ibis.Table, c: str):
    """A sampled registry household exists, in that county, with the frame's status."""
    households = valid_table(f.REGISTRY_HOUSEHOLDS)
    # Only the households some survey names: the set the survey rows are looked up in is built
    # from these, not from every registered household (millions, for a few thousand surveys).
    households = households.filter(households.household_id.isin(t[c]))
    frame_of_status = ibis.ifelse(households.poverty_status == "exited", "exited", "poor")
    known = households.county_code.concat(":", households.household_id, ":", frame_of_status)
    return t.county_code.concat(":", t[c], ":", t.sample_frame).isin(known)


SURVEY_HOUSEHOLDS = schema(
    f.SURVEY_HOUSEHOLDS,
    {
        "survey_id": [NO_ID_NUMBER, NO_NAME],
        "agency_code": [pa.Check.str_length(min_value=1), NO_ID_NUMBER, NOT_A_NAME],
        "county_code": [in_valid(f.COUNTIES, "county_code", where=lambda v: v.in_exit_batch)],
        "village_code": [pa.Check.str_matches(r"^\d{12}$"), starts_with_column("county_code")],
        "survey_date": [
            rule(
                "within_assessment_year",
                "within the batch's assessment_year",
                lambda t, c: t[c].year() == MANIFEST.assessment_year.as_scalar(),
            )
        ],
        "sample_frame": [pa.Check.isin(f.SAMPLE_FRAMES)],
        "household_id": [
            rule(
                "required_unless_non_registered",
                "present for exited and poor frames, empty for non_registered",
                lambda t, c: t[c].notnull() == (t.sample_frame != "non_registered"),
                ignore_na=False,
            ),
            rule(
                "in_registry_with_frame_status",
                "in registry_households, same county, status matching the sample_frame",
                _survey_household_known,
            ),
        ],
        "household_size": [pa.Check.in_range(1, 20)],
        **{name: [pa.Check.ge(0)] for name in (*f.INCOME_COMPONENTS, "production_cost")},
        "acceptance": [pa.Check.isin(f.ACCEPTANCE_ANSWERS)],
    },
    unique=("survey_id",),
)

# An objection outside the notice window is a finding of the marts, not a reject: the date is
# only parsed here.
OBJECTIONS = schema(
    f.OBJECTIONS,
    {
        "objection_id": [NO_ID_NUMBER, NO_NAME],
        "county_code": [in_valid(f.COUNTIES, "county_code", where=lambda v: v.in_exit_batch)],
        "status": [pa.Check.isin(f.OBJECTION_STATUSES)],
    },
    unique=("objection_id",),
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "counties": COUNTIES,
    "registry_households": REGISTRY_HOUSEHOLDS,
    "registry_members": REGISTRY_MEMBERS,
    "survey_households": SURVEY_HOUSEHOLDS,
    "objections": OBJECTIONS,
}

__all__ = ["SCHEMAS", "IbisData"]
