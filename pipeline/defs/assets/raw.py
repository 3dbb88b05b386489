"""Raw layer: the batch manifest and each raw file, read as text into the batch's warehouse."""

import dagster as dg

from pipeline.defs.hooks import remove_batch_copies, remove_batch_copies_after_a_failure
from pipeline.defs.metadata import column_schema
from pipeline.defs.partitions import BATCH_PARTITIONS
from pipeline.defs.resources import PovexitPaths
from pipeline.ingest import ingest, store_report
from pipeline.manifest import read_manifest, store_manifest
from pipeline.schemas.fields import RAW_TABLES, RawTable
from pipeline.schemas.registry import BATCH_MANIFEST, TABLES


@dg.asset(
    name="batch_manifest",
    group_name="raw",
    partitions_def=BATCH_PARTITIONS,
    kinds={"duckdb", "toml"},
    description=BATCH_MANIFEST.description,
    metadata={"dagster/column_schema": column_schema(BATCH_MANIFEST)},
)
def batch_manifest(context: dg.AssetExecutionContext, paths: PovexitPaths) -> dg.MaterializeResult:
    manifest = read_manifest(paths.batch_dir(context.partition_key))
    with paths.warehouse(manifest.batch_id) as con:
        store_manifest(con, manifest)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": 1,
            "poverty_line_yuan": manifest.poverty_line_yuan,
            "assessment_year": manifest.assessment_year,
            "quarantine_share_max": manifest.quarantine_share_max,
        }
    )


def raw_asset(table: RawTable) -> dg.AssetsDefinition:
    """The asset that loads one raw file of the batch, every column as text."""

    @dg.asset(
        name=table.asset,
        group_name="raw",
        partitions_def=BATCH_PARTITIONS,
        kinds={"duckdb", "csv"},
        description=f"{table.description} Read from {table.name}.csv as text, line by line.",
        metadata={"dagster/column_schema": column_schema(TABLES[table.asset])},
        hooks={remove_batch_copies, remove_batch_copies_after_a_failure},
    )
    def _raw(context: dg.AssetExecutionContext, paths: PovexitPaths) -> dg.MaterializeResult:
        batch_id = context.partition_key
        with paths.warehouse(batch_id) as con:
            report = ingest(
                con,
                paths.batch_dir(batch_id),
                table,
                paths.sources_dir(batch_id),
            )
            store_report(con, report, len(table.columns))
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": report.rows_read,
                "source_file": report.source_file,
                "encoding": report.encoding,
                "malformed_rows": len(report.malformed),
                "blank_lines": report.blank_lines,
                "extra_columns": ", ".join(report.extra_columns) or "none",
            }
        )

    return _raw


RAW_ASSETS = [batch_manifest, *(raw_asset(table) for table in RAW_TABLES)]
