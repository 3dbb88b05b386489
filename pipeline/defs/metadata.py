"""Dagster metadata that makes the lineage legible: column schemas, column lineage, tables."""

import dagster as dg
import duckdb

from pipeline.lineage import column_lineage, warehouse_schema
from pipeline.schemas.columns import COLUMN_DESCRIPTIONS
from pipeline.schemas.fields import RawTable
from pipeline.sql_models import SqlModel


def raw_column_schema(table: RawTable) -> dg.TableSchema:
    """A raw table as loaded: the line number and each column as text."""
    columns = [dg.TableColumn("line_number", "bigint", COLUMN_DESCRIPTIONS["line_number"])]
    columns += [
        dg.TableColumn(field.name, "varchar", f"{field.description} ({field.label_zh})")
        for field in table.loaded_fields
    ]
    return dg.TableSchema(columns=columns)


def built_column_schema(con: duckdb.DuckDBPyConnection, table: str) -> dg.TableSchema:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, data_type.lower(), COLUMN_DESCRIPTIONS.get(name))
            for name, data_type in rows
        ]
    )


def model_metadata(con: duckdb.DuckDBPyConnection, model: SqlModel, rows: int) -> dict:
    """Row count, column schema and column lineage of a model just built."""
    lineage = column_lineage(model.sql, warehouse_schema(con))
    return {
        "dagster/row_count": rows,
        "dagster/column_schema": built_column_schema(con, model.name),
        "dagster/column_lineage": dg.TableColumnLineage(
            deps_by_column={
                column: [
                    dg.TableColumnDep(asset_key=dg.AssetKey(table), column_name=source)
                    for table, source in sources
                ]
                for column, sources in lineage.items()
                if sources
            }
        ),
    }


def markdown_table(con: duckdb.DuckDBPyConnection, query: str) -> str:
    cursor = con.execute(query)
    names = [description[0] for description in cursor.description]
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for row in cursor.fetchall():
        cells = [f"{v:.4f}" if isinstance(v, float) else "" if v is None else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


VERDICT_TABLE = """
select county_code, county_name, region, comprehensive_incidence, wrong_exit_rate, missed_rate,
    acceptance_rate, exited_sample_income, verdict
from county_assessment order by county_code
"""
