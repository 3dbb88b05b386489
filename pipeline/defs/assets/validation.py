"""The quarantine: every raw row that breaks a rule of its pandera schema, with its reason."""

import shutil

import dagster as dg

from pipeline.defs.assets.sql import registry_check_result, registry_check_spec
from pipeline.defs.hooks import remove_batch_copies
from pipeline.defs.metadata import column_schema
from pipeline.defs.partitions import BATCH_PARTITIONS
from pipeline.defs.resources import PovexitPaths
from pipeline.findings import findings_by_file_and_rule
from pipeline.schemas.fields import RAW_TABLES
from pipeline.schemas.registry import REJECTED_ROWS
from pipeline.validation import validate_batch


@dg.asset(
    name=REJECTED_ROWS.name,
    group_name="staging",
    partitions_def=BATCH_PARTITIONS,
    kinds={"duckdb", "pandera"},
    deps=["batch_manifest", *(table.asset for table in RAW_TABLES)],
    description=REJECTED_ROWS.description,
    metadata={"dagster/column_schema": column_schema(REJECTED_ROWS)},
    check_specs=[registry_check_spec(REJECTED_ROWS.name)],
    hooks={remove_batch_copies},
)
def rejected_rows(context: dg.AssetExecutionContext, paths: PovexitPaths) -> dg.MaterializeResult:
    batch_id = context.partition_key
    with paths.warehouse(batch_id) as con:
        findings = validate_batch(con, batch_id)
    # The UTF-8 copies of GB18030 files hold every column, names and objection summaries too;
    # nothing reads the raw relations after validation, so they go now (the raw assets make
    # them again for the next run).
    shutil.rmtree(paths.sources_dir(batch_id), ignore_errors=True)
    with paths.warehouse(batch_id) as con:
        by_rule = findings_by_file_and_rule(con)
        check = registry_check_result(con, REJECTED_ROWS.name)
    table = "\n".join(f"| {f} | {c or ''} | {r} | {n} |" for f, c, r, n in by_rule)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": findings,
            "findings_by_rule": dg.MetadataValue.md(
                "| file | column | rule | rows |\n|---|---|---|---|\n" + table
            ),
        },
        check_results=[check],
    )
