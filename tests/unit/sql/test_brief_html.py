"""The HTML brief (`pipeline.brief.html`) on the hand-built batch of `mart_batch`, whose counties
meet, fail, lack data and lack registry rows: every section renders, text is escaped, the
quarantine shows counts only, nothing could be fetched, and sections whose mart is missing (an
older publish) are left out. The page in a real browser: tests/integration/test_brief_browser.py.
"""

from __future__ import annotations

import re

import duckdb
import pytest
from mart_batch import MANIFEST, build_marts

from pipeline.brief.html import render_html
from pipeline.publish import build_province_tables
from pipeline.schemas.registry import TABLES, ddl

# Charts rendered through vl-convert: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow

BATCH = MANIFEST["batch_id"]
HOSTILE_NAME = "<script>alert(1)</script>甲县"
SECRET = "SECRET-MASKED-VALUE-520101"
ALL_SECTIONS = {
    "headline",
    "announcement",
    "counties",
    "indicators",
    "income",
    "guarantees",
    "agencies",
    "history",
    "quarantine",
    "lists",
}


def _published(con: duckdb.DuckDBPyConnection) -> None:
    """What a publish adds to the marts layer: the quarantine and the province tables."""
    con.execute(ddl(TABLES["rejected_rows"]))
    con.executemany(
        "insert into rejected_rows values (?, ?, ?, ?, ?, ?, ?)",
        [
            (BATCH, "registry_members.csv", "registry_members", 7, "resident_id", "format", SECRET),
            (BATCH, "registry_members.csv", "registry_members", 9, "resident_id", "format", SECRET),
            (BATCH, "survey_households.csv", "survey_households", 3, "", "duplicate", SECRET),
        ],
    )
    build_province_tables(con)


@pytest.fixture(scope="module")
def marts():
    con = build_marts(MANIFEST)
    _published(con)
    con.execute("update county_assessment set county_name = ? where county_code = '520101'",
                [HOSTILE_NAME])  # fmt: skip
    yield con
    con.close()


@pytest.fixture(scope="module")
def pages(marts) -> dict[str, str]:
    return {lang: render_html(marts, BATCH, lang) for lang in ("zh", "en")}


def sections(page: str) -> set[str]:
    return set(re.findall(r'<section id="([a-z]+)"', page))


def test_brief__every_section_of_a_mixed_batch(pages):
    for page in pages.values():
        assert sections(page) == ALL_SECTIONS
        assert page.count("<svg") == 4  # indicators, income, guarantees, history
    zh, en = pages["zh"], pages["en"]
    # a county that fails, one with insufficient data, as the other formats word them
    assert "未达标" in zh and "数据不足" in zh
    assert "fails" in en and "insufficient data" in en
    assert '<html lang="zh-CN">' in zh and '<html lang="en">' in en


def test_brief__escapes_every_text(pages):
    for page in pages.values():
        assert "<script" not in page.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;甲县" in page


def test_brief__quarantine_shows_counts_never_values(pages):
    page = pages["en"]
    assert SECRET not in page
    quarantine = page[page.index('<section id="quarantine"') :]
    quarantine = quarantine[: quarantine.index("</section>")]
    # two findings on two lines of one file, column and rule; one whole-row finding
    assert re.search(r"registry_members\.csv</td><td>resident_id</td><td>format</td>"
                     r'<td class="num">2</td><td class="num">2</td>', quarantine)  # fmt: skip
    assert "(whole row)" in quarantine


def test_brief__asks_for_nothing_outside_the_page(pages):
    for page in pages.values():
        assert "Content-Security-Policy" in page
        assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page)
        # the only URLs are the SVG namespaces; references point inside the page
        urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
        assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
        assert not re.search(r"""(?:src|href)=["'](?!#)""", page)
        assert not re.search(r"url\((?!#)", page)
        assert "@import" not in page and "@font-face" not in page


def test_brief__svg_ids_are_unique_on_the_page(pages):
    for page in pages.values():
        ids = re.findall(r'\bid="([^"]+)"', page)
        assert len(ids) == len(set(ids))


def test_brief__an_older_publish_leaves_its_missing_sections_out():
    con = build_marts(MANIFEST)
    try:
        # as published before SPEC 3.5 and 3.7: no confidence, no province tables, no lists
        for table in ("indicator_confidence", "agency_findings", "guarantee_compliance",
                      "monitoring_list", "rectification_list"):  # fmt: skip
            con.execute(f"drop table {table}")
        page = render_html(con, BATCH, "en")
    finally:
        con.close()
    # the announcement reads agency_findings
    assert sections(page) == {"headline", "counties", "income"}
    assert "indicator_confidence" not in page


def test_brief__unknown_batch_or_language_is_refused(marts):
    from pipeline.errors import InputError

    with pytest.raises(InputError, match="no published batch"):
        render_html(marts, "nope-2020", "en")
    with pytest.raises(InputError, match="language"):
        render_html(marts, BATCH, "fr")
