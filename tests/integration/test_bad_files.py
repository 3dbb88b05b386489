"""Unusable files: each gives exit 2 and one line naming the file and the problem.

Rows that cannot be parsed are not unusable files: they are quarantined with their line.
"""

from __future__ import annotations

import gzip

import duckdb
import pytest

from pipeline.cli import main
from tests.batch_builder import write_batch


def _replace_header(name, old, new):
    def damage(folder):
        path = folder / f"{name}.csv"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return damage


def _write(name, content: bytes):
    def damage(folder):
        (folder / name).write_bytes(content)

    return damage


def _also(name, content: bytes):
    """A second copy of a table in another form, beside the CSV."""
    return _write(name, content)


CASES = {
    "undecodable bytes": (
        _write("counties.csv", b"county_code,county_name\n\xff\xfe\xff\x80\n"),
        "counties.csv: line 2: neither UTF-8 nor plausible GB18030",
    ),
    "Big5 county names": (
        _write(
            "counties.csv",
            "county_code,county_name\n520102,南明區\n520103,雲巖區\n".encode("big5"),
        ),
        "counties.csv: line 2: neither UTF-8 nor plausible GB18030",
    ),
    "one stray Latin-1 byte": (
        _write("counties.csv", b"county_code,county_name\n520102,Nanming\n520103,Caf\xe9s\n"),
        "counties.csv: line 3: neither UTF-8 nor plausible GB18030",
    ),
    "duplicated header": (
        _replace_header("counties", "county_name", "county_code"),
        "counties.csv: duplicated header column 'county_code'",
    ),
    "empty header cell": (
        _replace_header("counties", "county_name,", ","),
        "counties.csv: header column 2 is empty",
    ),
    "Chinese header missing a column": (
        _write("counties.csv", "县代码,县名称\n520102,南明区\n".encode()),
        "counties.csv: missing required column 'prefecture_code'",
    ),
    "malformed batch.toml": (
        _write("batch.toml", b"batch_id = \n"),
        "batch.toml: not valid TOML",
    ),
    "batch.toml without the poverty line": (
        _write(
            "batch.toml",
            b'batch_id = "test-2020"\nprovince_code = "52"\nassessment_year = 2020\n',
        ),
        "batch.toml: missing key 'poverty_line_yuan'",
    ),
    "unknown threshold": (
        _write(
            "batch.toml",
            b'batch_id = "test-2020"\nprovince_code = "52"\nassessment_year = 2020\n'
            b"poverty_line_yuan = 4000\n[thresholds]\nincidence_north = 0.1\n",
        ),
        "unknown key [thresholds] 'incidence_north'",
    ),
    "province code not two digits": (
        _write(
            "batch.toml",
            b'batch_id = "test-2020"\nprovince_code = "5"\nassessment_year = 2020\n'
            b"poverty_line_yuan = 4000\n",
        ),
        "province_code must be 2 digits",
    ),
    "one table in two forms": (
        _also("counties.csv.gz", gzip.compress(b"county_code\n")),
        "found in several forms (counties.csv, counties.csv.gz)",
    ),
    "corrupt workbook": (
        lambda folder: (
            (folder / "counties.csv").unlink(),
            (folder / "counties.xlsx").write_bytes(b"PK\x03\x04 not really a workbook"),
        ),
        "counties.xlsx: unreadable as an Excel workbook",
    ),
    "corrupt gzip": (
        lambda folder: (
            (folder / "counties.csv").unlink(),
            (folder / "counties.csv.gz").write_bytes(b"\x1f\x8b\x08garbage"),
        ),
        "counties.csv.gz: truncated or corrupt gzip stream",
    ),
    "header only whitespace": (_write("counties.csv", b"  \n\n"), "counties.csv: empty file"),
}


@pytest.mark.parametrize("damage, message", CASES.values(), ids=CASES.keys())
def test_unusable_file__exit_2_one_line(folders, batch, damage, message, capsys):
    raw, marts = folders
    damage(write_batch(raw, batch))
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert message in err[0], err[0]
    assert not (marts / "exit_assessment.duckdb").exists()


@pytest.mark.slow
def test_malformed_and_blank_lines__quarantined_with_their_line(folders, batch, capsys):
    raw, marts = folders
    batch["manifest"]["thresholds"]["quarantine_share_max"] = 1.0
    folder = write_batch(raw, batch)
    path = folder / "survey_households.csv"
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    # line 2: blank; line 3: S1; line 4: two fields only; lines 5-7: S2-S4; then a line of
    # delimiters only, which is blank too
    lines = [header, "", rows[0], "S9,AG01", *rows[1:], "," * 19]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["run"]) == 0
    # Every line accounted for: 5 rows read (one quarantined) and 2 blank lines, shown.
    printed = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["survey_households.csv", "5", "1", "2"] in printed
    with duckdb.connect(str(marts / "exit_assessment.duckdb"), read_only=True) as con:
        rejected = con.execute('select line_number, "column", rule from rejected_rows').fetchall()
        surveys = con.execute(
            "select survey_id from survey_household_income order by survey_id"
        ).fetchall()
    assert rejected == [(4, None, "field count: 2 fields, the header has 20")]
    assert surveys == [("S1",), ("S2",), ("S3",), ("S4",)]
    with duckdb.connect(str(marts / "_work" / "test-2020.duckdb"), read_only=True) as con:
        lines = con.execute(
            "select survey_id, line_number from stg_survey_households order by line_number"
        ).fetchall()
    assert lines == [("S1", 3), ("S2", 5), ("S3", 6), ("S4", 7)]
