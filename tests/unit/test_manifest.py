"""`batch.toml` (SPEC section 1): strict keys, the new names, finite numbers, the public notice."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipeline.errors import InputError
from pipeline.manifest import DEFAULT_THRESHOLDS, read_manifest, store_manifest

BASE = """\
batch_id = "test-2020"
province_code = "52"
province_name = "测试省"
assessment_year = 2020
"""
LINE = "poverty_line_yuan = 4000\n"


def manifest_in(tmp_path, text: str):
    folder = tmp_path / "test-2020"
    folder.mkdir()
    (folder / "batch.toml").write_text(text, encoding="utf-8")
    return folder


def refused(tmp_path, text: str) -> str:
    with pytest.raises(InputError) as error:
        read_manifest(manifest_in(tmp_path, text))
    message = str(error.value)
    assert "batch.toml: " in message and "\n" not in message
    return message


def test_defaults(tmp_path):
    manifest = read_manifest(manifest_in(tmp_path, BASE + LINE))
    row = manifest.as_row()
    assert {key: row[key] for key in DEFAULT_THRESHOLDS} == DEFAULT_THRESHOLDS
    assert row["quarantine_share_max"] == 0.01 and row["monitoring_income_ratio"] == 1.5
    assert manifest.public_notice_start is None and manifest.public_notice_end is None


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("reject_treshold = 0.01\n", "'reject_treshold'"),
        ("poverty_line = 4000\n", "'poverty_line'"),
        ("[thresholds]\nincidence_max_north = 0.03\n", "[thresholds] 'incidence_max_north'"),
        ("[thresholds]\nquarantine_share = 0.1\n", "[thresholds] 'quarantine_share'"),
        (
            "[public_notice]\nstart = 2020-11-16\nend = 2020-11-22\ndays = 7\n",
            "[public_notice] 'days'",
        ),
        ("[notice]\nstart = 2020-11-16\n", "'notice'"),
    ],
)
def test_unknown_key__refused_by_name(tmp_path, toml, key):
    message = refused(tmp_path, BASE + LINE + toml)
    assert f"unknown key {key}; known: " in message


@pytest.mark.parametrize(
    ("toml", "hint"),
    [
        ("[thresholds]\nincidence_west = 0.03\n", "'incidence_west' was renamed: write "
         "incidence_max_west instead"),
        ("[thresholds]\nincidence_central = 0.02\n", "write incidence_max_central instead"),
        ("[thresholds]\nincidence_east = 0.02\n", "write incidence_max_east instead"),
        ("[thresholds]\nwrong_exit_rate = 0.02\n", "write wrong_exit_rate_max instead"),
        ("[thresholds]\nmissed_rate = 0.02\n", "write missed_rate_max instead"),
        ("[thresholds]\nacceptance_rate = 0.9\n", "write acceptance_rate_min instead"),
        ("reject_threshold = 0.05\n", "'reject_threshold' was renamed: write "
         "[thresholds] quarantine_share_max instead"),
    ],
)  # fmt: skip
def test_old_name__refused_with_the_new_one(tmp_path, toml, hint):
    assert hint in refused(tmp_path, BASE + LINE + toml)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("nan", "must be a finite number"),
        ("inf", "must be a finite number"),
        ("-inf", "must be a finite number"),
        ("+inf", "must be a finite number"),
        ("1e20", "at most 1,000,000"),
        ("10000000000", "at most 1,000,000"),
        ("1000000.01", "at most 1,000,000"),
        ("0", "must be above 0"),
        ("-4000", "must be above 0"),
        ("4000.125", "more than 2 decimals"),
        ('"4000"', "must be a float"),
        ("true", "must be a float"),
    ],
)
def test_poverty_line__unusable_value_refused(tmp_path, value, problem):
    message = refused(tmp_path, BASE + f"poverty_line_yuan = {value}\n")
    assert "'poverty_line_yuan'" in message and problem in message


@pytest.mark.parametrize("value", ["2300", "4000.5", "1000000"])
def test_poverty_line__plausible_value_stored_exactly(tmp_path, value):
    manifest = read_manifest(manifest_in(tmp_path, BASE + f"poverty_line_yuan = {value}\n"))
    con = duckdb.connect()
    store_manifest(con, manifest)
    stored = con.execute("select poverty_line_yuan::varchar from batch_manifest").fetchone()[0]
    assert float(stored) == float(value)


@pytest.mark.parametrize("key", sorted(DEFAULT_THRESHOLDS))
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_threshold__non_finite_refused(tmp_path, key, value):
    message = refused(tmp_path, BASE + LINE + f"[thresholds]\n{key} = {value}\n")
    assert f"'{key}' must be a finite number" in message


@pytest.mark.parametrize("key", sorted(set(DEFAULT_THRESHOLDS) - {"monitoring_income_ratio"}))
@pytest.mark.parametrize("value", ["-0.01", "1.5", "2"])
def test_threshold__outside_0_1_refused(tmp_path, key, value):
    message = refused(tmp_path, BASE + LINE + f"[thresholds]\n{key} = {value}\n")
    assert f"'{key}' must be a fraction 0..1" in message


@pytest.mark.parametrize("value", ["0", "-1", "0.0", "100.5", "1e9"])
def test_monitoring_income_ratio__must_be_positive_and_plausible(tmp_path, value):
    # 1e9 times the line overflowed the income column: exit 3 in the monitoring list
    message = refused(tmp_path, BASE + LINE + f"[thresholds]\nmonitoring_income_ratio = {value}\n")
    assert "'monitoring_income_ratio' must be above 0 and at most 100" in message


def test_thresholds_not_a_table__refused(tmp_path):
    assert "'thresholds' must be a table" in refused(tmp_path, BASE + LINE + "thresholds = 1\n")


def test_new_names__override_reaches_batch_manifest(tmp_path):
    overrides = {
        "incidence_max_west": 0.04,
        "incidence_max_central": 0.025,
        "incidence_max_east": 0.015,
        "wrong_exit_rate_max": 0.03,
        "missed_rate_max": 0.01,
        "acceptance_rate_min": 0.95,
        "quarantine_share_max": 0.2,
        "monitoring_income_ratio": 2,  # may exceed 1: it multiplies the poverty line
    }
    table = "".join(f"{key} = {value}\n" for key, value in overrides.items())
    manifest = read_manifest(manifest_in(tmp_path, BASE + LINE + "[thresholds]\n" + table))
    con = duckdb.connect()
    store_manifest(con, manifest)
    stored = con.execute(f"select {', '.join(overrides)} from batch_manifest").fetchone()
    assert dict(zip(overrides, stored, strict=True)) == overrides


def test_public_notice__dates_reach_batch_manifest(tmp_path):
    notice = "[public_notice]\nstart = 2020-11-16\nend = 2020-11-22\n"
    manifest = read_manifest(manifest_in(tmp_path, BASE + LINE + notice))
    assert (manifest.public_notice_start, manifest.public_notice_end) == (
        dt.date(2020, 11, 16),
        dt.date(2020, 11, 22),
    )
    con = duckdb.connect()
    store_manifest(con, manifest)
    row = con.execute(
        "select public_notice_start, public_notice_end, typeof(public_notice_start) "
        "from batch_manifest"
    ).fetchone()
    assert row == (dt.date(2020, 11, 16), dt.date(2020, 11, 22), "DATE")


@pytest.mark.parametrize("notice", [""])
def test_public_notice__absent_stores_null_dates(tmp_path, notice):
    con = duckdb.connect()
    store_manifest(con, read_manifest(manifest_in(tmp_path, BASE + LINE + notice)))
    row = con.execute("select public_notice_start, public_notice_end from batch_manifest")
    assert row.fetchone() == (None, None)


def test_public_notice__one_day_is_a_period(tmp_path):
    notice = "[public_notice]\nstart = 2020-11-16\nend = 2020-11-16\n"
    manifest = read_manifest(manifest_in(tmp_path, BASE + LINE + notice))
    assert manifest.public_notice_start == manifest.public_notice_end


@pytest.mark.parametrize(
    ("notice", "problem"),
    [
        # a table written with no dates is a notice half-written, not no notice
        ("", "needs both start and end, start missing"),
        ("start = 2020-11-16\n", "needs both start and end, end missing"),
        ("end = 2020-11-22\n", "needs both start and end, start missing"),
        ("start = 2020-11-23\nend = 2020-11-22\n", "start 2020-11-23 is after end 2020-11-22"),
        ('start = "2020-11-16"\nend = 2020-11-22\n', "'start' must be a TOML date"),
        ("start = 2020-11-16\nend = 2020-11-22T12:00:00\n", "'end' must be a TOML date"),
        ("start = 2020-11-16\nend = 12:00:00\n", "'end' must be a TOML date"),
        ("start = 2020-11-16\nend = 20201122\n", "'end' must be a TOML date"),
        ("start = 2020-11-16\nend = nan\n", "'end' must be a TOML date"),
    ],
)
def test_public_notice__bad_period_refused(tmp_path, notice, problem):
    message = refused(tmp_path, BASE + LINE + "[public_notice]\n" + notice)
    assert "[public_notice]" in message and problem in message


def test_public_notice_not_a_table__refused(tmp_path):
    message = refused(tmp_path, BASE + LINE + "public_notice = 2020-11-16\n")
    assert "'public_notice' must be a table" in message


def test_province_name__a_person_s_name_is_refused(tmp_path):
    folder = tmp_path / "a-2020"
    folder.mkdir()
    (folder / "batch.toml").write_text(
        'batch_id = "a-2020"\nprovince_code = "52"\nprovince_name = "周开明"\n'
        "assessment_year = 2020\npoverty_line_yuan = 4000\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="is no province's name") as raised:
        read_manifest(folder)
    assert "周开明" not in str(raised.value)
