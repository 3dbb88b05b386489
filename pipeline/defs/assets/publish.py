"""Published layer: the batch's marts copied into data/marts/exit_assessment.duckdb."""

import dagster as dg

from pipeline.defs.partitions import BATCH_PARTITIONS
from pipeline.defs.resources import PovexitPaths
from pipeline.fingerprint import batch_fingerprint, code_fingerprint
from pipeline.ingest import check_unchanged, input_stamps
from pipeline.publish import publish_batch
from pipeline.schemas.registry import PUBLISHED_TABLES
from pipeline.settings import marts_path


@dg.asset(
    name="exit_assessment",
    group_name="published",
    partitions_def=BATCH_PARTITIONS,
    kinds={"duckdb"},
    deps=PUBLISHED_TABLES,
    description=(
        "The published marts file, data/marts/exit_assessment.duckdb: every table of SPEC "
        "section 4, keyed by batch_id. Written whole and renamed over the old file."
    ),
    pool="publish_marts",
)
def exit_assessment(context: dg.AssetExecutionContext, paths: PovexitPaths) -> dg.MaterializeResult:
    batch_id = context.partition_key
    # What the nightly schedule compares with to find stale batches: the fingerprint of the
    # files this run read. A file changed since the raw step would be recorded as assessed
    # while the marts hold what it said before, so the files must be unchanged before and
    # after they are hashed, or nothing is published.
    with paths.warehouse(batch_id) as con:
        inputs = input_stamps(con)
    check_unchanged(inputs)
    input_fingerprint = batch_fingerprint(paths.batch_dir(batch_id)) or ""
    check_unchanged(inputs)
    # Publishing attaches the working database: this run lets go of it first, then it waits
    # its turn like every step that opens it, or another run's step holding the file would
    # make DuckDB refuse the attach.
    paths.release_warehouse(batch_id)
    with paths.warehouse_lock(batch_id):
        counts = publish_batch(
            paths.warehouse_path(batch_id), marts_path(paths.marts), batch_id, PUBLISHED_TABLES
        )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(marts_path(paths.marts))),
            "input_fingerprint": input_fingerprint,
            "code_fingerprint": code_fingerprint(),
            **{f"rows_{table}": count for table, count in counts.items()},
        }
    )
