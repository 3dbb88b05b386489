"""The instance's SQLite storage (deploy/dagster.yaml): Dagster's files, each opened once."""

from __future__ import annotations

import os
import shutil
import threading

import dagster as dg
import pytest

from pipeline import instance_storage
from pipeline.settings import PROJECT_ROOT


@dg.asset
def counted() -> int:
    return 1


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A DAGSTER_HOME with the project's instance settings."""
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    return tmp_path


def _materialize(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([counted], instance=instance)
    assert result.success
    return result.run_id


def test_the_project_instance__uses_the_pooled_storage(home):
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, instance_storage.PooledSqliteRunStorage)
        assert isinstance(instance.event_log_storage, instance_storage.PooledSqliteEventLogStorage)
        assert isinstance(instance.schedule_storage, instance_storage.PooledSqliteScheduleStorage)


def test_runs_recorded__are_read_by_dagsters_own_storage(home, tmp_path):
    with dg.DagsterInstance.get() as instance:
        run_id = _materialize(instance)
    # The same folder with Dagster's default settings: same files, same layout.
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    with dg.DagsterInstance.from_config(str(tmp_path)) as plain:
        assert type(plain.run_storage) is not instance_storage.PooledSqliteRunStorage
        assert plain.get_run_by_id(run_id).is_success
        materialization = plain.get_latest_materialization_event(dg.AssetKey("counted"))
        assert materialization is not None and materialization.run_id == run_id
        assert [s.step_key for s in plain.get_run_step_stats(run_id)] == ["counted"]


@pytest.mark.slow  # Dagster runs: the full suite runs it
def test_a_run__opens_no_shared_file_again(home, monkeypatch):
    opened = []
    real = instance_storage.create_engine

    def counting(conn_string, **kwargs):
        opened.append(conn_string)
        return real(conn_string, **kwargs)

    monkeypatch.setattr(instance_storage, "create_engine", counting)
    with dg.DagsterInstance.get() as instance:
        _materialize(instance)
        assert opened  # the runs file and the event index, once
        opened.clear()
        _materialize(instance)
        assert opened == []


@pytest.mark.slow  # Dagster runs: the full suite runs it
def test_a_running_run__is_followed_by_a_watcher(home):
    # The UI follows a run by watching its event file change (Dagster's watchdog).
    with dg.DagsterInstance.get() as instance:
        run_id = _materialize(instance)
        seen = threading.Event()

        def callback(entry, cursor):
            if entry.dagster_event and entry.dagster_event.message == "still running":
                seen.set()

        instance.event_log_storage.watch(run_id, None, callback)
        try:
            instance.report_engine_event("still running", instance.get_run_by_id(run_id))
            assert seen.wait(timeout=10)
        finally:
            instance.event_log_storage.end_watch(run_id, callback)


@pytest.mark.slow  # Dagster runs: the full suite runs it
@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_process__opens_the_files_anew_and_leaves_the_parents_alone(home):
    with dg.DagsterInstance.get() as instance:
        first = _materialize(instance)
        runs = instance.run_storage
        parents = runs._engines.get(runs._conn_string)
        pid = os.fork()
        if pid == 0:  # the child: its own connections, the parent's history
            try:
                own = runs._engines.get(runs._conn_string) is not parents
                ok = own and instance.get_run_by_id(first).is_success and _materialize(instance)
            except BaseException:
                ok = False
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        # The parent's pooled connections still work after the child has gone.
        _materialize(instance)
        assert len(instance.get_runs()) == 3
