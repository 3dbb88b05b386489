"""What the Dagster UI shows of a run: row counts, column schemas and lineage, the verdicts."""

from __future__ import annotations

import dagster as dg
import pytest

from pipeline.definitions import defs
from pipeline.sql_models import load_models
from tests.batch_builder import write_batch
from tests.integration.test_privacy_and_warnings import run_job

# Whole pipeline runs: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    root = tmp_path_factory.mktemp("metadata")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POVEXIT_RAW_DIR", str(root / "raw"))
        patch.setenv("POVEXIT_MARTS_DIR", str(root / "marts"))
        write_batch(root / "raw")
        done = run_job("test-2020")
    assert done.success
    return done


@pytest.fixture(scope="module")
def checks(result):
    return result.get_asset_check_evaluations()


@pytest.fixture(scope="module")
def materializations(result):
    return {
        m.asset_key.to_user_string(): m.metadata
        for m in result.get_asset_materialization_events()
        for m in [m.event_specific_data.materialization]
    }


def test_every_asset__reports_its_row_count(materializations):
    for name, metadata in materializations.items():
        if name not in ("exit_assessment", "brief"):  # files, not tables
            assert "dagster/row_count" in metadata, name
    assert materializations["stg_registry_members"]["dagster/row_count"].value == 8


def test_column_lineage__follows_the_sql_back_to_staging(materializations):
    lineage = materializations["county_assessment"]["dagster/column_lineage"].value
    deps = {
        (d.asset_key.to_user_string(), d.column_name) for d in lineage.deps_by_column["verdict"]
    }
    assert ("stg_counties", "region") in deps
    assert ("batch_manifest", "acceptance_rate_min") in deps
    staged = materializations["stg_registry_households"]["dagster/column_lineage"].value
    [dep] = staged.deps_by_column["household_size"]
    assert dep == dg.TableColumnDep(dg.AssetKey("raw_registry_households"), "household_size")


def test_column_schema__describes_the_spec_columns():
    graph = defs.resolve_asset_graph()
    schema = graph.get(dg.AssetKey("county_assessment")).metadata["dagster/column_schema"]
    columns = {column.name: column for column in schema.columns}
    assert "错退率" in columns["wrong_exit_rate"].description
    assert columns["verdict"].type == "varchar"
    # described per table: the same code is a county assessed here, a county surveyed there
    assert "assessed" in columns["county_code"].description
    survey = graph.get(dg.AssetKey("survey_household_income")).metadata["dagster/column_schema"]
    assert "surveyed" in {c.name: c for c in survey.columns}["county_code"].description


def test_registry_checks__pass_on_a_good_batch(checks):
    registry = [e for e in checks if e.check_name == "matches_registry"]
    assert len(registry) == len(load_models()) + 1  # every SQL model and rejected_rows
    assert all(e.passed for e in registry), [e.description for e in registry if not e.passed]


def test_county_assessment__carries_the_verdict_table(materializations):
    verdicts = materializations["county_assessment"]["verdicts"].value
    assert "| 529901 | 甲县 | west |" in verdicts and "meets" in verdicts
