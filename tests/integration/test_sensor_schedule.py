"""The batch-folder sensor and the nightly schedule, driven with Dagster's context builders."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from pipeline.definitions import defs
from pipeline.defs.resources import PovexitPaths
from pipeline.defs.schedules import nightly_reassessment
from pipeline.defs.sensors import batch_folder_sensor, scan
from pipeline.settings import PROJECT_ROOT
from tests.batch_builder import Unreadable, write_batch

# Whole pipeline runs: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


class Ticker:
    """Evaluates the sensor tick after tick, carrying the cursor as the daemon does."""

    def __init__(self, instance, raw):
        self.instance, self.raw, self.cursor = instance, raw, None

    def tick(self) -> dg.SensorResult:
        # As the daemon evaluates a tick: inside the context, which sets up and tears down
        # the resources (PovexitPaths has a run-long lifecycle).
        with dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            resources={"paths": PovexitPaths(raw_dir=str(self.raw))},
        ) as context:
            result = batch_folder_sensor(context)
        self.cursor = result.cursor
        for request in result.dynamic_partitions_requests:
            self.instance.add_dynamic_partitions(
                request.partitions_def_name, request.partition_keys
            )
        return result

    def runs(self) -> list[str]:
        return [request.partition_key for request in self.tick().run_requests]


def test_sensor__runs_a_new_folder_once_it_is_stable(folders, instance):
    raw, _ = folders
    ticker = Ticker(instance, raw)
    assert ticker.runs() == []
    write_batch(raw, batch_id="new-2020")
    assert ticker.runs() == []  # first sight: wait a tick in case it is still being copied
    result = ticker.tick()
    assert [r.partition_key for r in result.run_requests] == ["new-2020"]
    assert result.run_requests[0].tags["povexit/batch"] == "new-2020"  # one run per batch
    assert result.dynamic_partitions_requests[0].partition_keys == ["new-2020"]
    assert ticker.runs() == []  # unchanged: nothing more
    assert ticker.runs() == []


def test_sensor__a_changed_file_runs_again_an_untouched_one_does_not(folders, instance):
    raw, _ = folders
    ticker = Ticker(instance, raw)
    folder = write_batch(raw, batch_id="a-2020")
    write_batch(raw, batch_id="b-2020")
    ticker.tick()
    assert sorted(ticker.runs()) == ["a-2020", "b-2020"]
    path = folder / "survey_households.csv"
    path.write_text(path.read_text().replace("accept", "unsure", 1))
    ticker.tick()
    assert ticker.runs() == ["a-2020"]
    # A touch that changes no byte is no change.
    path.touch()
    ticker.tick()
    assert ticker.runs() == []


def test_sensor__a_half_copied_folder_waits_until_complete(folders, instance):
    raw, _ = folders
    ticker = Ticker(instance, raw)
    folder = write_batch(raw, batch_id="copying-2020")
    members = folder / "registry_members.csv"
    content = members.read_bytes()
    members.unlink()
    partial = folder / "registry_members.csv.part"
    partial.write_bytes(content[: len(content) // 2])
    assert ticker.runs() == [] and ticker.runs() == []  # a file still under its temporary name
    partial.rename(members)
    members.write_bytes(content[: len(content) // 2])
    assert ticker.runs() == []
    members.write_bytes(content)  # still growing: its fingerprint changed since last tick
    assert ticker.runs() == []
    assert ticker.runs() == ["copying-2020"]


def test_sensor__a_folder_with_an_unreadable_file_waits_and_says_which(folders, monkeypatch):
    raw, _ = folders
    folder = write_batch(raw, batch_id="locked-2020")
    (folder / "notes.txt").write_text("checked by the county office\n", encoding="utf-8")
    unreadable = Unreadable(monkeypatch, "notes.txt")
    paths, cursor, warnings = PovexitPaths(raw_dir=str(raw)), {}, []
    for _ in range(3):
        ready, cursor = scan(paths, cursor, warnings.append)
        assert ready == []
    assert (
        warnings
        == [f"batch locked-2020 waits: {folder / 'notes.txt'}: cannot be read (PermissionError)"]
        * 3
    )
    unreadable.refusing = False
    ready, cursor = scan(paths, cursor, warnings.append)
    ready, cursor = scan(paths, cursor, warnings.append)
    assert ready == ["locked-2020"] and len(warnings) == 3


def test_sensor__ignores_folders_that_are_not_batch_ids(folders, instance):
    raw, _ = folders
    ticker = Ticker(instance, raw)
    write_batch(raw, batch_id="Not_A_Batch")
    ticker.tick()
    assert ticker.runs() == []


def test_schedule__reruns_only_batches_whose_inputs_changed(folders, instance):
    raw, _ = folders
    changed = write_batch(raw, batch_id="changed-2020")
    write_batch(raw, batch_id="same-2020")
    instance.add_dynamic_partitions("batch", ["changed-2020", "same-2020"])
    job = defs.resolve_job_def("assess_batch")
    for batch_id in ("changed-2020", "same-2020"):
        assert job.execute_in_process(partition_key=batch_id, instance=instance).success

    def evaluate():
        with dg.build_schedule_context(
            instance=instance, resources={"paths": PovexitPaths(raw_dir=str(raw))}
        ) as context:
            return nightly_reassessment(context)

    assert isinstance(evaluate(), dg.SkipReason)
    path = changed / "counties.csv"
    path.write_text(path.read_text().replace(",100,", ",101,", 1))
    requests = evaluate()
    assert [request.partition_key for request in requests] == ["changed-2020"]
    assert requests[0].tags["povexit/batch"] == "changed-2020"


def test_schedule__is_daily_at_two_in_beijing_time():
    assert nightly_reassessment.cron_schedule == "0 2 * * *"
    assert nightly_reassessment.execution_timezone == "Asia/Shanghai"


def test_instance__queues_a_batch_s_runs_one_at_a_time(tmp_path, monkeypatch):
    """deploy/dagster.yaml lets one run per batch out of the queue, whether the sensor or the
    schedule tagged it with its batch or the UI launched it on the batch's partition."""
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    # Its storage is kept in the instance's folder, named as Dagster's processes know it.
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    per_batch = {"value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    assert {"key": "povexit/batch", **per_batch} in limits
    assert {"key": "dagster/partition", **per_batch} in limits


def test_province_sensor__rebuilds_the_province_tables_after_a_publish(folders, instance):
    from pipeline.defs.sensors import province_after_publish

    raw, _ = folders
    write_batch(raw, batch_id="one-2020")
    context = dg.build_sensor_context(instance=instance, definitions=defs)
    assert not province_after_publish.evaluate_tick(context).run_requests  # nothing published
    instance.add_dynamic_partitions("batch", ["one-2020"])
    job = defs.resolve_job_def("assess_batch")
    assert job.execute_in_process(partition_key="one-2020", instance=instance).success
    context = dg.build_sensor_context(instance=instance, definitions=defs)
    requests = province_after_publish.evaluate_tick(context).run_requests
    assert len(requests) == 1 and province_after_publish.job_name == "province_marts"
    province = defs.resolve_job_def("province_marts").execute_in_process(instance=instance)
    assert province.success
    rows = {
        event.asset_key.to_user_string(): event.materialization.metadata["dagster/row_count"].value
        for event in province.get_asset_materialization_events()
    }
    # one batch; its households were registered in 2014: years 2014..2020
    assert rows == {"province_progress": 1, "poverty_trajectory": 7}
