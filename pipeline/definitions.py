"""The Dagster definitions: only assembles what `pipeline.defs` builds.

The executor is set here, not per job, so that the implicit asset jobs the UI's "Materialize"
launches run in process by default too.
"""

import dagster as dg

from pipeline.defs.assets.brief import brief
from pipeline.defs.assets.province import province_tables
from pipeline.defs.assets.publish import exit_assessment
from pipeline.defs.assets.raw import RAW_ASSETS
from pipeline.defs.assets.sql import SQL_ASSETS
from pipeline.defs.assets.validation import rejected_rows
from pipeline.defs.checks import SCHEMA_CHECKS
from pipeline.defs.executor import in_process_first_executor
from pipeline.defs.jobs import ASSESS_BATCH_JOB, BRIEF_JOB, PROVINCE_JOB
from pipeline.defs.resources import PovexitPaths
from pipeline.defs.schedules import nightly_reassessment
from pipeline.defs.sensors import (
    batch_folder_sensor,
    briefs_after_province,
    province_after_publish,
)

defs = dg.Definitions(
    assets=[*RAW_ASSETS, rejected_rows, *SQL_ASSETS, exit_assessment, brief, province_tables],
    asset_checks=SCHEMA_CHECKS,
    jobs=[ASSESS_BATCH_JOB, PROVINCE_JOB, BRIEF_JOB],
    schedules=[nightly_reassessment],
    sensors=[batch_folder_sensor, province_after_publish, briefs_after_province],
    resources={"paths": PovexitPaths()},
    executor=in_process_first_executor,
)
