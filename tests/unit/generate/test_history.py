"""The five rounds `guizhou-2016` .. `guizhou-2020` of one synthetic province (SPEC section 5,
second paragraph), checked from the generated CSVs with the SPEC formulas (figures.py)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import itertools
import math
from pathlib import Path

import pytest

from pipeline.cli import main as povexit
from pipeline.generate import generate_batch, generate_history
from pipeline.generate.counties import (
    GUIZHOU,
    county_frame,
    fit_rural_total,
    registry_households_target,
    scaled_rural_population,
)
from pipeline.generate.households import MEAN_SIZE, draw_households
from tests.unit.generate.conftest import YEARS
from tests.unit.generate.figures import (
    assessments,
    connect,
    manifest,
    poverty_counties_exited,
    province_figures,
    trajectory,
)

# Five rounds written per scale: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow

SCALES = [0.002, 0.0071]
REFERENCE = Path(__file__).resolve().parents[3] / "pipeline/reference/guizhou_counties.csv"
LINES = {2016: 3146, 2017: 3335, 2018: 3535, 2019: 3747, 2020: 4000}
EXITS = {2016: 1, 2017: 14, 2018: 18, 2019: 24, 2020: 9}
CUMULATIVE_EXITS = {2016: 1, 2017: 15, 2018: 33, 2019: 57, 2020: 66}
OBJECTIONS_HEADER = "objection_id,county_code,received_date,status,summary\n"


def poor_at_end_of_2019(scale: float) -> int:
    """308,000 x scale, rounded (half up)."""
    return math.floor(308_000 * scale + 0.5)


def reference_exits() -> dict[str, int | None]:
    with REFERENCE.open(encoding="utf-8", newline="") as handle:
        return {
            row["county_code"]: int(row["exit_year"]) if row["exit_year"] else None
            for row in csv.DictReader(handle)
        }


@pytest.fixture(scope="module", params=SCALES)
def scale(request) -> float:
    return request.param


@pytest.fixture(scope="module")
def rounds(history, scale) -> dict[int, Path]:
    return history(scale)


def test_five_folders_each_with_six_files(rounds):
    assert [folder.name for folder in rounds.values()] == [f"guizhou-{y}" for y in YEARS]
    for folder in rounds.values():
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            ["batch.toml", "counties.csv", "registry_households.csv", "registry_members.csv",
             "survey_households.csv", "objections.csv"]
        )  # fmt: skip
        # an optional table, header only: no objection during the public notice
        assert (folder / "objections.csv").read_text(encoding="utf-8") == OBJECTIONS_HEADER


def test_manifests__year_line_and_public_notice(rounds):
    for year, folder in rounds.items():
        doc = manifest(folder)
        assert doc["batch_id"] == f"guizhou-{year}" and doc["province_code"] == "52"
        assert doc["assessment_year"] == year
        assert doc["poverty_line_yuan"] == LINES[year]
        start, end = doc["public_notice"]["start"], doc["public_notice"]["end"]
        assert type(start) is dt.date and type(end) is dt.date  # TOML dates, not strings
        assert (end - start).days == 6 and start.year == end.year == year
        last_survey = connect(folder).execute("select max(survey_date) from survey_households")
        assert dt.date.fromisoformat(last_survey.fetchone()[0]) < start
    notice = manifest(rounds[2020])["public_notice"]
    assert (notice["start"], notice["end"]) == (dt.date(2020, 11, 16), dt.date(2020, 11, 22))


def test_counties__exits_by_round(rounds):
    exits = reference_exits()
    populations = set()
    for year, folder in rounds.items():
        con = connect(folder)
        rows = con.execute(
            "select county_code, exit_year, in_exit_batch, rural_population from counties"
        ).fetchall()
        assert len(rows) == 88
        for code, exit_year, in_batch, _ in rows:
            assert in_batch == ("true" if exits[code] == year else "false"), (year, code)
            earlier = exits[code] is not None and exits[code] < year
            assert exit_year == (str(exits[code]) if earlier else None), (year, code)
        assert sum(in_batch == "true" for _, _, in_batch, _ in rows) == EXITS[year]
        assert poverty_counties_exited(con) == CUMULATIVE_EXITS[year]
        populations.add(tuple((code, rural) for code, _, _, rural in rows))
    assert len(populations) == 1  # the same rural populations every round


def test_every_assessed_county_meets__and_every_agency_recommends(rounds):
    for year, folder in rounds.items():
        found = assessments(connect(folder), LINES[year])
        counties = {a.county_code for a in found if a.agency_code is None}
        assert len(counties) == EXITS[year], year
        for assessment in found:
            # county-wide (SPEC 3.4) and on each agency's own households (SPEC 3.6)
            assert assessment.meets, (year, assessment)


def test_agencies_by_round(rounds):
    agencies = {
        year: {
            row[0]
            for row in connect(folder)
            .execute("select distinct agency_code from survey_households")
            .fetchall()
        }
        for year, folder in rounds.items()
    }
    assert agencies[2020] == {"AG01", "AG02", "AG03"}
    assert all(2 <= len(codes) <= 3 for codes in agencies.values())


def test_wrong_exits_only_in_2017__never_missed(rounds):
    for year, folder in rounds.items():
        found = [a for a in assessments(connect(folder), LINES[year]) if a.agency_code is None]
        wrong = sum(a.wrong_exit_persons for a in found)
        assert sum(a.missed_persons for a in found) == 0, year
        if year == 2017:
            assert wrong >= 1
            assert all(a.wrong_exit_rate < 0.02 for a in found)
        else:
            assert wrong == 0, year


def test_remaining_poor_2019__exact_and_0_85_percent(rounds, scale):
    figures = province_figures(connect(rounds[2019]))
    assert figures["remaining_poor"] == poor_at_end_of_2019(scale)
    assert round(100 * figures["registry_incidence"], 2) == 0.85
    assert 0.00845 < figures["registry_incidence"] < 0.00855
    assert figures["rural_population"] > 36_030_000 * scale


def test_trajectory_of_2020__ends_2019_at_the_2019_round_and_falls_every_year(rounds, scale):
    persons = trajectory(connect(rounds[2020]), range(2014, 2021))
    assert persons[2019] == poor_at_end_of_2019(scale)
    values = [persons[year] for year in range(2014, 2020)]
    assert all(earlier > later for earlier, later in itertools.pairwise(values))
    # plausible: millions at full scale, 6.2 at the end of 2014 (the registry's count)
    assert 5.5e6 * scale < persons[2014] < 7e6 * scale
    # and the registry's own remaining poor falls from round to round
    remaining = [province_figures(connect(folder))["remaining_poor"] for folder in rounds.values()]
    assert all(earlier > later for earlier, later in itertools.pairwise(remaining))


def test_poor_in_2019__exactly_the_poor_of_2020_and_its_exits(rounds):
    """The households poor or returned in the 2019 round are exactly those that in 2020 are
    poor or returned or exited in 2020 (so both give the same persons, SPEC 3.7)."""
    in_2019 = {
        row[0]
        for row in connect(rounds[2019])
        .execute(
            "select household_id from registry_households "
            "where poverty_status in ('poor', 'returned')"
        )
        .fetchall()
    }
    in_2020 = {
        row[0]
        for row in connect(rounds[2020])
        .execute(
            "select household_id from registry_households where year_registered::int <= 2019 "
            "and (year_exited is null or year_exited::int > 2019)"
        )
        .fetchall()
    }
    assert in_2019 == in_2020


def _households(folder: Path) -> dict[str, tuple]:
    rows = connect(folder).execute("select * from registry_households").fetchall()
    return {row[0]: row for row in rows}


def _members(folder: Path) -> dict[str, list[tuple]]:
    by_household: dict[str, list[tuple]] = {}
    for row in connect(folder).execute("select * from registry_members order by all").fetchall():
        by_household.setdefault(row[0], []).append(row)
    return by_household


def test_snapshots__same_households_and_persons_with_status_as_of_the_year(rounds):
    previous_households, previous_members = None, None
    first_survey = {}
    for year, folder in rounds.items():
        first_survey[year] = dt.date.fromisoformat(
            connect(folder).execute("select min(survey_date) from survey_households").fetchone()[0]
        )
    for year, folder in rounds.items():
        households, members = _households(folder), _members(folder)
        assert set(members) == set(households)
        for household_id, row in households.items():
            (_, _, _, _, _, size, status, registered, exited, _, income, _) = row
            assert 2014 <= int(registered) <= year
            assert (exited is not None) == (status == "exited")
            if exited is not None:
                assert int(registered) <= int(exited) <= year
            assert (float(income) >= LINES[year]) == (status == "exited")
            assert len(members[household_id]) == int(size)
        for persons in members.values():
            for person in persons:
                assert dt.date.fromisoformat(person[6]) <= first_survey[2016]
        if previous_households is not None:
            # every household of the last round is here, the same but for its status
            assert set(previous_households) <= set(households)
            for household_id, old in previous_households.items():
                new = households[household_id]
                assert old[:6] == new[:6] and old[7] == new[7] and old[9] == new[9]
                assert old[11] == new[11]
                assert previous_members[household_id] == members[household_id]
                if old[6] == "exited" and new[6] == "exited":
                    assert int(new[8]) >= int(old[8])
        previous_households, previous_members = households, members


def test_surveys__dates_in_the_year_frames_of_the_round(rounds):
    for year, folder in rounds.items():
        con = connect(folder)
        dates = con.execute(
            "select min(survey_date), max(survey_date), count(*), count(distinct survey_id) "
            "from survey_households"
        ).fetchone()
        assert dates[0] >= f"{year}-01-01" and dates[1] <= f"{year}-12-31"
        assert dates[2] == dates[3]
        unmatched = con.execute(
            """
            select count(*) from survey_households as s
            left join registry_households as h using (household_id)
            where s.sample_frame <> 'non_registered' and (h.household_id is null
                or h.county_code <> s.county_code
                or (s.sample_frame = 'exited') <> (h.poverty_status = 'exited'))
            """
        ).fetchone()[0]
        assert unmatched == 0
        outside = con.execute(
            "select count(*) from survey_households where county_code not in "
            "(select county_code from counties where in_exit_batch = 'true')"
        ).fetchone()[0]
        assert outside == 0


def test_final_round__no_poor_in_its_counties(rounds):
    left = connect(rounds[2020]).execute(
        "select count(*) from registry_households where poverty_status <> 'exited' "
        "and county_code in (select county_code from counties where in_exit_batch = 'true')"
    )
    assert left.fetchone()[0] == 0


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_history__same_bytes_again__and_each_round_alone(history, tmp_path):
    first = history(0.002)
    again = generate_history(tmp_path / "again", scale=0.002, seed=2020)
    assert [digests(folder) for folder in again] == [digests(f) for f in first.values()]
    for year in (2017, 2020):
        alone = generate_batch(f"guizhou-{year}", tmp_path / "alone", scale=0.002, seed=2020)
        assert digests(alone) == digests(first[year])


def test_history__other_seed_other_households(history):
    assert digests(history(0.002)[2019]) != digests(history(0.002, 11)[2019])
    assert province_figures(connect(history(0.002, 11)[2019]))["remaining_poor"] == 616


def test_cli_history(tmp_path, capsys):
    arguments = ["generate", "--history", "--scale", "0.001", "--out", str(tmp_path)]
    assert povexit(arguments) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"guizhou-{y}" for y in YEARS]
    assert capsys.readouterr().out.count("wrote ") == 5


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--history", "--batch", "guizhou-2020"], "mutually exclusive"),
        ([], "--batch ID (one round) or --history"),
        (["--history", "--scale", "2"], "scale must be in (0, 1]"),
    ],
)
def test_cli_history__bad_arguments_exit_2_in_one_line(tmp_path, capsys, arguments, message):
    assert povexit(["generate", *arguments, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def _rural_total(scale: float, seed: int = 2020) -> tuple[int, int]:
    """(rural population, poor at the end of 2019) as the generator sets them."""
    counties = county_frame(GUIZHOU, seed)
    poor = poor_at_end_of_2019(scale)
    rural = []
    for county in counties:
        n = registry_households_target(county, scale, MEAN_SIZE)
        households = draw_households(county, seed, scale, 400_000, 0)
        assert len(households) == n
        rural.append(scaled_rural_population(county, scale, households.persons))
    return sum(fit_rural_total(rural, counties, poor, 85)), poor


@pytest.mark.parametrize("scale", [0.0001, 0.0005, 0.002, 0.0071, 0.01, 1])
def test_registry_incidence_2019_rounds_to_0_85_at_every_scale(scale):
    rural, poor = _rural_total(scale)
    assert round(100 * poor / rural, 2) == 0.85 and 0.00845 < poor / rural < 0.00855
