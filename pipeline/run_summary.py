"""What `povexit run` tells the user once a batch's run is over.

Per input file, the rows read and quarantined (from the batch's working database); after a
publish, where it went and the command that prints the findings; after a blocking failure,
where the quarantined rows are and a query that lists them. Counts and paths only: no row
content reaches the terminal.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import duckdb

from pipeline import settings
from pipeline.privacy import mask_ids
from pipeline.schemas.fields import RAW_TABLES

FILE_COUNTS_SQL = """
select
    reports.source_table,
    reports.source_file,
    reports.rows_read,
    reports.blank_lines,
    -- A quarantined row counts once however many rules it broke. (Not a (table, line) struct:
    -- the struct of a row without findings is not null, so it would count.)
    count(distinct rejected.line_number) as rows_quarantined
from _ingest_reports as reports
left join rejected_rows as rejected using (source_table)
group by all
"""

# What a user reads first about a quarantined row: where it is and which rule it broke.
QUARANTINE_QUERY = (
    'select source_file, line_number, "column", rule, masked_value '
    "from rejected_rows order by all limit 20"
)


def file_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int, int]]:
    """(file, rows read, rows quarantined, blank lines) per input file, in SPEC order; empty if
    the run stopped before ingestion and validation had both run."""
    try:
        rows = con.execute(FILE_COUNTS_SQL).fetchall()
    except duckdb.CatalogException:
        return []
    order = {table.name: position for position, table in enumerate(RAW_TABLES)}
    rows.sort(key=lambda row: (order.get(row[0], len(order)), row[1]))
    return [
        # An optional table the batch does not have was read from no file.
        (
            mask_ids(Path(source_file).name) if source_file else f"{table} (none)",
            read,
            rejected,
            blank,
        )
        for table, source_file, read, blank, rejected in rows
    ]


def file_lines(batch_id: str, counts: list[tuple[str, int, int, int]]) -> list[str]:
    """The per-file table. Blank lines (empty, or only spaces or delimiters) are no rows, but
    they are lines of the file: shown, so every line is accounted for."""
    if not counts:
        return []
    width = max(len(name) for name, *_ in counts) + 2
    lines = [
        f"{batch_id}: input files",
        f"  {'file':<{width}}{'rows read':>10}{'quarantined':>13}{'blank lines':>13}",
    ]
    lines += [
        f"  {name:<{width}}{read:>10,}{rejected:>13,}{blank:>13,}"
        for name, read, rejected, blank in counts
    ]
    return lines


def _shown(path: Path) -> str:
    return shlex.quote(str(path.resolve()))


def report_command(batch_id: str, marts: Path) -> str:
    """The command that prints the batch's findings; names the marts folder unless it is the
    default, which a later shell (without this one's POVEXIT_MARTS_DIR) would not find."""
    command = f"povexit report --batch {batch_id}"
    if marts.resolve() != settings.DEFAULT_MARTS_DIR.resolve():
        command += f" --marts {_shown(marts)}"
    return command


def published_lines(batch_id: str, marts: Path) -> list[str]:
    return [
        f"published: {_shown(settings.marts_path(marts))}",
        f"findings: {report_command(batch_id, marts)}",
    ]


def briefs_line(marts: Path, batch_id: str) -> str:
    """Where the batch's brief was written (the `brief` asset: HTML and xlsx, zh and en)."""
    from pipeline.brief.output import default_path

    return str(default_path(marts, batch_id, "{zh,en}", "{html,xlsx}").resolve())


def quarantine_command(warehouse: Path) -> str:
    """A query listing the quarantined rows with the `duckdb` command of the project's venv."""
    in_project = Path.cwd().resolve().is_relative_to(settings.PROJECT_ROOT)
    uv_run = "uv run" if in_project else f"uv run --project {_shown(settings.PROJECT_ROOT)}"
    return f"{uv_run} duckdb -readonly {_shown(warehouse)} -c {shlex.quote(QUARANTINE_QUERY)}"


def quarantine_lines(warehouse: Path) -> list[str]:
    return [
        f"quarantined rows: {_shown(warehouse)}, table rejected_rows; list them with:",
        f"  {quarantine_command(warehouse)}",
    ]
