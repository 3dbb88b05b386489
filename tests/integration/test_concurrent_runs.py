"""Two `povexit run` of one batch at the same time: the second waits for the first, says so
once, and neither fails nor reads the other's tables (even from another raw folder)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline.cli import main
from pipeline.defs.assets.publish import exit_assessment
from pipeline.defs.resources import PovexitPaths
from pipeline.runner import batch_turn
from pipeline.settings import PROJECT_ROOT
from tests.batch_builder import default_batch, write_batch

POVEXIT = Path(sys.executable).with_name("povexit")
BATCH = "test-2020"
WAITING = f"waiting for batch {BATCH}"


def start(raw: Path, marts: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POVEXIT_", "DAGSTER_"))}
    command = [POVEXIT, "run", "--batch", BATCH, "--raw", str(raw), "--marts", str(marts)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out.decode(), err.decode()


def together(*folders: tuple[Path, Path]) -> list[tuple[int, str, str]]:
    processes = [start(raw, marts) for raw, marts in folders]
    return [finish(process) for process in processes]


def own_lines(out: str, marts: Path) -> str:
    """A run's output without its marts folder and waiting line, to compare runs made into two
    marts folders, one of which waited."""
    lines = [line for line in out.splitlines() if not line.startswith(WAITING)]
    return "\n".join(lines).replace(str(marts.resolve()), "<marts>")


def hold(what: str, marts: Path) -> subprocess.Popen:
    """Another process holding the batch's run lock ("run") or its working database open
    ("warehouse") until its stdin closes."""
    if what == "run":  # the lock alone: no Dagster import, so the test starts fast
        setup = (
            "from pipeline.locks import exclusive_lock\n"
            f"held = exclusive_lock(Path({str(marts / '_work' / f'{BATCH}.run.lock')!r}))\n"
        )
    else:
        setup = (
            "from pipeline.defs.resources import PovexitPaths\n"
            f"held = PovexitPaths(marts_dir={str(marts)!r}).warehouse({BATCH!r})\n"
        )
    code = (
        "import sys\nfrom pathlib import Path\n"
        + setup
        + "with held:\n    print('held', flush=True)\n    sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline() == "held\n"
    return holder


def release(holder: subprocess.Popen) -> None:
    holder.stdin.close()
    holder.wait(30)


def test_a_second_run_of_a_batch_says_once_whom_it_waits_for(tmp_path, capsys):
    paths = PovexitPaths(marts_dir=str(tmp_path / "marts"))
    holder = hold("run", tmp_path / "marts")
    entered = threading.Event()

    def second_run() -> None:
        with batch_turn(paths, BATCH):
            entered.set()

    second = threading.Thread(target=second_run)
    try:
        second.start()
        assert not entered.wait(1.0)  # the batch is taken: it waits
        assert capsys.readouterr().err == f"{WAITING} (process {holder.pid})\n"
    finally:
        release(holder)
    second.join(30)
    assert entered.is_set()
    assert capsys.readouterr().err == ""  # said once, not once per poll


@pytest.mark.slow
def test_two_runs_of_one_batch_started_together_both_publish(tmp_path):
    raw, marts = tmp_path / "raw", tmp_path / "marts"
    write_batch(raw)
    processes = [start(raw, marts), start(raw, marts)]
    results = [finish(process) for process in processes]
    assert [code for code, _, _ in results] == [0, 0], results
    errs = [err for _, _, err in results]
    [second] = [index for index, err in enumerate(errs) if WAITING in err]
    # Said once, naming the run it waits for, and nothing else went wrong.
    assert errs[second] == f"{WAITING} (process {processes[1 - second].pid})\n"
    assert errs[1 - second] == ""
    assert all("2 of 2 counties meet the standard" in out for _, out, _ in results)


@pytest.mark.slow
def test_two_raw_folders_of_one_batch_into_one_marts_each_get_their_own_outcome(tmp_path):
    clean = write_batch(tmp_path / "clean")
    broken = default_batch()
    broken["registry_members"][0]["sex"] = "F"  # 1 of 8 rows quarantined: blocks the batch
    write_batch(tmp_path / "broken", broken)
    raws = [clean.parent, tmp_path / "broken"]

    alone = together(*((raw, tmp_path / f"alone-{raw.name}") for raw in raws))
    assert [code for code, _, _ in alone] == [0, 1], alone  # each on its own

    shared = tmp_path / "shared"
    both = together(*((raw, shared) for raw in raws))
    for raw, (code, out, err), (alone_code, alone_out, alone_err) in zip(
        raws, both, alone, strict=True
    ):
        alone_marts = tmp_path / f"alone-{raw.name}"
        assert code == alone_code, (raw.name, err)
        assert own_lines(out, shared) == own_lines(alone_out, alone_marts)
        assert own_lines(err, shared) == own_lines(alone_err, alone_marts)


@pytest.mark.slow
def test_publish_waits_for_a_step_holding_the_working_database(folders):
    """Publishing attaches the working database: while another process has it open, the
    publish waits its turn instead of failing on DuckDB's lock."""
    raw, marts = folders
    write_batch(raw)
    assert main(["run", "--batch", BATCH]) == 0
    holder = hold("warehouse", marts)
    paths = PovexitPaths()
    outcome: list[bool] = []

    def publish() -> None:
        with dg.instance_for_test() as instance:
            instance.add_dynamic_partitions("batch", [BATCH])
            result = dg.materialize(
                [exit_assessment],
                partition_key=BATCH,
                instance=instance,
                resources={"paths": paths},
                raise_on_error=False,
            )
            outcome.append(result.success)

    publisher = threading.Thread(target=publish)
    try:
        publisher.start()
        publisher.join(3.0)
        assert publisher.is_alive()  # waiting for the holder
    finally:
        release(holder)
    publisher.join(120)
    assert outcome == [True]


@pytest.mark.slow
def test_run__several_batches_on_a_new_dagster_home(folders, tmp_path, monkeypatch):
    # Workers starting together on an empty DAGSTER_HOME each created its storage, and all but
    # one failed (exit 3): they open the instance in turn.
    raw, marts = folders
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    write_batch(raw, batch_id="first-2020")
    write_batch(raw, batch_id="second-2020")
    assert main(["run"]) == 0
    with duckdb.connect(str(marts / "exit_assessment.duckdb"), read_only=True) as con:
        rows = con.execute("select batch_id from province_progress order by 1").fetchall()
    assert rows == [("first-2020",), ("second-2020",)]


OPEN_INSTANCE = "from pipeline import runner\nwith runner._instance() as i: i.get_runs()"


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(4))
def test_two_processes_opening_a_new_dagster_home__leave_it_readable(tmp_path, monkeypatch, trial):
    # Two `povexit run` started together: each would create the storage, and the runs
    # database's schema version was stamped twice, unreadable for good, in 1 or 2 of 3 tries.
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    command = [sys.executable, "-c", OPEN_INSTANCE]
    both = [subprocess.Popen(command, stderr=subprocess.PIPE) for _ in range(2)]
    assert [process.wait() for process in both] == [0, 0]
    with dg.DagsterInstance.get() as instance:
        assert instance.get_runs() == []
