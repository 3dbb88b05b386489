"""Jobs. One run assesses one batch (a partition); batches run in parallel as separate runs.

A batch's assets share its DuckDB file, so its steps take turns on it whatever the executor.
The executor comes from `Definitions` (see `pipeline.defs.executor`), as for the implicit asset
jobs: in process by default, because it starts no process per step, which is the faster way
through a chain of DuckDB steps; the multiprocess executor works too (pick it in the launchpad's
`execution` config), its steps waiting for the batch's database in turn.
"""

import dagster as dg

from pipeline.defs.assets.province import PROVINCE_GROUP

BRIEF = dg.AssetSelection.assets("brief")

ASSESS_BATCH_JOB = dg.define_asset_job(
    "assess_batch",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups(PROVINCE_GROUP) - BRIEF,
    description="Every asset of one batch: raw files to published marts.",
)

# After the province tables: the brief's history reads them.
BRIEF_JOB = dg.define_asset_job(
    "write_briefs",
    selection=BRIEF,
    description="The batch's brief (HTML and xlsx, zh and en) from the published marts.",
)

PROVINCE_JOB = dg.define_asset_job(
    "province_marts",
    selection=dg.AssetSelection.groups(PROVINCE_GROUP),
    description="The cross-batch tables, rebuilt from the marts every batch published.",
)
