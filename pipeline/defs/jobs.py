"""Jobs. A batch's assets share one DuckDB file, so they run one after another in one
process; batches run in parallel as separate runs."""

import dagster as dg

ASSESS_BATCH_JOB = dg.define_asset_job(
    "assess_batch",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Every asset of one batch: raw files to published marts.",
)
