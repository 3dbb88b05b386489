"""Every input line accounted for, per file (SPEC section 2: input rows = accepted + rejected).

Two balances, each from counts taken independently of the other side:
- rows: the rows ingestion read = the rows staging accepted + the rows quarantined;
- lines: the file's physical lines, counted from its line breaks without the CSV parser
  (`pipeline.lines`) = the header's lines + blank lines + the lines spanned by the accepted and
  the quarantined rows (a row whose quoted field holds a line break spans two).
A parser that swallowed lines into one row, or lost rows, cannot pass the second.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class FileAccount:
    source_file: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    physical_lines: int
    header_lines: int
    blank_lines: int
    lines_spanned: int

    @property
    def rows_balance(self) -> bool:
        return self.rows_read == self.rows_accepted + self.rows_rejected

    @property
    def lines_balance(self) -> bool:
        return self.physical_lines == self.header_lines + self.blank_lines + self.lines_spanned

    @property
    def rejected_share(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0

    def problems(self) -> list[str]:
        found = []
        if not self.rows_balance:
            found.append(
                f"rows do not add up: {self.rows_read} read, {self.rows_accepted} accepted, "
                f"{self.rows_rejected} rejected"
            )
        if not self.lines_balance:
            found.append(
                f"lines do not add up: {self.physical_lines} in the file, {self.header_lines} "
                f"header + {self.blank_lines} blank + {self.lines_spanned} in rows"
            )
        return found


ACCOUNT_SQL = """
with

report as (
    select * from _ingest_reports where source_table = $source_table
),

rejected as (
    select distinct line_number from rejected_rows where source_table = $source_table
),

accepted as (
    select line_number from {staging_table}
),

rows_placed as (
    select line_number from rejected
    union all
    select line_number from accepted
),

spans as (
    select line_number, lines_spanned
    from _multiline_rows
    where source_table = $source_table
),

lines_in_rows as (
    select coalesce(sum(coalesce(spans.lines_spanned, 1)), 0) as lines_spanned
    from rows_placed
    left join spans using (line_number)
)

select
    report.source_file,
    report.rows_read,
    (select count(*) from accepted) as rows_accepted,
    (select count(*) from rejected) as rows_rejected,
    report.physical_lines,
    report.header_lines,
    report.blank_lines,
    lines_in_rows.lines_spanned
from report, lines_in_rows
"""


def account_for(
    con: duckdb.DuckDBPyConnection, source_table: str, staging_table: str
) -> FileAccount:
    """The two balances of one raw file, from the batch's working database."""
    row = con.execute(
        ACCOUNT_SQL.format(staging_table=f'"{staging_table}"'), {"source_table": source_table}
    ).fetchone()
    return FileAccount(*row)
