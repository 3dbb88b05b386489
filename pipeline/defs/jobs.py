"""Jobs. One run assesses one batch (a partition); batches run in parallel as separate runs.

A batch's assets share its DuckDB file, so its steps take turns on it whatever the executor.
The in-process executor is the default because it starts no process per step, which is the
faster way through a chain of DuckDB steps; the multiprocess executor works too (pick it in
the launchpad's `execution` config), its steps waiting for the batch's database in turn.
"""

import dagster as dg

ASSESS_BATCH_JOB = dg.define_asset_job(
    "assess_batch",
    selection=dg.AssetSelection.all(),
    executor_def=dg.multi_or_in_process_executor,
    config={"execution": {"config": {"in_process": {}}}},
    description="Every asset of one batch: raw files to published marts.",
)
