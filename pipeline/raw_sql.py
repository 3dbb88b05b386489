"""The SQL that reads a raw CSV file as numbered lines and splits them into rows of text.

A raw relation is a view over its file, not a copy: writing millions of rows of text into the
database costs several times what reading the file does, and each later step reads the raw
relation once. DuckDB reads the file as whole lines (no quoting; a NUL delimiter, which a
surveyed file never holds), numbers them in file order, and SQL does the rest of what a CSV
parser would:

- a record is one line, or the lines a quoted value spans, joined by a line feed (which lines,
  `pipeline.lines` found; they are listed in `_raw_record_spans`);
- a record without a quote is split at every comma (`string_split`); one with a quote by an
  RFC 4180 pattern: a field is `"..."` (where `""` is a quote, and text after the closing quote
  is kept, as pyarrow and Python's csv module keep it) or plain text up to the next comma;
- record 1 is the header; a record with the header's number of fields is a row, unless every
  loaded field is empty or spaces (a blank line); a record with another number of fields is
  malformed, unless it is nothing but whitespace (a blank line too).

The view and the counts ingestion stores share these expressions, so a row the counts call a
row is a row the view holds, and a malformed or blank record is neither.

When the counts have shown that every line after the header is a row of the header's number of
fields, with no quote and no blank line (the usual export), the view lets
DuckDB's CSV reader split the lines instead (`rows_are_lines`): the same fields, at a fraction
of the cost, and line n + 1 is row n.

Numbering lines takes a window function, which DuckDB runs on one thread; the screening pass
(`screen_sql`) needs no line numbers and runs on all of them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pipeline.byte_scan import ByteScan
from pipeline.schemas.fields import Field, RawTable
from pipeline.schemas.values import canonical_sql, labels_for, normalize_sql

SPANS_TABLE = "_raw_record_spans"
SPANS_DDL = f"""
create table if not exists {SPANS_TABLE} (
    source_table varchar,
    first_line bigint,
    lines_spanned integer
)
"""

# Unicode has no space or line break past U+3000 (a test compares with the whole range): every
# command imports this module, and scanning all 1.1 million code points took 70 ms.
_LAST_SPACE = 0x3000
# What Python's str.strip() strips: a record of nothing else is a blank line, as it was when
# pyarrow's rows were tested with it.
_WHITESPACE = "".join(chr(code) for code in range(_LAST_SPACE + 1) if chr(code).isspace())
# What DuckDB's trim() strips (Unicode's space separators): a field of nothing else is empty.
_SPACES = "".join(
    chr(code) for code in range(_LAST_SPACE + 1) if unicodedata.category(chr(code)) == "Zs"
)
# A field at the start of the text or after a comma: quoted, with `""` for a quote and any
# text after the closing quote, or plain up to the next comma. The text gets a comma in front,
# so every field is matched with the comma before it and no match is empty.
_FIELD_PATTERN = r',("(?:[^"]|"")*"[^,]*|[^,]*)'
_QUOTED_BODY = r'^"((?:[^"]|"")*)"'
_AFTER_QUOTES = r'^"(?:[^"]|"")*"(.*)$'


@dataclass(frozen=True)
class CsvLayout:
    """What the SQL needs to know of one raw file."""

    source_table: str  # the table's name, for its record spans
    path: Path  # the UTF-8 file DuckDB reads, plain or gzip
    crlf: bool  # some line may end with \r\n (the byte scan found a carriage return)
    quoted: bool  # some line holds a quote
    multiline: bool  # some record spans lines (listed in `_raw_record_spans`)
    fields_expected: int  # the header's number of fields
    loaded: tuple[tuple[Field, int], ...]  # each loaded field and its 1-based position
    # Every line after the header is a row: no quote, the header's number of fields, not blank,
    # and no carriage return but in a line end (known once the file has been counted).
    rows_are_lines: bool = False


def csv_layout(
    table: RawTable, readable: Path, names: list[str], scan: ByteScan, multiline: bool = False
) -> CsvLayout:
    """The layout of `table`'s file as DuckDB reads it (`readable`: the file, or its UTF-8
    copy), from its header's column names and the survey of its bytes."""
    return CsvLayout(
        source_table=table.name,
        path=readable.resolve(),
        crlf=scan.has_carriage_return,
        quoted=scan.has_quote,
        multiline=multiline,
        fields_expected=len(names),
        loaded=tuple((fld, names.index(fld.name) + 1) for fld in table.loaded_fields),
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _column(fld: Field) -> str:
    return f'"{fld.name}"'


def _chars(text: str) -> str:
    """A string constant spelt with chr(), for characters a SQL text should not hold raw."""
    return " || ".join(f"chr({ord(char)})" for char in text)


# --- lines and records --------------------------------------------------------------------


def _read_csv(layout: CsvLayout, columns: str, delimiter: str, header: bool) -> str:
    """DuckDB's reader over the file, with no quoting and the file's line ends."""
    # Not strict: in strict mode DuckDB returns no rows at all, without an error, when a line
    # end is not the one named (a \n file read as \r\n). The counts check every line instead.
    new_line = r"\r\n" if layout.crlf else r"\n"
    return f"""read_csv(
            {_literal(str(layout.path))},
            columns = {columns},
            header = {str(header).lower()},
            delim = {delimiter},
            quote = '',
            escape = '',
            new_line = '{new_line}',
            auto_detect = false,
            strict_mode = false
        )"""


def _lines(layout: CsvLayout) -> str:
    """The file's physical lines, in file order (an empty line is ''), one per row."""
    read = _read_csv(layout, "{'line': 'varchar'}", "chr(0)", header=False)
    return f"select coalesce(line, '') as line from {read}"


def _records_ctes(layout: CsvLayout) -> str:
    """CTEs ending in `records (line_number, record)`: each record at its first line."""
    lines = f"""lines as not materialized (
    select row_number() over () as line_number, line
    from ({_lines(layout)})
)"""
    if not layout.multiline:
        return f"""{lines},

records as (
    select line_number, line as record from lines
)"""
    return f"""{lines},

spans as (
    select first_line, lines_spanned
    from {SPANS_TABLE}
    where source_table = {_literal(layout.source_table)}
),

-- Every line of a record that spans several, with the record's first line.
spanned_lines as (
    select first_line, unnest(range(first_line, first_line + lines_spanned)) as line_number
    from spans
),

records as (
    select line_number, line as record
    from lines
    where line_number not in (select line_number from spanned_lines)
    union all
    select spanned_lines.first_line, string_agg(lines.line, chr(10) order by lines.line_number)
    from lines
    join spanned_lines using (line_number)
    group by spanned_lines.first_line
)"""


# --- fields -------------------------------------------------------------------------------


def _fields(layout: CsvLayout, record: str = "record") -> str:
    """A record's fields, as a list of text."""
    plain = f"string_split({record}, ',')"
    if not layout.quoted:
        return plain
    quoted = f"""list_transform(
            regexp_extract_all(',' || {record}, {_literal(_FIELD_PATTERN)}, 1),
            lambda field: case
                when starts_with(field, '"') then
                    replace(regexp_extract(field, {_literal(_QUOTED_BODY)}, 1), '""', '"')
                    || regexp_extract(field, {_literal(_AFTER_QUOTES)}, 1)
                else field
            end
        )"""
    return f"case when contains({record}, '\"') then {quoted} else {plain} end"


def _split_once(source: str, fields: str) -> str:
    """`source`'s rows with their `fields`, computed below a window function: DuckDB pushes no
    filter through one, so the split is not copied into each filter term and column that reads
    it (which would split every record once per column)."""
    return f"""select *, row_number() over () as split_order
    from (select *, {fields} as fields from {source})"""


def _has_content(layout: CsvLayout, fields: str = "fields") -> str:
    """Whether some loaded field holds more than spaces: a row, not a blank line."""
    return " or ".join(f"trim({fields}[{position}]) <> ''" for _, position in layout.loaded)


def _surely_a_row(layout: CsvLayout, record: str) -> str:
    """A cheap test that holds only for records that are rows: no quote, the header's number of
    commas (two LIKE scans, no split) and a first loaded field with more than spaces. A record
    it does not clear is classified by the exact expressions (`_has_content`: trim() on each
    loaded field, as ingestion always tested blank rows)."""
    commas = layout.fields_expected - 1
    at_least = "%" + ",%" * commas
    more_than = "%" + ",%" * (commas + 1)
    tests = [f"{record} like '{at_least}'", f"{record} not like '{more_than}'"]
    if layout.quoted:
        tests.insert(0, f"not contains({record}, '\"')")
    position = min(position for _, position in layout.loaded)
    if position == 1:
        # Its first character is neither the comma ending an empty field nor a space trim()
        # would strip.
        codes = ", ".join(str(ord(char)) for char in "," + _SPACES)
        tests.append(f"ascii({record}) not in ({codes})")
    else:
        tests.append(f"trim(split_part({record}, ',', {position})) <> ''")
    return " and ".join(tests)


# --- the counts ---------------------------------------------------------------------------


def screen_sql(layout: CsvLayout) -> str:
    """For a file whose records are its lines (no line scan): its lines, their bytes, and how
    many lines the cheap row test does not clear (the header among them, if it has a cell with
    a leading space). Without line numbers, DuckDB reads the file on every thread."""
    return f"""
select
    count(*) as lines,
    coalesce(sum(strlen(line)), 0) as line_bytes,
    count(*) filter (where not ({_surely_a_row(layout, "line")})) as doubtful
from ({_lines(layout)})
"""


def counts_sql(layout: CsvLayout) -> str:
    """The file's records, their bytes, and every data record that is a blank line or
    malformed, as (line_number, fields_found, blank), in line order. One pass: the exact split
    runs only on the records the cheap row test does not clear."""
    screened = f"""(
        select
            line_number,
            record,
            strlen(record) as record_bytes,
            line_number > 1 and not ({_surely_a_row(layout, "record")}) as doubtful
        from records
    )"""
    fields = f"case when doubtful then {_fields(layout)} end"
    return f"""
with

{_records_ctes(layout)},

split as (
    {_split_once(screened, fields)}
),

classified as (
    select
        line_number,
        record_bytes,
        doubtful,
        len(fields) as fields_found,
        case
            when not doubtful then false
            when len(fields) = {layout.fields_expected} then not ({_has_content(layout)})
            else trim(record, {_chars(_WHITESPACE)}) = ''
        end as blank
    from split
)

select
    count(*) as records,
    coalesce(sum(record_bytes), 0) as record_bytes,
    coalesce(
        list(
            {{'line_number': line_number, 'fields_found': fields_found, 'blank': blank}}
            order by line_number
        ) filter (where doubtful and (blank or fields_found <> {layout.fields_expected})),
        []
    ) as exceptions
from classified
"""


# --- the view -----------------------------------------------------------------------------


def rows_view(name: str) -> str:
    """Beside the raw relation `name` of a file whose lines are all rows: the same rows as
    read, in file order and not numbered (line n + 1 is row n). A query that copies it runs on
    every thread, where one over the numbered relation runs on one (`pipeline.validation`)."""
    return f"_rows_{name}"


def normalised_value(fld: Field, column_sql: str) -> str:
    """One raw text value in its canonical spelling (`pipeline.schemas.values.normalize_sql`).

    Trimming every value costs more than all the rules: a value already spelt canonically
    (ASCII, no edge space: nearly every value of a real export) needs only `nullif(v, '')`,
    which one cheap test shows (`canonical_sql`); any other takes the full normalisation. A
    coded field's normalisation starts with that shortcut already (a value that is one of its
    codes), and its spellings make a long expression that DuckDB would bind twice.
    """
    if labels_for(fld):
        return normalize_sql(fld, column_sql)
    return (
        f"case when {canonical_sql(fld, column_sql)} then nullif({column_sql}, '') "
        f"else {normalize_sql(fld, column_sql)} end"
    )


def normalised_columns(fields: list[Field]) -> str:
    """Each loaded field as normalised text (`normalised_value`), under its name."""
    return ",\n    ".join(
        f"{normalised_value(fld, _column(fld))} as {_column(fld)}" for fld in fields
    )


def view_sql(layout: CsvLayout, name: str) -> str:
    """The raw relation `name`: line_number, then each loaded field as normalised text; for a
    file whose lines are all rows, first the view of its rows as read (`rows_view`)."""
    normalised = normalised_columns([fld for fld, _ in layout.loaded])
    if layout.rows_are_lines:
        return f"""
create or replace view "{rows_view(name)}" as
{_rows_read_by_duckdb(layout)};

create or replace view "{name}" as
select
    row_number() over () + 1 as line_number,
    {normalised}
from "{rows_view(name)}"
"""
    return f"""
create or replace view "{name}" as
with

{_rows_split_in_sql(layout)}

select
    line_number,
    {normalised}
from shaped
"""


def _rows_split_in_sql(layout: CsvLayout) -> str:
    """CTEs ending in `shaped`: every row's loaded fields, as read."""
    columns = ",\n        ".join(
        f"fields[{position}] as {_column(fld)}" for fld, position in layout.loaded
    )
    data_records = "(select line_number, record from records where line_number > 1)"
    return f"""{_records_ctes(layout)},

split as (
    {_split_once(data_records, _fields(layout))}
),

shaped as (
    select
        line_number,
        {columns}
    from split
    where len(fields) = {layout.fields_expected} and ({_has_content(layout)})
)"""


def _rows_read_by_duckdb(layout: CsvLayout) -> str:
    """The rows of a file whose lines are all rows, as read and in file order: DuckDB's reader
    splits them, and the header is line 1."""
    names = [f"column{position}" for position in range(1, layout.fields_expected + 1)]
    columns = "{" + ", ".join(f"'{name}': 'varchar'" for name in names) + "}"
    read = _read_csv(layout, columns, "','", header=True)
    selected = ",\n    ".join(
        f"{names[position - 1]} as {_column(fld)}" for fld, position in layout.loaded
    )
    return f"""select
    {selected}
from {read}"""
