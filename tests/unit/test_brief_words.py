"""The brief's words without a pipeline run: how the announcement writes numbers, dates and
names; what it says on marts built by hand (no province tables, an objection pending, an
agency that does not recommend); and how a brief file is put in place."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipeline.brief import labels
from pipeline.brief.announcement import (
    announcement_text,
    en_ordinal,
    en_period,
    rate,
    zh_number,
    zh_period,
)
from pipeline.brief.output import write_atomically
from pipeline.errors import InputError
from pipeline.schemas.registry import TABLES, ddl


@pytest.mark.parametrize(
    "value, shown",
    [
        (0.0, "0"),
        (0.00004, "0"),  # 0.004% rounds to 0.00%: the release writes 0
        (0.9912007726150874, "99.12%"),
        (0.0085, "0.85%"),
        (1.0, "100.00%"),
        (None, "n/a"),
    ],
)
def test_rate__zero_reads_0_others_a_percentage_with_2_decimals(value, shown):
    assert rate(value) == shown


@pytest.mark.parametrize(
    "start, end, zh, en",
    [
        ((2020, 11, 16), (2020, 11, 22), "11月16日至22日", "November 16 to 22"),
        ((2020, 11, 26), (2020, 12, 2), "11月26日至12月2日", "November 26 to December 2"),
        (
            (2020, 12, 28),
            (2021, 1, 3),
            "2020年12月28日至2021年1月3日",
            "December 28, 2020 to January 3, 2021",
        ),
    ],
)
def test_notice_period__as_the_release_writes_it(start, end, zh, en):
    start, end = dt.date(*start), dt.date(*end)
    assert zh_period(start, end, 2020) == zh
    assert en_period(start, end, 2020) == en


def test_numbers_in_words():
    assert [zh_number(n) for n in (1, 3, 10, 12, 20, 21, 99)] == [
        "一", "三", "十", "十二", "二十", "二十一", "九十九",
    ]  # fmt: skip
    assert [en_ordinal(n) for n in (2, 3, 12, 13, 21, 22, 103)] == [
        "second", "third", "twelfth", "13th", "21st", "22nd", "103rd",
    ]  # fmt: skip


def test_province__english_name_only_for_the_province_the_code_names():
    assert labels.province("52", "贵州省", "en") == "Guizhou"
    assert labels.province("52", "贵州省", "zh") == "贵州省"
    assert labels.province("52", "测试省", "en") == "测试省"  # a test province keeps its name


def test_cli_choices__the_forms_and_languages_the_brief_writes():
    from pipeline import cli
    from pipeline.brief import output

    assert cli.REPORT_FORMATS == output.FORMATS
    assert set(cli.REPORT_LANGS) == set(labels.LANGS)


def test_headers__registry_label_in_chinese_short_header_in_english():
    assert labels.header("county_assessment", "county_code", "zh") == "县代码"
    assert labels.header("county_assessment", "verdict_confidence", "zh") == "结论把握度"
    assert labels.header("county_assessment", "county_code", "en") == "county"
    assert labels.value("decision", "withheld", "zh") == "暂缓退出"
    assert labels.value("decision", "withheld", "en") == "withheld"
    assert labels.conditions("income,food", "zh") == "收入未达标、愁吃"


# --- the announcement on marts built by hand ------------------------------------------------


def _insert(con, table: str, **values) -> None:
    names = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join("?" for _ in values)
    con.execute(f'insert into "{table}" ({names}) values ({marks})', list(values.values()))


def _county(con, code: str, name: str, **values) -> None:
    row = {
        "batch_id": "hand-2020",
        "county_code": code,
        "county_name": name,
        "poverty_county": True,
        "registered_persons": 100,
        "comprehensive_incidence": 0.0,
        "incidence_max": 0.03,
        "passes_incidence": True,
        "wrong_exit_rate": 0.0,
        "wrong_exit_rate_max": 0.02,
        "passes_wrong_exit_rate": True,
        "missed_rate": 0.0,
        "missed_rate_max": 0.02,
        "passes_missed_rate": True,
        "acceptance_rate": 0.95,
        "acceptance_rate_min": 0.9,
        "passes_acceptance_rate": True,
        "verdict": "meets",
        "decision": "approved",
        "agencies": 1,
        "agencies_recommending": 1,
        "objections_received": 0,
        "objections_upheld": 0,
        "objections_pending": 0,
        "objections_outside_notice": 0,
        "sampled_exited_persons_failing": 0,
        "sampled_non_registered_persons_failing": 0,
    }
    _insert(con, "county_assessment", **(row | values))


@pytest.fixture
def hand_marts():
    """A batch of two counties in marts without province_progress and poverty_trajectory (as
    published before SPEC 3.7): 甲县 meets and is approved; 乙县 meets but an objection to it
    is pending, and agency B2 did not recommend it."""
    con = duckdb.connect(":memory:")
    for name in ("batch_summary", "county_assessment", "agency_findings"):
        con.execute(ddl(TABLES[name]))
    _insert(
        con,
        "batch_summary",
        batch_id="hand-2020",
        province_code="52",
        province_name="贵州省",
        assessment_year=2020,
        poverty_line_yuan=4000,
        counties_assessed=2,
        counties_meeting=2,
        acceptance_rate=0.95,
        exited_sample_income=5000.0,
        income_over_line=1000.0,
        province_registry_income=4500.0,
        income_over_province=500.0,
        poverty_counties=10,
        poverty_counties_exited=9,
        agencies=2,
        agencies_recommending=1,
        households_to_monitor=0,
        counties_approved=1,
        public_notice_start=dt.date(2020, 11, 16),
        public_notice_end=dt.date(2020, 11, 22),
        wrong_exit_persons_found=0,
        missed_persons_found=0,
    )
    _county(con, "520101", "甲县")
    _county(
        con,
        "520102",
        "乙县",
        decision="withheld",
        decision_reason="agency_not_recommending",
        agencies=2,
        objections_received=1,
        objections_pending=1,
    )
    for agency, county, recommends in [
        ("B1", "520101", True),
        ("B1", "520102", True),
        ("B2", "520102", False),
    ]:
        _insert(
            con,
            "agency_findings",
            batch_id="hand-2020",
            agency_code=agency,
            county_code=county,
            recommends_exit=recommends,
        )
    yield con
    con.close()


def test_announcement__withheld_county_reasons_and_no_claims_beyond_the_marts(hand_marts):
    zh = announcement_text(hand_marts, "hand-2020", "zh")
    assert "贵州省批准甲县退出贫困县序列" in zh
    assert "贵州省10个贫困县中已有9个脱贫摘帽，尚有1个未摘帽" in zh
    assert "乙县达到退出标准，但B2未建议其退出，尚有异议1件待核查，暂缓退出" in zh
    assert "共收到异议1件：乙县1件（待核查1件）" in zh
    assert "2家第三方评估机构中有1家建议其评估的各县全部退出，B2未建议乙县退出" in zh
    for claim in ("全部实现脱贫摘帽", "均建议退出", "未收到异议", "连续"):
        assert claim not in zh, claim

    en = announcement_text(hand_marts, "hand-2020", "en")
    assert "Guizhou approved 甲县 to exit the list of poverty counties" in en
    assert "9 of the 10 poverty counties of Guizhou have now exited poverty, and 1 remains" in en
    assert "乙县 meets the standard but its exit is withheld" in en
    assert "B2 did not recommend its exit" in en and "1 objection to it is still pending" in en
    assert "1 objection was received: 乙县 1 (1 pending)" in en
    for claim in ("all 10", "recommended their exit", "no objections", "consecutive"):
        assert claim not in en, claim


def test_announcement__a_batch_that_is_not_published_is_one_clear_error(hand_marts):
    with pytest.raises(InputError, match="no published batch 'other-2020'"):
        announcement_text(hand_marts, "other-2020", "en")


# --- putting a file in place -----------------------------------------------------------------


def test_write_atomically__the_file_appears_whole_and_no_temporary_stays(tmp_path):
    target = tmp_path / "briefs" / "a.en.xlsx"
    write_atomically(target, lambda path: path.write_bytes(b"new"))
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.en.xlsx"]


def test_write_atomically__a_failed_write_leaves_the_previous_file(tmp_path):
    target = tmp_path / "a.en.html"
    target.write_bytes(b"old")

    def fail(path):
        path.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(target, fail)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.en.html"]


def test_write_atomically__an_unwritable_place_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write there"):
        write_atomically(blocker / "a.xlsx", lambda path: path.write_bytes(b""))
