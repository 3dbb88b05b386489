"""Raw files of a batch into the warehouse, as text, with each row's source line number.

A CSV file becomes a view over the file (`pipeline.raw_view`): DuckDB reads it each time a
later step queries it, so nothing is copied into the database and memory stays flat. An Excel
sheet (small by nature) is copied into a table, block by block (`pipeline.readers`). Headers
may be the canonical names or the Chinese labels of SPEC section 1; values are mapped to their
canonical spelling as they are read (`pipeline.schemas.values`). Names are not read at all:
they are used for nothing, so they never leave the file. A row with the wrong number of fields
is kept aside with its line number and becomes a quarantined row. Beside the rows, the report
keeps how the file's lines were spent (`pipeline.lines`: header, blank lines, rows spanning
several lines) for the line balance of `pipeline.accounting`; a table with no data row at all
is refused.

A view reads its file again at every query, so the file must not change until the batch's run
is over: the report records what each file was when it was read (`FileStamp`), and
`check_sources_unchanged` holds the files to it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from pipeline.errors import InputError
from pipeline.file_stamps import FileStamp, file_stamp
from pipeline.privacy import mask_value
from pipeline.raw_view import NotUtf8, create_raw_view, drop_raw_relation
from pipeline.readers import SUFFIXES, Source, open_source, sheet_blocks
from pipeline.schemas.fields import RawTable
from pipeline.schemas.values import normalize_sql


@dataclass
class IngestReport:
    """What reading one file found; stored beside the raw relation for the checks."""

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
    # The files the raw relation reads (the file, and its UTF-8 copy if it has one), as read.
    files_read: list[FileStamp] = field(default_factory=list)


def find_source(batch_dir: Path, table: RawTable) -> Path | None:
    """The one file holding a raw table, whatever supported form it arrived in; None for an
    optional table the batch does not have."""
    candidates = [batch_dir / f"{table.name}{suffix}" for suffix in SUFFIXES]
    for path in candidates:
        # A table's name on a folder, a pipe or a link to nothing: not read as absent (an
        # optional table would silently have no rows), but named.
        if os.path.lexists(path) and not path.is_file():
            raise InputError(f"{path}: not a regular file (a folder, a pipe or a broken link)")
    found = [path for path in candidates if path.is_file()]
    if not found and table.optional:
        return None
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


def open_table(batch_dir: Path, table: RawTable) -> tuple[Source, list[str], list[str]] | None:
    """The table's file opened (its encoding decided on the whole file), its header mapped:
    everything that can make the file unusable, found before any row is read. None for an
    optional table the batch does not have."""
    path = find_source(batch_dir, table)
    if path is None:
        return None
    source = open_source(path)
    names, extras = canonical_header(source.path, source.header, table)
    return source, names, extras


def ingest(
    con: duckdb.DuckDBPyConnection, batch_dir: Path, table: RawTable, scratch_dir: Path
) -> IngestReport:
    """Make `table.asset` the raw relation of the table's file; returns what was read.

    Args:
        scratch_dir: a folder of the batch's own for copies of its files (a GB18030 file is
            read through a UTF-8 copy there); created if missing.
    """
    path = find_source(batch_dir, table)
    if path is None:
        # An optional table the batch does not have: a relation without rows, so every later
        # step reads it as it reads a file with a header alone.
        create_raw_table(con, table)
        return IngestReport(table.name, "", "", header_lines=0)
    before = file_stamp(path)
    scratch_dir.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".xlsx"):
        report = _ingest_sheet(con, path, table, scratch_dir / f"{table.name}.parquet")
    else:
        report = _ingest_csv(con, path, table, scratch_dir / f"{table.name}.csv")
    if before is None or file_stamp(path) != before:
        raise InputError(f"{path}: changed during the run; run the batch again")
    report.files_read.insert(0, before)
    if report.rows_read == 0 and not table.optional:
        # A verdict from an empty registry or survey would be a verdict about nothing; an
        # optional table with a header alone says there is nothing (no objection).
        raise InputError(f"{path}: no data rows (only a header)")
    return report


def _ingest_csv(
    con: duckdb.DuckDBPyConnection, path: Path, table: RawTable, copy_path: Path
) -> IngestReport:
    """A CSV file as a view. Its encoding is taken from the header line when that is UTF-8,
    and DuckDB's read of the whole file confirms it; only a file that is not UTF-8 after all
    pays for the decision on the whole file (`pipeline.encoding`)."""
    source = open_source(path, whole_file=False)
    try:
        return _csv_view(con, source, table, copy_path)
    except NotUtf8:
        if source.encoding_checked:
            raise InputError(f"{path}: unreadable as CSV (not UTF-8 to DuckDB)") from None
    source = open_source(path)
    try:
        return _csv_view(con, source, table, copy_path)
    except NotUtf8:
        # Python's decoder took the whole file for UTF-8; DuckDB's did not.
        raise InputError(f"{path}: unreadable as CSV (not UTF-8 to DuckDB)") from None


def _csv_view(
    con: duckdb.DuckDBPyConnection, source: Source, table: RawTable, copy_path: Path
) -> IngestReport:
    names, extras = canonical_header(source.path, source.header, table)
    read = create_raw_view(con, table, source.path, source.encoding, names, copy_path)
    line_map = read.line_map
    report = IngestReport(
        table.name,
        source.path.name,
        source.encoding,
        rows_read=read.rows_read,
        blank_lines=read.blank_lines,
        malformed=read.malformed,
        extra_columns=extras,
        physical_lines=line_map.physical_lines,
        header_lines=line_map.header_lines,
        multiline=[(line, span) for record, line, span in line_map.multiline if record > 1],
    )
    if read.copy is not None:
        report.files_read.append(file_stamp(read.copy))
    return report


def _ingest_sheet(
    con: duckdb.DuckDBPyConnection, path: Path, table: RawTable, copy_path: Path
) -> IngestReport:
    """A workbook's first sheet as a view over a Parquet copy of its loaded columns.

    The copy sits in the batch's scratch folder, which validation removes once it has read it,
    as it removes a GB18030 file's UTF-8 copy: a table in the working database would keep
    every id number of the sheet there (DuckDB does not overwrite the blocks it frees).
    """
    source = open_source(path)
    names, extras = canonical_header(path, source.header, table)
    report = IngestReport(table.name, path.name, source.encoding, extra_columns=extras)
    keep = [fld.name for fld in table.loaded_fields]
    rows = f"_sheet_rows_{table.name}"
    columns = ", ".join(f'"{name}" varchar' for name in keep)
    con.execute(f'create or replace temp table "{rows}" (line_number bigint, {columns})')
    select = ", ".join(normalize_sql(fld, f'"{fld.name}"') for fld in table.loaded_fields)
    # An empty row parses as empty cells: it is no row, so it is not kept.
    not_blank = " or ".join(f"trim(\"{name}\") <> ''" for name in keep)
    for block in sheet_blocks(source, names, keep):
        con.register("_ingest_chunk", block)
        inserted = con.execute(
            f'insert into "{rows}" select line_number, {select} '
            f"from _ingest_chunk where {not_blank}"
        ).fetchone()[0]
        con.unregister("_ingest_chunk")
        report.rows_read += inserted
        report.blank_lines += block.num_rows - inserted
    copy = str(copy_path).replace("'", "''")
    con.execute(f"copy \"{rows}\" to '{copy}' (format parquet)")
    con.execute(f'drop table "{rows}"')
    drop_raw_relation(con, table.asset)
    con.execute(f"create view \"{table.asset}\" as select * from read_parquet('{copy}')")
    report.files_read.append(file_stamp(copy_path))
    line_map = source.line_map
    report.physical_lines = line_map.physical_lines
    report.header_lines = line_map.header_lines
    report.blank_lines += line_map.leading_blank_lines
    return report


def create_raw_table(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    drop_raw_relation(con, table.asset)
    columns = ", ".join(f'"{fld.name}" varchar' for fld in table.loaded_fields)
    con.execute(f'create table "{table.asset}" (line_number bigint, {columns})')


def check_sources_unchanged(con: duckdb.DuckDBPyConnection) -> None:
    """Raise if a file a raw relation reads is not what it was when it was read: a view over a
    changed file would give later steps rows the earlier ones never saw.

    Raises:
        InputError: naming the first file that changed (or is gone).
    """
    check_unchanged(_stamps_read(con, "files_read"))


def input_stamps(con: duckdb.DuckDBPyConnection) -> list[FileStamp]:
    """The batch's own files as the raw step found them (not its scratch copies, which
    validation removes)."""
    return _stamps_read(con, "files_read[1:1]")


def _stamps_read(con: duckdb.DuckDBPyConnection, files: str) -> list[FileStamp]:
    try:
        rows = con.execute(f"select {files} from _ingest_reports order by source_table")
        stamps = [stamp for (read,) in rows.fetchall() for stamp in read]
    except (duckdb.CatalogException, duckdb.BinderException):
        # Nothing read yet, or reports of an earlier version, whose raw relations were tables.
        return []
    try:
        return [FileStamp(**stamp) for stamp in stamps]
    except TypeError:
        # Stamps of an earlier version, without the change time: the files cannot be held to
        # them, so a step run on its own (from the UI) stops instead of passing unchecked.
        raise InputError(
            "the batch's files were read by an earlier version of povexit; "
            "run the whole batch again"
        ) from None


def check_unchanged(stamps: list[FileStamp]) -> None:
    """Raise InputError naming the first file whose stamp is not `stamps`' (or that is gone)."""
    for stamp in stamps:
        if file_stamp(Path(stamp.path)) != stamp:
            raise InputError(f"{stamp.path}: changed during the run; run the batch again")


FILE_STAMP_TYPE = (
    "struct(path varchar, size bigint, mtime_ns bigint, ctime_ns bigint, inode bigint)"
)
REPORT_TABLES_DDL = f"""
create table if not exists _ingest_reports (
    source_table varchar primary key,
    source_file varchar,
    encoding varchar,
    rows_read bigint,
    blank_lines bigint,
    extra_columns varchar[],
    physical_lines bigint,
    header_lines integer,
    files_read {FILE_STAMP_TYPE}[]
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
        f"""
        select count(*) = 1 from duckdb_tables() where table_name = '_ingest_reports'
        and not exists (
            select 1 from duckdb_columns()
            where table_name = '_ingest_reports' and column_name = 'files_read'
                and data_type = typeof(null::{FILE_STAMP_TYPE}[])
        )
        """
    ).fetchone()[0]
    if outdated:  # a working database of an earlier version: its reports are rebuilt
        con.execute("drop table _ingest_reports")
    con.execute(REPORT_TABLES_DDL)
    for name in ("_ingest_reports", "_malformed_rows", "_multiline_rows"):
        con.execute(f"delete from {name} where source_table = ?", [report.source_table])
    con.execute(
        f"insert into _ingest_reports values (?, ?, ?, ?, ?, ?, ?, ?, ?::{FILE_STAMP_TYPE}[])",
        [
            report.source_table,
            report.source_file,
            report.encoding,
            report.rows_read,
            report.blank_lines,
            report.extra_columns,
            report.physical_lines,
            report.header_lines,
            [asdict(stamp) for stamp in report.files_read],
        ],
    )
    # Lists unnested in one statement: a file can have many malformed rows, and a row at a
    # time through executemany takes minutes for a million.
    if report.multiline:
        lines, spans = zip(*report.multiline, strict=True)
        con.execute(
            "insert into _multiline_rows select ?, unnest(?::bigint[]), unnest(?::integer[])",
            [report.source_table, list(lines), list(spans)],
        )
    if report.malformed:
        lines, found = zip(*report.malformed, strict=True)
        con.execute(
            "insert into _malformed_rows select ?, ?, unnest(?::bigint[]), unnest(?::integer[]), ?",
            [report.source_table, report.source_file, list(lines), list(found), fields_expected],
        )
