"""The on-disk cache of compiled SQL and lineage: used when its key matches, never otherwise."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import lineage, rule_compiler, sql_cache, sql_models, validation
from pipeline.validation_plan import TablePlan


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(sql_cache.CACHE_DIR_VARIABLE, str(folder))
    validation.compiled_plans.cache_clear()
    yield folder
    validation.compiled_plans.cache_clear()


class Counter:
    def __init__(self, value):
        self.value, self.calls = value, 0

    def __call__(self):
        self.calls += 1
        return self.value


def test_cached__computes_once_then_reads_the_file():
    compute = Counter({"sql": "select 1"})
    assert sql_cache.cached("demo", "a" * 64, compute) == {"sql": "select 1"}
    assert sql_cache.cached("demo", "a" * 64, compute) == {"sql": "select 1"}
    assert compute.calls == 1


def test_cached__another_key_never_gets_the_stored_value():
    sql_cache.cached("demo", "a" * 64, Counter("old sql"))
    assert sql_cache.cached("demo", "b" * 64, Counter("new sql")) == "new sql"


def test_cached__a_file_holding_another_key_is_not_used():
    key = "c" * 64
    path = sql_cache.entry_path("demo", key)
    path.parent.mkdir(parents=True)
    # Same file name (the key's prefix), another key inside: a stale or copied file.
    stale = {"format": sql_cache.FORMAT, "key": "c" * 40 + "d" * 24, "value": "stale sql"}
    path.write_text(json.dumps(stale))
    assert sql_cache.cached("demo", key, Counter("fresh sql")) == "fresh sql"
    assert json.loads(path.read_text())["value"] == "fresh sql"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b'{"format": 1, "key": "',  # cut off mid-write
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b'{"format": 1, "key": "KEY"}',  # no value
        b'{"format": 999, "key": "KEY", "value": "from another layout"}',
    ],
)
def test_cached__an_unreadable_file_is_computed_again(content):
    key = "e" * 64
    path = sql_cache.entry_path("demo", key)
    path.parent.mkdir(parents=True)
    path.write_bytes(content.replace(b"KEY", key.encode()))
    compute = Counter("fresh sql")
    assert sql_cache.cached("demo", key, compute) == "fresh sql"
    assert compute.calls == 1
    assert sql_cache.cached("demo", key, compute) == "fresh sql"
    assert compute.calls == 1  # rewritten whole


def test_cached__a_value_of_the_wrong_shape_is_computed_again():
    def decode(value):
        if not isinstance(value, dict):
            raise TypeError("not a plan")
        return value

    key = "f" * 64
    sql_cache.cached("demo", key, Counter(["a list"]), decode=lambda v: v)
    assert sql_cache.cached("demo", key, Counter({"sql": "x"}), decode=decode) == {"sql": "x"}


def test_cached__a_folder_that_cannot_be_written_only_costs_the_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("")
    monkeypatch.setenv(sql_cache.CACHE_DIR_VARIABLE, str(blocker / "cache"))
    assert sql_cache.cached("demo", "0" * 64, Counter("sql")) == "sql"


def test_fingerprint__parts_do_not_run_into_each_other():
    assert sql_cache.fingerprint("ab", "c") != sql_cache.fingerprint("a", "bc")


# --- the validation plans ---------------------------------------------------------------


def _stub_plans(marker: str) -> dict[str, TablePlan]:
    return {
        table.name: TablePlan(table.name, f"select '{marker}'", None, ())
        for table in validation.RAW_TABLES
    }


@pytest.fixture
def schema_source(tmp_path, monkeypatch):
    """The plans' key made of one stand-in source file, and a compiler that counts calls."""
    source = tmp_path / "raw.py"
    source.write_text("RULES = 1\n")
    monkeypatch.setattr(validation, "COMPILED_FROM", (source,))
    compiler = Counter(None)
    monkeypatch.setattr(
        rule_compiler, "compile_plans", lambda: compiler() or _stub_plans(source.read_text())
    )
    return source, compiler


def test_compiled_plans__read_from_the_cache_by_a_later_process(schema_source):
    _, compiler = schema_source
    first = validation.compiled_plans()
    validation.compiled_plans.cache_clear()  # as a new process would
    assert validation.compiled_plans() == first
    assert compiler.calls == 1


def test_compiled_plans__changed_schema_code_is_compiled_anew(schema_source):
    source, compiler = schema_source
    validation.compiled_plans()
    source.write_text("RULES = 2\n")
    validation.compiled_plans.cache_clear()
    plans = validation.compiled_plans()
    assert compiler.calls == 2
    assert plans["counties"].check_sql == "select 'RULES = 2\n'"


def test_compiled_plans__a_corrupt_cache_is_compiled_anew(schema_source):
    _, compiler = schema_source
    validation.compiled_plans()
    path = sql_cache.entry_path("validation", validation.plans_key())
    stored = json.loads(path.read_text())
    del stored["value"]["registry_members"]["check_sql"]
    path.write_text(json.dumps(stored))
    validation.compiled_plans.cache_clear()
    assert validation.compiled_plans()["registry_members"].check_sql.startswith("select")
    assert compiler.calls == 2


def test_compiled_plans__the_real_compiler_output_round_trips():
    plans = validation.compiled_plans()
    validation.compiled_plans.cache_clear()
    assert validation.compiled_plans() == plans
    assert [plan.table for plan in plans.values()] == [t.name for t in validation.RAW_TABLES]


# --- lineage ----------------------------------------------------------------------------

SCHEMA = {"stg_a": {"id": "INTEGER", "x": "INTEGER"}, "stg_b": {"id": "INTEGER", "y": "VARCHAR"}}
MODEL = "select a.id, a.x + 1 as x1, b.y from stg_a as a join stg_b as b using (id)"


def test_column_lineage__cached_answer_equals_a_fresh_one(cache_dir):
    fresh = lineage.column_lineage(MODEL, SCHEMA)
    assert fresh == {"id": [("stg_a", "id")], "x1": [("stg_a", "x")], "y": [("stg_b", "y")]}
    assert lineage.column_lineage(MODEL, SCHEMA) == fresh
    assert len(list(cache_dir.glob("lineage-*.json"))) == 1


def test_column_lineage__another_schema_is_another_entry(cache_dir):
    lineage.column_lineage("select * from stg_a", SCHEMA)
    wider = {**SCHEMA, "stg_a": {**SCHEMA["stg_a"], "z": "DATE"}}
    assert list(lineage.column_lineage("select * from stg_a", wider)) == ["id", "x", "z"]
    assert len(list(cache_dir.glob("lineage-*.json"))) == 2


# --- a model's dependencies -------------------------------------------------------------

WITH_CTE = "with recent as (select * from stg_a) select * from recent join stg_b using (id)"


def test_referenced_tables__cached_answer_equals_a_fresh_one(cache_dir):
    assert sql_models.referenced_tables(WITH_CTE) == {"stg_a", "stg_b"}
    assert sql_models.referenced_tables(WITH_CTE) == {"stg_a", "stg_b"}
    assert len(list(cache_dir.glob("tables-*.json"))) == 1


def test_referenced_tables__a_stored_value_of_the_wrong_shape_is_parsed_again(cache_dir):
    sql_models.referenced_tables(WITH_CTE)
    [path] = cache_dir.glob("tables-*.json")
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "value": {"stg_a": 1}}))
    assert sql_models.referenced_tables(WITH_CTE) == {"stg_a", "stg_b"}


def test_plans_key__covers_every_module_the_compiler_imports():
    """A module the compiled SQL comes from, left out of the key, would let stale SQL run."""
    program = (
        "import sys, pipeline.rule_compiler\n"
        "print('\\n'.join(m.__file__ for n, m in sys.modules.items()\n"
        "                 if n.startswith('pipeline.') and m.__file__))"
    )
    imported = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    ).stdout.split()
    assert {Path(path).resolve() for path in imported} <= set(validation.COMPILED_FROM)
