"""Staging and mart assets: one per file under sql/, built by one factory, each checked against
its entry in the table registry (columns, types, grain) before anything downstream reads it."""

import dagster as dg

from pipeline.contracts import table_problems
from pipeline.defs.metadata import column_schema, model_metadata
from pipeline.defs.partitions import BATCH_PARTITIONS
from pipeline.defs.resources import PovexitPaths
from pipeline.findings import household_size_mismatches
from pipeline.report import verdict_markdown
from pipeline.schemas.registry import TABLES
from pipeline.sql_models import SqlModel, load_models, materialize
from pipeline.validation_plan import checked_source

QUARANTINE_ASSET = "rejected_rows"


def asset_deps(model: SqlModel) -> list[str]:
    """The assets a model reads: a checked table is written by the quarantine's asset."""
    return sorted({QUARANTINE_ASSET if checked_source(dep) else dep for dep in model.deps})


REGISTRY_CHECK = "matches_registry"


def registry_check_spec(name: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        REGISTRY_CHECK,
        asset=name,
        blocking=True,
        partitions_def=BATCH_PARTITIONS,
        description="The table has the registry's columns, in order and type, and one row per "
        "value of its grain (pipeline/schemas/registry.py).",
    )


def registry_check_result(con, name: str) -> dg.AssetCheckResult:
    problems = table_problems(con, TABLES[name])
    return dg.AssetCheckResult(
        check_name=REGISTRY_CHECK,
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{name}: " + ("; ".join(problems) or "as the registry describes it"),
        metadata={"grain": ", ".join(TABLES[name].grain)},
    )


def sql_asset(model: SqlModel) -> dg.AssetsDefinition:
    """The asset that (re)builds one SQL model's table in the batch's warehouse."""
    if model.name not in TABLES:
        raise ValueError(f"{model.path}: {model.name} is not in pipeline/schemas/registry.py")

    @dg.asset(
        name=model.name,
        group_name=model.layer,
        partitions_def=BATCH_PARTITIONS,
        kinds={"duckdb", "sql"},
        deps=asset_deps(model),
        description=model.description,
        metadata={
            "sql_file": f"sql/{model.layer}/{model.path.name}",
            "dagster/column_schema": column_schema(TABLES[model.name]),
        },
        check_specs=[registry_check_spec(model.name)],
    )
    def _model(context: dg.AssetExecutionContext, paths: PovexitPaths) -> dg.MaterializeResult:
        batch_id = context.partition_key
        with paths.warehouse(batch_id) as con:
            rows = materialize(con, model)
            metadata = model_metadata(con, model, rows)
            if model.name == "county_assessment":
                metadata["verdicts"] = dg.MetadataValue.md(verdict_markdown(con, batch_id))
            if model.name == "_registry_household_persons":
                # SPEC section 1: a finding, not a reject; both numbers are in this table.
                mismatches = household_size_mismatches(con)
                metadata["warning_household_size_differs_from_members"] = mismatches
            check = registry_check_result(con, model.name)
        return dg.MaterializeResult(metadata=metadata, check_results=[check])

    return _model


SQL_MODELS = load_models()
SQL_ASSETS = [sql_asset(model) for model in SQL_MODELS.values()]
