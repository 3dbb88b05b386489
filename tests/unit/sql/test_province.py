"""The cross-batch tables (sql/province/) on hand-built published marts: batch_summary and
registry_cohorts rows written directly, every expected figure worked out by hand below."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.contracts import table_problems
from pipeline.publish import build_province_tables
from pipeline.schemas.registry import TABLES, ddl


def _marts(summaries: list[dict], cohorts: list[dict]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(ddl(TABLES["batch_summary"]))
    con.execute(ddl(TABLES["registry_cohorts"]))
    for table, rows in (("batch_summary", summaries), ("registry_cohorts", cohorts)):
        for row in rows:
            names = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            con.execute(f"insert into {table} ({names}) values ({marks})", list(row.values()))
    build_province_tables(con)
    return con


def _summary(batch_id, province, year, wrong=0, missed=0, **more) -> dict:
    return {
        "batch_id": batch_id,
        "province_code": province,
        "assessment_year": year,
        "wrong_exit_persons_found": wrong,
        "missed_persons_found": missed,
        **more,
    }


def _streaks(con) -> dict[str, int]:
    return dict(con.execute("select batch_id, zero_error_years from province_progress").fetchall())


def test_zero_error_years__a_streak_broken_and_restarted():
    # 52: 2016 clean (1); 2017 finds 3 wrong-exit persons (0); 2018, 2019, 2020 clean (1, 2, 3)
    con = _marts(
        [
            _summary("p52-2016", "52", 2016),
            _summary("p52-2017", "52", 2017, wrong=3),
            _summary("p52-2018", "52", 2018),
            _summary("p52-2019", "52", 2019),
            _summary("p52-2020", "52", 2020),
        ],
        [],
    )
    assert _streaks(con) == {
        "p52-2016": 1,
        "p52-2017": 0,
        "p52-2018": 1,
        "p52-2019": 2,
        "p52-2020": 3,
    }


def test_zero_error_years__a_missed_person_breaks_it_too():
    con = _marts(
        [_summary("a-2019", "52", 2019), _summary("a-2020", "52", 2020, missed=4)],
        [],
    )
    assert _streaks(con) == {"a-2019": 1, "a-2020": 0}


def test_zero_error_years__a_year_without_a_batch_ends_the_count():
    # 53 has 2017, then no 2018, then 2019 and 2020: the run restarts in 2019
    con = _marts(
        [
            _summary("p53-2017", "53", 2017),
            _summary("p53-2019", "53", 2019),
            _summary("p53-2020", "53", 2020),
        ],
        [],
    )
    assert _streaks(con) == {"p53-2017": 1, "p53-2019": 1, "p53-2020": 2}


def test_zero_error_years__provinces_and_same_year_batches():
    # Province 54 has two 2019 batches, one with errors: 2019 is not error-free, so both 2019
    # batches count 0 and 2020 starts again at 1. Province 52's clean years are its own.
    con = _marts(
        [
            _summary("p54-2019a", "54", 2019),
            _summary("p54-2019b", "54", 2019, wrong=1),
            _summary("p54-2020", "54", 2020),
            _summary("p52-2019", "52", 2019),
            _summary("p52-2020", "52", 2020),
        ],
        [],
    )
    assert _streaks(con) == {
        "p54-2019a": 0,
        "p54-2019b": 0,
        "p54-2020": 1,
        "p52-2019": 1,
        "p52-2020": 2,
    }


def test_zero_error_years__unknown_counts_are_not_error_free():
    # a round with no survey (counts null) says nothing about errors: the run stops there
    con = _marts(
        [
            _summary("a-2018", "52", 2018),
            _summary("a-2019", "52", 2019, wrong=None, missed=None),
            _summary("a-2020", "52", 2020),
        ],
        [],
    )
    assert _streaks(con) == {"a-2018": 1, "a-2019": 0, "a-2020": 1}


def test_province_progress__carries_the_batch_figures():
    con = _marts(
        [
            _summary(
                "a-2020",
                "52",
                2020,
                province_name="测试省",
                counties_assessed=2,
                counties_meeting=2,
                counties_approved=1,
                poverty_counties=3,
                poverty_counties_exited=2,
                rural_population=1000,
                registered_persons=100,
                remaining_poor=5,
                registry_incidence=0.005,
            )
        ],
        [],
    )
    row = con.execute(
        "select counties_approved, poverty_counties_exited, remaining_poor, registry_incidence "
        "from province_progress"
    ).fetchone()
    assert row == (1, 2, 5, pytest.approx(0.005))
    assert table_problems(con, TABLES["province_progress"]) == []


def _cohort(batch_id, status, registered, exited, persons) -> dict:
    return {
        "batch_id": batch_id,
        "poverty_status": status,
        "year_registered": registered,
        "year_exited": exited,
        "households": 1,
        "persons": persons,
    }


def test_poverty_trajectory__with_returned_households():
    # A 2018 snapshot:
    #   10 persons registered 2014, exited 2016 -> poor at the end of 2014, 2015
    #    5 persons registered 2015, exited 2018 -> poor at the end of 2015, 2016, 2017
    #    3 persons registered 2014, still poor  -> poor 2014..2018
    #    4 persons registered 2016, returned    -> poor 2016..2018 (from registration on)
    # end of 2014: 10 + 3 = 13; 2015: 10 + 5 + 3 = 18; 2016: 5 + 3 + 4 = 12;
    # 2017: 5 + 3 + 4 = 12; 2018: 3 + 4 = 7
    con = _marts(
        [_summary("a-2018", "52", 2018)],
        [
            _cohort("a-2018", "exited", 2014, 2016, 10),
            _cohort("a-2018", "exited", 2015, 2018, 5),
            _cohort("a-2018", "poor", 2014, None, 3),
            _cohort("a-2018", "returned", 2016, None, 4),
        ],
    )
    rows = con.execute(
        "select year, persons_in_poverty from poverty_trajectory order by year"
    ).fetchall()
    assert rows == [(2014, 13), (2015, 18), (2016, 12), (2017, 12), (2018, 7)]
    assert table_problems(con, TABLES["poverty_trajectory"]) == []


def test_poverty_trajectory__each_batch_from_its_own_snapshot():
    # The 2019 snapshot still has the household poor; the 2020 one says it exited in 2019.
    con = _marts(
        [_summary("a-2019", "52", 2019), _summary("a-2020", "52", 2020)],
        [
            _cohort("a-2019", "poor", 2019, None, 6),
            _cohort("a-2020", "exited", 2019, 2019, 6),
        ],
    )
    rows = con.execute(
        "select batch_id, year, persons_in_poverty from poverty_trajectory order by all"
    ).fetchall()
    assert rows == [("a-2019", 2019, 6), ("a-2020", 2019, 0), ("a-2020", 2020, 0)]
