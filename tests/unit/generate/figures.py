"""SPEC section 3 figures of a generated round, recomputed from its CSVs with queries written
straight from the SPEC formulas: no pipeline code is involved."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import duckdb

# SPEC 3.4, the west (every Guizhou county).
INCIDENCE_MAX, WRONG_EXIT_MAX, MISSED_MAX, ACCEPTANCE_MIN = 0.03, 0.02, 0.02, 0.90

TABLES = (
    "counties", "registry_households", "registry_members", "survey_households", "objections",
)  # fmt: skip


def connect(folder: Path) -> duckdb.DuckDBPyConnection:
    """The batch's CSVs as DuckDB tables of text, as written; empty fields read as NULL."""
    con = duckdb.connect()
    for table in TABLES:
        path = folder / f"{table}.csv"
        if not path.exists():
            continue
        quoted = str(path).replace("'", "''")
        con.execute(
            f"create table {table} as select * from read_csv('{quoted}', header = true, "
            "all_varchar = true, delim = ',', quote = '', escape = '')"
        )
    return con


def manifest(folder: Path) -> dict:
    return tomllib.loads((folder / "batch.toml").read_text(encoding="utf-8"))


_SURVEYED = """
    select
        agency_code, county_code, sample_frame, acceptance,
        household_size::int as size,
        (wage_income::decimal(14, 2) + operating_income::decimal(14, 2)
            + property_income::decimal(14, 2) + transfer_income::decimal(14, 2)
            - production_cost::decimal(14, 2)) / household_size::int >= {line}
            and food_secure = 'true' and clothing_secure = 'true'
            and education_secure = 'true' and medical_secure = 'true'
            and housing_secure = 'true' and water_secure = 'true' as meets
    from survey_households
"""

_REGISTRY = """
    with persons as (
        select household_id, count(*) as member_count from registry_members group by all
    )
    select
        h.county_code,
        sum(coalesce(p.member_count, 0)) as registered,
        coalesce(sum(p.member_count) filter (
            where h.poverty_status in ('poor', 'returned')), 0) as remaining_poor,
        coalesce(sum(p.member_count) filter (where h.poverty_status = 'exited'), 0) as exited
    from registry_households as h
    left join persons as p using (household_id)
    group by all
"""


@dataclass
class Assessment:
    """One county's figures, over all its surveyed households or over one agency's."""

    county_code: str
    agency_code: str | None  # None: the county as a whole
    wrong_exit_persons: int
    wrong_exit_rate: float | None
    missed_persons: int
    missed_rate: float | None
    acceptance_rate: float
    comprehensive_incidence: float | None
    registry_incidence: float

    @property
    def meets(self) -> bool:
        return (
            self.wrong_exit_rate is not None
            and self.missed_rate is not None
            and self.comprehensive_incidence < INCIDENCE_MAX
            and self.wrong_exit_rate < WRONG_EXIT_MAX
            and self.missed_rate < MISSED_MAX
            and self.acceptance_rate > ACCEPTANCE_MIN
        )


def assessments(con: duckdb.DuckDBPyConnection, line: float) -> list[Assessment]:
    """Every assessed county (SPEC 3.2), then every (agency, county) on the agency's own
    households (SPEC 3.6: incidence from its rates and the county's registry figures)."""
    rows = con.execute(
        f"""
        with surveyed as ({_SURVEYED.format(line=line)}),
        registry as ({_REGISTRY}),
        grouped as (
            select county_code, agency_code, sample_frame, size, meets, acceptance
            from surveyed
            union all
            select county_code, null, sample_frame, size, meets, acceptance from surveyed
        ),
        rates as (
            select
                county_code, agency_code,
                coalesce(sum(size) filter (where sample_frame = 'exited' and not meets), 0)
                    as wrong_persons,
                sum(size) filter (where sample_frame = 'exited') as exited_sample,
                coalesce(sum(size) filter (where sample_frame = 'non_registered'
                    and not meets), 0) as missed_persons,
                sum(size) filter (where sample_frame = 'non_registered') as missed_sample,
                count(*) filter (where acceptance = 'accept') / count(*) as acceptance_rate
            from grouped group by all
        )
        select
            c.county_code, r.agency_code, r.wrong_persons, r.wrong_persons / r.exited_sample,
            r.missed_persons, r.missed_persons / r.missed_sample, r.acceptance_rate,
            (g.remaining_poor + r.wrong_persons / r.exited_sample * g.exited
                + r.missed_persons / r.missed_sample
                * greatest(0, c.rural_population::bigint - g.registered))
                / c.rural_population::bigint,
            g.remaining_poor / c.rural_population::bigint
        from counties as c
        join registry as g using (county_code)
        join rates as r using (county_code)
        where c.in_exit_batch = 'true'
        order by c.county_code, r.agency_code nulls first
        """
    ).fetchall()
    return [Assessment(*row) for row in rows]


def province_figures(con: duckdb.DuckDBPyConnection) -> dict:
    """SPEC 3.7: the round's remaining poor and registry incidence over the province."""
    remaining, registered = con.execute(
        f"select sum(remaining_poor), sum(registered) from ({_REGISTRY})"
    ).fetchone()
    rural = con.execute("select sum(rural_population::bigint) from counties").fetchone()[0]
    return {
        "remaining_poor": int(remaining),
        "registered": int(registered),
        "rural_population": int(rural),
        "registry_incidence": remaining / rural,
    }


def trajectory(con: duckdb.DuckDBPyConnection, years: range) -> dict[int, int]:
    """SPEC 3.7: persons in poverty at the end of each year, from this round's snapshot."""
    return {
        year: con.execute(
            """
            select count(*) from registry_members as m
            join registry_households as h using (household_id)
            where h.year_registered::int <= $year
                and (h.year_exited is null or h.year_exited::int > $year)
            """,
            {"year": year},
        ).fetchone()[0]
        for year in years
    }


def poverty_counties_exited(con: duckdb.DuckDBPyConnection) -> int:
    """Exits of earlier rounds plus this round's counties (all of which meet)."""
    return con.execute(
        "select count(*) from counties where poverty_county = 'true' "
        "and (exit_year is not null or in_exit_batch = 'true')"
    ).fetchone()[0]
