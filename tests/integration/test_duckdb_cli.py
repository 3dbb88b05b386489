"""The files a run writes open in the `duckdb` shell from PyPI (`duckdb-cli`, DuckDB 1.x), which
cannot read DuckDB 2's own storage format: the published marts, and after a blocked run the
working database whose `rejected_rows` the user is told to look at."""

from __future__ import annotations

import re
import shlex

import duckdb
import pytest

from pipeline import settings
from pipeline.cli import main
from tests import duckdb_shell
from tests.batch_builder import write_batch

# Whole pipeline runs: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow


def storage_version(database) -> str:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(
            "select tags['storage_version'] from duckdb_databases() where not internal"
        ).fetchone()[0]


def test_published_marts__open_in_the_duckdb_shell(folders, batch):
    raw, marts = folders
    write_batch(raw, batch)
    assert main(["run", "--batch", "test-2020"]) == 0
    published = marts / "exit_assessment.duckdb"
    # Written for DuckDB 1.4 on, so the test still means something once the shell is 2.x.
    assert storage_version(published) == "v1.4.0+"
    header, *rows = duckdb_shell.query(published, "select count(*) from county_assessment")
    assert header == ["count_star()"] and int(rows[0][0]) >= 1


def test_blocked_run__working_database_opens_in_the_duckdb_shell(folders, batch, capsys):
    raw, marts = folders
    batch["registry_members"][0]["sex"] = "F"  # 1 of 8 member rows: 12.5% > 1%
    write_batch(raw, batch)
    assert main(["run", "--batch", "test-2020"]) == 1
    working = settings.warehouse_path(marts, "test-2020")
    assert storage_version(working) == "v1.4.0+"

    _, count = duckdb_shell.query(working, "select count(*) from rejected_rows")
    assert count == ["1"]

    # The findings by rule, as README shows them.
    (by_rule,) = duckdb_shell.readme_queries("data/marts/_work/guizhou-2020.duckdb")
    header, *rows = duckdb_shell.query(working, by_rule)
    assert header[:3] == ["source_file", "column", "rule"]
    assert [row[:2] for row in rows] == [["registry_members.csv", "sex"]]

    # The query the blocked run prints, run as printed.
    err = capsys.readouterr().err
    printed = re.search(r"^\s*uv run (?:--project \S+ )?duckdb (.+)$", err, flags=re.MULTILINE)
    assert printed, "the blocked run prints no duckdb command"
    arguments = shlex.split(printed[1])
    assert arguments[:2] == ["-readonly", str(working.resolve())] and arguments[2] == "-c"
    header, *rows = duckdb_shell.query(working, arguments[3])
    assert "rule" in header and len(rows) == 1
