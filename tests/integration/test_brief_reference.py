"""The announcement of the reference batch says what the November 2020 press release says
(SPEC sections 5 and 3.7), in Chinese and in English, with the published roundings.

The five committed rounds guizhou-2016 .. guizhou-2020 run once for the module (the streak of
zero-error years needs them). Every expected figure and name is the release's or SPEC's."""

from __future__ import annotations

import pytest

from pipeline import warehouse
from pipeline.brief.announcement import announcement_text
from pipeline.cli import main
from tests.golden import EXIT_COUNTIES_2020, INCOME, OVER_LINE, OVER_PROVINCE, PROVINCE

pytestmark = pytest.mark.slow

BATCH = "guizhou-2020"
COUNTIES = EXIT_COUNTIES_2020


@pytest.fixture(scope="module")
def marts(committed_rounds):
    return committed_rounds


@pytest.fixture(scope="module")
def texts(marts):
    with warehouse.connect(marts / "exit_assessment.duckdb", read_only=True) as con:
        return {lang: announcement_text(con, BATCH, lang) for lang in ("zh", "en")}


def test_reference_zh__the_release_in_chinese(texts):
    text = texts["zh"]
    for name in COUNTIES:
        assert name in text, name
    assert "等9个贫困县退出贫困县序列" in text
    assert "标志着贵州省66个贫困县全部实现脱贫摘帽" in text
    assert "3家第三方评估机构" in text
    assert "9个贫困县综合贫困发生率均为0" in text
    assert "错退率、漏评率均为0" in text
    assert "群众认可度为99.12%" in text
    assert "均符合国家贫困县退出标准和要求，3家第三方评估机构均建议退出" in text
    assert "11月16日至22日" in text and "公示期间未收到异议" in text
    assert f"抽样调查脱贫户人均纯收入为{INCOME}元" in text
    assert f"比2020年扶贫标准（4,000元）高{OVER_LINE}元" in text
    assert f"比贵州省建档立卡贫困户人均纯收入{PROVINCE}元高{OVER_PROVINCE}元" in text
    assert "未发现错退、漏评问题" in text
    assert "连续第三年实现零错退、零漏评" in text
    # SPEC 5: 0.85% in 2019, the rounds' registry incidence
    assert "2019年的0.85%" in text
    for claim in ("不予退出", "暂缓退出", "共收到异议", "未达到"):
        assert claim not in text, claim


def test_reference_en__the_release_in_english(texts):
    text = texts["en"]
    for name in COUNTIES:
        assert name in text, name
    assert "Guizhou approved 9 poverty counties" in text
    assert "marking that all 66 poverty counties of Guizhou have exited poverty" in text
    assert "the comprehensive poverty incidence of the 9 counties is 0" in text
    assert "the wrong-exit and missed-evaluation rates are 0" in text
    assert "public acceptance is 99.12%" in text
    assert "All 9 counties meet the national standards and requirements" in text
    assert "all three third-party evaluation agencies recommended their exit" in text
    assert "From November 16 to 22" in text
    assert "no objections were received during the notice period" in text
    assert f"is {INCOME} yuan, {OVER_LINE} yuan above the 2020 poverty line of 4,000 yuan" in text
    assert f"{OVER_PROVINCE} yuan above the provincial average of {PROVINCE} yuan" in text
    assert "found no wrong exit and no missed evaluation" in text
    assert "This is also the third consecutive year of zero wrong exits" in text
    assert "0.85% in 2019" in text
    for claim in ("withheld", "rejected", "objection was received", "objections were received:"):
        assert claim not in text, claim


def test_reference_report__the_announcement_in_text_and_workbook(marts, capsys):
    capsys.readouterr()
    assert main(["report", "--batch", BATCH, "--marts", str(marts), "--lang", "zh"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "  贫困县数：66，已摘帽：66" in lines
    assert "连续第三年实现零错退、零漏评" in lines[lines.index("公告") + 1]
    assert main(["report", "--batch", BATCH, "--marts", str(marts), "--format", "xlsx"]) == 0
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(marts / "briefs" / f"{BATCH}.en.xlsx"))
    summary = {row[2]: row[1] for row in book.get_sheet_by_name("summary").to_python()[1:]}
    assert "third consecutive year" in summary["announcement"]
    assert round(summary["acceptance_rate"] * 100, 2) == 99.12
    counties = book.get_sheet_by_name("counties").to_python()
    assert len(counties) == 1 + 9
    assert {row[0] for row in counties[1:]} >= {"520425", "522633"}
