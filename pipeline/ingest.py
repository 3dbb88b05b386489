"""Raw files of a batch into the warehouse, as text, with each row's source line number.

Reading is streamed (pyarrow, block by block) so a file of millions of rows never sits in memory
at once. Every column arrives as text: types are decided later by validation, never guessed by
a reader (a county code `052001` must stay a string). Names are not read at all: they are used
for nothing, so they never leave the file. A row with the wrong number of fields is kept aside
with its line number and becomes a quarantined row; it is never silently dropped.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from pipeline.errors import InputError
from pipeline.schemas.fields import RawTable

SUFFIXES = (".csv", ".csv.gz")
ENCODING_PROBE_BYTES = 1 << 20
BLOCK_SIZE = 16 << 20


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


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as such, else GB18030 (a GBK superset)."""
    try:
        with _open_bytes(path) as stream:
            probe = stream.read(ENCODING_PROBE_BYTES)
    except (OSError, EOFError) as error:
        raise InputError(f"{path}: cannot be read ({error.__class__.__name__})") from None
    if not probe.strip():
        raise InputError(f"{path}: empty file (no header line)")
    try:
        # A multi-byte character may be cut at the end of the probe: ignore only that tail.
        probe.decode("utf-8") if len(probe) < ENCODING_PROBE_BYTES else probe[:-4].decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        probe.decode("gb18030")
    except UnicodeDecodeError:
        raise InputError(f"{path}: undecodable (neither UTF-8 nor GB18030/GBK)") from None
    return "gb18030"


def read_header(path: Path, encoding: str) -> list[str]:
    with _open_bytes(path) as stream:
        text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
        first = text.readline()
    row = next(csv.reader([first.lstrip("\ufeff")]), [])
    return [name.strip() for name in row]


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
            extras.append(cell)
            name = f"_extra_{position}"
        if name in seen:
            raise InputError(f"{path}: duplicated header column {cell!r}")
        seen.add(name)
        names.append(name)
    missing = [fld.name for fld in table.loaded_fields if fld.name not in seen]
    if missing:
        raise InputError(
            f"{path}: missing required column {missing[0]!r} "
            f"(label {table.field(missing[0]).label_zh}); found: {', '.join(header)}"
        )
    return names, extras


def create_raw_table(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    columns = ", ".join(f'"{fld.name}" varchar' for fld in table.loaded_fields)
    con.execute(f'create or replace table "{table.asset}" (line_number bigint, {columns})')


def ingest(con: duckdb.DuckDBPyConnection, batch_dir: Path, table: RawTable) -> IngestReport:
    """Load one raw file into table `table.asset`; returns what was read."""
    path = find_source(batch_dir, table)
    encoding = detect_encoding(path)
    names, extras = canonical_header(path, read_header(path, encoding), table)
    report = IngestReport(table.name, path.name, encoding, extra_columns=extras)
    create_raw_table(con, table)

    # Lines pyarrow could not parse as a row: the physical line numbers it reports.
    skipped_lines: set[int] = set()

    def keep_aside(row) -> str:
        skipped_lines.add(row.number)
        if row.text.strip():
            report.malformed.append((row.number, row.actual_columns))
        else:
            report.blank_lines += 1
        return "skip"

    loaded = [fld.name for fld in table.loaded_fields]
    try:
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression="gzip" if path.name.endswith(".gz") else None),
            read_options=pacsv.ReadOptions(
                encoding=encoding,
                column_names=names,
                skip_rows=1,
                block_size=BLOCK_SIZE,
                use_threads=False,
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=keep_aside,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                include_columns=loaded,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        next_line = 2  # the header is line 1
        select = ", ".join(f"nullif(trim(\"{name}\"), '')" for name in loaded)
        # An empty line parses as a row of empty fields: it is no row, so it is not kept.
        not_blank = " or ".join(f"trim(\"{name}\") <> ''" for name in loaded)
        for block in reader:
            lines, next_line = _line_numbers(block.num_rows, next_line, skipped_lines)
            chunk = pa.RecordBatch.from_arrays(
                [pa.array(lines), *block.columns], names=["line_number", *block.schema.names]
            )
            con.register("_ingest_chunk", chunk)
            inserted = con.execute(
                f'insert into "{table.asset}" select line_number, {select} '
                f"from _ingest_chunk where {not_blank}"
            ).fetchone()[0]
            con.unregister("_ingest_chunk")
            report.rows_read += inserted
            report.blank_lines += block.num_rows - inserted
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        # The parser's own message may quote row text (names, id numbers): say only where.
        raise InputError(f"{path}: unreadable as CSV ({_first_words(error)})") from None
    report.rows_read += len(report.malformed)
    return report


def _line_numbers(count: int, first: int, skipped: set[int]) -> tuple[np.ndarray, int]:
    """The source lines of the next `count` parsed rows, stepping over lines set aside."""
    if not skipped:
        return np.arange(first, first + count, dtype=np.int64), first + count
    candidates = np.arange(first, first + count + len(skipped), dtype=np.int64)
    kept = candidates[~np.isin(candidates, np.fromiter(skipped, dtype=np.int64))][:count]
    return kept, int(kept[-1]) + 1 if count else first


def _first_words(error: Exception) -> str:
    text = str(error).split(":")[0]
    return text[:80]


REPORT_TABLES_DDL = """
create table if not exists _ingest_reports (
    source_table varchar primary key,
    source_file varchar,
    encoding varchar,
    rows_read bigint,
    blank_lines bigint,
    extra_columns varchar[]
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
    con.execute(REPORT_TABLES_DDL)
    for name in ("_ingest_reports", "_malformed_rows"):
        con.execute(f"delete from {name} where source_table = ?", [report.source_table])
    con.execute(
        "insert into _ingest_reports values (?, ?, ?, ?, ?, ?)",
        [
            report.source_table,
            report.source_file,
            report.encoding,
            report.rows_read,
            report.blank_lines,
            report.extra_columns,
        ],
    )
    if report.malformed:
        con.executemany(
            "insert into _malformed_rows values (?, ?, ?, ?, ?)",
            [
                (report.source_table, report.source_file, line, found, fields_expected)
                for line, found in report.malformed
            ],
        )
