"""The SQL models under `sql/`: one `SELECT` per file, read and ordered here.

A model's name is its file stem; it becomes the DuckDB table (a view, for staging) of that name
and the Dagster asset of that key. Its dependencies are the tables its SQL reads (found with
sqlglot, CTE names subtracted), never a hand-written list. Its description is the file's leading
comment.
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

import duckdb

from pipeline import sql_cache
from pipeline.warehouse import relation_kind

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


@dataclass(frozen=True)
class SqlModel:
    """One SQL file: what it is called, where it sits and what it reads."""

    name: str
    layer: str
    path: Path
    sql: str
    description: str
    deps: frozenset[str]


def leading_comment(sql: str) -> str:
    """The `--` comment block at the top of a file, joined into one paragraph."""
    lines = []
    for line in sql.splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        lines.append(stripped.removeprefix("--").strip())
    return " ".join(part for part in lines if part).strip()


def referenced_tables(sql: str) -> frozenset[str]:
    """Tables a query reads: every table reference that is not one of its own CTEs.

    Parsing every model costs every process a fraction of a second, and the answer depends
    only on the SQL and the parser, so it is cached on disk under a hash of both.
    """
    key = sql_cache.fingerprint(sql, f"sqlglot=={_sqlglot_version()}", READ_TABLES_VERSION)
    return sql_cache.cached("tables", key, lambda: _read_tables(sql), _decode_tables)


# Bumped when `_read_tables` answers differently for the same SQL: older cache entries no
# longer match.
READ_TABLES_VERSION = "1"


@cache
def _sqlglot_version() -> str:
    return version("sqlglot")  # not imported: a warm cache needs no parser


def _read_tables(sql: str) -> list[str]:
    from sqlglot import exp, parse_one

    tree = parse_one(sql, dialect="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    tables = {table.name for table in tree.find_all(exp.Table) if table.name}
    return sorted(tables - ctes)


def _decode_tables(stored: list) -> frozenset[str]:
    if not isinstance(stored, list) or not all(isinstance(name, str) for name in stored):
        raise TypeError("not a list of table names")
    return frozenset(stored)


def load_model(path: Path) -> SqlModel:
    sql = path.read_text(encoding="utf-8")
    if not leading_comment(sql):
        raise ValueError(f"{path}: a model opens with a comment saying what it holds")
    return SqlModel(
        name=path.stem,
        layer=path.parent.name,
        path=path,
        sql=sql,
        description=leading_comment(sql),
        deps=referenced_tables(sql),
    )


# Layers built per batch, in the batch's working database; `province` models are built across
# batches, in the published marts file, from the marts the batches published.
BATCH_LAYERS = ("staging", "marts")
PROVINCE_LAYER = "province"


def load_models(
    sql_dir: Path = SQL_DIR, layers: tuple[str, ...] = BATCH_LAYERS
) -> dict[str, SqlModel]:
    """Every model of `layers` under `sql_dir`, keyed by name."""
    models = {}
    paths = (path for layer in layers for path in (sql_dir / layer).glob("*.sql"))
    for path in sorted(paths):
        model = load_model(path)
        if model.name in models:
            raise ValueError(
                f"two models are named {model.name}: {models[model.name].path}, {path}"
            )
        models[model.name] = model
    return models


def build_order(models: dict[str, SqlModel]) -> list[str]:
    """Model names in an order where each comes after the models it reads."""
    graph = {name: {dep for dep in model.deps if dep in models} for name, model in models.items()}
    return list(graphlib.TopologicalSorter(graph).static_order())


# Staging models are views: each selects the typed columns of the accepted rows from the table
# validation stores once (`_checked_<base>`), and a copy would write millions of rows to the
# database file a second time. Marts are tables: several models read them, and publish copies
# them.
VIEW_LAYERS = frozenset({"staging"})


def materialize(con: duckdb.DuckDBPyConnection, model: SqlModel) -> int:
    """(Re)build the model's view or table from its query; returns its row count."""
    body = model.sql.strip().rstrip(";")
    kind = "view" if model.layer in VIEW_LAYERS else "table"
    existing = relation_kind(con, model.name)
    if existing and existing != kind:  # built the other way by an older version
        con.execute(f'drop {existing} "{model.name}"')
    con.execute(f'create or replace {kind} "{model.name}" as {body}')
    return con.execute(f'select count(*) from "{model.name}"').fetchone()[0]
