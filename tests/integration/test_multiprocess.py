"""Two batches materialised at the same time under Dagster's multiprocess executor.

Every step runs in a process of its own, so a batch's raw files load in two processes at once
into the same DuckDB file while the other batch's run does the same beside it. The steps of a
batch take turns on its file; none may fail on DuckDB's lock, and every row must arrive. (The
raw layer and validation are selected: a whole job, one process per asset, takes minutes.)
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import dagster as dg
import duckdb
import pytest

from pipeline.defs.resources import PovexitPaths
from pipeline.schemas.fields import RAW_TABLES
from tests.batch_builder import default_batch, write_batch

# Whole pipeline runs: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow

BATCHES = ("north-2020", "south-2020")
MULTIPROCESS = {"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}}
SELECTED = [
    dg.AssetKey("batch_manifest"),
    *(dg.AssetKey(table.asset) for table in RAW_TABLES),
    dg.AssetKey("rejected_rows"),
]


def assess_batch_job() -> dg.JobDefinition:
    """The job as each step process rebuilds it (`dg.reconstructable` needs a module function)."""
    from pipeline.definitions import defs

    return defs.resolve_job_def("assess_batch")


def test_two_batches_in_parallel_under_the_multiprocess_executor(folders, tmp_path):
    raw, marts = folders
    for batch_id in BATCHES:
        write_batch(raw, batch_id=batch_id)
    home = tmp_path / "dagster_home"
    home.mkdir()

    with dg.DagsterInstance.local_temp(str(home)) as instance:
        instance.add_dynamic_partitions("batch", list(BATCHES))

        def run(batch_id: str) -> dg.ExecutionResult:
            return dg.execute_job(
                dg.reconstructable(assess_batch_job),
                instance=instance,
                run_config=MULTIPROCESS,
                tags={"dagster/partition": batch_id},
                asset_selection=SELECTED,
                raise_on_error=False,
            )

        with ThreadPoolExecutor(max_workers=len(BATCHES)) as pool:
            results = list(pool.map(run, BATCHES))

    for result in results:
        failures = [event.message for event in result.all_events if event.is_step_failure]
        assert result.success, failures
        started = [e for e in result.all_events if e.event_type_value == "STEP_START"]
        assert len(started) == len(SELECTED)
        assert len({event.pid for event in started}) == len(SELECTED)  # a process per step

    expected = {table.asset: len(default_batch()[table.name]) for table in RAW_TABLES}
    for batch_id in BATCHES:
        with duckdb.connect(str(marts / "_work" / f"{batch_id}.duckdb"), read_only=True) as con:
            loaded = {
                table: con.execute(f'select count(*) from "{table}"').fetchone()[0]
                for table in expected
            }
            rejected = con.execute("select count(*) from rejected_rows").fetchone()[0]
        assert loaded == expected and rejected == 0, batch_id


def test_steps_of_one_batch_take_turns_on_its_database(tmp_path):
    """While a step holds a batch's database, another step of that batch waits for it (without
    the turn DuckDB would refuse a second process); another batch's step does not wait."""
    paths = PovexitPaths(raw_dir=str(tmp_path / "raw"), marts_dir=str(tmp_path / "marts"))
    holding, release, second_entered = threading.Event(), threading.Event(), threading.Event()

    def first_step() -> None:
        with paths.warehouse("north-2020"):
            holding.set()
            release.wait(30)

    def second_step() -> None:
        with paths.warehouse("north-2020") as con:
            con.execute("select 1")
            second_entered.set()

    first = threading.Thread(target=first_step)
    first.start()
    assert holding.wait(30)
    with paths.warehouse("south-2020") as con:  # another batch: straight in
        assert con.execute("select 1").fetchone() == (1,)
    second = threading.Thread(target=second_step)
    second.start()
    assert not second_entered.wait(1.0)  # still waiting for its turn
    release.set()
    first.join(30)
    second.join(30)
    assert second_entered.is_set()
