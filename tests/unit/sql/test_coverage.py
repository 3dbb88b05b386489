"""Coverage of the one-sided 95% upper bound (SPEC 3.5), measured by simulation.

Three synthetic populations of exited households, one per failure level (0.5%, 2%, 5%), each
of 100 villages of 40-80 households. Failures cluster in villages: a village's failure rate is
drawn from a beta distribution with the level as its mean and an intra-village correlation of
0.05 (beta(a, b) with a + b = 1 / 0.05 - 1), and each household fails with its village's rate.
A household has 1-6 persons; the true wrong-exit rate is the population's persons in failing
households over its persons. From each population 1,000 surveys are drawn as the field survey
is: 20 villages, then 10 households in each, without replacement.

Every survey is a county of one batch (3,000 counties), built by the marts' own SQL and
quantile functions in one pass; the bound covers when upper95 >= the population's true rate.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from mart_batch import DDL, MANIFEST, rows

from pipeline import quantiles
from pipeline.sql_models import build_order, load_models, materialize

LEVELS = (0.005, 0.02, 0.05)
ICC = 0.05
VILLAGES, VILLAGE_HOUSEHOLDS = 100, (40, 80)
SURVEYS, SAMPLED_VILLAGES, SAMPLED_HOUSEHOLDS = 1_000, 20, 10
SEED = 2020
MODELS = (
    "survey_household_income",
    "_registry_household_persons",
    "_county_registry_persons",
    "_indicator_design",
    "indicator_confidence",
)


def population(rng: np.random.Generator, level: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Households as (persons, fails) rows in village order, each village's first row, and
    the population's true wrong-exit rate."""
    total = 1 / ICC - 1
    rates = rng.beta(level * total, (1 - level) * total, size=VILLAGES)
    counts = rng.integers(VILLAGE_HOUSEHOLDS[0], VILLAGE_HOUSEHOLDS[1] + 1, size=VILLAGES)
    persons = rng.integers(1, 7, size=counts.sum())
    fails = rng.random(counts.sum()) < np.repeat(rates, counts)
    households = np.column_stack([persons, fails])
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return households, first, float((persons * fails).sum() / persons.sum())


def draw_surveys(rng, households, first) -> dict[str, np.ndarray]:
    """SURVEYS surveys: for each, SAMPLED_VILLAGES villages and SAMPLED_HOUSEHOLDS households
    in each, without replacement (a random order, its first ones taken)."""
    counts = np.diff(np.append(first, len(households)))
    villages = rng.random((SURVEYS, VILLAGES)).argsort(axis=1)[:, :SAMPLED_VILLAGES].ravel()
    keys = rng.random((len(villages), counts.max()))
    keys[np.arange(counts.max()) >= counts[villages][:, None]] = np.inf  # past the village
    picked = keys.argsort(axis=1)[:, :SAMPLED_HOUSEHOLDS]
    rows = (first[villages][:, None] + picked).ravel()
    return {
        "survey": np.repeat(np.arange(SURVEYS), SAMPLED_VILLAGES * SAMPLED_HOUSEHOLDS),
        "village": np.repeat(villages, SAMPLED_HOUSEHOLDS),
        "persons": households[rows, 0],
        "fails": households[rows, 1].astype(bool),
    }


def surveyed_batch(drawn: dict[str, np.ndarray]) -> duckdb.DuckDBPyConnection:
    """An in-memory batch: survey `s` is county `52` + s (4 digits), its households the
    exited frame, each over the poverty line (10,000 yuan a person) and failing on housing."""
    con = duckdb.connect()
    quantiles.register(con)
    con.execute(DDL)
    names = ", ".join(MANIFEST)
    marks = ", ".join("?" for _ in MANIFEST)
    con.execute(f"insert into batch_manifest ({names}) values ({marks})", list(MANIFEST.values()))
    con.register("simulated", pa.table(drawn))
    con.execute(
        """
        insert into stg_counties
        select survey + 2, printf('52%04d', survey), '县', '520100', '市', 'west', 100000, true,
            null, true
        from (select distinct survey from simulated)
        """
    )
    con.execute(
        """
        insert into stg_survey_households
        select
            row_number() over () + 1, printf('S%07d', row_number() over ()), 'AG01',
            printf('52%04d', survey), printf('52%04d%03d001', survey, village),
            date '2020-09-01', 'exited', null, persons, persons * 10000, 0, 0, 0, 0,
            true, true, true, true, not fails, true, 'accept'
        from simulated
        """
    )
    con.unregister("simulated")
    models = load_models()
    for name in build_order(models):
        if name in MODELS:
            materialize(con, models[name])
    return con


@pytest.fixture(scope="module")
def coverage() -> list[dict]:
    rng = np.random.default_rng(SEED)
    truths, drawn = [], []
    for index, level in enumerate(LEVELS):
        households, first, truth = population(rng, level)
        surveys = draw_surveys(rng, households, first)
        surveys["survey"] += index * SURVEYS
        truths.append(truth)
        drawn.append(surveys)
    con = surveyed_batch({key: np.concatenate([d[key] for d in drawn]) for key in drawn[0]})
    try:
        found = rows(
            con,
            "select county_code, estimate, upper95 from indicator_confidence "
            "where indicator = 'wrong_exit' order by county_code",
        )
    finally:
        con.close()
    table = []
    for index, level in enumerate(LEVELS):
        surveys = found[index * SURVEYS : (index + 1) * SURVEYS]
        truth = truths[index]
        table.append(
            {
                "level": level,
                "true_rate": truth,
                "surveys": len(surveys),
                "with_bound": sum(r["upper95"] is not None for r in surveys),
                "covered": sum(r["upper95"] is not None and r["upper95"] >= truth for r in surveys),
                "mean_estimate": sum(r["estimate"] for r in surveys) / len(surveys),
            }
        )
    return table


def test_coverage__upper95_covers_the_true_rate_in_at_least_93_percent(coverage):
    print("\nlevel  true rate  surveys  coverage  mean estimate")
    for row in coverage:
        print(
            f"{row['level']:>5.1%}  {row['true_rate']:>9.3%}  {row['surveys']:>7}  "
            f"{row['covered'] / row['surveys']:>8.1%}  {row['mean_estimate']:>13.3%}"
        )
    for row in coverage:
        assert row["surveys"] == SURVEYS
        # 20 villages hold the frame: every survey has its interval
        assert row["with_bound"] == SURVEYS
        assert row["covered"] / row["surveys"] >= 0.93, row
