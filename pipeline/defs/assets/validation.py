"""The quarantine: every raw row that breaks a rule of its pandera schema, with its reason."""

import dagster as dg

from pipeline.defs.partitions import BATCH_PARTITIONS
from pipeline.defs.resources import PovexitPaths
from pipeline.schemas.fields import RAW_TABLES
from pipeline.validation import validate_batch


@dg.asset(
    name="rejected_rows",
    group_name="staging",
    partitions_def=BATCH_PARTITIONS,
    kinds={"duckdb", "pandera"},
    deps=["batch_manifest", *(table.asset for table in RAW_TABLES)],
    description=(
        "Quarantined input: one row per (source line, column, rule) failing the batch's "
        "pandera schemas, with the file, line number and the value (personal data masked)."
    ),
)
def rejected_rows(context: dg.AssetExecutionContext, paths: PovexitPaths) -> dg.MaterializeResult:
    batch_id = context.partition_key
    with paths.warehouse(batch_id) as con:
        findings = validate_batch(con, batch_id)
        by_rule = con.execute(
            """
            select source_file, "column", rule, count(*) as findings
            from rejected_rows
            group by all
            order by source_file, "column", rule
            """
        ).fetchall()
    table = "\n".join(f"| {f} | {c or ''} | {r} | {n} |" for f, c, r, n in by_rule)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": findings,
            "findings_by_rule": dg.MetadataValue.md(
                "| file | column | rule | rows |\n|---|---|---|---|\n" + table
            ),
        }
    )
