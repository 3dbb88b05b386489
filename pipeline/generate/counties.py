"""The county frame: the calibrations the generator knows, and each county's size and poverty.

A county's full-scale rural population and registered share depend only on the seed, never on
the scale, so village codes and the county's make-up stay the same at every scale.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, replace
from importlib import resources

import numpy as np
import pyarrow as pa

from pipeline.generate.streams import Purpose, stream

# Rural persons per administrative village (Guizhou: about 36 million rural residents in some
# 14 thousand villages after the 2016 village mergers).
PERSONS_PER_VILLAGE = 2_600


@dataclass(frozen=True)
class BatchReference:
    """What the generator knows about one assessment round and the figures it must reproduce."""

    batch_id: str
    reference_file: str
    province_code: str
    province_name: str
    assessment_year: int
    poverty_line_yuan: int
    rural_population: int  # province total at scale 1
    registered_persons: int  # 建档立卡 persons at scale 1
    acceptance_hundredths: int  # pooled acceptance, hundredths of a percent
    exited_sample_income_cents: int
    registry_income_cents: int

    @property
    def poverty_line_cents(self) -> int:
        return self.poverty_line_yuan * 100


# Figures of the November 2020 press release (SPEC section 5).
GUIZHOU_2020 = BatchReference(
    batch_id="guizhou-2020",
    reference_file="guizhou_counties.csv",
    province_code="52",
    province_name="贵州省",
    assessment_year=2020,
    poverty_line_yuan=4000,
    rural_population=36_000_000,
    registered_persons=9_230_000,
    acceptance_hundredths=9912,
    exited_sample_income_cents=1_148_739,
    registry_income_cents=992_538,
)
REFERENCES = {GUIZHOU_2020.batch_id: GUIZHOU_2020}


def reference_for(batch_id: str) -> BatchReference:
    """The calibration of a batch with published figures, else Guizhou 2020's under that id.

    Any valid id can be generated, so tests and demonstrations can make several batches (or one
    named like another province's round); only the id differs from the reference batch's.
    """
    if batch_id in REFERENCES:
        return REFERENCES[batch_id]
    return replace(GUIZHOU_2020, batch_id=batch_id)


@dataclass(frozen=True)
class County:
    code: str
    name: str
    prefecture_code: str
    prefecture_name: str
    poverty_county: bool
    reference_exit_year: int | None  # the year it left the list, this batch's year included
    assessment_year: int
    full_rural_population: int  # at scale 1
    full_registered_persons: float  # target at scale 1

    @property
    def number(self) -> int:
        return int(self.code)

    @property
    def in_exit_batch(self) -> bool:
        return self.reference_exit_year == self.assessment_year

    @property
    def exit_year(self) -> int | None:
        """The exit_year column: only exits of earlier rounds."""
        year = self.reference_exit_year
        return year if year is not None and year < self.assessment_year else None

    @property
    def villages(self) -> int:
        return max(1, round(self.full_rural_population / PERSONS_PER_VILLAGE))


def read_reference(reference: BatchReference) -> list[dict[str, str]]:
    text = resources.files("pipeline").joinpath("reference", reference.reference_file)
    with text.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# Medians (persons, before the province total is imposed) and spread of the rural population by
# kind of county: urban districts hold few rural residents; the last nine poverty counties
# (Weining, Nayong, Hezhang ...) are the largest, most mountainous and most rural.
_POPULATION = {
    "district": (190_000, 0.45),
    "other": (520_000, 0.35),
    "poverty": (420_000, 0.35),
    "last": (560_000, 0.30),
}
# Registered share of the rural population, drawn uniformly in these ranges: the later a county
# exited, the deeper its poverty.
_SHARE = {
    None: (0.05, 0.12),
    2016: (0.24, 0.32),
    2017: (0.24, 0.32),
    2018: (0.26, 0.34),
    2019: (0.28, 0.36),
    2020: (0.36, 0.44),
}


def _kind(row: dict[str, str], assessment_year: int) -> str:
    if row["poverty_county"] == "true":
        return "last" if _year(row["exit_year"]) == assessment_year else "poverty"
    return "district" if row["county_name"].endswith("区") else "other"


def _year(text: str) -> int | None:
    return int(text) if text.strip() else None


def county_frame(reference: BatchReference, seed: int) -> list[County]:
    """Every county of the province, in reference (county code) order, at scale 1."""
    rows = sorted(read_reference(reference), key=lambda row: row["county_code"])
    populations, shares = [], []
    for row in rows:
        rng = stream(seed, int(row["county_code"]), Purpose.COUNTY)
        median, sigma = _POPULATION[_kind(row, reference.assessment_year)]
        populations.append(median * rng.lognormal(0.0, sigma))
        low, high = _SHARE[_year(row["exit_year"]) if row["poverty_county"] == "true" else None]
        shares.append(rng.uniform(low, high))
    population = np.array(populations) * reference.rural_population / sum(populations)
    registered = population * np.array(shares)
    registered *= reference.registered_persons / registered.sum()
    return [
        County(
            code=row["county_code"],
            name=row["county_name"],
            prefecture_code=row["prefecture_code"],
            prefecture_name=row["prefecture_name"],
            poverty_county=row["poverty_county"] == "true",
            reference_exit_year=_year(row["exit_year"]),
            assessment_year=reference.assessment_year,
            full_rural_population=round(population[i]),
            full_registered_persons=float(registered[i]),
        )
        for i, row in enumerate(rows)
    ]


def scaled_rural_population(county: County, scale: float, registered_persons: int) -> int:
    """The county's rural population at this scale.

    Rounding a small county at a small scale could leave fewer rural residents than registered
    ones; the floor keeps registered persons at no more than half the rural population.
    """
    return max(1, round(county.full_rural_population * scale), 2 * registered_persons)


def registry_households_target(county: County, scale: float, mean_size: float) -> int:
    """Households to draw so the county's registered persons scale linearly with --scale."""
    return max(1, math.floor(county.full_registered_persons * scale / mean_size + 0.5))


def county_table(
    counties: list[County], rural_population: list[int], columns: list[str]
) -> pa.Table:
    """counties.csv rows: the reference codes and names, with this batch's populations."""
    exit_years = [county.exit_year for county in counties]
    values = {
        "county_code": [county.code for county in counties],
        "county_name": [county.name for county in counties],
        "prefecture_code": [county.prefecture_code for county in counties],
        "prefecture_name": [county.prefecture_name for county in counties],
        # Every Guizhou county lies in the western region of the national policy.
        "region": ["west"] * len(counties),
        "rural_population": rural_population,
        "poverty_county": [county.poverty_county for county in counties],
        "exit_year": pa.array(exit_years, type=pa.int64()),
        "in_exit_batch": [county.in_exit_batch for county in counties],
    }
    return pa.table([pa.array(values[column]) for column in columns], names=columns)
