"""The instance's SQLite storage (deploy/dagster.yaml): Dagster's files, each opened once."""

from __future__ import annotations

import os
import shutil

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


def test_a_run__opens_each_file_once(home, monkeypatch):
    opened = []
    real = instance_storage.create_engine

    def counting(conn_string, **kwargs):
        opened.append(conn_string)
        return real(conn_string, **kwargs)

    monkeypatch.setattr(instance_storage, "create_engine", counting)
    with dg.DagsterInstance.get() as instance:
        _materialize(instance)
        opened.clear()
        run_id = _materialize(instance)
        # Its own event file alone is new; runs, index and schedules are already open.
        assert len(opened) == 1 and run_id in opened[0]


@pytest.mark.slow
def test_a_long_lived_process__keeps_few_run_files_open(home):
    with dg.DagsterInstance.get() as instance:
        for _ in range(instance_storage.RUN_FILES_KEPT + 3):
            _materialize(instance)
        # The index, and the last few runs' files.
        assert len(instance.event_log_storage._engines) == instance_storage.RUN_FILES_KEPT + 1
        assert len(instance.get_runs()) == instance_storage.RUN_FILES_KEPT + 3


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
