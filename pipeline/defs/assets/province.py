"""Province layer: the cross-batch tables (sql/province/), rebuilt in the published marts file
from the marts every batch published. Unpartitioned, downstream of every batch's publish.

A batch's publish already rebuilds them in the same file (pipeline/publish.py), so a reader
never sees them disagree with the batches; this asset rebuilds them on their own (after a run
on a persistent instance, or from the UI) and records them in the lineage."""

import dagster as dg

from pipeline.defs.metadata import column_schema
from pipeline.defs.resources import PovexitPaths
from pipeline.publish import province_models, publish_province_tables
from pipeline.schemas.registry import TABLES
from pipeline.settings import marts_path

PROVINCE_GROUP = "province"
PROVINCE_MODELS = province_models()


@dg.multi_asset(
    name="province_tables",
    group_name=PROVINCE_GROUP,
    specs=[
        dg.AssetSpec(
            model.name,
            deps=["exit_assessment"],
            description=model.description,
            kinds={"duckdb", "sql"},
            metadata={
                "sql_file": f"sql/{model.layer}/{model.path.name}",
                "dagster/column_schema": column_schema(TABLES[model.name]),
            },
        )
        for model in PROVINCE_MODELS
    ],
    pool="publish_marts",
)
def province_tables(context: dg.AssetExecutionContext, paths: PovexitPaths):
    marts_file = marts_path(paths.marts)
    counts = publish_province_tables(marts_file)
    for model in PROVINCE_MODELS:
        yield dg.MaterializeResult(
            asset_key=model.name,
            metadata={
                "dagster/row_count": counts.get(model.name, 0),
                "path": dg.MetadataValue.path(str(marts_file)),
            },
        )
