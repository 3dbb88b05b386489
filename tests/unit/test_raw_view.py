"""The raw view of a CSV file, held to an oracle: Python's csv module over the same text, with the
file's physical lines counted here.

Every generated file goes through `ingest` as the pipeline runs it: the view's rows (line number
and loaded values), `_malformed_rows`, the blank lines, the physical lines and the rows spanning
lines must be what the oracle finds, and the line balance of `pipeline.accounting` must hold.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import warehouse
from pipeline.accounting import account_for
from pipeline.errors import InputError
from pipeline.ingest import check_sources_unchanged, ingest, store_report
from pipeline.schemas.fields import Field, RawTable
from pipeline.schemas.values import FULL_WIDTH, HALF_WIDTH

# A table of the raw table's kind, small enough to generate whole files for: three loaded text
# columns and a name, which is never loaded.
TOY = RawTable(
    name="toy",
    description="A small table for the raw view's tests.",
    fields=(
        Field("code", "代码", "string", "a code"),
        Field("name", "姓名", "string", "a name", pii=True, required=False),
        Field("place", "地点", "string", "a place"),
        Field("note", "备注", "string", "a note"),
    ),
)
LOADED = [fld.name for fld in TOY.loaded_fields]
# What DuckDB's trim() strips, as ingestion's blank test and normalisation use it: the space
# separators of Unicode (the ideographic space among them), not tabs or line breaks.
SPACES = "".join(chr(code) for code in range(0x3001) if unicodedata.category(chr(code)) == "Zs")
LABELS = {fld.name: fld.label_zh for fld in TOY.fields}


# --- the oracle ---------------------------------------------------------------------------


@dataclass
class Expected:
    rows: list[tuple] = field(default_factory=list)  # (line, *loaded values normalised)
    malformed: list[tuple[int, int]] = field(default_factory=list)  # (line, fields found)
    blank_lines: int = 0
    physical_lines: int = 0
    multiline: list[tuple[int, int]] = field(default_factory=list)  # (line, lines spanned)


def normalised(value: str) -> str | None:
    """A text value as ingestion spells it: full-width digits and spaces made half-width,
    spaces trimmed, empty as null (TOY's columns have no coded values)."""
    value = value.translate(str.maketrans(FULL_WIDTH, HALF_WIDTH)).strip(SPACES)
    return value or None


def oracle(text: str, header: list[str]) -> Expected:
    """What reading `text` (a CSV file's decoded text) must give, by Python's csv module."""
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    expected = Expected(physical_lines=text.count("\n") + (not text.endswith("\n")))
    reader = csv.reader(io.StringIO(text, newline=""))
    records, first = [], 1
    for fields in reader:
        records.append((first, reader.line_num, fields))
        first = reader.line_num + 1
    positions = [header.index(name) for name in LOADED]
    for first, last, fields in records[1:]:
        if last > first:
            expected.multiline.append((first, last - first + 1))
        raw = "\n".join(line.removesuffix("\r") for line in lines[first - 1 : last])
        if len(fields) == len(header):
            # A line break inside a quoted value reads as a line feed, whatever the line ends.
            values = [fields[position].replace("\r\n", "\n") for position in positions]
            if all(not value.strip(SPACES) for value in values):
                expected.blank_lines += last - first + 1
            else:
                expected.rows.append((first, *(normalised(value) for value in values)))
        elif not raw.strip():
            expected.blank_lines += 1
        else:
            expected.malformed.append((first, max(len(fields), 1)))
    return expected


# --- running ingestion --------------------------------------------------------------------


@dataclass
class Read:
    rows: list[tuple]
    malformed: list[tuple[int, int]]
    report: object
    con: object


def write(folder: Path, data: bytes, gz: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("toy.*"):
        old.unlink()
    path = folder / ("toy.csv.gz" if gz else "toy.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@cache
def _connection():
    """One warehouse for the generated files: each read replaces the last one's relation,
    reports and spans, as a second run of a batch does."""
    return warehouse.connect(":memory:")


def read(folder: Path, con=None) -> Read:
    con = con or warehouse.connect(":memory:")
    report = ingest(con, folder, TOY, folder.parent / "scratch")
    store_report(con, report, len(TOY.columns))
    rows = con.execute("select * from raw_toy order by line_number").fetchall()
    malformed = con.execute(
        "select line_number, fields_found from _malformed_rows order by line_number"
    ).fetchall()
    return Read(rows, malformed, report, con)


def assert_matches(result: Read, expected: Expected) -> None:
    assert result.rows == expected.rows
    assert result.malformed == expected.malformed
    assert result.report.blank_lines == expected.blank_lines
    assert result.report.physical_lines == expected.physical_lines
    assert result.report.multiline == expected.multiline
    assert result.report.rows_read == len(expected.rows) + len(expected.malformed)
    assert_lines_balance(result.con)


def assert_lines_balance(con) -> None:
    """Every row accepted but the malformed ones: the two balances of `pipeline.accounting`."""
    con.execute(
        "create or replace table rejected_rows as "
        "select source_table, line_number from _malformed_rows"
    )
    con.execute("create or replace table stg_toy as select line_number from raw_toy")
    assert account_for(con, "toy", "stg_toy").problems() == []


def csv_text(header: list[str], items: list, line_end: str, last_line_end: bool) -> str:
    """A file as an export writes it: rows by a standard CSV writer, quoting where needed,
    and raw lines (blank ones, a line of commas) as they are."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end)
    writer.writerow(header)
    for item in items:
        if isinstance(item, str):
            out.write(item + line_end)
        else:
            writer.writerow(item)
    text = out.getvalue()
    return text if last_line_end else text.removesuffix(line_end)


def encoded(text: str, encoding: str) -> bytes:
    return ("\ufeff" + text).encode() if encoding == "utf-8-sig" else text.encode(encoding)


# --- generated files ----------------------------------------------------------------------

# Cells with quotes, commas, line breaks, spaces and Chinese; at most one comma, so a quoted
# value spanning lines never holds a whole row's worth of delimiters (refused, tested below).
CELL = st.text(alphabet='ab ,"\n张３　', max_size=5).filter(lambda cell: cell.count(",") <= 1)
RAW_LINES = st.sampled_from(["", "   ", ",,,", " , , ,", " ,", "a,b", "x,,,,y", 'a"b,c,d,e'])


@st.composite
def headers(draw) -> list[str]:
    names = draw(st.permutations(["code", "name", "place", "note"]))
    if draw(st.booleans()):
        names = [name for name in names if name != "name"]
    if draw(st.booleans()):
        names.insert(draw(st.integers(0, len(names))), "extra")
    if draw(st.booleans()):
        return [LABELS.get(name, name) for name in names]
    return names


@st.composite
def files(draw):
    header = draw(headers())
    width = len(header)

    def row(cells: list[str]) -> list[str]:
        # A row of the wrong width spanning lines is refused (tested below): only a row of
        # the header's width may hold a line break.
        return cells if len(cells) == width else [cell.replace("\n", " ") for cell in cells]

    rows = st.lists(CELL, min_size=0, max_size=width + 1).map(row)
    full_rows = st.lists(CELL, min_size=width, max_size=width)
    items = draw(st.lists(st.one_of(full_rows, full_rows, rows, RAW_LINES), max_size=8))
    line_end = draw(st.sampled_from(["\n", "\r\n"]))
    text = csv_text(header, items, line_end, draw(st.booleans()))
    return header, text


@pytest.mark.slow  # 100 files through DuckDB's reader
@settings(max_examples=100, deadline=None)
@given(
    file=files(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    gz=st.booleans(),
)
def test_raw_view__matches_the_csv_module_on_generated_files(file, encoding, gz):
    header, text = file
    expected = oracle(text, [_canonical(cell) for cell in header])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "batch"
        write(folder, encoded(text, encoding), gz)
        if not expected.rows and not expected.malformed:
            with pytest.raises(InputError, match=r"no data rows \(only a header\)"):
                read(folder, _connection())
            return
        assert_matches(read(folder, _connection()), expected)


def _canonical(cell: str) -> str:
    return next((name for name, label in LABELS.items() if label == cell), cell)


# --- chosen files -------------------------------------------------------------------------


def check(tmp_path, text: str, header=("code", "name", "place", "note"), **options) -> Read:
    write(tmp_path / "batch", encoded(text, options.get("encoding", "utf-8")), options.get("gz"))
    result = read(tmp_path / "batch")
    assert_matches(result, oracle(text, list(header)))
    return result


def view_sql(con) -> str:
    return con.execute("select sql from duckdb_views() where view_name = 'raw_toy'").fetchone()[0]


def test_quoted_fields_on_one_line_parse_as_rfc_4180(tmp_path):
    text = (
        "code,name,place,note\n"
        'c1,n,"a,b","say ""hi"""\n'
        'c2,n,"x"y,a"b\n'  # text after a closing quote is kept; a quote inside plain text too
        'c3,"n,m",p,""\n'
    )
    result = check(tmp_path, text)
    assert result.rows == [
        (2, "c1", "a,b", 'say "hi"'),
        (3, "c2", "xy", 'a"b'),
        (4, "c3", "p", None),
    ]


def test_multiline_values_blank_lines_and_crlf_keep_physical_line_numbers(tmp_path):
    text = (
        "code,name,place,note\r\n"
        "\r\n"
        'c1,n,"line one\r\nline two\r\nline three",x\r\n'
        ",,,\r\n"
        "c2,n,p,q\r\n"
        "   \r\n"
        'c3,"two\r\nlines",p,"and\r\nhere"\r\n'
        "c4,only three,fields\r\n"
        "c5,n,p,q"
    )
    result = check(tmp_path, text)
    assert [row[0] for row in result.rows] == [3, 7, 9, 13]
    assert result.rows[0][2] == "line one\nline two\nline three"
    assert result.malformed == [(12, 3)]
    assert result.report.multiline == [(3, 3), (9, 3)]
    assert result.report.blank_lines == 3


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
@pytest.mark.parametrize("last_line_end", [True, False])
def test_an_export_without_quotes_or_bad_lines_is_split_by_duckdb(
    tmp_path, line_end, last_line_end
):
    rows = [f"c{n},张三,p{n}, ３{n} ,extra" for n in range(50)]
    text = line_end.join(["code,name,place,note,x", *rows])
    text += line_end if last_line_end else ""
    result = check(tmp_path, text, header=["code", "name", "place", "note", "x"])
    assert "string_split" not in view_sql(result.con)
    assert result.rows[0] == (2, "c0", "p0", "30")
    assert result.report.extra_columns == ["x"]


def test_a_blank_line_sends_the_view_back_to_splitting_lines(tmp_path):
    text = "code,name,place,note\nc1,n,p,q\n\nc2,n,p,q\n"
    result = check(tmp_path, text)
    assert "string_split" in view_sql(result.con)
    assert [row[0] for row in result.rows] == [2, 4]


def test_fields_of_any_space_make_a_blank_line_and_a_tab_does_not(tmp_path):
    text = (
        "code,name,place,note\n"
        "\u3000,n,\u3000, \n"  # ideographic and plain spaces only: blank
        "\u00a0c1,n,p,q\n"  # a row whose first field starts with a no-break space
        "\t,n,,\n"  # a tab is text to trim(): a row
    )
    result = check(tmp_path, text)
    assert result.report.blank_lines == 1
    assert [row[:2] for row in result.rows] == [(3, "c1"), (4, "\t")]


@pytest.mark.parametrize(
    "header",
    [
        ("name", "code", "place", "note"),  # no loaded field first
        (" code", "name", "place", "note"),  # a header cell with a leading space
        ("note", "extra", "place", "code"),  # an extra column, no name
    ],
)
def test_any_column_order_reads_the_same_values(tmp_path, header):
    canonical = [cell.strip() for cell in header]
    cells = {"code": "c", "name": "n", "place": "p", "note": "q", "extra": "x"}
    rows = [",".join(f"{cells[name]}{n}" for name in canonical) for n in range(3)]
    text = ",".join(header) + "\n" + "\n".join([*rows, ",,,"]) + "\n"
    result = check(tmp_path, text, header=canonical)
    assert result.rows[1] == (3, "c1", "p1", "q1")


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("labels", [False, True], ids=["names", "labels"])
def test_gb18030_is_read_through_a_utf8_copy(tmp_path, labels, gz):
    """A Chinese header is no UTF-8, so the whole file is decided at once; a header of names is,
    and DuckDB's read of the rows finds the file is not."""
    names = ["code", "name", "place", "note"]
    header = [LABELS[name] for name in names] if labels else names
    text = ",".join(header) + "\n" + "c1,张三,南明区,备注\n" + 'c2,李四,"云岩,区",\n'
    result = check(tmp_path, text, header=names, encoding="gb18030", gz=gz)
    assert result.report.encoding == "gb18030"
    assert result.rows == [(2, "c1", "南明区", "备注"), (3, "c2", "云岩,区", None)]
    copy = tmp_path / "scratch" / "toy.csv"
    assert copy.read_text(encoding="utf-8") == text
    assert [stamp.path for stamp in result.report.files_read][1] == str(copy.resolve())


def test_a_utf8_file_after_a_gb18030_one_leaves_no_copy(tmp_path):
    check(tmp_path, "code,name,place,note\nc,张,p,q\n", encoding="gb18030")
    assert (tmp_path / "scratch" / "toy.csv").exists()
    result = check(tmp_path, "code,name,place,note\nc,张,p,q\n")
    assert not (tmp_path / "scratch" / "toy.csv").exists()
    assert len(result.report.files_read) == 1


# --- refusals -----------------------------------------------------------------------------


def refusal(tmp_path, data: bytes, gz=False) -> str:
    write(tmp_path / "batch", data, gz)
    with pytest.raises(InputError) as raised:
        read(tmp_path / "batch")
    return str(raised.value)


HEADER = b"code,name,place,note\n"


@pytest.mark.parametrize(
    "body, message",
    [
        (b"c1,n,p,q\nc2,n\rx,p,q\n", "line 3: a bare carriage return"),
        (b'c1,n,p,q\nc2,n,p,"q\nc3,n,p,q\n', "line 3: a quote opens here and runs over whole"),
        (
            b'c1,n,p,q\nc2,n,"p\nx",q,extra\n',
            "line 3: a quote opens here and closes only on line 4",
        ),
        (b'c1,n,p,q\nc2,n,p,"q\n', "line 3: a quote opens here and never closes"),
        (b"c1,n,p,q\nc2,\x00,p,q\n", "line 3: a NUL byte"),
        (b"", "no data rows (only a header)"),
        (b"\n,,,\n  \n", "no data rows (only a header)"),
    ],
)
def test_files_that_cannot_be_trusted_are_refused_naming_the_line(tmp_path, body, message):
    assert message in refusal(tmp_path, HEADER + body)


def test_a_line_too_long_to_be_a_row__is_refused_naming_it_without_its_content(tmp_path):
    rows = b"".join(b"c%d,n,p,q\n" % number for number in range(2, 70_000))
    long = b"c70000,n,p," + b"520402199503310012" * 200_000 + b"\n"
    message = refusal(tmp_path, HEADER + rows + long + b"c70001,n,p,q\n")
    assert message.endswith("line 70,000: too long to be a row (over 2,000,000 bytes)")
    assert "5204021995" not in message


def test_a_gb18030_file_is_refused_naming_itself_not_its_copy(tmp_path):
    data = '代码,姓名,地点,备注\nc1,张三,p,q\nc2,李四,p,"q\n'.encode("gb18030")
    message = refusal(tmp_path, data)
    assert message.endswith(
        f"{tmp_path / 'batch' / 'toy.csv'}: line 3: a quote opens here and never closes"
    )


def test_a_latin1_byte_after_a_utf8_header_is_refused_by_the_whole_file_decision(tmp_path):
    message = refusal(tmp_path, HEADER + b"c1,n,p,q\nc2,Caf\xe9 520402199503310012,p,q\n")
    assert "toy.csv: line 3: neither UTF-8 nor plausible GB18030" in message
    assert "Caf" not in message and "199503310012" not in message


@pytest.mark.parametrize("keep", [0.3, 0.9])
def test_a_truncated_gzip_is_refused(tmp_path, keep):
    packed = gzip.compress(HEADER + b"c1,n,p,q\n" * 20_000)
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "toy.csv.gz").write_bytes(packed[: int(len(packed) * keep)])
    with pytest.raises(InputError, match=r"toy\.csv\.gz: truncated or corrupt gzip stream"):
        read(folder)


def test_duckdb_messages_never_reach_an_error(tmp_path):
    # A line longer than DuckDB reads: its message quotes the line, the refusal does not.
    long_line = b"c1,520402199503310012," + b"x" * (3 << 20) + b",q\n"
    message = refusal(tmp_path, HEADER + long_line)
    assert message.endswith("line 2: too long to be a row (over 2,000,000 bytes)")
    assert "199503310012" not in message and "xxx" not in message


# --- the files a view reads must not change --------------------------------------------------


def test_check_sources_unchanged__passes_until_a_file_changes(tmp_path):
    result = check(tmp_path, "code,name,place,note\nc1,n,p,q\n")
    check_sources_unchanged(result.con)
    path = tmp_path / "batch" / "toy.csv"
    stat = path.stat()
    path.write_bytes(path.read_bytes().replace(b"c1", b"c2"))  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    with pytest.raises(InputError, match=r"toy\.csv: changed during the run; run the batch"):
        check_sources_unchanged(result.con)


def test_check_sources_unchanged__same_size_rewrite_with_its_modification_time_put_back(tmp_path):
    # `cp -p`, `touch -r`, `unzip -o`: new bytes, the old size and modification time; only the
    # change time tells. Taken for the old file, the later steps would read rows it never had.
    result = check(tmp_path, "code,name,place,note\nc1,n,p,q\n")
    path = tmp_path / "batch" / "toy.csv"
    stat = path.stat()
    time.sleep(0.05)  # file times are coarse: the write must fall in a later tick to show
    path.write_bytes(path.read_bytes().replace(b"c1", b"c2"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    with pytest.raises(InputError, match=r"toy\.csv: changed during the run; run the batch"):
        check_sources_unchanged(result.con)


def test_stamps_without_a_change_time__stop_a_check_and_are_rebuilt_by_the_raw_step(tmp_path):
    con = warehouse.connect(":memory:")
    con.execute(
        "create table _ingest_reports (source_table varchar primary key, source_file varchar, "
        "encoding varchar, rows_read bigint, blank_lines bigint, extra_columns varchar[], "
        "physical_lines bigint, header_lines integer, files_read struct(path varchar, "
        "size bigint, mtime_ns bigint, inode bigint)[])"
    )
    con.execute("insert into _ingest_reports values ('t', 'f', 'utf-8', 1, 0, [], 2, 1, "
                "[{'path': 'f', 'size': 1, 'mtime_ns': 1, 'inode': 1}])")  # fmt: skip
    # An earlier version's stamps: the files cannot be held to them, so a step run on its own
    # stops; the raw step (a whole run) rebuilds the reports.
    with pytest.raises(InputError, match="earlier version of povexit; run the whole batch"):
        check_sources_unchanged(con)
    result = check(tmp_path, "code,name,place,note\nc1,n,p,q\n")
    report = result.report
    store_report(con, report, 4)
    assert con.execute("select files_read[1].ctime_ns from _ingest_reports").fetchone()[0] > 0


def test_check_sources_unchanged__a_lost_utf8_copy_is_a_change(tmp_path):
    result = check(tmp_path, "code,name,place,note\nc1,张,p,q\n", encoding="gb18030")
    check_sources_unchanged(result.con)
    (tmp_path / "scratch" / "toy.csv").unlink()
    with pytest.raises(InputError, match=r"scratch/toy\.csv: changed during the run"):
        check_sources_unchanged(result.con)


def test_check_sources_unchanged__nothing_read_yet_is_nothing_to_check():
    check_sources_unchanged(warehouse.connect(":memory:"))


def test_the_whitespace_sets__hold_every_code_point_of_their_kind():
    import sys
    import unicodedata

    from pipeline import raw_sql

    everything = [chr(code) for code in range(sys.maxunicode + 1)]
    whitespace = "".join(char for char in everything if char.isspace())
    spaces = "".join(char for char in everything if unicodedata.category(char) == "Zs")
    assert (whitespace, spaces) == (raw_sql._WHITESPACE, raw_sql._SPACES)
