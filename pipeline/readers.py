"""Reading one raw file, whatever form it arrived in, as blocks of text with line numbers.

CSV (UTF-8 with or without BOM, or GB18030/GBK, decided on the whole file by
`pipeline.encoding`; plain or gzip) streams through pyarrow block by
block; Excel (`.xlsx`, first sheet) through calamine. Every cell arrives as text: types are
decided by validation, never guessed by a reader (a county code `052001` stays a string).
Each row carries its line number in the source (the header is line 1; in a sheet, its row).
A CSV line that does not parse as a row (wrong number of fields) is handed to `set_aside`
with its line number instead of being dropped.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from python_calamine import CalamineWorkbook

from pipeline.encoding import detect_encoding
from pipeline.errors import InputError
from pipeline.lines import LineMap, scan_lines
from pipeline.privacy import shown

SUFFIXES = (".csv", ".csv.gz", ".xlsx")
CSV_BLOCK_BYTES = 16 << 20
SHEET_BLOCK_ROWS = 50_000


@dataclass
class Source:
    """An opened raw file: its header cells and how to stream its rows.

    After `blocks` has been read to the end, `line_map` tells how the file's physical lines
    were spent: the header, blank lines, and the rows (some spanning several lines).
    """

    path: Path
    encoding: str
    header: list[str]
    line_map: LineMap | None = None

    def blocks(
        self, names: list[str], keep: list[str], set_aside: Callable[[int, int, bool], None]
    ) -> Iterator[pa.RecordBatch]:
        """Record batches of the `keep` columns (header cells renamed to `names`), as text,
        with a first column `line_number`."""
        if self.encoding == "xlsx":
            return _sheet_blocks(self, names, keep)
        return _csv_blocks(self, names, keep, set_aside)


def open_source(path: Path) -> Source:
    if path.name.endswith(".xlsx"):
        return Source(path, "xlsx", _sheet_header(path))
    encoding = detect_encoding(path)
    return Source(path, encoding, _csv_header(path, encoding))


# --- CSV ----------------------------------------------------------------------------------


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def _csv_header(path: Path, encoding: str) -> list[str]:
    with _open_bytes(path) as stream:
        text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
        first = text.readline()
    row = next(csv.reader([first.lstrip("\ufeff")]), [])
    return [cell.strip() for cell in row]


GZIP_FAULTS = (EOFError, gzip.BadGzipFile, zlib.error, OSError)


def _line_map(source: Source) -> LineMap:
    try:
        with _open_bytes(source.path) as stream:
            return scan_lines(stream, source.path, len(source.header))
    except GZIP_FAULTS as error:
        if source.path.name.endswith(".gz"):
            raise InputError(f"{source.path}: truncated or corrupt gzip stream") from None
        raise InputError(f"{source.path}: cannot be read ({type(error).__name__})") from None


def _csv_blocks(source: Source, names, keep, set_aside) -> Iterator[pa.RecordBatch]:
    path = source.path
    # Lines are counted and quotes followed before parsing, without the parser: its row
    # numbers become line numbers through this map, and a file it would misread stops here.
    line_map = _line_map(source)
    skipped: set[int] = set()  # record numbers (the header is record 1) set aside
    pending: list[tuple[int, int, bool]] = []

    def handler(row) -> str:
        skipped.add(row.number)
        pending.append((row.number, row.actual_columns, not row.text.strip()))
        return "skip"

    def flush_set_aside() -> None:
        lines = line_map.first_lines([record for record, _, _ in pending])
        for line, (_, fields_found, blank) in zip(lines, pending, strict=True):
            set_aside(int(line), fields_found, blank)
        pending.clear()

    compression = "gzip" if path.name.endswith(".gz") else None
    records_seen = 1  # the header
    try:
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression=compression),
            read_options=pacsv.ReadOptions(
                encoding=source.encoding,
                column_names=names,
                skip_rows=1,
                block_size=CSV_BLOCK_BYTES,
                use_threads=False,
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=bool(line_map.multiline),
                ignore_empty_lines=False,
                invalid_row_handler=handler,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                include_columns=keep,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        next_record = 2
        for block in reader:
            records, next_record = _record_numbers(block.num_rows, next_record, skipped)
            records_seen += block.num_rows
            flush_set_aside()
            yield pa.RecordBatch.from_arrays(
                [pa.array(line_map.first_lines(records)), *block.columns],
                names=["line_number", *keep],
            )
        flush_set_aside()
    except (pa.ArrowInvalid, UnicodeDecodeError, *GZIP_FAULTS) as error:
        # The parser's own message may quote row text (names, id numbers): say only what.
        what = str(error).split(":")[0][:80]
        raise InputError(f"{path}: unreadable as CSV ({what})") from None
    records_seen += len(skipped)
    if records_seen != line_map.records:
        # Both read the same bytes; a disagreement means quoting or line ends the parser
        # reads differently, and a row count that cannot be trusted.
        raise InputError(
            f"{path}: {line_map.records - 1} rows by its line breaks but "
            f"{records_seen - 1} by the CSV parser; check its quotes and line ends"
        )
    source.line_map = line_map


def _record_numbers(count: int, first: int, skipped: set[int]) -> tuple[np.ndarray, int]:
    """The record numbers of the next `count` parsed rows, stepping over records set aside."""
    if not skipped:
        return np.arange(first, first + count, dtype=np.int64), first + count
    candidates = np.arange(first, first + count + len(skipped), dtype=np.int64)
    kept = candidates[~np.isin(candidates, np.fromiter(skipped, dtype=np.int64))][:count]
    return kept, (int(kept[-1]) + 1 if count else first)


# --- Excel --------------------------------------------------------------------------------


def _sheet(path: Path):
    """The first sheet. Rows on any other sheet would be rows nobody reads, so a workbook with
    data beyond its first sheet is refused rather than read in part."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        first = workbook.get_sheet_by_index(0)
        others = [
            (index, name)
            for index, name in enumerate(workbook.sheet_names[1:], start=2)
            if any(
                any(str(cell).strip() for cell in row)
                for row in workbook.get_sheet_by_index(index - 1).iter_rows()
            )
        ]
    except Exception as error:  # calamine raises its own types for every unreadable workbook
        raise InputError(
            f"{path}: unreadable as an Excel workbook ({type(error).__name__})"
        ) from None
    if others:
        index, name = others[0]
        raise InputError(
            f"{path}: sheet {index} ({shown(name)}) holds data too; only the first sheet is "
            "read: put the whole table on it"
        )
    return first


def cell_text(value) -> str:
    """A cell as the text a CSV export would have written."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _sheet_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each row of the first sheet with its row number (the sheet's first row is 1)."""
    sheet = _sheet(path)
    first_row = 1
    start_row = (sheet.start or (0, 0))[0]
    if start_row:
        # calamine yields the empty rows above the data too, or starts at the data, by
        # version: tell which from the number of rows it yields, not from `start` alone.
        yielded = sum(1 for _ in sheet.iter_rows())
        first_row = 1 if yielded == sheet.end[0] + 1 else start_row + 1
    for offset, row in enumerate(sheet.iter_rows()):
        yield first_row + offset, [cell_text(cell) for cell in row]


def _sheet_header(path: Path) -> list[str]:
    for _, cells in _sheet_rows(path):
        if any(cell.strip() for cell in cells):
            while cells and not cells[-1].strip():
                cells.pop()
            return [cell.strip() for cell in cells]
    raise InputError(f"{path}: empty sheet (no header row)")


def _sheet_blocks(source: Source, names, keep) -> Iterator[pa.RecordBatch]:
    positions = [names.index(name) for name in keep]
    rows = _sheet_rows(source.path)
    line_map = LineMap()
    for line, cells in rows:  # up to and including the header row
        line_map.physical_lines = line
        if any(cell.strip() for cell in cells):
            break
    # The empty rows above the header are blank lines of the sheet.
    line_map.leading_blank_lines = line_map.physical_lines - 1
    line_map.records = 1
    lines: list[int] = []
    columns: list[list[str]] = [[] for _ in keep]

    def flush() -> pa.RecordBatch:
        batch = pa.RecordBatch.from_arrays(
            [pa.array(lines, pa.int64()), *(pa.array(c, pa.string()) for c in columns)],
            names=["line_number", *keep],
        )
        lines.clear()
        for column in columns:
            column.clear()
        return batch

    for line, cells in rows:
        line_map.physical_lines = line
        line_map.records += 1
        lines.append(line)
        for column, position in zip(columns, positions, strict=True):
            column.append(cells[position] if position < len(cells) else "")
        if len(lines) >= SHEET_BLOCK_ROWS:
            yield flush()
    if lines:
        yield flush()
    source.line_map = line_map
