"""A raw CSV file as a view: the checks that make DuckDB's lines the file's rows, then the view.

Each step costs only what the file needs:

1. GB18030 text is transcoded once to a UTF-8 copy in the batch's scratch folder: DuckDB reads
   UTF-8 only. A UTF-8 file is read where it is.
2. The bytes are scanned (`pipeline.byte_scan`). A NUL byte is refused. A quote or a carriage
   return anywhere sends the file through the exact line scan (`pipeline.lines`), which refuses
   quoting it cannot trust and lists the records that span lines in `_raw_record_spans`.
3. DuckDB counts the records and finds the blank and malformed ones: for a file whose records
   are its lines, a screening pass on every thread (`pipeline.raw_sql.screen_sql`), then a
   numbered pass only if some line is not plainly a row (`counts_sql`); for a scanned file, the
   numbered pass. Either reads the whole file as UTF-8, so it is also the encoding check: text
   DuckDB refuses raises `NotUtf8`, and the caller decides the encoding on the whole file.
4. The lines DuckDB read are held against the file. Without the line scan, their bytes and
   line feeds must add up to the file's size, byte for byte; with it, DuckDB's records must be
   the scan's. A disagreement stops the file rather than shift a line number.
5. The view (`pipeline.raw_sql.view_sql`) replaces whatever raw relation had the name.

A run of one batch may have done the byte scan and the screen of a UTF-8 file already, while
it started (`pipeline.prefetch`): their answers are taken while they are still the file's.
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from pipeline import prefetch
from pipeline.byte_scan import ByteScan, scan_bytes
from pipeline.encoding import nul_byte_error, transcode_to_utf8
from pipeline.errors import InputError
from pipeline.lines import LineMap, scan_lines
from pipeline.raw_sql import (
    SPANS_DDL,
    SPANS_TABLE,
    CsvLayout,
    counts_sql,
    csv_layout,
    rows_view,
    screen_sql,
    view_sql,
)
from pipeline.schemas.fields import RawTable
from pipeline.warehouse import relation_kind


class NotUtf8(Exception):
    """DuckDB found bytes that are not UTF-8 in a file read as UTF-8."""


@dataclass
class CsvRead:
    """What reading a CSV file into its view found."""

    line_map: LineMap
    rows_read: int  # rows and malformed records: every record but the header and blank lines
    blank_lines: int
    malformed: list[tuple[int, int]]  # (line, fields found)
    copy: Path | None  # the UTF-8 copy the view reads instead of the file, if any


def create_raw_view(
    con: duckdb.DuckDBPyConnection,
    table: RawTable,
    path: Path,
    encoding: str,
    names: list[str],
    copy_path: Path,
) -> CsvRead:
    """Create view `table.asset` over the CSV file `path`.

    Args:
        path: the file, plain or gzip.
        encoding: "utf-8" or "gb18030"; a GB18030 file is read through a UTF-8 copy.
        names: the header's cells as column names (`pipeline.ingest.canonical_header`).
        copy_path: where the UTF-8 copy goes when one is needed.

    Raises:
        NotUtf8: the file is read as UTF-8 and is not.
        InputError: the file cannot be read, or its lines cannot be trusted.
    """
    copy = _utf8_copy(path, encoding, copy_path)
    readable = copy or path
    scan = prefetch.scan_of(readable) or scan_bytes(readable)
    if scan.first_nul is not None:
        raise nul_byte_error(path, scan.first_nul, read_from=readable)
    line_map = _scan(readable, path, len(names)) if scan.needs_line_scan else None
    _store_spans(con, table.name, line_map)
    layout = csv_layout(table, readable, names, scan, bool(line_map and line_map.multiline))
    if line_map is None:
        line_map, exceptions = _count_lines(con, layout, path, scan)
    else:
        exceptions = _count_records(con, layout, path, line_map)
    # The usual export: every line a row, no quotes. DuckDB's CSV reader may split the lines.
    layout = replace(layout, rows_are_lines=not scan.has_quote and not exceptions)
    drop_raw_relation(con, table.asset)
    con.execute(view_sql(layout, table.asset))
    blank = [exception["line_number"] for exception in exceptions if exception["blank"]]
    # A blank record spanning lines (a line break in a column that is not loaded) is as many
    # blank lines: every line is a header, blank or row line.
    spans = {first: span for _, first, span in line_map.multiline}
    return CsvRead(
        line_map=line_map,
        rows_read=line_map.records - 1 - len(blank),
        blank_lines=sum(spans.get(line, 1) for line in blank),
        malformed=[(e["line_number"], e["fields_found"]) for e in exceptions if not e["blank"]],
        copy=copy,
    )


def drop_raw_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the raw relation `name` and the view of its rows as read, if either exists: a
    stale rows view would let validation read an earlier form of the file."""
    drop_relation(con, name)
    drop_relation(con, rows_view(name))


def drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the table or view `name`, whichever it is: a raw relation is a view over a CSV
    file and a table read from a workbook, and a batch's file may change form between runs."""
    kind = relation_kind(con, name)
    if kind:
        con.execute(f'drop {kind} "{name}"')


def _utf8_copy(path: Path, encoding: str, copy_path: Path) -> Path | None:
    """The UTF-8 copy of a file in another encoding, written now; None for a UTF-8 file (and a
    copy left by an earlier read of the table, in another encoding, is removed)."""
    if encoding == "utf-8":
        copy_path.unlink(missing_ok=True)
        return None
    copy_path.parent.mkdir(parents=True, exist_ok=True)
    transcode_to_utf8(path, encoding, copy_path)
    return copy_path


def _scan(readable: Path, path: Path, fields_expected: int) -> LineMap:
    """The line scan of `readable` (the file, or its UTF-8 copy: the same lines), its messages
    naming the file."""
    gz = readable.name.endswith(".gz")
    try:
        with gzip.open(readable, "rb") if gz else readable.open("rb") as stream:
            return scan_lines(stream, path, fields_expected)
    except (EOFError, zlib.error, OSError) as error:  # gzip.BadGzipFile is an OSError
        if gz:
            raise InputError(f"{path}: truncated or corrupt gzip stream") from None
        raise InputError(f"{readable}: cannot be read ({type(error).__name__})") from None


def _store_spans(con: duckdb.DuckDBPyConnection, source_table: str, line_map: LineMap | None):
    """The records spanning several lines (the header too), for the view to join."""
    con.execute(SPANS_DDL)
    con.execute(f"delete from {SPANS_TABLE} where source_table = ?", [source_table])
    if line_map and line_map.multiline:
        con.execute(
            f"insert into {SPANS_TABLE} select ?, unnest(?::bigint[]), unnest(?::integer[])",
            [
                source_table,
                [first for _, first, _ in line_map.multiline],
                [span for _, _, span in line_map.multiline],
            ],
        )


def _query(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> tuple:
    """The one row of a query reading the file."""
    try:
        return con.execute(sql).fetchone()
    except duckdb.Error as error:
        # DuckDB's message quotes the line it stopped at (names, id numbers): only its kind
        # is passed on.
        message = str(error).lower()
        if "invalid unicode" in message:
            raise NotUtf8() from None
        if "gzip" in message:
            raise InputError(f"{path}: truncated or corrupt gzip stream") from None
        if "maximum line size" in message:
            raise InputError(f"{path}: {_too_long(str(error))}") from None
        raise InputError(f"{path}: unreadable as CSV ({type(error).__name__})") from None


def _too_long(message: str) -> str:
    """What to say of a line longer than DuckDB reads, from its message: which line (DuckDB
    counts the lines it has read, exactly, on every thread), never what it holds. Not its
    size: DuckDB may be reading a UTF-8 copy, whose bytes are not the file's."""
    line = re.search(r"CSV Error on Line: (\d+)", message)
    limit = re.search(r"Maximum line size of (\d+) bytes", message)
    if not (line and limit):
        return "unreadable as CSV (a line too long to be a row)"
    return f"line {int(line[1]):,}: too long to be a row (over {int(limit[1]):,} bytes)"


def _count_lines(
    con: duckdb.DuckDBPyConnection, layout: CsvLayout, path: Path, scan: ByteScan
) -> tuple[LineMap, list[dict]]:
    """For a file with no quote and no carriage return, whose records are its lines: how its
    lines were spent, and its blank and malformed lines.

    A first pass (on every thread) counts the lines and their bytes and screens them; only a
    file with lines the screen does not clear pays a second, numbered pass to classify them.
    """
    screened = prefetch.screen_of(layout) or _query(con, screen_sql(layout), path)
    lines, line_bytes, doubtful = screened
    # If the lines and their line feeds make up the file, DuckDB split it at every line feed
    # and nowhere else.
    if lines + line_bytes != scan.content_bytes:
        raise InputError(
            f"{path}: the {lines} lines read do not add up to its {scan.size} bytes; "
            "check its line ends"
        )
    line_map = LineMap(physical_lines=lines, records=lines)
    if not doubtful:
        return line_map, []
    records, _, exceptions = _query(con, counts_sql(layout), path)
    if records != lines:
        raise InputError(f"{path}: changed during the run; run the batch again")
    return line_map, exceptions


def _count_records(
    con: duckdb.DuckDBPyConnection, layout: CsvLayout, path: Path, line_map: LineMap
) -> list[dict]:
    """For a file the line scan mapped: its blank and malformed records, once DuckDB's records
    are known to be the scan's."""
    records, _, exceptions = _query(con, counts_sql(layout), path)
    if records != line_map.records:
        # Both read the same bytes; a disagreement means line ends or quoting DuckDB reads
        # differently, and a row count that cannot be trusted.
        raise InputError(
            f"{path}: {line_map.records - 1} rows by its line breaks but {records - 1} by the "
            "CSV reader; check its quotes and line ends"
        )
    return exceptions
