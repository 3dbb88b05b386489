"""A tiny hand-built batch in an in-memory DuckDB, with the marts layer built on top of it.

The staging tables are created with the columns and types the table registry gives them, filled
directly (the staging models read raw tables this fixture does not create). Every figure the
tests expect is worked out by hand from the rows below.

Counties of province 52, each with one village `<county>001001`; a line gives code, region,
rural population, poverty county, exit_year, in the exit batch, and what the county exercises:

- 520101 west 1000 yes - yes: incidence 0.025 meets in the west
- 520102 central 1000 yes - yes: incidence 0.025 fails in central
- 520103 central 2000 yes - yes: wrong exits, missed households, acceptance exactly 0.90
- 520104 east 5 yes - yes: no non_registered sample; more registered persons than rural
- 520105 central 300 yes - yes: no registry rows, no surveys
- 520201 west 800 yes 2019 no: exited in an earlier batch
- 520202 central 500 no - no: registry income outside the batch
- 520203 west 700 yes - no: poverty county not yet exited

Every survey is by agency AG01 unless a test says otherwise. The public notice runs 2020-11-16 to
2020-11-22; 520101 has two objections not upheld (one received after the notice), 520102 one
upheld: 520101 is approved, 520102 still rejected on its verdict.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

import duckdb

from pipeline import quantiles
from pipeline.schemas.registry import TABLES, ddl
from pipeline.sql_models import build_order, load_models, materialize

MANIFEST = {
    "batch_id": "test-2020",
    "province_code": "52",
    "province_name": "测试省",
    "assessment_year": 2020,
    "poverty_line_yuan": Decimal("4000.00"),
    "incidence_max_west": 0.03,
    "incidence_max_central": 0.02,
    "incidence_max_east": 0.02,
    "wrong_exit_rate_max": 0.02,
    "missed_rate_max": 0.02,
    "acceptance_rate_min": 0.90,
    "quarantine_share_max": 0.01,
    "monitoring_income_ratio": 1.5,
    "public_notice_start": dt.date(2020, 11, 16),
    "public_notice_end": dt.date(2020, 11, 22),
}

# The tables as the registry declares them: the fixture cannot drift from what staging builds.
DDL = "\n".join(
    ddl(TABLES[name])
    for name in (
        "batch_manifest",
        "stg_counties",
        "stg_registry_households",
        "stg_registry_members",
        "stg_survey_households",
        "stg_objections",
    )
)

# county_code, name, region, rural_population, poverty_county, exit_year, in_exit_batch
COUNTIES = [
    ("520101", "甲县", "west", 1000, True, None, True),
    ("520102", "乙县", "central", 1000, True, None, True),
    ("520103", "丙县", "central", 2000, True, None, True),
    ("520104", "丁县", "east", 5, True, None, True),
    ("520105", "戊县", "central", 300, True, None, True),
    ("520201", "己县", "west", 800, True, 2019, False),
    ("520202", "庚县", "central", 500, False, None, False),
    ("520203", "辛县", "west", 700, True, None, False),
]

# short name, county_code, household_size as recorded, status, member rows, per-capita income.
# A3 records 4 persons but has 5 member rows; G1 records 2 but has 1: persons are member rows.
REGISTRY = [
    ("A1", "520101", 10, "poor", 10, "5000.00"),
    ("A2", "520101", 10, "returned", 10, "5000.00"),
    ("A3", "520101", 4, "poor", 5, "5000.00"),
    ("A4", "520101", 3, "exited", 3, "5000.00"),
    ("A5", "520101", 2, "exited", 2, "5000.00"),
    ("B1", "520102", 20, "poor", 20, "5000.00"),
    ("B2", "520102", 5, "returned", 5, "5000.00"),
    ("B3", "520102", 4, "exited", 4, "5000.00"),
    ("C1", "520103", 2, "poor", 2, "5000.00"),
    ("C2", "520103", 5, "exited", 5, "5000.00"),
    ("C3", "520103", 1, "exited", 1, "5000.00"),
    ("C4", "520103", 1, "exited", 1, "5000.00"),
    ("C5", "520103", 1, "exited", 1, "5000.00"),
    ("C6", "520103", 1, "exited", 1, "5000.00"),
    ("C7", "520103", 1, "exited", 1, "5000.00"),
    ("D1", "520104", 2, "poor", 2, "5000.00"),
    ("D2", "520104", 4, "exited", 4, "5000.00"),
    ("F1", "520201", 3, "exited", 3, "9000.00"),
    ("G1", "520202", 2, "exited", 1, "9200.00"),
]

# objection_id, county_code, received_date, status
OBJECTIONS = [
    ("OB-1", "520101", dt.date(2020, 11, 18), "not_upheld"),
    # received three days after the notice ended: a finding, and still not upheld
    ("OB-2", "520101", dt.date(2020, 11, 25), "not_upheld"),
    ("OB-3", "520102", dt.date(2020, 11, 17), "upheld"),
]

ALL_SECURE = (True, True, True, True, True, True)
NO_HOUSING = (True, True, True, True, False, True)


def wages(amount: str) -> tuple[str, ...]:
    """Income components of a household living on wages alone, no production cost."""
    return (amount, "0", "0", "0", "0")


# survey_id, county_code, frame, registry short name, household_size,
# (wage, operating, property, transfer, production_cost),
# (food, clothing, education, medical, housing, water), acceptance
# fmt: off
SURVEYS = [
    # net 8000 + 3000 + 500 + 1500 - 1000 = 12000.00 = 4000 * 3: exactly at the line
    ("A-01", "520101", "exited", "A4", 3, ("8000", "3000", "500", "1500", "1000"),
     ALL_SECURE, "accept"),
    ("A-02", "520101", "exited", "A5", 2, wages("10000"), ALL_SECURE, "accept"),
    ("A-03", "520101", "non_registered", None, 4, wages("20000"), ALL_SECURE, "accept"),
    # a poor-frame household below the line: no wrong exit, nothing to rectify
    ("A-04", "520101", "poor", "A1", 10, wages("20000"), ALL_SECURE, "accept"),
    ("B-01", "520102", "exited", "B3", 4, wages("33000"), ALL_SECURE, "accept"),
    ("B-02", "520102", "non_registered", None, 2, wages("9000"), ALL_SECURE, "accept"),
    # 5 persons failing on housing against five 1-person households that pass
    ("C-01", "520103", "exited", "C2", 5, wages("50000"), NO_HOUSING, "accept"),
    ("C-02", "520103", "exited", "C3", 1, wages("5000"), ALL_SECURE, "accept"),
    ("C-03", "520103", "exited", "C4", 1, wages("5000"), ALL_SECURE, "accept"),
    ("C-04", "520103", "exited", "C5", 1, wages("5000"), ALL_SECURE, "accept"),
    ("C-05", "520103", "exited", "C6", 1, wages("5000"), ALL_SECURE, "accept"),
    ("C-06", "520103", "exited", "C7", 1, wages("5000"), ALL_SECURE, "accept"),
    # net 3000 + 1000 - 0.01 = 3999.99: one cent below the line
    ("C-07", "520103", "non_registered", None, 1, ("3000", "0", "0", "1000", "0.01"),
     ALL_SECURE, "accept"),
    ("C-08", "520103", "non_registered", None, 1, wages("4000"), ALL_SECURE, "accept"),
    ("C-09", "520103", "non_registered", None, 2, wages("10000"), ALL_SECURE, "unsure"),
    ("C-10", "520103", "poor", "C1", 2, wages("3000"), ALL_SECURE, "accept"),
    # net 8000 over 4 persons = 2000 per person, below the line, and housing unsafe
    ("D-01", "520104", "exited", "D2", 4, wages("8000"), NO_HOUSING, "not_accept"),
    ("D-02", "520104", "poor", "D1", 2, wages("1000"), ALL_SECURE, "accept"),
]
# fmt: on


def village(county_code: str) -> str:
    return f"{county_code}001001"


def household_id(short: str | None, county_code: str) -> str | None:
    return None if short is None else f"{village(county_code)}{short}"


def load_batch(
    con: duckdb.DuckDBPyConnection,
    manifest: dict,
    registry: list[tuple] = REGISTRY,
    surveys: list[tuple] = SURVEYS,
    *,
    counties: list[tuple] = COUNTIES,
    objections: list[tuple] = OBJECTIONS,
    agencies: dict[str, str] | None = None,
    villages: dict[str, str] | None = None,
) -> None:
    """Create and fill `batch_manifest` and the five staging tables.

    A test may pass its own counties, registry, survey and objection rows (same layout as
    COUNTIES, REGISTRY, SURVEYS and OBJECTIONS), `agencies`, the agency of a survey_id where
    it is not AG01, and `villages`, the village of a survey_id where it is not the county's
    `village(county_code)`.
    """
    agencies = agencies or {}
    villages = villages or {}
    con.execute(DDL)
    columns = ", ".join(manifest)
    marks = ", ".join("?" for _ in manifest)
    con.execute(f"insert into batch_manifest ({columns}) values ({marks})", list(manifest.values()))
    con.executemany(
        "insert into stg_counties values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                line,
                code,
                name,
                code[:4] + "00",
                code[:4] + "00市",
                region,
                rural,
                poverty,
                exit_year,
                in_batch,
            )
            for line, (code, name, region, rural, poverty, exit_year, in_batch) in enumerate(
                counties, start=2
            )
        ],
    )
    households, members = [], []
    for line, (short, county, size, status, persons, income) in enumerate(registry, start=2):
        hid = household_id(short, county)
        households.append(
            (
                line,
                hid,
                county,
                village(county),
                size,
                status,
                2014,
                2019 if status == "exited" else None,
                "illness",
                Decimal(income),
                False,
            )
        )
        members.extend(
            (len(members) + 2, hid, no, "head" if no == 1 else "child", "F", dt.date(1980, 1, no))
            for no in range(1, persons + 1)
        )
    # a file with its header alone is a table with no rows (executemany refuses an empty list)
    if households:
        con.executemany(
            "insert into stg_registry_households values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            households,
        )
    if members:
        con.executemany("insert into stg_registry_members values (?, ?, ?, ?, ?, ?)", members)
    con.executemany(
        "insert into stg_survey_households values "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                line,
                survey_id,
                agencies.get(survey_id, "AG01"),
                county,
                villages.get(survey_id, village(county)),
                dt.date(2020, 9, 1),
                frame,
                household_id(short, county),
                size,
                *(Decimal(v) for v in money),
                *flags,
                acceptance,
            )
            for line, (
                survey_id,
                county,
                frame,
                short,
                size,
                money,
                flags,
                acceptance,
            ) in enumerate(surveys, start=2)
        ],
    )
    if objections:
        con.executemany(
            "insert into stg_objections values (?, ?, ?, ?, ?)",
            [(line, *objection) for line, objection in enumerate(objections, start=2)],
        )


def build_marts(
    manifest: dict,
    registry: list[tuple] = REGISTRY,
    surveys: list[tuple] = SURVEYS,
    **batch,
) -> duckdb.DuckDBPyConnection:
    """An in-memory database holding the batch and every model of the `marts` layer.

    `batch` passes counties, objections, agencies and villages on to `load_batch`.
    """
    con = duckdb.connect()
    quantiles.register(con)  # as pipeline.warehouse.connect does for the pipeline's marts
    load_batch(con, manifest, registry, surveys, **batch)
    models, order = marts_models()
    for name in order:
        if models[name].layer == "marts":
            materialize(con, models[name])
    return con


@functools.cache
def marts_models() -> tuple[dict, list[str]]:
    """The SQL models and their build order, read once per test process (tests build many
    batches; the files do not change under them)."""
    models = load_models()
    return models, build_order(models)


def rows(con: duckdb.DuckDBPyConnection, query: str) -> list[dict]:
    """The result of a query as dicts, column name to value."""
    cursor = con.execute(query)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
