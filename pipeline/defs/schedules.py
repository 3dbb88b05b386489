"""The nightly schedule: re-materialise batches whose inputs or code changed since publishing."""

import dagster as dg

from pipeline.defs.jobs import ASSESS_BATCH_JOB
from pipeline.defs.partitions import BATCH_PARTITIONS
from pipeline.defs.resources import PovexitPaths
from pipeline.defs.tags import batch_tags
from pipeline.errors import InputError
from pipeline.fingerprint import batch_fingerprint, code_fingerprint


def published_fingerprints(instance: dg.DagsterInstance, batch_id: str) -> tuple | None:
    """(input, code) fingerprints recorded by the batch's last publish, if any."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey("exit_assessment"), asset_partitions=[batch_id]
        ),
        limit=1,
    ).records
    if not records:
        return None
    metadata = records[0].asset_materialization.metadata
    return tuple(
        metadata[key].value if key in metadata else None
        for key in ("input_fingerprint", "code_fingerprint")
    )


@dg.schedule(
    job=ASSESS_BATCH_JOB,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    description="02:00 Beijing time: re-run every batch whose files or pipeline code changed.",
)
def nightly_reassessment(context: dg.ScheduleEvaluationContext, paths: PovexitPaths):
    code = code_fingerprint()
    requests = []
    for batch_id in sorted(context.instance.get_dynamic_partitions(BATCH_PARTITIONS.name)):
        try:
            inputs = batch_fingerprint(paths.raw / batch_id)
        except InputError as error:  # its run would stop at the same file: said here instead
            context.log.warning(f"batch {batch_id} not re-run: {error}")
            continue
        if inputs is None or published_fingerprints(context.instance, batch_id) == (inputs, code):
            continue
        requests.append(
            dg.RunRequest(
                partition_key=batch_id,
                run_key=f"nightly:{batch_id}:{inputs}:{code}",
                tags=batch_tags(batch_id),
            )
        )
    return requests or dg.SkipReason("every published batch is up to date")
