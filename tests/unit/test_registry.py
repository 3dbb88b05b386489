"""The table registry: every table the pipeline writes is described once, and what is built
matches it (columns, order, types, grain)."""

from __future__ import annotations

import duckdb
import pytest

from pipeline import contracts, warehouse
from pipeline.contracts import table_problems
from pipeline.schemas.fields import RAW_TABLES
from pipeline.schemas.names import layer_name
from pipeline.schemas.registry import PUBLISHED_TABLES, TABLES, comment_statements, ddl
from pipeline.sql_models import load_models, materialize
from pipeline.warehouse import relation_kind
from tests.conftest import grouping_threads_everywhere, validate
from tests.unit.sql.mart_batch import MANIFEST, build_marts


@pytest.fixture(scope="module")
def marts():
    return build_marts(MANIFEST)


def test_registry__every_sql_model_is_registered_in_its_layer():
    for name, model in load_models().items():
        assert name in TABLES, name
        assert TABLES[name].layer == model.layer, name


def test_registry__published_tables_are_the_public_marts_and_the_quarantine():
    public = {n for n, m in load_models().items() if m.layer == "marts" and not n.startswith("_")}
    assert set(PUBLISHED_TABLES) == public | {"rejected_rows"}


def test_registry__one_rule_names_every_layer_of_a_raw_file():
    for raw in RAW_TABLES:
        assert raw.asset == layer_name(raw.name, "raw") == f"raw_{raw.name}"
        assert raw.staging == layer_name(raw.name, "staging") == f"stg_{raw.name}"
        assert raw.asset in TABLES and raw.staging in TABLES


def test_registry__every_column_has_a_label_and_a_description():
    for table in TABLES.values():
        assert table.description and table.grain, table.name
        assert set(table.grain) <= set(table.column_names), table.name
        assert len(set(table.column_names)) == len(table.columns), table.name
        for column in table.columns:
            assert column.label_zh and column.description, (table.name, column.name)


def test_registry__descriptions_are_per_table():
    # One flat dictionary used to describe county_code as "county surveyed" everywhere.
    assessed = TABLES["county_assessment"].column("county_code").description
    surveyed = TABLES["survey_household_income"].column("county_code").description
    assert "assessed" in assessed and "surveyed" in surveyed


def test_registry__personal_data_stays_out_of_staging_and_marts():
    for table in TABLES.values():
        personal = [column.name for column in table.columns if column.personal]
        if table.layer == "raw" and table.name != "batch_manifest":
            continue
        assert not personal, table.name
    assert TABLES["raw_registry_members"].column("id_number").personal


def test_registry__thresholds_named_by_indicator_in_manifest_and_marts():
    manifest = set(TABLES["batch_manifest"].column_names)
    county = set(TABLES["county_assessment"].column_names)
    for name in ("wrong_exit_rate_max", "missed_rate_max", "acceptance_rate_min"):
        assert name in manifest and name in county
    assert not [name for name in county if name.endswith("_threshold")]


def test_marts__every_model_built_matches_the_registry(marts):
    for name, model in load_models().items():
        if model.layer == "marts":
            assert table_problems(marts, TABLES[name]) == [], name


def test_contract__a_drifted_table_is_named_with_what_differs():
    con = duckdb.connect()
    table = TABLES["guarantee_compliance"]
    con.execute(ddl(table))
    assert table_problems(con, table) == []
    con.execute("alter table guarantee_compliance alter rate type decimal(5,4)")
    con.execute("alter table guarantee_compliance add column extra integer")
    problems = table_problems(con, table)
    assert "unexpected column extra" in problems
    assert "column rate is decimal(5,4), the registry says double" in problems


def test_contract__an_enum_of_codes_in_another_case_is_another_type():
    # Types compare in lower case, an ENUM's codes as they are: 'm' is no code of ENUM('M', 'F').
    con = duckdb.connect()
    table = TABLES["_checked_registry_members"]
    con.execute(ddl(table))
    assert table_problems(con, table) == []
    con.execute("alter table _checked_registry_members alter sex type enum('m', 'f')")
    assert table_problems(con, table) == [
        "column sex is enum('m','f'), the registry says enum('M','F')"
    ]


def test_contract__a_repeated_grain_fails():
    con = duckdb.connect()
    table = TABLES["guarantee_compliance"]
    con.execute(ddl(table))
    row = "('b', '520101', 'food', 1, 1, 1.0)"
    con.execute(f"insert into guarantee_compliance values {row}, {row}")
    assert table_problems(con, table) == [
        "1 values of the grain (batch_id, county_code, indicator) are held by several rows"
    ]


def test_contract__a_repeated_grain_fails_with_grouping_threads_too(monkeypatch):
    # A table of a million rows or more is grouped with more threads; this small one is too
    # here, and the threads are as before afterwards.
    threads_inside = grouping_threads_everywhere(monkeypatch, contracts)
    con = duckdb.connect()
    con.execute("set threads = 1")
    table = TABLES["guarantee_compliance"]
    con.execute(ddl(table))
    row = "('b', '520101', 'food', 1, 1, 1.0)"
    con.execute(f"insert into guarantee_compliance values {row}, {row}, {row.replace('b', 'c')}")
    assert contracts.repeated_keys(con, table) == 1
    assert threads_inside == [warehouse.GROUPING_THREADS]
    assert con.execute("select current_setting('threads')").fetchone()[0] == 1


def test_contract__keys_that_share_a_hash_but_differ_are_no_repeat(monkeypatch):
    # The grain check groups hashes of the keys first; two different keys with one hash (a
    # collision, made here by hashing nothing but the first column) must still pass.
    con = duckdb.connect()
    monkeypatch.setattr(contracts, "GRAIN_HASH", "first_key_hash")
    con.execute("create temp macro first_key_hash(a, b, c) as hash(a)")
    table = TABLES["guarantee_compliance"]
    con.execute(ddl(table))
    con.execute(
        "insert into guarantee_compliance values "
        "('b', '520101', 'food', 1, 1, 1.0), ('b', '520101', 'water', 1, 1, 1.0)"
    )
    assert table_problems(con, table) == []
    con.execute("insert into guarantee_compliance values ('b', '520101', 'food', 1, 1, 1.0)")
    assert table_problems(con, table) == [
        "1 values of the grain (batch_id, county_code, indicator) are held by several rows"
    ]


def test_comments__every_column_commented_in_duckdb():
    con = duckdb.connect()
    table = TABLES["county_assessment"]
    con.execute(ddl(table))
    for statement in comment_statements(table):
        con.execute(statement)
    comments = dict(
        con.execute(
            "select column_name, comment from duckdb_columns() "
            "where table_name = 'county_assessment'"
        ).fetchall()
    )
    assert comments["wrong_exit_rate"].startswith("错退率: ")
    assert all(comments[name] for name in table.column_names)


def test_validation__writes_the_checked_tables_the_registry_describes(tmp_path, batch):
    con = validate(tmp_path, batch)
    for raw in RAW_TABLES:
        assert table_problems(con, TABLES[f"_checked_{raw.name}"]) == [], raw.name
        personal = {field.name for field in raw.fields if field.pii}
        assert not personal & set(TABLES[f"_checked_{raw.name}"].column_names)
    # a coded column is stored as the ENUM of its codes, and later tables' rules read text
    [[stored, accepted]] = con.execute(
        "select (select typeof(poverty_status) from _checked_registry_households limit 1), "
        "(select typeof(poverty_status) from _accepted_registry_households limit 1)"
    ).fetchall()
    assert stored.startswith("ENUM(") and accepted == "VARCHAR"


def test_staging__views_over_the_checked_tables_even_where_an_older_run_left_tables(
    tmp_path, batch
):
    batch["registry_members"][1]["sex"] = "X"  # one quarantined member
    con = validate(tmp_path, batch)
    models = load_models()
    staging = [model for model in models.values() if model.layer == "staging"]
    # a working database from before staging became views holds stg_ tables
    con.execute('create table "stg_counties" as select 1 as stale')
    for model in staging:
        rows = materialize(con, model)
        assert relation_kind(con, model.name) == "view", model.name
        assert rows == con.execute(f'select count(*) from "{model.name}"').fetchone()[0]
        assert table_problems(con, TABLES[model.name]) == [], model.name
    # the accepted rows only: a rejected line is in no staging view
    rejected = con.execute("select source_table, line_number from rejected_rows").fetchall()
    assert ("registry_members", 3) in rejected
    for source_table, line in rejected:
        view = layer_name(source_table, "staging")
        assert not con.execute(
            f'select count(*) from "{view}" where line_number = ?', [line]
        ).fetchone()[0]
