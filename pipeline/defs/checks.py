"""Blocking checks made from the pandera schemas: one per raw table, on its staging asset.

Validation already ran every rule of the schema inside DuckDB (`rejected_rows`); a check reads
the outcome for its file and blocks everything downstream when the file's quarantined share
passes the batch's quarantine_share_max (default 1%) or when its rows do not add up
(read = accepted + rejected). A blocked batch publishes nothing.
"""

import dagster as dg

from pipeline.accounting import account_for
from pipeline.defs.partitions import BATCH_PARTITIONS
from pipeline.defs.resources import PovexitPaths
from pipeline.schemas.fields import RAW_TABLES, RawTable
from pipeline.schemas.raw import SCHEMAS


def staging_model(table: RawTable) -> str:
    return "stg_" + table.asset.removeprefix("raw_")


# Findings that do not make a row unusable: reported beside the check, never rejected.
SIZE_MISMATCH_SQL = """
with members as (
    select household_id, count(*) as member_count
    from raw_registry_members
    group by household_id
)
select count(*)
from stg_registry_households as households
left join members using (household_id)
where households.household_size <> coalesce(members.member_count, 0)
"""


def warnings(con, table: RawTable) -> dict[str, str | int]:
    extra = con.execute(
        "select extra_columns from _ingest_reports where source_table = ?", [table.name]
    ).fetchone()[0]
    found = {"warning_extra_columns": ", ".join(extra) or "none"}
    if table.name == "registry_households":
        found["warning_household_size_differs_from_members"] = con.execute(
            SIZE_MISMATCH_SQL
        ).fetchone()[0]
    return found


def schema_check(table: RawTable) -> dg.AssetChecksDefinition:
    schema = SCHEMAS[table.name]

    @dg.asset_check(
        asset=staging_model(table),
        name=f"{table.name}_schema",
        blocking=True,
        partitions_def=BATCH_PARTITIONS,
        description=(
            f"Rows of {table.name} failing the pandera schema '{schema.name}' stay within the "
            "batch's quarantine_share_max, rows read = rows accepted + rows rejected, and the "
            "file's lines = header + blank lines + the lines of those rows."
        ),
    )
    def _check(context: dg.AssetCheckExecutionContext, paths: PovexitPaths):
        batch_id = context.partition_key
        with paths.warehouse(batch_id) as con:
            account = account_for(con, table.name, staging_model(table))
            threshold = con.execute("select quarantine_share_max from batch_manifest").fetchone()[0]
            by_rule = con.execute(
                """
                select "column", rule, count(*) from rejected_rows
                where source_table = ? group by all order by 3 desc, 1, 2
                """,
                [table.name],
            ).fetchall()
            noted = warnings(con, table)
        source_file, read, rejected = account.source_file, account.rows_read, account.rows_rejected
        share, problems = account.rejected_share, account.problems()
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
