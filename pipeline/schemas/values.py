"""Coded values as real exports spell them, mapped to the canonical codes of SPEC section 1.

The mapping itself is data (`pipeline/reference/value_labels.toml`); this module turns it into
the SQL expressions ingestion applies to each column as it is loaded.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from pipeline.schemas.fields import Field, RawTable

LABELS_FILE = Path(__file__).resolve().parent.parent / "reference" / "value_labels.toml"
# Full-width digits and signs (what Chinese input methods type) and the ideographic space.
FULL_WIDTH = "０１２３４５６７８９．－＋　"
HALF_WIDTH = "0123456789.-+ "


@cache
def value_labels() -> dict[str, dict[str, list[str]]]:
    return tomllib.loads(LABELS_FILE.read_text(encoding="utf-8"))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def labels_for(field: Field) -> dict[str, list[str]] | None:
    key = "boolean" if field.dtype == "bool" else field.name
    return value_labels().get(key)


def code_type(field: Field) -> str | None:
    """For a coded text field (a few codes: relation, sex, poverty status), the DuckDB ENUM of
    its codes, spelt as DuckDB spells it: how validation holds and stores the column, one byte
    a row instead of a string. None for any other field."""
    labels = labels_for(field) if field.dtype == "string" else None
    return f"ENUM({', '.join(_quote(code) for code in labels)})" if labels else None


def code_types(table: RawTable) -> dict[str, str]:
    """A raw table's coded text columns, each with the ENUM of its codes (`code_type`)."""
    return {field.name: enum for field in table.loaded_fields if (enum := code_type(field))}


def as_code_sql(column_sql: str, enum: str, where: str) -> str:
    """SQL: a text column that must hold one of its codes, as its ENUM (`code_type`); null stays
    null. A value outside the codes stops the statement with a message naming `where` (table
    and column), not the value: it could be an id number typed in the column, and DuckDB's own
    cast error would quote it."""
    outside = _quote(
        f"{where}: a value outside its codes passed every rule "
        "(pipeline/reference/value_labels.toml and the column's isin rule disagree)"
    )
    return (
        f"coalesce(try_cast({column_sql} as {enum}), "
        f"case when {column_sql} is not null then error({outside}) end)"
    )


def normalize_sql(field: Field, column_sql: str) -> str:
    """SQL turning one raw text column into its canonical spelling (null when empty)."""
    # translate() walks every character and dominates loading time; an all-ASCII value (byte
    # length equals character length: nearly every value of a real export) cannot hold one.
    half_width = (
        f"case when strlen({column_sql}) = length({column_sql}) then {column_sql} "
        f"else translate({column_sql}, '{FULL_WIDTH}', '{HALF_WIDTH}') end"
    )
    text = f"nullif(trim({half_width}), '')"
    labels = labels_for(field)
    if not labels:
        return text
    whens = " ".join(
        f"when {_quote(spelling.lower())} then {_quote(code)}"
        for code, spellings in labels.items()
        for spelling in [code, *spellings]
    )
    # A value already spelt as its code (nearly every value of a real export) is its own
    # canonical spelling: one set lookup instead of the trims and comparisons below.
    codes = ", ".join(_quote(code) for code in labels)
    return (
        f"case when {column_sql} in ({codes}) then {column_sql} "
        f"else case lower({text}) {whens} else {text} end end"
    )


def canonical_sql(field: Field, column_sql: str) -> str:
    """A condition holding where `normalize_sql` leaves a value as it is (an empty one aside,
    which both make null): all ASCII (no full-width character, no space but the ASCII one),
    no space for trim() at either end, and for a coded field one of its codes.

    A value that passes it needs only `nullif(value, '')`, which costs a fraction of the
    trims of `normalize_sql` (`pipeline.raw_sql.normalised_value`).
    """
    tests = [
        f"strlen({column_sql}) = length({column_sql})",
        f"{column_sql} not like ' %'",
        f"{column_sql} not like '% '",
    ]
    if labels := labels_for(field):
        tests.append(f"{column_sql} in ({', '.join(_quote(code) for code in labels)})")
    return f"({column_sql} is null or ({' and '.join(tests)}))"
