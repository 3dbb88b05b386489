"""Shared fixtures: a tiny batch on disk, and raw/marts folders the pipeline is pointed at."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipeline import ingest, manifest, validation, warehouse
from pipeline.schemas.fields import RAW_TABLES
from pipeline.settings import PROJECT_ROOT
from tests.batch_builder import default_batch, write_batch

# `povexit run` writes each published batch's brief (HTML and xlsx, zh and en: seconds a
# batch). The suite's many runs need only the marts; the brief's own tests switch it back on.
os.environ["POVEXIT_BRIEFS"] = "0"

COMMITTED_ROUNDS = [f"guizhou-{year}" for year in range(2016, 2021)]


@pytest.fixture(scope="session")
def committed_rounds(tmp_path_factory) -> Path:
    """The five committed rounds (data/raw/guizhou-2016 .. 2020) run once, briefs included;
    the marts folder. Tests read it, never write to it."""
    from pipeline.cli import main

    root = tmp_path_factory.mktemp("committed_rounds")
    for batch_id in COMMITTED_ROUNDS:
        shutil.copytree(PROJECT_ROOT / "data" / "raw" / batch_id, root / "raw" / batch_id)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POVEXIT_BRIEFS", "1")
        patch.delenv("DAGSTER_HOME", raising=False)
        assert main(["run", "--raw", str(root / "raw"), "--marts", str(root / "marts")]) == 0
    return root / "marts"


@pytest.fixture
def folders(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """Empty raw and marts folders, set as the environment's defaults."""
    raw, marts = tmp_path / "raw", tmp_path / "marts"
    raw.mkdir()
    monkeypatch.setenv("POVEXIT_RAW_DIR", str(raw))
    monkeypatch.setenv("POVEXIT_MARTS_DIR", str(marts))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return raw, marts


@pytest.fixture
def batch() -> dict:
    """The valid tiny batch, as rows a test may edit before writing."""
    return default_batch()


def validate(tmp_path: Path, batch: dict):
    """Write, ingest and validate a batch in memory; returns the warehouse connection."""
    folder = write_batch(tmp_path / "raw", batch)
    con = warehouse.connect(":memory:")
    manifest.store_manifest(con, manifest.read_manifest(folder))
    for table in RAW_TABLES:
        report = ingest.ingest(con, folder, table, tmp_path / "sources")
        ingest.store_report(con, report, len(table.columns))
    validation.validate_batch(con, batch["manifest"]["batch_id"])
    return con


def grouping_threads_everywhere(monkeypatch, module) -> list[int]:
    """Make every grouping of `module` take the path of a table of a million rows
    (`warehouse.grouping_threads`), whatever its size; returns the list of the DuckDB threads
    each grouping ran with, filled as they run."""
    threads_inside: list[int] = []

    @contextmanager
    def recorded(con, rows):
        with warehouse.grouping_threads(con, rows):
            threads_inside.append(con.execute("select current_setting('threads')").fetchone()[0])
            yield

    monkeypatch.setattr(warehouse, "GROUPING_ROWS", 0)
    monkeypatch.setattr(module, "grouping_threads", recorded)
    return threads_inside


def rejects(con) -> set[tuple[str, int, str, str]]:
    """(file, line, column, rule) of every quarantined finding."""
    rows = con.execute(
        'select source_table, line_number, "column", rule from rejected_rows'
    ).fetchall()
    return set(rows)
