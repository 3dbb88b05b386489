"""Several rounds of one province through `povexit run`: decisions, the public notice, and the
cross-batch tables built from what the rounds published. Tiny hand-built batches; the expected
figures are worked out by hand in the comments."""

from __future__ import annotations

import copy

import duckdb
import pytest

from pipeline.cli import main
from tests.batch_builder import objection, write_batch

pytestmark = pytest.mark.slow


def _round(batch: dict, year: int, in_exit: set[str], exit_years: dict[str, int]) -> dict:
    """The tiny batch as the round of `year`: which counties it assesses, which exited before."""
    batch = copy.deepcopy(batch)
    batch["manifest"]["assessment_year"] = year
    batch["manifest"]["public_notice"] = {
        "start": batch["manifest"]["public_notice"]["start"].replace(year=year),
        "end": batch["manifest"]["public_notice"]["end"].replace(year=year),
    }
    for county in batch["counties"]:
        code = county["county_code"]
        county["in_exit_batch"] = "true" if code in in_exit else "false"
        county["exit_year"] = str(exit_years[code]) if code in exit_years else ""
    for survey in batch["survey_households"]:
        survey["survey_date"] = f"{year}-10-20"
    for household in batch["registry_households"]:
        if household["year_exited"] and int(household["year_exited"]) > year:
            household["year_exited"] = str(year)
    return batch


def _rows(marts, sql: str) -> list[tuple]:
    with duckdb.connect(str(marts / "exit_assessment.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_history__a_county_that_fails_exits_a_year_later(folders, batch):
    raw, marts = folders
    # 2019: 529901 and 529902 assessed. 529901's exited household S1 (3 persons) fails the
    # food guarantee: wrong-exit rate 3/3 = 100% -> fails, rejected. 529902 meets, approved.
    # 529903 exited in 2018. Poverty counties 3; exited: 529903 + 529902 = 2.
    first = _round(batch, 2019, {"529901", "529902"}, {"529903": 2018})
    first["survey_households"][0]["food_secure"] = "false"
    write_batch(raw, first, batch_id="t-2019")
    # 2020: 529901 assessed again and meets; 529902 exited 2019. Exited: all 3.
    second = _round(batch, 2020, {"529901"}, {"529903": 2018, "529902": 2019})
    second["survey_households"] = [
        s for s in second["survey_households"] if s["county_code"] == "529901"
    ]
    write_batch(raw, second, batch_id="t-2020")
    assert main(["run"]) == 0  # a failing county is a finding: both rounds publish
    decisions = _rows(
        marts,
        "select batch_id, county_code, verdict, decision, decision_reason "
        "from county_assessment order by all",
    )
    assert decisions == [
        ("t-2019", "529901", "fails", "rejected", "verdict_fails"),
        ("t-2019", "529902", "meets", "approved", None),
        ("t-2020", "529901", "meets", "approved", None),
    ]
    progress = _rows(
        marts,
        "select batch_id, assessment_year, counties_assessed, counties_approved, "
        "poverty_counties, poverty_counties_exited, wrong_exit_persons_found, "
        "missed_persons_found, zero_error_years from province_progress order by all",
    )
    # t-2019 found 3 wrong-exit persons: no zero-error year; t-2020 found none: 1
    assert progress == [
        ("t-2019", 2019, 2, 1, 3, 2, 3, 0, 0),
        ("t-2020", 2020, 1, 1, 3, 3, 0, 0, 1),
    ]


def test_history__an_upheld_objection_withholds_the_county(folders, batch):
    raw, marts = folders
    # 529901 meets, but an objection to it was upheld after checking: withheld. 529902 has a
    # not-upheld objection received after the notice ended: approved, the late one a finding.
    batch["objections"] = [
        objection("OB1", "529901", "2020-11-18", "属实", "张三家 520102197210024863 收入不实"),
        objection("OB2", "529902", "2020-11-25", "not_upheld", "说不清"),
    ]
    write_batch(raw, batch)
    assert main(["run", "--batch", "test-2020"]) == 0
    rows = _rows(
        marts,
        "select county_code, verdict, decision, decision_reason, objections_upheld, "
        "objections_outside_notice from county_assessment order by county_code",
    )
    assert rows == [
        ("529901", "meets", "withheld", "objection_upheld", 1, 0),
        ("529902", "meets", "approved", None, 0, 1),
    ]
    # 529903 exited in 2018, 529902 approved now; 529901 withheld is not exited
    assert _rows(marts, "select poverty_counties_exited from batch_summary") == [(2,)]
    # The summary is never read: nothing of it reaches the marts.
    every_text = _rows(
        marts,
        "select string_agg(cast(columns(*) as varchar), '|') from county_assessment",
    )
    assert "张三" not in str(every_text) and "收入不实" not in str(every_text)


def test_history__no_public_notice_withholds_every_meeting_county(folders, batch):
    raw, marts = folders
    del batch["manifest"]["public_notice"]
    batch["objections"] = None  # and no objections file at all
    write_batch(raw, batch)
    assert main(["run", "--batch", "test-2020"]) == 0
    rows = _rows(marts, "select distinct decision, decision_reason from county_assessment")
    assert rows == [("withheld", "no_public_notice")]


def test_objections__one_unreadable_objection_blocks_the_batch(folders, batch, capsys):
    raw, marts = folders
    # One of two objections has a status nobody can act on: nothing may be published, even
    # though 1 row is under no share threshold a registry file would have.
    batch["manifest"]["thresholds"]["quarantine_share_max"] = 0.9
    batch["objections"] = [
        objection("OB1", "529901", "2020-11-18", "not_upheld"),
        objection("OB2", "529902", "2020-11-19", "maybe", "王五 说 520102197210024863"),
    ]
    write_batch(raw, batch)
    assert main(["run", "--batch", "test-2020"]) == 1
    captured = capsys.readouterr()
    assert "any quarantined row of objections blocks the batch" in captured.err
    assert not (marts / "exit_assessment.duckdb").exists()
    assert "王五" not in captured.out + captured.err
    assert "520102197210024863" not in captured.out + captured.err


def test_objections__chinese_headers_and_labels_in_a_workbook(folders, batch):
    import xlsxwriter

    raw, marts = folders
    batch["objections"] = None
    folder = write_batch(raw, batch)
    book = xlsxwriter.Workbook(str(folder / "objections.xlsx"))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["异议编号", "县代码", "受理日期", "核查结果", "内容摘要"])
    sheet.write_row(1, 0, ["OB1", "529902", "2020-11-17", "待核查", "李四反映"])
    book.close()
    assert main(["run", "--batch", "test-2020"]) == 0
    rows = _rows(
        marts, "select county_code, decision, decision_reason from county_assessment order by 1"
    )
    assert rows == [("529901", "approved", None), ("529902", "withheld", "objection_pending")]


def test_objections__a_gb18030_summary_leaves_no_copy_behind(folders, batch):
    raw, marts = folders
    batch["objections"] = [
        objection("OB1", "529901", "2020-11-18", "not_upheld", "王五 SECRETNOTE")
    ]
    folder = write_batch(raw, batch)
    path = folder / "objections.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    assert main(["run", "--batch", "test-2020"]) == 0
    # read through a UTF-8 copy while validating; never read, never left in the marts folder
    for written in marts.rglob("*"):
        if written.is_file():
            data = written.read_bytes()
            assert b"SECRETNOTE" not in data, written
            assert "王五".encode("gb18030") not in data and "王五".encode() not in data, written


def test_quarantined_values__do_not_stay_in_the_working_database(folders, batch):
    raw, marts = folders
    # an id number typed into an objection id: quarantined (masked), and not kept unmasked
    # in the batch's working database either
    batch["objections"] = [objection("520102197210024863", "529901", "2020-11-18", "pending")]
    write_batch(raw, batch)
    assert main(["run", "--batch", "test-2020"]) == 1
    [working] = (marts / "_work").glob("*.duckdb")
    assert b"520102197210024863" not in working.read_bytes()
    with duckdb.connect(str(working), read_only=True) as con:
        masked = con.execute("select masked_value from rejected_rows").fetchall()
    assert masked == [("5201**********4863",)]


@pytest.mark.parametrize(
    ("table", "column"),
    [("survey_households", "agency_code"), ("registry_households", "village_code")],
)
def test_quarantined_values__no_bytes_of_them_in_the_working_database(
    folders, batch, table, column
):
    raw, marts = folders
    # an id number typed into a code column of a large table: the row is quarantined, and
    # the value as read is never written to the working database file (the check's table
    # of every row is a temp table; only accepted rows' staged columns are stored)
    batch[table][0][column] = "520102197210024863"
    write_batch(raw, batch)
    assert main(["run", "--batch", "test-2020"]) in (0, 1)
    [working] = (marts / "_work").glob("*.duckdb")
    assert b"520102197210024863" not in working.read_bytes()
    with duckdb.connect(str(working), read_only=True) as con:
        shown = con.execute(
            'select masked_value from rejected_rows where source_table = ? and "column" = ?',
            [table, column],
        ).fetchall()
    assert ("5201**********4863",) in shown
