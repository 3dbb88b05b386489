"""The Dagster definitions: only assembles what `pipeline.defs` builds."""

import dagster as dg

from pipeline.defs.assets.publish import exit_assessment
from pipeline.defs.assets.raw import RAW_ASSETS
from pipeline.defs.assets.sql import SQL_ASSETS
from pipeline.defs.assets.validation import rejected_rows
from pipeline.defs.checks import SCHEMA_CHECKS
from pipeline.defs.jobs import ASSESS_BATCH_JOB
from pipeline.defs.resources import PovexitPaths

defs = dg.Definitions(
    assets=[*RAW_ASSETS, rejected_rows, *SQL_ASSETS, exit_assessment],
    asset_checks=SCHEMA_CHECKS,
    jobs=[ASSESS_BATCH_JOB],
    resources={"paths": PovexitPaths()},
)
