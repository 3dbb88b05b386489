"""The office workbook of a batch (xlsx): one sheet per table a provincial office works from.

- summary: batch_summary as label / value rows, with the announcement;
- counties: county_assessment, verdict, confidence and decision first;
- rectification: rectification_list, the households to put right;
- monitoring: monitoring_list, the households to watch (防返贫监测);
- rejected rows: the quarantine (rejected_rows), its values already masked in the marts.

Headers are the registry's Chinese labels (zh) or short English ones (en); coded values read in
the language. Cells are typed from the registry: counts and money are numbers, rates are numbers
shown as percentages, dates are dates, and every code (county, village, household, survey) is
text, so no leading zero is lost. The header row is frozen and filtered. The same marts give
the same bytes: the creation date is fixed, as `pipeline.convert` fixes it.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from pathlib import Path

import duckdb
import xlsxwriter

from pipeline.brief import labels
from pipeline.brief.announcement import announcement_text, batch_summary
from pipeline.brief.text import width
from pipeline.errors import InputError
from pipeline.schemas.registry import TABLES

CREATED = dt.datetime(2020, 1, 1)
EXCEL_MAX_ROWS = 1_048_576
MAX_WIDTH = 60
ANNOUNCEMENT_WIDTH = 100

# Columns whose values are codes of the marts' vocabulary: (labels kind) to translate them.
CODED = {
    "verdict": "verdict",
    "decision": "decision",
    "decision_reason": "decision_reason",
    "verdict_confidence": "confidence",
    "region": "region",
    "sample_frame": "sample_frame",
    "risk_reason": "risk_reason",
}
CONDITION_LISTS = ("failed_conditions", "failed_guarantees")
# Integers shown without a thousands separator.
PLAIN_INTEGERS = {"assessment_year", "year", "line_number", "member_no"}


@dataclass(frozen=True)
class Sheet:
    key: str  # labels.SHEETS
    table: str
    order: str
    first: tuple[str, ...] = ()  # columns shown first, the rest in the registry's order


SHEETS = (
    Sheet(
        "counties",
        "county_assessment",
        "county_code",
        (
            "county_code",
            "county_name",
            "verdict",
            "verdict_confidence",
            "decision",
            "decision_reason",
        ),
    ),
    Sheet("rectification", "rectification_list", "county_code, village_code, survey_id"),
    Sheet("monitoring", "monitoring_list", "county_code, village_code, survey_id"),
    Sheet("rejected", "rejected_rows", 'source_file, line_number, "column", rule'),
)


class Formats:
    """The workbook's cell formats, made once."""

    def __init__(self, book: xlsxwriter.Workbook):
        self.header = book.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "bottom": 1, "valign": "top"}
        )
        self.text = book.add_format({"num_format": "@"})
        self.integer = book.add_format({"num_format": "#,##0"})
        self.plain = book.add_format({"num_format": "0"})
        self.money = book.add_format({"num_format": "#,##0.00"})
        self.percent = book.add_format({"num_format": "0.00%"})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})


def _kind(column: str, dtype: str | None, value) -> str:
    """How a column's cells are written: text, boolean, integer, plain, money, percent, date."""
    if dtype is None:  # a column the registry does not know (an older marts file): by value
        dtype = {
            bool: "boolean",
            int: "bigint",
            float: "double",
            decimal.Decimal: "double",
            dt.date: "date",
        }.get(type(value), "varchar")
    if dtype == "boolean":
        return "boolean"
    if dtype in ("integer", "bigint"):
        return "plain" if column in PLAIN_INTEGERS else "integer"
    if dtype == "double" or dtype.startswith("decimal"):
        return "money" if "income" in column or column == "poverty_line_yuan" else "percent"
    if dtype == "date":
        return "date"
    return "text"


def _dtype(table: str, column: str) -> str | None:
    known = TABLES.get(table)
    if known is None or column not in known.column_names:
        return None
    return known.column(column).dtype


def _shown(kind: str, value) -> str:
    """The value as Excel will show it, to size its column."""
    if value is None:
        return ""
    if kind == "integer":
        return f"{value:,}"
    if kind == "money":
        return f"{float(value):,.2f}"
    if kind == "percent":
        return f"{float(value) * 100:.2f}%"
    if kind == "boolean":
        return "FALSE"
    return str(value)


def _write(sheet, row: int, col: int, kind: str, value, formats: Formats) -> None:
    if value is None:
        sheet.write_blank(row, col, None)
    elif kind == "text":
        sheet.write_string(row, col, str(value), formats.text)
    elif kind == "boolean":
        sheet.write_boolean(row, col, bool(value))
    elif kind == "date":
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), formats.date)
    else:
        sheet.write_number(row, col, float(value), getattr(formats, kind))


def _translate(column: str, value, lang: str):
    if column in CODED:
        return labels.value(CODED[column], value, lang)
    if column in CONDITION_LISTS:
        return labels.conditions(value, lang)
    return value


def _table_sheet(book, formats, con, batch_id: str, lang: str, spec: Sheet) -> None:
    cursor = con.execute(
        f'select * from "{spec.table}" where batch_id = ? order by {spec.order}', [batch_id]
    )
    found = [column[0] for column in cursor.description]
    rows = cursor.fetchall()
    if len(rows) >= EXCEL_MAX_ROWS:
        raise InputError(
            f"{spec.table}: {len(rows):,} rows of {batch_id} are more than an Excel sheet holds; "
            "read them from the marts file"
        )
    known = [c for c in TABLES[spec.table].column_names if c in found]
    ordered = [c for c in spec.first if c in found]
    ordered += [c for c in known + found if c not in ordered and c != "batch_id"]
    ordered = list(dict.fromkeys(ordered))
    index = {name: found.index(name) for name in ordered}
    sheet = book.add_worksheet(labels.SHEETS[spec.key][lang])
    headers = [labels.header(spec.table, c, lang) for c in ordered]
    sheet.write_row(0, 0, headers, formats.header)
    widths = [width(h) for h in headers]
    sample = next((row for row in rows), None)
    kinds = [
        _kind(c, _dtype(spec.table, c), None if sample is None else sample[index[c]])
        for c in ordered
    ]
    for r, row in enumerate(rows, start=1):
        for col, (name, kind) in enumerate(zip(ordered, kinds, strict=True)):
            value = _translate(name, row[index[name]], lang)
            _write(sheet, r, col, kind, value, formats)
            if r <= 2000:  # enough rows to size a column
                widths[col] = max(widths[col], width(_shown(kind, value)))
    for col, size in enumerate(widths):
        sheet.set_column(col, col, min(MAX_WIDTH, size + 2))
    _frame(sheet, len(rows), len(ordered), frozen_columns=2 if spec.key == "counties" else 0)


def _frame(sheet, rows: int, columns: int, frozen_columns: int = 0) -> None:
    """The header row frozen (and the first columns, where they name the row) and filtered."""
    sheet.freeze_panes(1, frozen_columns)
    sheet.autofilter(0, 0, rows, columns - 1)


def _summary_sheet(book, formats, con, batch_id: str, lang: str) -> None:
    summary = batch_summary(con, batch_id)
    sheet = book.add_worksheet(labels.SHEETS["summary"][lang])
    headers = [labels.header("batch_summary", c, lang) for c in ("item", "value", "field")]
    sheet.write_row(0, 0, headers, formats.header)
    known = TABLES["batch_summary"].column_names
    columns = [c for c in known if c in summary] + [c for c in summary if c not in known]
    widths = [width(h) for h in headers]
    row = 0
    for row, column in enumerate(columns, start=1):
        label = labels.header("batch_summary", column, lang)
        value = summary[column]
        kind = _kind(column, _dtype("batch_summary", column), value)
        sheet.write_string(row, 0, label, formats.text)
        _write(sheet, row, 1, kind, value, formats)
        sheet.write_string(row, 2, column, formats.text)
        widths = [
            max(widths[0], width(label)),
            max(widths[1], width(_shown(kind, value))),
            max(widths[2], width(column)),
        ]
    row += 1
    sheet.write_string(row, 0, labels.header("batch_summary", "announcement", lang), formats.text)
    sheet.write_string(row, 1, announcement_text(con, batch_id, lang), formats.wrap)
    sheet.write_string(row, 2, "announcement", formats.text)
    sheet.set_column(0, 0, min(MAX_WIDTH, widths[0] + 2))
    sheet.set_column(1, 1, ANNOUNCEMENT_WIDTH)
    sheet.set_column(2, 2, min(MAX_WIDTH, widths[2] + 2))
    _frame(sheet, row, 3)


def write_workbook(con: duckdb.DuckDBPyConnection, batch_id: str, lang: str, path: Path) -> None:
    """Write the batch's office workbook in `lang` (zh or en) to `path`."""
    labels.check_lang(lang)
    batch_summary(con, batch_id)  # an unknown batch: one clear error, no file
    book = xlsxwriter.Workbook(
        str(path),
        {
            "in_memory": True,
            # values are written by type, never guessed: a masked value or a name that starts
            # with `=` stays text, never a formula
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    # A fixed creation date: the same marts give the same bytes (xlsxwriter stamps "now").
    book.set_properties({"created": CREATED})
    formats = Formats(book)
    try:
        _summary_sheet(book, formats, con, batch_id, lang)
        for spec in SHEETS:
            _table_sheet(book, formats, con, batch_id, lang, spec)
    finally:
        book.close()
