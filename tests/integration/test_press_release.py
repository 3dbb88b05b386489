"""The whole pipeline on the committed reference batch re-derives the November 2020 press
release (SPEC section 5), read from the published marts, rounded as published."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from pipeline.cli import main
from pipeline.settings import PROJECT_ROOT
from tests import duckdb_shell

# Whole pipeline runs: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow

BATCH = "guizhou-2020"
# The 9 counties that left the list on 2020-11-23 (GB/T 2260 codes).
EXIT_BATCH = {
    "520425",  # 紫云苗族布依族自治县
    "520525",  # 纳雍县
    "520526",  # 威宁彝族回族苗族自治县
    "520527",  # 赫章县
    "520627",  # 沿河土家族自治县
    "522324",  # 晴隆县
    "522326",  # 望谟县
    "522632",  # 榕江县
    "522633",  # 从江县
}


@pytest.fixture(scope="module")
def marts_file(tmp_path_factory):
    root = tmp_path_factory.mktemp("press_release")
    shutil.copytree(PROJECT_ROOT / "data" / "raw" / BATCH, root / "raw" / BATCH)
    code = main(["run", "--batch", BATCH, "--raw", str(root / "raw"), "--marts", str(root)])
    assert code == 0
    return root / "exit_assessment.duckdb"


@pytest.fixture(scope="module")
def marts(marts_file):
    con = duckdb.connect(str(marts_file), read_only=True)
    yield con
    con.close()


def test_nine_counties__incidence_wrong_exit_missed_zero_and_meet(marts):
    rows = marts.execute(
        "select county_code, comprehensive_incidence, wrong_exit_rate, missed_rate, verdict "
        "from county_assessment where batch_id = ?",
        [BATCH],
    ).fetchall()
    assert {row[0] for row in rows} == EXIT_BATCH
    for code, incidence, wrong_exit, missed, verdict in rows:
        # "the comprehensive poverty incidence ... is 0, the wrong-exit and missed rates are 0"
        assert (round(incidence * 100, 2), round(wrong_exit * 100, 2)) == (0, 0), code
        assert round(missed * 100, 2) == 0, code
        assert verdict == "meets", code


def test_batch_figures__as_published(marts):
    summary = marts.execute(
        """
        select acceptance_rate, exited_sample_income, income_over_line,
            province_registry_income, income_over_province, poverty_counties,
            poverty_counties_exited, counties_assessed, counties_meeting, poverty_line_yuan
        from batch_summary where batch_id = ?
        """,
        [BATCH],
    ).fetchone()
    (acceptance, income, over_line, province, over_province, counties, exited,
     assessed, meeting, line) = summary  # fmt: skip
    assert round(acceptance * 100, 2) == 99.12
    assert round(income, 2) == 11487.39
    assert round(over_line, 2) == 7487.39
    assert round(province, 2) == 9925.38
    assert round(over_province, 2) == 1562.01
    assert (counties, exited) == (66, 66)
    assert (assessed, meeting) == (9, 9)
    assert line == 4000


def test_reference_batch__is_clean(marts):
    assert marts.execute("select count(*) from rejected_rows").fetchone() == (0,)
    assert marts.execute("select count(*) from rectification_list").fetchone() == (0,)


def test_readme_queries__each_gives_rows_in_the_duckdb_shell(marts_file):
    queries = duckdb_shell.readme_queries("data/marts/exit_assessment.duckdb")
    assert len(queries) >= 3
    for sql in queries:
        header, *rows = duckdb_shell.query(marts_file, sql)
        assert header and rows, sql
