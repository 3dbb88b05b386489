"""The run tag that names a run's batch.

`deploy/dagster.yaml` lets one run per value of this tag through the run queue, so runs of the
same batch that Dagster launches (sensor, schedule) take turns on the batch's working database
instead of interleaving their steps on it. Runs launched from the UI carry the partition tag
(`dagster/partition`), limited the same way there.
"""

BATCH_TAG = "povexit/batch"


def batch_tags(batch_id: str) -> dict[str, str]:
    return {BATCH_TAG: batch_id}
