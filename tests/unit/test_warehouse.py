"""DuckDB's memory cap from the environment: a size DuckDB can work in, or one clear error."""

from __future__ import annotations

import pytest

from pipeline import warehouse
from pipeline.errors import InputError


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "1.5GB"), ("", "1.5GB"), ("800MB", "800MB"), (" 2GiB ", "2GiB"), ("1.5gb", "1.5gb")],
)
def test_memory_limit__a_size_or_the_default(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv(warehouse.MEMORY_LIMIT_ENV, raising=False)
    else:
        monkeypatch.setenv(warehouse.MEMORY_LIMIT_ENV, value)
    assert warehouse.memory_limit() == expected
    with warehouse.connect(":memory:") as con:  # DuckDB takes it
        assert con.execute("select current_setting('memory_limit')").fetchone()[0]


@pytest.mark.parametrize("value", ["abc", "0", "10KB", "99MB", "1.5", "-1GB", "1e3GB"])
def test_memory_limit__anything_else_is_one_input_error(monkeypatch, value):
    monkeypatch.setenv(warehouse.MEMORY_LIMIT_ENV, value)
    with pytest.raises(InputError, match="POVEXIT_DUCKDB_MEMORY_LIMIT"):
        warehouse.memory_limit()
