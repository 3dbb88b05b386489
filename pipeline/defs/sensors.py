"""The sensor that picks up new and changed batch folders under the raw folder."""

import json
from collections.abc import Callable

import dagster as dg

from pipeline.defs.jobs import ASSESS_BATCH_JOB, BRIEF_JOB, PROVINCE_JOB
from pipeline.defs.partitions import BATCH_PARTITIONS
from pipeline.defs.resources import PovexitPaths
from pipeline.defs.tags import batch_tags
from pipeline.errors import InputError
from pipeline.fingerprint import batch_fingerprint
from pipeline.settings import BATCH_ID_PATTERN


def scan(
    paths: PovexitPaths, cursor: dict, warn: Callable[[str], None] = lambda message: None
) -> tuple[list[str], dict]:
    """Batches to run now, and the new cursor.

    A folder runs once its fingerprint is the same on two ticks in a row: a folder still being
    copied changes between ticks (or lacks a file) and waits. `seen` holds the fingerprint of
    the last run requested per batch; `pending`, the one waiting to be confirmed. A folder with
    a file that cannot be read waits too, and `warn` is told which file, every tick.
    """
    seen, pending = dict(cursor.get("seen", {})), dict(cursor.get("pending", {}))
    ready = []
    folders = sorted(p for p in paths.raw.iterdir() if p.is_dir()) if paths.raw.is_dir() else []
    for folder in folders:
        batch_id = folder.name
        if not BATCH_ID_PATTERN.fullmatch(batch_id):
            continue
        try:
            fingerprint = batch_fingerprint(folder)
        except InputError as error:
            warn(f"batch {batch_id} waits: {error}")
            fingerprint = None
        if fingerprint is None or seen.get(batch_id) == fingerprint:
            pending.pop(batch_id, None)
            continue
        if pending.get(batch_id) != fingerprint:
            pending[batch_id] = fingerprint
            continue
        seen[batch_id] = pending.pop(batch_id)
        ready.append(batch_id)
    return ready, {"seen": seen, "pending": pending}


@dg.sensor(
    job=ASSESS_BATCH_JOB,
    minimum_interval_seconds=60,
    description="Runs a batch when its folder under the raw folder is new or its content "
    "changed, once the folder has stopped changing.",
)
def batch_folder_sensor(context: dg.SensorEvaluationContext, paths: PovexitPaths):
    ready, cursor = scan(paths, json.loads(context.cursor or "{}"), context.log.warning)
    known = set(context.instance.get_dynamic_partitions(BATCH_PARTITIONS.name))
    new = [batch_id for batch_id in ready if batch_id not in known]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                partition_key=batch_id,
                run_key=f"{batch_id}:{cursor['seen'][batch_id]}",
                tags=batch_tags(batch_id),
            )
            for batch_id in ready
        ],
        dynamic_partitions_requests=[BATCH_PARTITIONS.build_add_request(new)] if new else [],
        cursor=json.dumps(cursor, sort_keys=True),
    )


@dg.asset_sensor(
    asset_key=dg.AssetKey("exit_assessment"),
    job=PROVINCE_JOB,
    minimum_interval_seconds=60,
    description="Rebuilds the cross-batch tables after any batch publishes its marts.",
)
def province_after_publish(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    # one publish per run: the run that published names the rebuild
    return dg.RunRequest(run_key=f"province:{asset_event.run_id}")


@dg.asset_sensor(
    asset_key=dg.AssetKey("province_progress"),
    job=BRIEF_JOB,
    minimum_interval_seconds=60,
    description="Rewrites the brief of every published batch after the cross-batch tables "
    "change: a brief's history reads them.",
)
def briefs_after_province(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    published = context.instance.get_materialized_partitions(dg.AssetKey("exit_assessment"))
    return [
        dg.RunRequest(
            partition_key=batch_id,
            run_key=f"brief:{batch_id}:{asset_event.run_id}",
            tags=batch_tags(batch_id),
        )
        for batch_id in sorted(published)
    ]
