"""Dagster metadata that makes the lineage legible: column schemas from the table registry and
column lineage read from each model's SQL."""

import dagster as dg
import duckdb

from pipeline.lineage import column_lineage, warehouse_schema
from pipeline.schemas.registry import Table
from pipeline.sql_models import SqlModel
from pipeline.validation_plan import checked_source


def column_schema(table: Table) -> dg.TableSchema:
    """The registry's columns of a table, with their Chinese labels and descriptions."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                column.name,
                column.dtype,
                f"{column.label_zh}: {column.description}",
                tags={"personal_data": "true"} if column.personal else None,
            )
            for column in table.columns
        ]
    )


def model_metadata(con: duckdb.DuckDBPyConnection, model: SqlModel, rows: int) -> dict:
    """Row count and column lineage of a model just built."""
    lineage = column_lineage(model.sql, warehouse_schema(con))
    return {
        "dagster/row_count": rows,
        "dagster/column_lineage": dg.TableColumnLineage(
            deps_by_column={
                column: [
                    # a checked table's column is its raw column, parsed
                    dg.TableColumnDep(
                        asset_key=dg.AssetKey(checked_source(table) or table), column_name=source
                    )
                    for table, source in sources
                ]
                for column, sources in lineage.items()
                if sources
            }
        ),
    }
