"""Blocking checks made from the pandera schemas: one per raw table, on its staging asset.

Validation already ran every rule of the schema inside DuckDB (`rejected_rows`); a check reads
the outcome for its file (`pipeline.accounting`, `pipeline.findings`) and blocks everything
downstream when the file's quarantined share passes the batch's quarantine_share_max (default
1%) or when its rows or lines do not add up. A blocked batch publishes nothing.
"""

import dagster as dg

from pipeline.accounting import account_for
from pipeline.defs.partitions import BATCH_PARTITIONS
from pipeline.defs.resources import PovexitPaths
from pipeline.findings import failing_rows_by_rule, warnings
from pipeline.manifest import quarantine_share_max
from pipeline.schemas.fields import RAW_TABLES, RawTable


def schema_check(table: RawTable) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=table.staging,
        name=f"{table.name}_schema",
        blocking=True,
        partitions_def=BATCH_PARTITIONS,
        description=(
            f"Rows of {table.name} failing its pandera schema (pipeline/schemas/raw.py) stay "
            "within the batch's quarantine_share_max, rows read = rows accepted + rows "
            "rejected, and the file's lines = header + blank lines + the lines of those rows."
        ),
    )
    def _check(context: dg.AssetCheckExecutionContext, paths: PovexitPaths):
        with paths.warehouse(context.partition_key) as con:
            account = account_for(con, table.name, table.staging)
            threshold = quarantine_share_max(con)
            by_rule = failing_rows_by_rule(con, table.name)
            noted = warnings(con, table.name)
        source_file, read, rejected = account.source_file, account.rows_read, account.rows_rejected
        share, problems = account.rejected_share, account.problems()
        if table.any_quarantine_blocks and rejected:
            problems.append(f"any quarantined row of {table.name} blocks the batch")
        rules = "\n".join(f"| {c or ''} | {r} | {n} |" for c, r, n in by_rule) or "| | none | 0 |"
        return dg.AssetCheckResult(
            passed=not problems and share <= threshold,
            severity=dg.AssetCheckSeverity.ERROR,
            description=(
                f"{source_file}: {rejected} of {read} rows quarantined ({share:.2%}, "
                f"threshold {threshold:.2%})" + "".join(f"; {problem}" for problem in problems)
            ),
            metadata={
                "source_file": source_file,
                "rows_read": read,
                "rows_accepted": account.rows_accepted,
                "rows_rejected": rejected,
                "physical_lines": account.physical_lines,
                "blank_lines": account.blank_lines,
                "lines_in_rows": account.lines_spanned,
                "rejected_share": share,
                "quarantine_share_max": threshold,
                "failing_rows_by_rule": dg.MetadataValue.md(
                    "| column | rule | rows |\n|---|---|---|\n" + rules
                ),
                **noted,
            },
        )

    return _check


SCHEMA_CHECKS = [schema_check(table) for table in RAW_TABLES]
