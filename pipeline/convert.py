"""A canonical batch rewritten in the forms real exports take: Chinese headers and values,
GB18030 CSV, Excel. Used by `povexit generate --format/--headers` and by the tests that check
every form gives the same marts.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import xlsxwriter

from pipeline.manifest import MANIFEST_FILE
from pipeline.schemas.fields import RAW_TABLES, RawTable
from pipeline.schemas.values import labels_for

FORMATS = ("csv", "csv-gb18030", "csv-gz", "xlsx")
HEADERS = ("en", "zh")
EXCEL_MAX_ROWS = 1_048_576


def _blocks(path: Path) -> Iterator[pa.RecordBatch]:
    with path.open("rb") as handle:
        header = handle.readline().decode("utf-8").strip().split(",")
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=16 << 20),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
        ),
    )
    empty = True
    for block in reader:
        empty = False
        yield block
    if empty:
        # A header alone (no objection, say) is still a table: its header is written.
        yield pa.RecordBatch.from_arrays([pa.array([], pa.string()) for _ in header], names=header)


def _in_chinese(table: RawTable, batch: pa.RecordBatch) -> pa.RecordBatch:
    """Headers as their Chinese labels, coded values as their first Chinese spelling."""
    columns = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        labels = labels_for(table.field(name))
        if labels:
            codes = [code for code, spellings in labels.items() if spellings]
            chinese = [next(s for s in labels[code] if not s.isascii()) for code in codes]
            position = pc.index_in(column, value_set=pa.array(codes))
            column = pc.if_else(pc.is_null(position), column, pc.take(pa.array(chinese), position))
        columns.append(column)
    names = [table.field(name).label_zh for name in batch.schema.names]
    return pa.RecordBatch.from_arrays(columns, names=names)


def convert_batch(source: Path, target: Path, form: str = "csv", headers: str = "en") -> Path:
    """Rewrite the canonical batch folder `source` into `target` (a batch folder)."""
    if form not in FORMATS or headers not in HEADERS:
        raise ValueError(f"unknown form {form!r} or headers {headers!r}")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / MANIFEST_FILE, target / MANIFEST_FILE)
    for table in RAW_TABLES:
        if not (source / f"{table.name}.csv").is_file() and table.optional:
            continue
        blocks = (
            _in_chinese(table, block) if headers == "zh" else block
            for block in _blocks(source / f"{table.name}.csv")
        )
        if form == "xlsx":
            _write_xlsx(blocks, target / f"{table.name}.xlsx")
        else:
            _write_csv(blocks, target, table.name, form)
    return target


def _write_csv(blocks, target: Path, name: str, form: str) -> None:
    suffix = ".csv.gz" if form == "csv-gz" else ".csv"
    encoding = "gb18030" if form == "csv-gb18030" else "utf-8"
    path = target / f"{name}{suffix}"
    stream = pa.output_stream(str(path), compression="gzip" if form == "csv-gz" else None)
    with stream:
        first = True
        for block in blocks:
            buffer = pa.BufferOutputStream()
            pacsv.write_csv(
                block,
                buffer,
                write_options=pacsv.WriteOptions(include_header=first, quoting_style="needed"),
            )
            text = buffer.getvalue().to_pybytes()
            stream.write(text if encoding == "utf-8" else text.decode("utf-8").encode(encoding))
            first = False


def _write_xlsx(blocks, path: Path) -> None:
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_numbers": False}
    )
    # A fixed creation date: the same batch gives the same bytes (xlsxwriter stamps "now").
    workbook.set_properties({"created": dt.datetime(2020, 1, 1)})
    sheet = workbook.add_worksheet()
    row = 0
    for block in blocks:
        if row == 0:
            sheet.write_row(0, 0, block.schema.names)
            row = 1
        if row + block.num_rows > EXCEL_MAX_ROWS:
            workbook.close()
            path.unlink()
            raise ValueError(f"{path.name}: more rows than an Excel sheet holds; use csv")
        # Text cells, as an information-system export writes them (codes keep leading zeros).
        for values in zip(*(column.to_pylist() for column in block.columns), strict=True):
            sheet.write_row(row, 0, values)
            row += 1
    workbook.close()
