"""Reading one raw file, whatever form it arrived in, as blocks of text with line numbers.

CSV (UTF-8 with or without BOM, or GB18030/GBK; plain or gzip) streams through pyarrow block by
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from python_calamine import CalamineWorkbook

from pipeline.errors import InputError

SUFFIXES = (".csv", ".csv.gz", ".xlsx")
ENCODING_PROBE_BYTES = 1 << 20
CSV_BLOCK_BYTES = 16 << 20
SHEET_BLOCK_ROWS = 50_000


@dataclass
class Source:
    """An opened raw file: its header cells and how to stream its rows."""

    path: Path
    encoding: str
    header: list[str]

    def blocks(
        self, names: list[str], keep: list[str], set_aside: Callable[[int, int, bool], None]
    ) -> Iterator[pa.RecordBatch]:
        """Record batches of the `keep` columns (header cells renamed to `names`), as text,
        with a first column `line_number`."""
        if self.encoding == "xlsx":
            return _sheet_blocks(self.path, names, keep)
        return _csv_blocks(self.path, self.encoding, names, keep, set_aside)


def open_source(path: Path) -> Source:
    if path.name.endswith(".xlsx"):
        return Source(path, "xlsx", _sheet_header(path))
    encoding = detect_encoding(path)
    return Source(path, encoding, _csv_header(path, encoding))


# --- CSV ----------------------------------------------------------------------------------


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
    # A multi-byte character may be cut at the end of a full probe: ignore only that tail.
    whole = len(probe) < ENCODING_PROBE_BYTES
    for encoding in ("utf-8", "gb18030"):
        try:
            (probe if whole else probe[:-4]).decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: undecodable (neither UTF-8 nor GB18030/GBK)")


def _csv_header(path: Path, encoding: str) -> list[str]:
    with _open_bytes(path) as stream:
        text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
        first = text.readline()
    row = next(csv.reader([first.lstrip("\ufeff")]), [])
    return [cell.strip() for cell in row]


def _csv_blocks(path, encoding, names, keep, set_aside) -> Iterator[pa.RecordBatch]:
    skipped: set[int] = set()

    def handler(row) -> str:
        skipped.add(row.number)
        set_aside(row.number, row.actual_columns, not row.text.strip())
        return "skip"

    compression = "gzip" if path.name.endswith(".gz") else None
    try:
        reader = pacsv.open_csv(
            pa.input_stream(str(path), compression=compression),
            read_options=pacsv.ReadOptions(
                encoding=encoding,
                column_names=names,
                skip_rows=1,
                block_size=CSV_BLOCK_BYTES,
                use_threads=False,
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=False, ignore_empty_lines=False, invalid_row_handler=handler
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                include_columns=keep,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        next_line = 2  # the header is line 1
        for block in reader:
            lines, next_line = _line_numbers(block.num_rows, next_line, skipped)
            yield pa.RecordBatch.from_arrays(
                [pa.array(lines), *block.columns], names=["line_number", *keep]
            )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        # The parser's own message may quote row text (names, id numbers): say only what.
        what = str(error).split(":")[0][:80]
        raise InputError(f"{path}: unreadable as CSV ({what})") from None


def _line_numbers(count: int, first: int, skipped: set[int]) -> tuple[np.ndarray, int]:
    """The source lines of the next `count` parsed rows, stepping over lines set aside."""
    if not skipped:
        return np.arange(first, first + count, dtype=np.int64), first + count
    candidates = np.arange(first, first + count + len(skipped), dtype=np.int64)
    kept = candidates[~np.isin(candidates, np.fromiter(skipped, dtype=np.int64))][:count]
    return kept, (int(kept[-1]) + 1 if count else first)


# --- Excel --------------------------------------------------------------------------------


def _sheet(path: Path):
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        return workbook.get_sheet_by_index(0)
    except Exception as error:  # calamine raises its own types for every unreadable workbook
        raise InputError(
            f"{path}: unreadable as an Excel workbook ({type(error).__name__})"
        ) from None


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
    sheet = _sheet(path)
    first_row = (sheet.start or (0, 0))[0] + 1
    for offset, row in enumerate(sheet.iter_rows()):
        yield first_row + offset, [cell_text(cell) for cell in row]


def _sheet_header(path: Path) -> list[str]:
    for _, cells in _sheet_rows(path):
        if any(cell.strip() for cell in cells):
            while cells and not cells[-1].strip():
                cells.pop()
            return [cell.strip() for cell in cells]
    raise InputError(f"{path}: empty sheet (no header row)")


def _sheet_blocks(path: Path, names, keep) -> Iterator[pa.RecordBatch]:
    positions = [names.index(name) for name in keep]
    rows = _sheet_rows(path)
    for _, cells in rows:  # up to and including the header row
        if any(cell.strip() for cell in cells):
            break
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
        lines.append(line)
        for column, position in zip(columns, positions, strict=True):
            column.append(cells[position] if position < len(cells) else "")
        if len(lines) >= SHEET_BLOCK_ROWS:
            yield flush()
    if lines:
        yield flush()
