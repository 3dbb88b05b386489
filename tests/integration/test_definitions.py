"""The Dagster definitions load, and their graph is the one the SQL and the schemas describe."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg
import pytest

from pipeline.definitions import defs
from pipeline.defs.assets.sql import asset_deps
from pipeline.schemas.registry import TABLES
from pipeline.sql_models import load_models

# Whole pipeline runs: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow

SPEC_MARTS = [
    "county_assessment",
    "survey_household_income",
    "guarantee_compliance",
    "batch_summary",
    "rectification_list",
    "rejected_rows",
    "agency_findings",
    "monitoring_list",
    "indicator_confidence",
]
# Published per batch beside the SPEC marts: what the province's trajectory reads.
PROVINCE_INPUTS = ["registry_cohorts"]
PROVINCE_TABLES = ["province_progress", "poverty_trajectory"]
RAW_ASSETS = [
    "raw_counties",
    "raw_registry_households",
    "raw_registry_members",
    "raw_survey_households",
    "raw_objections",
]


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def test_every_spec_mart__is_an_asset_feeding_the_published_file(graph):
    published = graph.get(dg.AssetKey("exit_assessment"))
    assert {key.to_user_string() for key in published.parent_keys} == set(
        SPEC_MARTS + PROVINCE_INPUTS
    )


def test_province_tables__are_unpartitioned_and_downstream_of_every_publish(graph):
    for name in PROVINCE_TABLES:
        node = graph.get(dg.AssetKey(name))
        assert node.partitions_def is None, name
        assert {key.to_user_string() for key in node.parent_keys} == {"exit_assessment"}
        assert node.group_name == "province"
    assert defs.resolve_job_def("province_marts") is not None
    batch_job = defs.resolve_job_def("assess_batch")
    assert not set(PROVINCE_TABLES) & {
        key.to_user_string() for key in batch_job.asset_layer.selected_asset_keys
    }


def test_sql_assets__depend_on_what_their_sql_reads(graph):
    for name, model in load_models().items():
        parents = {key.to_user_string() for key in graph.get(dg.AssetKey(name)).parent_keys}
        assert parents == set(asset_deps(model)), name
        assert graph.get(dg.AssetKey(name)).description == model.description


def test_marts__trace_back_to_every_raw_table(graph):
    upstream = {
        key.to_user_string()
        for key in graph.get_ancestor_asset_keys(dg.AssetKey("county_assessment"))
    }
    assert set(RAW_ASSETS) | {"batch_manifest", "rejected_rows"} <= upstream


def test_groups__are_the_layers(graph):
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert {groups[name] for name in RAW_ASSETS} == {"raw"}
    assert groups["stg_registry_members"] == "staging"
    assert groups["county_assessment"] == "marts"
    assert groups["exit_assessment"] == "published"


def test_schema_checks__are_blocking_on_staging(graph):
    checks = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys}
    schema_checks = {name: spec for name, spec in checks.items() if name.endswith("_schema")}
    assert set(schema_checks) == {
        "counties_schema",
        "registry_households_schema",
        "registry_members_schema",
        "survey_households_schema",
        "objections_schema",
    }
    assert all(spec.blocking for spec in checks.values())
    assert checks["registry_members_schema"].asset_key == dg.AssetKey("stg_registry_members")


def test_registry_checks__block_every_staging_and_mart_asset(graph):
    checked = {
        key.asset_key.to_user_string()
        for key in graph.asset_check_keys
        if key.name == "matches_registry"
    }
    models = {name for name, model in load_models().items()}
    assert checked == models | {"rejected_rows"}
    assert all(graph.get_check_spec(key).blocking for key in graph.asset_check_keys)


def test_column_schemas__come_from_the_registry_on_every_table_asset(graph):
    for name, table in TABLES.items():
        if table.layer == "validation":  # written by rejected_rows' asset, not an asset
            continue
        schema = graph.get(dg.AssetKey(name)).metadata["dagster/column_schema"]
        assert [column.name for column in schema.columns] == table.column_names, name


def test_dagster_definitions_validate__passes():
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
