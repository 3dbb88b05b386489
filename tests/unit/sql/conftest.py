"""The marts built once per module on the hand-built batch of `mart_batch`."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from mart_batch import MANIFEST, build_marts


@pytest.fixture(scope="module")
def marts() -> Iterator[duckdb.DuckDBPyConnection]:
    con = build_marts(MANIFEST)
    yield con
    con.close()
