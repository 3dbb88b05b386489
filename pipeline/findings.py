"""What a batch's checks report beside their verdict: quarantined rows by rule, and findings
that do not make a row unusable (SPEC section 1: a household whose recorded size differs from
its member rows is a data-quality finding, not a reject, shown on `_registry_household_persons`;
unknown extra columns are reported on each file's schema check)."""

from __future__ import annotations

import duckdb

# A household's persons are its accepted member rows, as in every population figure; the
# intermediate that counts them for every population figure has both numbers side by side
# (counting 9 million member rows again for this warning cost as long as the count itself).
HOUSEHOLD_SIZE_MISMATCHES = """
select count(*)
from _registry_household_persons
where household_size <> member_count
"""

RULE_COUNTS = """
select
    "column",
    rule,
    count(*) as rows
from rejected_rows
where source_table = ?
group by all
order by rows desc, "column", rule
"""

RULE_COUNTS_BY_FILE = """
select
    source_file,
    "column",
    rule,
    count(*) as findings
from rejected_rows
group by all
order by source_file, "column", rule
"""


def extra_columns(con: duckdb.DuckDBPyConnection, source_table: str) -> list[str]:
    """Unknown header cells of the file, as reported by ingestion (masked)."""
    return con.execute(
        "select extra_columns from _ingest_reports where source_table = ?", [source_table]
    ).fetchone()[0]


def household_size_mismatches(con: duckdb.DuckDBPyConnection) -> int:
    """Households whose recorded size differs from their accepted member rows; needs
    `_registry_household_persons`, whose asset shows it."""
    return con.execute(HOUSEHOLD_SIZE_MISMATCHES).fetchone()[0]


def failing_rows_by_rule(con: duckdb.DuckDBPyConnection, source_table: str) -> list[tuple]:
    """(column, rule, rows) of the table's quarantined rows, most frequent first."""
    return con.execute(RULE_COUNTS, [source_table]).fetchall()


def findings_by_file_and_rule(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(source_file, column, rule, findings) over the whole batch."""
    return con.execute(RULE_COUNTS_BY_FILE).fetchall()


def warnings(con: duckdb.DuckDBPyConnection, source_table: str) -> dict[str, str]:
    """The table's findings that never reject a row, for its check's metadata."""
    return {"warning_extra_columns": ", ".join(extra_columns(con, source_table)) or "none"}
