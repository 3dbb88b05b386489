"""Physical lines, counted without the CSV parser, and the line numbers rows get from them."""

from __future__ import annotations

import io

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import ingest, warehouse
from pipeline.accounting import account_for
from pipeline.errors import InputError
from pipeline.lines import scan_lines
from pipeline.schemas.fields import RAW_TABLES
from tests.batch_builder import write_batch

SURVEYS = next(table for table in RAW_TABLES if table.name == "survey_households")
HOUSEHOLDS = next(table for table in RAW_TABLES if table.name == "registry_households")
MEMBERS = next(table for table in RAW_TABLES if table.name == "registry_members")


def scan(data: bytes, fields: int = 3):
    return scan_lines(io.BytesIO(data), "t.csv", fields)


def test_scan_lines__counts_lines_and_maps_rows_after_a_multiline_value():
    line_map = scan(b'a,b,c\n1,2,3\n4,"x\ny",6\n7,8,9\n')
    assert line_map.physical_lines == 5
    assert line_map.records == 4
    assert line_map.multiline == [(3, 3, 2)]
    assert list(line_map.first_lines([2, 3, 4])) == [2, 3, 5]


def test_scan_lines__crlf_escaped_quotes_and_a_last_line_without_break():
    line_map = scan(b'a,b,c\r\n1,"say ""hi""",3\r\n4,ab"c,6\r\n7,"ab"c,9')
    assert (line_map.physical_lines, line_map.records, line_map.multiline) == (4, 4, [])


@pytest.mark.parametrize(
    "data, line",
    [
        (b'a,b,c\n1,2,3\n4,5,"6\n', 3),  # never closes
        (b'a,b,c\n1,2,"3\n4,5,6\n7,8,9\n', 2),  # swallows whole rows
        # All fields quoted, one closing quote lost: the next row's first quote closes it.
        (b'"a","b","c"\n"1","2","3\n"4","5","6"\n"7","8","9"\n', 2),
    ],
)
def test_scan_lines__an_unclosed_quote_names_the_line_it_opens(data, line):
    with pytest.raises(InputError, match=f"t.csv: line {line}: a quote opens here"):
        scan(data)


def test_scan_lines__a_bare_carriage_return_is_refused():
    with pytest.raises(InputError, match=r"line 2: a bare carriage return"):
        scan(b"a,b,c\n1,2\r3,4\n")


# A value holds at most one delimiter: fewer than a whole row's (three fields, two delimiters).
VALUE = st.text(alphabet='ab,"\n 张', max_size=6).filter(lambda value: value.count(",") <= 1)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(VALUE, min_size=3, max_size=3), max_size=8), st.sampled_from(["\n", "\r\n"])
)
def test_scan_lines__agrees_with_the_csv_module_on_any_quoted_file(rows, line_end):
    """Rows written by a standard CSV writer (quoting where needed) are found where they are."""
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(["a", "b", "c"])
    for row in rows:
        writer.writerow(row)
    data = out.getvalue().encode()
    line_map = scan(data)
    expected_starts, line = [], 1
    reader = csv.reader(io.StringIO(out.getvalue(), newline=""))
    for _ in reader:
        expected_starts.append(line)
        line = reader.line_num + 1
    assert line_map.records == len(rows) + 1
    assert line_map.physical_lines == data.count(b"\n")
    assert list(line_map.first_lines(range(1, len(rows) + 2))) == expected_starts


@settings(max_examples=100, deadline=None)
@given(
    lines=st.lists(
        st.sampled_from(["a,b,c", "", '1,"x', 'y",3', '"p,q",r,s', "4,5,6", "7,8,9\r"]),
        max_size=30,
    ),
    chunk=st.integers(1, 40),
)
def test_scan_lines__counts_the_same_whatever_the_chunks(lines, chunk):
    """Runs of lines without a quote are counted in bulk, lines with one one by one: the map
    must not depend on where the chunks (and so the runs) start and end."""
    import pipeline.lines

    data = "\n".join(["h1,h2,h3", *lines]).encode() + b"\n"
    try:
        whole = scan(data)
    except InputError as error:
        whole = str(error)
    original = pipeline.lines.CHUNK_BYTES
    pipeline.lines.CHUNK_BYTES = chunk
    try:
        try:
            chunked = scan(data)
        except InputError as error:
            chunked = str(error)
    finally:
        pipeline.lines.CHUNK_BYTES = original
    if isinstance(whole, str):
        assert chunked == whole
    else:
        assert (chunked.physical_lines, chunked.records, chunked.multiline) == (
            whole.physical_lines,
            whole.records,
            whole.multiline,
        )


def test_scan_lines__a_bare_carriage_return_after_quoted_lines_names_its_line():
    data = b'a,b,c\n1,"x",3\n' + b"4,5,6\r\n" * 1000 + b"7,8\r9,x\n"
    with pytest.raises(InputError, match=r"line 1003: a bare carriage return"):
        scan(data)


# --- through ingestion ------------------------------------------------------------------


def _ingest(folder, table):
    con = warehouse.connect(":memory:")
    report = ingest.ingest(con, folder, table, folder.parent.parent / "sources")
    ingest.store_report(con, report, len(table.columns))
    return con, report


def _edit_lines(path, edit):
    lines = path.read_text(encoding="utf-8").split("\n")
    edit(lines)
    path.write_text("\n".join(lines), encoding="utf-8")


def test_ingest__line_numbers_after_a_quoted_line_break_stay_right(tmp_path, batch):
    folder = write_batch(tmp_path / "raw", batch)
    header = (folder / "registry_households.csv").read_text(encoding="utf-8").split("\n")[0]
    cause = header.split(",").index("poverty_cause")

    def add_break(lines):
        cells = lines[1].split(",")
        cells[cause] = '"illness\nand more"'
        lines[1] = ",".join(cells)

    _edit_lines(folder / "registry_households.csv", add_break)
    con, report = _ingest(folder, HOUSEHOLDS)
    ids = con.execute(
        "select household_id, line_number from raw_registry_households order by line_number"
    ).fetchall()
    source_ids = [row["household_id"] for row in batch["registry_households"]]
    # Row 1 spans lines 2-3; every later row sits one line further down than its index.
    assert ids == [(source_ids[0], 2)] + [(hid, i + 3) for i, hid in enumerate(source_ids[1:], 1)]
    assert report.multiline == [(2, 2)]
    assert report.physical_lines == len(source_ids) + 2


def test_ingest__an_unclosed_quote_near_the_end_is_a_file_error(tmp_path, batch):
    folder = write_batch(tmp_path / "raw", batch)
    count = len(batch["registry_members"])

    def open_quote(lines):
        lines[count - 1] = lines[count - 1].rsplit(",", 1)[0] + ',"1995-03-31'

    _edit_lines(folder / "registry_members.csv", open_quote)
    with pytest.raises(InputError, match=rf"registry_members\.csv: line {count}: a quote opens"):
        _ingest(folder, MEMBERS)


def test_ingest__a_table_with_only_its_header_is_a_file_error(tmp_path, batch):
    batch["survey_households"] = []
    folder = write_batch(tmp_path / "raw", batch)
    with pytest.raises(InputError, match=r"survey_households\.csv: no data rows"):
        _ingest(folder, SURVEYS)


def test_ingest__without_its_header_line_the_error_quotes_no_row(tmp_path, batch):
    folder = write_batch(tmp_path / "raw", batch)
    _edit_lines(folder / "registry_members.csv", lambda lines: lines.pop(0))
    member = batch["registry_members"][0]
    with pytest.raises(InputError) as raised:
        ingest.open_table(folder, MEMBERS)
    message = str(raised.value)
    assert "is the header line missing?" in message
    assert member["id_number"] not in message and member["name"] not in message
    assert member["household_id"] not in message


def test_ingest__an_extra_column_named_like_a_person_is_masked(tmp_path, batch):
    folder = write_batch(tmp_path / "raw", batch)
    path = folder / "counties.csv"
    text = path.read_text(encoding="utf-8").split("\n")
    text[0] += ",520402199503310012,王小明"
    text[1:] = [line + ",x,y" if line else line for line in text[1:]]
    path.write_text("\n".join(text), encoding="utf-8")
    _, report = _ingest(folder, RAW_TABLES[0])
    assert report.extra_columns == ["5204**********0012", "**"]


def test_ingest__a_truncated_gzip_is_a_file_error(tmp_path, batch):
    import gzip

    folder = write_batch(tmp_path / "raw", batch)
    csv_path = folder / "registry_members.csv"
    # Enough rows that the cut falls well past the header.
    text = csv_path.read_text(encoding="utf-8")
    header, *rows = text.split("\n")
    body = "\n".join([header, *(rows[:-1] * 400)]) + "\n"
    packed = gzip.compress(body.encode())
    (folder / "registry_members.csv.gz").write_bytes(packed[: len(packed) // 2])
    csv_path.unlink()
    with pytest.raises(InputError, match=r"registry_members\.csv\.gz: .*gzip"):
        _ingest(folder, MEMBERS)


def test_accounting__lines_of_a_multiline_row_balance_and_a_lost_span_does_not(tmp_path, batch):
    folder = write_batch(tmp_path / "raw", batch)
    header = (folder / "survey_households.csv").read_text(encoding="utf-8").split("\n")[0]
    agency = header.split(",").index("agency_code")

    def add_break(lines):
        cells = lines[2].split(",")
        cells[agency] = '"AG\n01"'  # a line break inside a value: the row is quarantined
        lines[2] = ",".join(cells)

    _edit_lines(folder / "survey_households.csv", add_break)
    con, _ = _ingest(folder, SURVEYS)
    con.execute(
        "create table rejected_rows as select 'survey_households' as source_table, 3 as line_number"
    )
    con.execute(
        "create table stg_survey_households as select line_number from raw_survey_households "
        "where line_number <> 3"
    )
    account = account_for(con, "survey_households", "stg_survey_households")
    assert account.problems() == []
    # A parser that lost the span (read the broken row as one line) no longer balances.
    con.execute("delete from _multiline_rows")
    assert (
        "lines do not add up"
        in account_for(con, "survey_households", "stg_survey_households").problems()[0]
    )


def test_sheet__empty_rows_above_the_header_keep_line_numbers_right(tmp_path, batch):
    folder = write_batch(tmp_path / "raw", batch)
    rows = (folder / "counties.csv").read_text(encoding="utf-8").strip().split("\n")
    (folder / "counties.csv").unlink()
    workbook = xlsxwriter.Workbook(str(folder / "counties.xlsx"))
    sheet = workbook.add_worksheet()
    for index, line in enumerate(rows):
        sheet.write_row(index + 2, 0, line.split(","))  # two empty rows above the header
    workbook.close()
    con, report = _ingest(folder, RAW_TABLES[0])
    lines = [
        line
        for (line,) in con.execute(
            "select line_number from raw_counties order by line_number"
        ).fetchall()
    ]
    assert lines == list(range(4, 4 + len(rows) - 1))
    assert report.physical_lines == 2 + len(rows)
    assert report.blank_lines == 2


def test_scan_lines__a_quote_closed_on_the_next_line_in_the_same_column_swallows_a_row():
    """The field count balances (the quote takes the first row's tail and the next one's
    head), but the quoted value holds a whole row's delimiters: exit 2, not a lost row."""
    data = (
        "household_id,member_no,name,id_number,relation,sex,birth_date\n"
        'H1,1,"王正秀,520121200208134127,head,F,2002-08-13\n'
        'H1,2,王梅",520121200508134121,child,F,2005-08-13\n'
    ).encode()
    with pytest.raises(InputError, match=r"t\.csv: line 2: a quote opens here and runs over"):
        scan(data, fields=7)


def test_sheet__data_on_a_second_sheet_is_refused_not_dropped(tmp_path, batch):
    folder = write_batch(tmp_path / "raw", batch)
    rows = (folder / "counties.csv").read_text(encoding="utf-8").strip().split("\n")
    (folder / "counties.csv").unlink()
    workbook = xlsxwriter.Workbook(str(folder / "counties.xlsx"))
    first, second = workbook.add_worksheet(), workbook.add_worksheet("more")
    for index, line in enumerate(rows[:2]):
        first.write_row(index, 0, line.split(","))
    for index, line in enumerate([rows[0], *rows[2:]]):
        second.write_row(index, 0, line.split(","))
    workbook.close()
    with pytest.raises(InputError, match=r"counties\.xlsx: sheet 2 \('more'\) holds data too"):
        _ingest(folder, RAW_TABLES[0])
