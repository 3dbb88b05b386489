"""Opening one raw file, whatever form it arrived in: its header, its encoding, its sheet rows.

A CSV file (UTF-8 with or without BOM, or GB18030/GBK; plain or gzip) is read by DuckDB as a
view (`pipeline.raw_view`); here only its header line is read, and its encoding decided on the
whole file (`pipeline.encoding`) or, where DuckDB's own read will check it, taken from the
header line. An Excel workbook (`.xlsx`, first sheet) is read here through calamine, in blocks.
Every cell arrives as text: types are decided by validation, never guessed by a reader (a
county code `052001` stays a string). Each row carries its line number in the source (the
header is line 1; in a sheet, its row).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from python_calamine import CalamineWorkbook

from pipeline.encoding import detect_encoding
from pipeline.errors import InputError
from pipeline.lines import LineMap
from pipeline.privacy import shown

SUFFIXES = (".csv", ".csv.gz", ".xlsx")
SHEET_BLOCK_ROWS = 50_000


@dataclass
class Source:
    """An opened raw file: its header cells and the encoding to read it with.

    `encoding_checked`: decided on the whole file. When False, the header line is UTF-8 and the
    rest is yet to be read (DuckDB reads it as UTF-8, and says so if it is not).
    Once `sheet_blocks` has read a sheet to the end, `line_map` tells how its rows were spent:
    the header, blank rows, and the data rows.
    """

    path: Path
    encoding: str
    header: list[str]
    encoding_checked: bool = True
    line_map: LineMap | None = None


def open_source(path: Path, whole_file: bool = True) -> Source:
    """Open a raw file: its header, and its encoding decided on the whole file, or (with
    `whole_file=False`) taken from a header line that is UTF-8."""
    if path.name.endswith(".xlsx"):
        return Source(path, "xlsx", _sheet_header(path))
    if not whole_file and (source := utf8_csv_source(path)) is not None:
        return source
    first = _first_line(path)
    encoding = detect_encoding(path)
    return Source(path, encoding, _csv_header(first, encoding))


def utf8_csv_source(path: Path) -> Source | None:
    """`open_source(path, whole_file=False)` for a CSV file whose header line is UTF-8; None
    for any other file, without reading further."""
    if path.name.endswith(".xlsx"):
        return None
    first = _first_line(path)
    if not _is_utf8_text(first):
        return None
    return Source(path, "utf-8", _csv_header(first, "utf-8"), encoding_checked=False)


# --- CSV ----------------------------------------------------------------------------------


def _first_line(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb") as stream:
            return stream.readline()
    except (EOFError, zlib.error, OSError) as error:  # gzip.BadGzipFile is an OSError
        if path.name.endswith(".gz") and not isinstance(error, FileNotFoundError):
            raise InputError(f"{path}: truncated or corrupt gzip stream") from None
        raise InputError(f"{path}: cannot be read ({type(error).__name__})") from None


def _is_utf8_text(line: bytes) -> bool:
    """A header line in UTF-8 with something on it. An empty one, or one with a NUL byte, is
    left to `detect_encoding`, which tells an empty file from a missing header and names the
    NUL."""
    if b"\x00" in line:
        return False
    try:
        return bool(line.removeprefix(codecs.BOM_UTF8).decode("utf-8").strip())
    except UnicodeDecodeError:
        return False


def _csv_header(first: bytes, encoding: str) -> list[str]:
    # A carriage return ends the header line too (a file with bare CR line ends is refused
    # when its lines are scanned; its header is still read as one line).
    first = first.split(b"\r", 1)[0]
    text = first.decode(encoding, errors="replace").lstrip("\ufeff")
    row = next(csv.reader([text]), [])
    return [cell.strip() for cell in row]


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


def sheet_blocks(source: Source, names: list[str], keep: list[str]) -> Iterator[pa.RecordBatch]:
    """Record batches of the `keep` columns (header cells renamed to `names`), as text, with a
    first column `line_number` (the sheet's row)."""
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
