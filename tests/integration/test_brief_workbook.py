"""The office workbook (`povexit report --format xlsx`) read back with python-calamine: its
sheets, headers in either language, typed cells, the quarantine masked, the header row frozen
and filtered, and the same bytes twice.

The tiny batch, run once for the module, with two changes worked by hand:
- household 529903001001000001's head id number has a wrong check character, so its row is
  quarantined (published anyway: quarantine_share_max 1.0) and shows as `5299**********000X`;
- survey S1 (529901, exited, 3 persons) fails the food guarantee: it is the one row of the
  rectification list, per-capita net income (12,000 + 1,000 + 0 + 500 - 500) / 3 = 4,333.33.
"""

from __future__ import annotations

import re
import time
import zipfile

import pytest
from python_calamine import CalamineWorkbook
from xlsxwriter.utility import xl_col_to_name

from pipeline.cli import main
from tests.batch_builder import default_batch, write_batch

pytestmark = pytest.mark.slow

BAD_ID = "52990319610101000X"  # the check character of this id is 2, not X


@pytest.fixture(scope="module")
def marts(tmp_path_factory):
    root = tmp_path_factory.mktemp("brief_workbook")
    batch = default_batch()
    batch["registry_households"][3]["head_id_number"] = BAD_ID
    batch["survey_households"][0]["food_secure"] = "false"
    batch["manifest"]["thresholds"]["quarantine_share_max"] = 1.0
    write_batch(root / "raw", batch)
    assert main(["run", "--raw", str(root / "raw"), "--marts", str(root)]) == 0
    return root


def workbook(marts, lang: str, tmp_path, name: str = "book.xlsx"):
    path = tmp_path / name
    args = ["report", "--batch", "test-2020", "--marts", str(marts), "--format", "xlsx"]
    assert main([*args, "--lang", lang, "--out", str(path)]) == 0
    return path


def sheets(path) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_sheets__one_per_table_an_office_works_from(marts, tmp_path):
    assert list(sheets(workbook(marts, "en", tmp_path))) == [
        "summary",
        "counties",
        "rectification",
        "monitoring",
        "rejected_rows",
    ]
    assert list(sheets(workbook(marts, "zh", tmp_path, "zh.xlsx"))) == [
        "汇总",
        "各县评估",
        "整改清单",
        "监测名单",
        "隔离行",
    ]


def test_counties__chinese_headers_codes_as_text_numbers_as_numbers(marts, tmp_path):
    book = sheets(workbook(marts, "zh", tmp_path))
    header, *rows = book["各县评估"]
    assert header[:6] == ["县代码", "县名称", "评估结论", "结论把握度", "退出决定", "决定原因"]
    first = dict(zip(header, rows[0], strict=True))
    assert first["县代码"] == "529901"  # text: the code as written, never 529901.0
    assert first["县名称"] == "甲县"
    assert first["区域"] == "西部"
    # S1 fails food: 3 of 3 exited persons, 100% wrong exits -> fails, rejected
    assert (first["评估结论"], first["退出决定"], first["决定原因"]) == (
        "未达标",
        "不予退出",
        "评估未达标",
    )
    assert first["乡村户籍人口"] == 100 and isinstance(first["乡村户籍人口"], float)
    assert first["错退率"] == 1.0 and first["群众认可度"] == 1.0
    assert first["错退率达标"] is False
    assert first["抽查脱贫户人均纯收入"] == pytest.approx(13000 / 3)
    second = dict(zip(header, rows[1], strict=True))
    assert (second["县代码"], second["评估结论"], second["退出决定"]) == (
        "529902",
        "达标",
        "批准退出",
    )


def test_english_headers_and_values(marts, tmp_path):
    book = sheets(workbook(marts, "en", tmp_path))
    header, first, _ = book["counties"]
    assert header[:6] == ["county", "name", "verdict", "confidence", "decision", "decision reason"]
    assert first[:5] == ["529901", "甲县", "fails", first[3], "rejected"]
    assert first[3].endswith("_fails")
    label, value, field = book["summary"][0]
    assert (label, value, field) == ("item", "value", "field")
    summary = {row[2]: row[1] for row in book["summary"][1:]}
    assert summary["batch_id"] == "test-2020"
    assert summary["province_code"] == "52"
    assert summary["poverty_counties"] == 3
    assert summary["exited_sample_income"] == pytest.approx(4600)
    assert "乙县" in summary["announcement"] and "甲县 does not meet" in summary["announcement"]


def test_rectification__codes_as_text_conditions_in_chinese(marts, tmp_path):
    header, *rows = sheets(workbook(marts, "zh", tmp_path))["整改清单"]
    assert header[:5] == ["问卷编号", "县代码", "村代码", "户编号", "样本类型"]
    [row] = [dict(zip(header, row, strict=True)) for row in rows]
    assert (row["问卷编号"], row["县代码"], row["村代码"], row["户编号"]) == (
        "S1",
        "529901",
        "529901001001",
        "529901001001000001",
    )
    assert row["样本类型"] == "已脱贫户"
    assert row["家庭人口数"] == 3
    assert row["人均纯收入"] == pytest.approx(4333.33, abs=0.005)
    assert row["未达标项"] == "愁吃"


def test_rejected_rows__masked_values_only(marts, tmp_path):
    path = workbook(marts, "zh", tmp_path)
    header, *rows = sheets(path)["隔离行"]
    assert header == ["源文件", "源表", "源文件行号", "列", "规则", "值(已脱敏)"]
    found = {(row[0], row[3], row[5]) for row in rows}
    assert ("registry_households.csv", "head_id_number", "5299**********000X") in found
    assert all(isinstance(row[2], float) for row in rows)  # line numbers are numbers
    # no id number of the batch anywhere in the workbook's bytes
    with zipfile.ZipFile(path) as book:
        text = "".join(book.read(name).decode("utf-8") for name in book.namelist())
    ids = {m["id_number"] for m in default_batch()["registry_members"]} | {BAD_ID}
    assert [value for value in ids if value in text] == []
    assert "张三" not in text  # the names neither


def _cell_formats(book: zipfile.ZipFile, sheet: str, row: int) -> dict[str, str]:
    """{column letter: the number format of that cell of `row`} in one sheet's XML."""
    styles = book.read("xl/styles.xml").decode("utf-8")
    codes = dict(re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles))
    xfs = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles)[1]
    formats = [codes.get(n, "General") for n in re.findall(r'<xf numFmtId="(\d+)"', xfs)]
    xml = book.read(f"xl/worksheets/{sheet}.xml").decode("utf-8")
    return {
        column: formats[int(style or 0)]
        for column, style in re.findall(rf'<c r="([A-Z]+){row}"(?: s="(\d+)")?', xml)
    }


def test_every_sheet__header_frozen_and_filtered_cells_formatted(marts, tmp_path):
    path = workbook(marts, "en", tmp_path)
    with zipfile.ZipFile(path) as book:
        names = sorted(n for n in book.namelist() if n.startswith("xl/worksheets/sheet"))
        assert len(names) == 5
        for name in names:
            xml = book.read(name).decode("utf-8")
            assert re.search(r'<pane [^>]*ySplit="1"[^>]*state="frozen"', xml), name
            assert "<autoFilter " in xml, name
            assert "<cols>" in xml, name  # widths set
        shown = _cell_formats(book, "sheet2", 2)  # counties, the first county
    header = sheets(path)["counties"][0]
    column = {name: xl_col_to_name(header.index(name)) for name in header}
    assert shown[column["county"]] == "@"
    assert shown[column["wrong-exit"]] == "0.00%"
    assert shown[column["accept"]] == "0.00%"
    assert shown[column["income"]] == "#,##0.00"
    assert shown[column["rural population"]] == "#,##0"


def test_same_marts__same_bytes(marts, tmp_path):
    first = workbook(marts, "zh", tmp_path, "first.xlsx").read_bytes()
    time.sleep(1.1)  # past a second: a creation time stamped "now" would differ
    assert workbook(marts, "zh", tmp_path, "second.xlsx").read_bytes() == first
