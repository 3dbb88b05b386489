"""Generated batches shared by the generator's tests: each (scale, seed) is written once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipeline.generate import generate_batch

BATCH = "guizhou-2020"
TABLES = ("counties", "registry_households", "registry_members", "survey_households")


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Callable[..., Path]:
    """generated(scale, seed=2020) -> the batch folder, generated once per session."""
    folders: dict[tuple[float, int], Path] = {}

    def make(scale: float, seed: int = 2020) -> Path:
        if (scale, seed) not in folders:
            out = tmp_path_factory.mktemp(f"scale{scale:g}-seed{seed}")
            folders[scale, seed] = generate_batch(BATCH, out, scale=scale, seed=seed)
        return folders[scale, seed]

    return make


def connect(folder: Path) -> duckdb.DuckDBPyConnection:
    """The batch's four CSVs as DuckDB tables of text, as written; empty fields read as NULL."""
    con = duckdb.connect()
    for table in TABLES:
        path = str(folder / f"{table}.csv").replace("'", "''")
        con.execute(
            f"create table {table} as select * from read_csv('{path}', header = true, "
            "all_varchar = true, delim = ',', quote = '', escape = '')"
        )
    return con
