"""The county frame: the calibrations the generator knows, and each county's size and poverty.

A county's full-scale rural population and registered share depend only on the seed, never on
the scale, so village codes and the county's make-up stay the same at every scale.
"""

from __future__ import annotations

import csv
import datetime as dt
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
class Province:
    """The synthetic province: its reference counties and the figures its model must give.

    Every assessment round of the province is a snapshot of one model (the same households and
    persons), so what does not depend on the round lives here.
    """

    prefix: str  # batch ids are `<prefix>-<year>`
    reference_file: str
    province_code: str
    province_name: str
    rural_population: int  # province total at scale 1
    registered_persons: int  # 建档立卡 persons ever registered, at scale 1
    first_year: int  # the first assessment round
    final_year: int  # the last round: every poverty county has exited
    final_line_yuan: int  # the poverty line of the final round
    registry_income_cents: int  # recorded per-capita average of the final round's registry
    poor_before_final_year: int  # persons poor at the end of the year before the final round
    # Their share of the rural population, hundredths of a percent (the registry incidence of
    # the round before the final one).
    incidence_before_final_year: int

    @property
    def final_line_cents(self) -> int:
        return self.final_line_yuan * 100


# Guizhou: 9.23 million persons were ever registered (SPEC section 5). The rural population is a
# little over 36 million: 308,000 persons poor at the end of 2019 make a registry incidence of
# 0.85% only over 36.03 to 36.45 million (SPEC section 5).
GUIZHOU = Province(
    prefix="guizhou",
    reference_file="guizhou_counties.csv",
    province_code="52",
    province_name="贵州省",
    rural_population=36_240_000,
    registered_persons=9_230_000,
    first_year=2016,
    final_year=2020,
    final_line_yuan=4000,
    registry_income_cents=992_538,
    poor_before_final_year=308_000,
    incidence_before_final_year=85,
)


@dataclass(frozen=True)
class BatchReference:
    """One assessment round: its year, line, agencies, dates and the figures it must reproduce.

    Figures left None are drawn, not calibrated (only the final round has a press release).
    """

    batch_id: str
    province: Province
    assessment_year: int
    poverty_line_yuan: int  # the national line of the year, current prices
    agencies: tuple[str, ...]
    fieldwork: tuple[dt.date, dt.date]  # first and last day of the field survey
    public_notice: tuple[dt.date, dt.date]  # 公示: 7 days after the fieldwork, both ends in
    acceptance_hundredths: int | None = None  # pooled acceptance, hundredths of a percent
    exited_sample_income_cents: int | None = None
    # Share of a county's interviews not accepting, drawn per county where not calibrated.
    decline_share: tuple[float, float] = (0.005, 0.03)
    # Sampled exited households found not to meet the standard (wrong exits) in the round.
    wrong_exit_households: int = 0

    @property
    def poverty_line_cents(self) -> int:
        return self.poverty_line_yuan * 100

    @property
    def province_code(self) -> str:
        return self.province.province_code

    @property
    def province_name(self) -> str:
        return self.province.province_name

    def manifest(self) -> dict:
        """batch.toml: the SPEC section 1 keys and the public notice as TOML dates."""
        start, end = self.public_notice
        return {
            "batch_id": self.batch_id,
            "province_code": self.province_code,
            "province_name": self.province_name,
            "assessment_year": self.assessment_year,
            "poverty_line_yuan": self.poverty_line_yuan,
            "public_notice": {"start": start, "end": end},
        }


def _round(year: int, line: int, agencies: int, fieldwork, notice, **figures) -> BatchReference:
    return BatchReference(
        batch_id=f"{GUIZHOU.prefix}-{year}",
        province=GUIZHOU,
        assessment_year=year,
        poverty_line_yuan=line,
        agencies=tuple(f"AG{i:02d}" for i in range(1, agencies + 1)),
        fieldwork=tuple(dt.date(year, month, day) for month, day in fieldwork),
        public_notice=tuple(dt.date(year, month, day) for month, day in notice),
        **figures,
    )


# The five rounds of the province. Lines are the national poverty lines of each year at current
# prices (2,300 yuan at 2010 prices). Only 2020 has published figures (SPEC section 5): its
# acceptance and sample income are calibrated, its notice is the published one. The other
# rounds' agencies, fieldwork, notices and acceptance are the generator's own; 2017 finds one
# wrong exit (SPEC section 5: none in 2018-2020).
HISTORY = (
    _round(2016, 3146, 2, ((10, 17), (11, 4)), ((11, 14), (11, 20)), decline_share=(0.01, 0.035)),
    _round(
        2017, 3335, 2, ((10, 9), (11, 8)), ((11, 17), (11, 23)),
        decline_share=(0.008, 0.03), wrong_exit_households=1,
    ),
    _round(2018, 3535, 3, ((9, 17), (10, 26)), ((11, 5), (11, 11)), decline_share=(0.006, 0.025)),
    _round(2019, 3747, 3, ((9, 23), (11, 1)), ((11, 11), (11, 17)), decline_share=(0.005, 0.02)),
    _round(
        2020, 4000, 3, ((10, 15), (11, 10)), ((11, 16), (11, 22)),
        acceptance_hundredths=9912, exited_sample_income_cents=1_148_739,
    ),
)  # fmt: skip
GUIZHOU_2020 = HISTORY[-1]
REFERENCES = {reference.batch_id: reference for reference in HISTORY}


def reference_for(batch_id: str) -> BatchReference:
    """The round of a batch with reference data, else Guizhou 2020's under that id.

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
    reference_exit_year: int | None  # the year it left the list (its assessment round)
    full_rural_population: int  # at scale 1
    full_registered_persons: float  # target at scale 1

    @property
    def number(self) -> int:
        return int(self.code)

    def in_exit_batch(self, year: int) -> bool:
        return self.reference_exit_year == year

    def exit_year(self, year: int) -> int | None:
        """The exit_year column of the round of `year`: only exits of earlier rounds."""
        exited = self.reference_exit_year
        return exited if exited is not None and exited < year else None

    @property
    def villages(self) -> int:
        return max(1, round(self.full_rural_population / PERSONS_PER_VILLAGE))


def read_reference(province: Province) -> list[dict[str, str]]:
    text = resources.files("pipeline").joinpath("reference", province.reference_file)
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


def _kind(row: dict[str, str], final_year: int) -> str:
    if row["poverty_county"] == "true":
        return "last" if _year(row["exit_year"]) == final_year else "poverty"
    return "district" if row["county_name"].endswith("区") else "other"


def _year(text: str) -> int | None:
    return int(text) if text.strip() else None


def county_frame(province: Province, seed: int) -> list[County]:
    """Every county of the province, in reference (county code) order, at scale 1.

    The same in every round of the province: a round only decides which counties it assesses.
    """
    rows = sorted(read_reference(province), key=lambda row: row["county_code"])
    populations, shares = [], []
    for row in rows:
        rng = stream(seed, int(row["county_code"]), Purpose.COUNTY)
        median, sigma = _POPULATION[_kind(row, province.final_year)]
        populations.append(median * rng.lognormal(0.0, sigma))
        low, high = _SHARE[_year(row["exit_year"]) if row["poverty_county"] == "true" else None]
        shares.append(rng.uniform(low, high))
    population = np.array(populations) * province.rural_population / sum(populations)
    registered = population * np.array(shares)
    registered *= province.registered_persons / registered.sum()
    return [
        County(
            code=row["county_code"],
            name=row["county_name"],
            prefecture_code=row["prefecture_code"],
            prefecture_name=row["prefecture_name"],
            poverty_county=row["poverty_county"] == "true",
            reference_exit_year=_year(row["exit_year"]),
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


def fit_rural_total(
    rural_population: list[int], counties: list[County], poor: int, hundredths: int
) -> list[int]:
    """Rural populations whose total makes `poor` persons `hundredths` of a percent, rounded.

    From a scale of about 0.0005 the scaled populations already do; below it, one person more
    or less of the largest county's rural population moves the share strictly inside the
    rounding interval.
    """
    if poor == 0:
        return rural_population
    # poor / total strictly inside ((hundredths - 0.5) / 10**4, (hundredths + 0.5) / 10**4)
    low = 20_000 * poor // (2 * hundredths + 1) + 1
    high = -(-20_000 * poor // (2 * hundredths - 1)) - 1
    total = sum(rural_population)
    shift = low - total if total < low else high - total if total > high else 0
    fitted = list(rural_population)
    largest = max(range(len(counties)), key=lambda i: (counties[i].full_rural_population, -i))
    fitted[largest] += shift
    return fitted


def registry_households_target(county: County, scale: float, mean_size: float) -> int:
    """Households to draw so the county's registered persons scale linearly with --scale."""
    return max(1, math.floor(county.full_registered_persons * scale / mean_size + 0.5))


def county_table(
    counties: list[County], rural_population: list[int], year: int, columns: list[str]
) -> pa.Table:
    """counties.csv rows of the round of `year`: the reference codes and names, the
    populations (the same every round), the exits of earlier rounds and this round's."""
    exit_years = [county.exit_year(year) for county in counties]
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
        "in_exit_batch": [county.in_exit_batch(year) for county in counties],
    }
    return pa.table([pa.array(values[column]) for column in columns], names=columns)
