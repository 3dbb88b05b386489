"""Personal data never leaves ingestion; findings that are not errors surface as warnings."""

from __future__ import annotations

import csv
import logging

import dagster as dg
import duckdb
import pytest

from pipeline.cli import main
from pipeline.definitions import defs
from tests.batch_builder import write_batch

# Whole pipeline runs: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow


def run_job(batch_id: str) -> dg.ExecuteInProcessResult:
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("batch", [batch_id])
        return defs.resolve_job_def("assess_batch").execute_in_process(
            partition_key=batch_id, instance=instance, raise_on_error=False
        )


def personal_values(folder) -> set[str]:
    values = set()
    for name, columns in {
        "registry_households": ("head_name", "head_id_number"),
        "registry_members": ("name", "id_number"),
    }.items():
        with (folder / f"{name}.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                values |= {row[column] for column in columns if row[column]}
    return values


def test_personal_data__never_reaches_marts_logs_or_events(folders, batch, capsys, caplog):
    raw, marts = folders
    for member in batch["registry_members"]:
        member["name"] = "欧阳" + member["id_number"][-4:]  # distinct, findable names
    batch["registry_members"][0]["sex"] = "F"  # a quarantined row carrying an id number
    batch["registry_households"][3]["head_id_number"] = "52990319610101000X"  # bad check digit
    batch["manifest"]["thresholds"]["quarantine_share_max"] = 1.0  # publish despite the bad rows
    folder = write_batch(raw, batch)
    secrets = personal_values(folder)
    assert len(secrets) > 10

    caplog.set_level(logging.DEBUG)
    result = run_job("test-2020")
    assert result.success
    assert main(["run"]) == 0
    assert main(["report", "--batch", "test-2020"]) == 0

    seen = [capsys.readouterr().out, capsys.readouterr().err, caplog.text]
    seen += [str(event) for event in result.all_events]
    with duckdb.connect(str(marts / "exit_assessment.duckdb"), read_only=True) as con:
        for (table,) in con.execute("show tables").fetchall():
            seen.append(str(con.execute(f"select * from {table}").fetchall()))
        masked = con.execute("select masked_value from rejected_rows").fetchall()
    assert ("5299**********000X",) in masked
    text = "\n".join(seen)
    leaked = sorted(value for value in secrets if value in text)
    assert leaked == []


def test_size_mismatch_and_extra_columns__are_warnings_not_rejects(folders, batch):
    raw, _ = folders
    batch["registry_households"][0]["household_size"] = "4"  # it has 3 member rows
    folder = write_batch(raw, batch)
    path = folder / "counties.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join([lines[0] + ",备注"] + [line + ",x" for line in lines[1:]]) + "\n",
        encoding="utf-8",
    )
    result = run_job("test-2020")
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    households = checks["registry_households_schema"].metadata
    persons = {
        event.asset_key.to_user_string(): event.metadata
        for event in result.get_asset_materialization_events()
        for event in [event.event_specific_data.materialization]
    }["_registry_household_persons"]
    assert persons["warning_household_size_differs_from_members"].value == 1
    assert households["rows_rejected"].value == 0
    assert checks["counties_schema"].metadata["warning_extra_columns"].value == "备注"


@pytest.mark.parametrize("table", ["counties", "registry_members"])
def test_check_metadata__shows_failing_rows_per_rule(folders, batch, table):
    raw, _ = folders
    if table == "counties":
        batch["counties"][0]["region"] = "north"
    else:
        batch["registry_members"][0]["sex"] = "F"
    write_batch(raw, batch)
    result = run_job("test-2020")
    assert not result.success
    evaluation = {e.check_name: e for e in result.get_asset_check_evaluations()}[f"{table}_schema"]
    assert not evaluation.passed
    assert "| 1 |" in evaluation.metadata["failing_rows_by_rule"].value
