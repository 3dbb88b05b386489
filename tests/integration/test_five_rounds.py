"""The five rounds of the synthetic province (guizhou-2016 .. guizhou-2020) through the whole
pipeline, at two scales: the committed batches (0.0071) and freshly generated ones (0.002).
Every figure SPEC section 5 gives for the rounds is read from the published marts, rounded as
published; the expected values are SPEC's, never the pipeline's."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipeline.cli import main
from pipeline.generate import generate_history

pytestmark = pytest.mark.slow

ROUNDS = [f"guizhou-{year}" for year in range(2016, 2021)]
# SPEC section 5: poverty counties exited by the end of each round (1, 14, 18, 24, 9 a year)
EXITED = {2016: 1, 2017: 15, 2018: 33, 2019: 57, 2020: 66}
ASSESSED = {2016: 1, 2017: 14, 2018: 18, 2019: 24, 2020: 9}
REMAINING_POOR_2019 = 308_000  # persons, times the scale
COMMITTED_SCALE = 0.0071


@pytest.fixture(scope="module", params=[COMMITTED_SCALE, 0.002], ids=["committed", "0.002"])
def rounds(request, tmp_path_factory):
    scale = request.param
    if scale == COMMITTED_SCALE:
        marts = request.getfixturevalue("committed_rounds")  # run once for the session
    else:
        root = tmp_path_factory.mktemp(f"rounds-{scale}")
        raw, marts = root / "raw", root / "marts"
        generate_history(raw, scale=scale, seed=2020)
        assert sorted(p.name for p in raw.iterdir()) == ROUNDS
        assert main(["run", "--raw", str(raw), "--marts", str(marts)]) == 0
    con = duckdb.connect(str(marts / "exit_assessment.duckdb"), read_only=True)
    yield scale, con
    con.close()


def test_rounds__counties_exited_one_round_after_another(rounds):
    _, con = rounds
    rows = con.execute(
        "select assessment_year, counties_assessed, poverty_counties, poverty_counties_exited "
        "from province_progress order by assessment_year"
    ).fetchall()
    assert rows == [(year, ASSESSED[year], 66, EXITED[year]) for year in EXITED]


def test_rounds__every_assessed_county_meets_and_is_approved(rounds):
    _, con = rounds
    rows = con.execute(
        "select batch_id, verdict, decision, count(*) from county_assessment group by all "
        "order by all"
    ).fetchall()
    assert rows == [
        (f"guizhou-{year}", "meets", "approved", ASSESSED[year]) for year in sorted(ASSESSED)
    ]


def test_rounds__remaining_poor_and_incidence_at_the_end_of_2019(rounds):
    scale, con = rounds
    remaining, incidence = con.execute(
        "select remaining_poor, registry_incidence from province_progress "
        "where batch_id = 'guizhou-2019'"
    ).fetchone()
    assert remaining == round(REMAINING_POOR_2019 * scale)
    assert f"{incidence * 100:.2f}%" == "0.85%"
    # the same figure from the 2020 registry alone: persons in poverty at the end of 2019
    (in_2019,) = con.execute(
        "select persons_in_poverty from poverty_trajectory "
        "where batch_id = 'guizhou-2020' and year = 2019"
    ).fetchone()
    assert in_2019 == round(REMAINING_POOR_2019 * scale)


def test_rounds__wrong_exits_found_in_2017_only_so_three_zero_error_years(rounds):
    _, con = rounds
    found = dict(
        (year, (wrong, missed))
        for year, wrong, missed in con.execute(
            "select assessment_year, wrong_exit_persons_found, missed_persons_found "
            "from province_progress"
        ).fetchall()
    )
    assert found[2017][0] >= 1
    assert [found[year] for year in (2018, 2019, 2020)] == [(0, 0)] * 3
    (streak,) = con.execute(
        "select zero_error_years from province_progress where assessment_year = 2020"
    ).fetchone()
    assert streak == 3


def test_rounds__the_2020_agencies_notice_and_decisions(rounds):
    _, con = rounds
    row = con.execute(
        "select agencies, agencies_recommending, public_notice_start, public_notice_end, "
        "counties_approved from batch_summary where batch_id = 'guizhou-2020'"
    ).fetchone()
    assert row == (3, 3, dt.date(2020, 11, 16), dt.date(2020, 11, 22), 9)


def test_rounds__2020_still_reproduces_the_press_release(rounds):
    _, con = rounds
    row = con.execute(
        "select acceptance_rate, exited_sample_income, income_over_line, "
        "province_registry_income, income_over_province from batch_summary "
        "where batch_id = 'guizhou-2020'"
    ).fetchone()
    shown = (f"{row[0] * 100:.2f}", *(f"{value:,.2f}" for value in row[1:]))
    assert shown == ("99.12", "11,487.39", "7,487.39", "9,925.38", "1,562.01")
    (worst,) = con.execute(
        "select max(greatest(comprehensive_incidence, wrong_exit_rate, missed_rate)) "
        "from county_assessment where batch_id = 'guizhou-2020'"
    ).fetchone()
    assert f"{worst * 100:.2f}" == "0.00"
