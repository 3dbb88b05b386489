"""Raw files of a batch into the warehouse, as text, with each row's source line number.

Reading is streamed (`pipeline.readers`) so a file of millions of rows never sits in memory at
once. Headers may be the canonical names or the Chinese labels of SPEC section 1; values are
mapped to their canonical spelling as they are loaded (`pipeline.schemas.values`). Names are
not read at all: they are used for nothing, so they never leave the file. A row with the wrong
number of fields is kept aside with its line number and becomes a quarantined row. Beside the
rows, the report keeps how the file's lines were spent (`pipeline.lines`: header, blank lines,
rows spanning several lines) for the line balance of `pipeline.accounting`; a table with no
data row at all is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.errors import InputError
from pipeline.privacy import mask_value
from pipeline.readers import SUFFIXES, Source, open_source
from pipeline.schemas.fields import RawTable
from pipeline.schemas.values import normalize_sql


@dataclass
class IngestReport:
    """What reading one file found; stored beside the raw table for the checks."""

    source_table: str
    source_file: str
    encoding: str
    rows_read: int = 0
    blank_lines: int = 0
    malformed: list[tuple[int, int]] = field(default_factory=list)  # (line, fields found)
    extra_columns: list[str] = field(default_factory=list)
    # Counted from the file's line breaks, not by the parser (`pipeline.lines`).
    physical_lines: int = 0
    header_lines: int = 1
    multiline: list[tuple[int, int]] = field(default_factory=list)  # (line, lines spanned)


def find_source(batch_dir: Path, table: RawTable) -> Path:
    """The one file holding a raw table, whatever supported form it arrived in."""
    found = [batch_dir / f"{table.name}{suffix}" for suffix in SUFFIXES]
    found = [path for path in found if path.is_file()]
    if not found:
        names = " or ".join(f"{table.name}{suffix}" for suffix in SUFFIXES)
        raise InputError(f"{batch_dir / table.name}: missing (expected {names})")
    if len(found) > 1:
        raise InputError(
            f"{batch_dir / table.name}: found in several forms "
            f"({', '.join(path.name for path in found)}); keep one"
        )
    return found[0]


def canonical_header(path: Path, header: list[str], table: RawTable) -> tuple[list[str], list[str]]:
    """Header cells as canonical column names, plus the unknown extra columns.

    Canonical names and the Chinese labels of SPEC section 1 are both accepted.
    """
    by_label = {fld.name: fld.name for fld in table.fields}
    by_label |= {fld.label_zh: fld.name for fld in table.fields}
    names, extras, seen = [], [], set()
    for position, cell in enumerate(header, start=1):
        if not cell:
            raise InputError(f"{path}: header column {position} is empty")
        name = by_label.get(cell)
        if name is None:
            # Reported in metadata: a header cell can be a name or an id (a header line lost).
            extras.append(mask_value(cell))
            name = f"_extra_{position}"
        if name in seen:
            raise InputError(f"{path}: duplicated header column {cell!r}")
        seen.add(name)
        names.append(name)
    missing = [fld.name for fld in table.loaded_fields if fld.name not in seen]
    if missing:
        # The cells are not quoted back: without its header line, the first line is a row
        # of names and id numbers.
        known = len(header) - len(extras)
        raise InputError(
            f"{path}: missing required column {missing[0]!r} "
            f"(label {table.field(missing[0]).label_zh}); line 1 has {len(header)} cells, "
            f"{known} of them known column names"
            + ("" if known else ": is the header line missing?")
        )
    return names, extras


def open_table(batch_dir: Path, table: RawTable) -> tuple[Source, list[str], list[str]]:
    """The table's file opened, its header mapped: everything that can fail before rows."""
    source = open_source(find_source(batch_dir, table))
    names, extras = canonical_header(source.path, source.header, table)
    return source, names, extras


def create_raw_table(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    columns = ", ".join(f'"{fld.name}" varchar' for fld in table.loaded_fields)
    con.execute(f'create or replace table "{table.asset}" (line_number bigint, {columns})')


def ingest(con: duckdb.DuckDBPyConnection, batch_dir: Path, table: RawTable) -> IngestReport:
    """Load one raw file into table `table.asset`; returns what was read."""
    source, names, extras = open_table(batch_dir, table)
    report = IngestReport(table.name, source.path.name, source.encoding, extra_columns=extras)
    create_raw_table(con, table)

    def set_aside(line: int, fields_found: int, blank: bool) -> None:
        if blank:
            report.blank_lines += 1
        else:
            report.malformed.append((line, fields_found))

    keep = [fld.name for fld in table.loaded_fields]
    select = ", ".join(normalize_sql(fld, f'"{fld.name}"') for fld in table.loaded_fields)
    # An empty line or row parses as empty fields: it is no row, so it is not kept.
    not_blank = " or ".join(f"trim(\"{name}\") <> ''" for name in keep)
    for block in source.blocks(names, keep, set_aside):
        con.register("_ingest_chunk", block)
        inserted = con.execute(
            f'insert into "{table.asset}" select line_number, {select} '
            f"from _ingest_chunk where {not_blank}"
        ).fetchone()[0]
        con.unregister("_ingest_chunk")
        report.rows_read += inserted
        report.blank_lines += block.num_rows - inserted
    report.rows_read += len(report.malformed)
    line_map = source.line_map
    report.physical_lines = line_map.physical_lines
    report.header_lines = line_map.header_lines
    report.blank_lines += line_map.leading_blank_lines
    report.multiline = [(line, span) for record, line, span in line_map.multiline if record > 1]
    if report.rows_read == 0:
        # A verdict from an empty registry or survey would be a verdict about nothing.
        raise InputError(f"{source.path}: no data rows (only a header)")
    return report


REPORT_TABLES_DDL = """
create table if not exists _ingest_reports (
    source_table varchar primary key,
    source_file varchar,
    encoding varchar,
    rows_read bigint,
    blank_lines bigint,
    extra_columns varchar[],
    physical_lines bigint,
    header_lines integer
);
create table if not exists _multiline_rows (
    source_table varchar,
    line_number bigint,
    lines_spanned integer
);
create table if not exists _malformed_rows (
    source_table varchar,
    source_file varchar,
    line_number bigint,
    fields_found integer,
    fields_expected integer
);
"""


def store_report(con: duckdb.DuckDBPyConnection, report: IngestReport, fields_expected: int):
    """Record what reading a file found, replacing an earlier read of the same table."""
    outdated = con.execute(
        """
        select count(*) = 1 from duckdb_tables() where table_name = '_ingest_reports'
        and not exists (
            select 1 from duckdb_columns()
            where table_name = '_ingest_reports' and column_name = 'header_lines'
        )
        """
    ).fetchone()[0]
    if outdated:  # a working database of an earlier version: its reports are rebuilt
        con.execute("drop table _ingest_reports")
    con.execute(REPORT_TABLES_DDL)
    for name in ("_ingest_reports", "_malformed_rows", "_multiline_rows"):
        con.execute(f"delete from {name} where source_table = ?", [report.source_table])
    con.execute(
        "insert into _ingest_reports values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            report.source_table,
            report.source_file,
            report.encoding,
            report.rows_read,
            report.blank_lines,
            report.extra_columns,
            report.physical_lines,
            report.header_lines,
        ],
    )
    if report.multiline:
        con.executemany(
            "insert into _multiline_rows values (?, ?, ?)",
            [(report.source_table, line, span) for line, span in report.multiline],
        )
    if report.malformed:
        con.executemany(
            "insert into _malformed_rows values (?, ?, ?, ?, ?)",
            [
                (report.source_table, report.source_file, line, found, fields_expected)
                for line, found in report.malformed
            ],
        )
