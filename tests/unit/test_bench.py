"""The bench's own arithmetic and accounting, without running the pipeline."""

from __future__ import annotations

import shutil
import sys
from collections import namedtuple
from pathlib import Path

import pytest

from pipeline.bench import batches, national, scales, standard, tables
from pipeline.bench.__main__ import main as bench_main
from pipeline.bench.__main__ import parse_scales
from pipeline.bench.floor import floor_query, read_batch
from pipeline.bench.measure import Measurement, measured, median
from pipeline.bench.report import machine
from pipeline.bench.runs import run_environment
from pipeline.bench.steps import StepTiming, in_execution_order, outside_steps
from pipeline.bench.storage import (
    PeakWatcher,
    input_bytes,
    is_working_storage,
    working_storage,
)
from pipeline.warehouse import MEMORY_LIMIT_ENV


def measurement(seconds: float, peak: int = 100, started_at: float = 0.0) -> Measurement:
    return Measurement("cmd", seconds, peak, 0, started_at)


def test_median__odd_even_and_empty():
    assert median([70.0, 90.0, 71.0]) == 71.0
    assert median([1.0, 2.0, 3.0, 10.0]) == 2.5
    with pytest.raises(ValueError):
        median([])


def test_measured__exit_code_wall_and_peak_of_the_child(tmp_path):
    log = tmp_path / "child.log"
    result = measured([sys.executable, "-c", "print('hi'); raise SystemExit(3)"], log=log)
    assert result.exit_code == 3 and not result.ok
    assert result.seconds > 0 and result.peak_rss_mib > 0
    assert log.read_text().strip() == "hi"


def test_markdown_table__padded_and_right_aligned_numbers():
    text = tables.markdown_table(["step", "seconds"], [["load", "1.5"], ["validate", "12.0"]], {1})
    assert text.splitlines() == [
        "| step     | seconds |",
        "|----------|--------:|",
        "| load     |     1.5 |",
        "| validate |    12.0 |",
    ]


@pytest.mark.parametrize(
    ("byte_count", "shown"),
    [(10 * 1024**2, "10.0 MiB"), (1024**3, "1.00 GiB"), (int(8.1 * 1024**3), "8.10 GiB")],
)
def test_size__mib_below_a_gib_gib_above(byte_count, shown):
    assert tables.size(byte_count) == shown


def test_series__every_repetition_in_order():
    assert tables.series([71.26, 69.0, 1234.5]) == "71.3 / 69.0 / 1,234.5"
    assert tables.series([2358, 2400], digits=0) == "2,358 / 2,400"


def test_summary_table__medians_and_ratio_against_the_target():
    runs = [measurement(70.0, 2300), measurement(80.0, 2400), measurement(75.0, 2350)]
    floors = [measurement(10.0, 300), measurement(15.0, 310), measurement(12.5, 320)]
    text = standard.summary_table(runs, floors, 3)
    assert "| povexit run" in text and "75.0 s" in text and "2,350 MiB" in text
    assert "70.0 / 80.0 / 75.0" in text
    assert "run / floor: 6.0x (target <= 6x: met)" in text
    assert "repetitions completed" not in text
    slower = standard.summary_table([measurement(76.0)], [measurement(12.5)], 3)
    assert "6.1x" in slower and "MISSED" in slower
    assert "Only 1 of 3 repetitions completed" in slower


def test_outside_steps__start_up_is_wall_less_steps_split_where_it_falls():
    steps = [StepTiming("load", 108.0, 118.0), StepTiming("validate", 119.0, 139.0)]
    outside = outside_steps(steps, process_started=100.0, process_seconds=45.0)
    assert outside["steps"] == 30.0
    assert outside["start-up"] == 15.0
    assert outside["before the first step"] == 8.0
    assert outside["between steps"] == 1.0
    assert outside["after the last step"] == 6.0
    parts = ("before the first step", "between steps", "after the last step")
    assert sum(outside[part] for part in parts) == outside["start-up"]


def test_steps__sorted_as_executed_and_tabled_with_start_up():
    steps = in_execution_order(
        [StepTiming("publish", 130.0, 131.0), StepTiming("load", 101.0, 121.0),
         StepTiming("validate", 121.0, 129.0)]
    )  # fmt: skip
    assert [step.step_key for step in steps] == ["load", "validate", "publish"]
    lines = standard.steps_table(steps, 100.0, 35.0).splitlines()
    assert [line.split("|")[1].strip() for line in lines[2:5]] == ["load", "validate", "publish"]
    assert lines[5].split("|")[2].strip() == "29.0"  # sum of steps
    assert "start-up" in lines[6] and lines[6].split("|")[2].strip() == "6.0"
    assert lines[-1].split("|")[2].strip() == "35.0"


def test_working_storage__database_wal_and_sources_folder_not_locks_or_other_batches(tmp_path):
    work = tmp_path / "_work"
    (work / "guizhou-2020.sources" / "nested").mkdir(parents=True)
    (work / "guizhou-2020.duckdb").write_bytes(b"x" * 1000)
    (work / "guizhou-2020.duckdb.wal").write_bytes(b"x" * 10)
    (work / "guizhou-2020.sources" / "a.csv").write_bytes(b"x" * 200)
    (work / "guizhou-2020.sources" / "nested" / "b.csv").write_bytes(b"x" * 300)
    (work / "guizhou-2020.duckdb.lock").write_bytes(b"")
    (work / "guizhou-2020.run.lock").write_bytes(b"")
    (work / "guizhou-2021.duckdb").write_bytes(b"x" * 5000)
    assert working_storage(tmp_path, "guizhou-2020") == {
        "guizhou-2020.duckdb": 1000,
        "guizhou-2020.duckdb.wal": 10,
        "guizhou-2020.sources": 500,
    }
    assert working_storage(tmp_path / "none", "guizhou-2020") == {}
    assert not is_working_storage("guizhou-20200.duckdb", "guizhou-2020")


def test_input_bytes__the_tables_not_the_manifest(tmp_path):
    (tmp_path / "batch.toml").write_text("batch_id = 'x'\n")
    (tmp_path / "counties.csv").write_bytes(b"a\n1\n")
    (tmp_path / "registry_members.csv.gz").write_bytes(b"z" * 7)
    assert input_bytes(tmp_path) == 4 + 7


def test_targets_table__each_national_target_met_or_missed():
    gib = 1024**3
    met = national.targets_table(170.0, 5000, 2 * gib, 8 * gib)
    assert "MISSED" not in met and met.count("met") == 3
    missed = national.targets_table(200.0, 7000, 9 * gib, 8 * gib)
    assert missed.count("MISSED") == 3


def test_count_rows__lines_less_one_header_per_csv(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"h1,h2\n1,2\n3,4\n")
    (tmp_path / "b.csv").write_bytes(b"h\nx\n")
    (tmp_path / "batch.toml").write_text("batch_id = 'x'\n")
    assert batches.count_rows(tmp_path) == 3


def test_floor__reads_every_value_as_text(tmp_path):
    (tmp_path / "a.csv").write_text("id,name\n007,杨\n8,\n", encoding="utf-8")
    (tmp_path / "it's.csv").write_text("x\n12\n", encoding="utf-8")
    # "007" stays three characters (text, not a number); the empty value counts nothing.
    assert read_batch(tmp_path) == {"rows": 3, "characters": 3 + 1 + 1 + 2}
    assert "'/a/it''s.csv'" in floor_query(Path("/a/it's.csv"))


def test_raw_folder_and_cache__one_folder_per_scale_and_seed(tmp_path):
    raw = batches.raw_folder(tmp_path, 1.0, 2020)
    assert raw.name == "raw-scale1-seed2020"
    assert batches.raw_folder(tmp_path, 0.01, 7).name == "raw-scale0.01-seed7"
    assert not batches.is_cached(raw)
    (raw / batches.BATCH).mkdir(parents=True)
    (raw / batches.BATCH / "batch.toml").write_text("")
    assert batches.is_cached(raw)


def test_check_room__refuses_a_batch_the_disk_cannot_hold(tmp_path, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(batches.shutil, "disk_usage", lambda _: usage(0, 0, 15 * 10**9))
    batches.check_room(tmp_path, 1)
    with pytest.raises(batches.NoRoom, match=r"scale 10 needs about 18\.2 GB"):
        batches.check_room(tmp_path, 10)


def test_run_environment__dagster_home_only_for_the_recorded_run(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGSTER_HOME", "/somewhere/else")
    assert "DAGSTER_HOME" not in run_environment(None)
    assert run_environment(tmp_path)["DAGSTER_HOME"] == str(tmp_path)


def test_parse_scales():
    assert parse_scales("1,3,10") == [1.0, 3.0, 10.0]
    for bad in ("0,1", "11", ""):
        with pytest.raises(Exception, match="scales must be in"):
            parse_scales(bad)


def test_peak_watcher__keeps_the_largest_total_seen(tmp_path):
    work = tmp_path / "_work"
    work.mkdir()
    spill = work / "guizhou-2020.duckdb.tmp"
    with PeakWatcher(tmp_path, "guizhou-2020", interval=60) as watcher:
        spill.mkdir()
        (spill / "spill-0.block").write_bytes(b"x" * 4000)
        watcher.sample()
        shutil.rmtree(spill)
        (work / "guizhou-2020.duckdb").write_bytes(b"x" * 1000)
    assert watcher.peak_bytes == 4000


def test_scales_table__peak_against_the_first_scale():
    gib = 1024**3
    rows = [
        scales.ScaleRun(1, 11_717_915, gib, measurement(70.0, 2000), gib // 2, gib),
        scales.ScaleRun(10, 117_020_164, 10 * gib, measurement(700.0, 3000), 5 * gib, 9 * gib),
    ]
    lines = scales.scales_table(rows).splitlines()
    cells = [cell.strip() for cell in lines[3].split("|")[1:-1]]
    assert cells == ["10", "117,020,164", "10.00 GiB", "700.0 s", "3,000 MiB", "1.5x",
                     "5.00 GiB", "9.00 GiB", "published"]  # fmt: skip
    rows[1].run.exit_code = 3
    assert "FAILED (exit 3)" in scales.scales_table(rows)


def test_machine__names_duckdbs_memory_cap_and_where_it_came_from(monkeypatch):
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    assert machine().endswith("DuckDB memory cap 1.5GB")
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "4.5GB")
    assert machine().endswith(f"DuckDB memory cap 4.5GB ({MEMORY_LIMIT_ENV})")


def test_main__a_cap_that_is_no_size_is_one_line_not_a_traceback(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    assert bench_main(["--dir", str(tmp_path), "--scale", "0.01"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {MEMORY_LIMIT_ENV}='lots'") and "Traceback" not in err
