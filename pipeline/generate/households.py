"""Registry households (建档立卡户) of one county: villages, sizes, status, years, cause, income.

Income here is drawn but not final: the province-wide calibration (calibration.py) fixes the
recorded per-capita incomes once every county's households exist.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipeline.generate.counties import County, registry_households_target
from pipeline.generate.formatting import codes, labels, money, repeated
from pipeline.generate.streams import Purpose, stream
from pipeline.schemas.fields import POVERTY_CAUSES, POVERTY_STATUSES

POOR, EXITED, RETURNED = (POVERTY_STATUSES.index(s) for s in ("poor", "exited", "returned"))

# Household sizes 1..8: registered poor households hold many elderly people living alone and
# many large families; the mean is about 3.7 persons (9.23 million persons, ~2.5 million
# households).
SIZE_PROBABILITIES = np.array([0.11, 0.16, 0.19, 0.22, 0.16, 0.09, 0.045, 0.025])
MEAN_SIZE = float((np.arange(1, 9) * SIZE_PROBABILITIES).sum())

# Outside the exit batch a few households are still poor or fell back into poverty; inside it
# there are none, because SPEC section 5 needs comprehensive incidence 0 at every scale.
POOR_SHARE = 0.003
RETURNED_SHARE = 0.001

# Registration began with the 2014 identification campaign; later years are the "dynamic
# adjustment" rounds that added households that had been missed or had fallen into poverty.
REGISTRATION_YEARS = np.arange(2014, 2020)
REGISTRATION_PROBABILITIES = np.array([0.80, 0.06, 0.05, 0.04, 0.03, 0.02])

# Main causes of poverty, in POVERTY_CAUSES order, shaped like Guizhou's registry.
CAUSE_PROBABILITIES = dict(
    illness=0.20,
    disability=0.06,
    education=0.05,
    disaster=0.02,
    lack_land=0.04,
    lack_water=0.02,
    lack_skills=0.15,
    lack_labour=0.10,
    lack_capital=0.20,
    poor_transport=0.05,
    lack_motivation=0.03,
    other=0.08,
)
CAUSE_WEIGHTS = np.array([CAUSE_PROBABILITIES[cause] for cause in POVERTY_CAUSES])
# Relocation (易地扶贫搬迁) moved about 1.88 million of Guizhou's 9.23 million registered
# persons, mostly households whose land, water or road could not support them.
PLACE_BOUND_CAUSES = np.isin(
    np.array(POVERTY_CAUSES), ["lack_land", "lack_water", "poor_transport", "disaster"]
)
RELOCATION_PLACE_BOUND, RELOCATION_OTHER = 0.45, 0.165

# Counties that were never poverty counties exited most of their poor households early.
NON_POVERTY_COUNTY_EXIT_PEAK = 2017

# Exited households' recorded per-capita income above the line, yuan: lognormal.
INCOME_EXCESS_MEDIAN, INCOME_EXCESS_SIGMA = 5_000.0, 0.6


@dataclass
class Villages:
    codes: np.ndarray  # 12-digit village codes, int64
    weights: np.ndarray  # share of the county's households living there


@dataclass
class CountyHouseholds:
    """One county's households, in household id order; per-household numpy arrays."""

    county: County
    villages: Villages
    household_id: np.ndarray  # int64: village code * 10**6 + serial
    village_code: np.ndarray
    size: np.ndarray
    status: np.ndarray  # index into POVERTY_STATUSES
    year_registered: np.ndarray
    year_exited: np.ndarray  # 0 where null
    cause: np.ndarray  # index into POVERTY_CAUSES
    relocated: np.ndarray
    base_cents: np.ndarray  # per capita: the line if exited, else the whole recorded income
    excess: np.ndarray  # per capita above base, cents, before calibration
    income_cents: np.ndarray  # per capita as recorded, set by calibration

    def __len__(self) -> int:
        return self.household_id.size

    @property
    def persons(self) -> int:
        return int(self.size.sum())


def village_frame(county: County, seed: int) -> Villages:
    """The county's villages: fixed by its full-scale population, so the same at every scale.

    Codes follow GB/T 2260 plus the statistical division code: township 101.., village
    (村民委员会) 201.. within its township.
    """
    rng = stream(seed, county.number, Purpose.VILLAGES)
    count = county.villages
    per_township: list[int] = []
    while sum(per_township) < count:
        per_township.append(int(rng.integers(10, 26)))
    per_township[-1] -= sum(per_township) - count
    township = np.repeat(np.arange(len(per_township)), per_township)
    starts = np.cumsum(per_township) - per_township
    village = np.arange(count) - np.repeat(starts, per_township)
    codes = county.number * 10**6 + (101 + township) * 1000 + (201 + village)
    weights = rng.lognormal(0.0, 0.4, count)
    return Villages(codes=codes.astype(np.int64), weights=weights / weights.sum())


def exit_year_probabilities(county: County) -> tuple[np.ndarray, np.ndarray]:
    """Years households left poverty: peaking at the county's own exit year, with a tail of
    households that exited after their county did."""
    peak = county.reference_exit_year or NON_POVERTY_COUNTY_EXIT_PEAK
    years = np.arange(2014, county.assessment_year + 1)
    weights = np.where(
        years <= peak,
        np.exp(-0.5 * ((years - peak) / 1.6) ** 2),
        0.3 * 0.6 ** (years - peak - 1),
    )
    return years, weights / weights.sum()


def draw_households(county: County, seed: int, scale: float, line_cents: int) -> CountyHouseholds:
    rng = stream(seed, county.number, Purpose.HOUSEHOLDS)
    villages = village_frame(county, seed)
    n = registry_households_target(county, scale, MEAN_SIZE)

    # Drawn iid, so sorting by village instead of permuting every column changes nothing.
    village = np.sort(rng.choice(villages.codes.size, n, p=villages.weights))
    first = np.searchsorted(village, village, side="left")
    serial = np.arange(n) - first + 1
    village_code = villages.codes[village]

    size = rng.choice(np.arange(1, 9), n, p=SIZE_PROBABILITIES)
    if county.in_exit_batch:
        status = np.full(n, EXITED)
    else:
        draw = rng.random(n)
        status = np.where(
            draw < POOR_SHARE, POOR, np.where(draw < POOR_SHARE + RETURNED_SHARE, RETURNED, EXITED)
        )
    year_registered = rng.choice(REGISTRATION_YEARS, n, p=REGISTRATION_PROBABILITIES)
    years, probabilities = exit_year_probabilities(county)
    exit_draw = np.maximum(rng.choice(years, n, p=probabilities), year_registered)
    year_exited = np.where(status == EXITED, exit_draw, 0)
    cause = rng.choice(len(POVERTY_CAUSES), n, p=CAUSE_WEIGHTS)
    relocated = rng.random(n) < np.where(
        PLACE_BOUND_CAUSES[cause], RELOCATION_PLACE_BOUND, RELOCATION_OTHER
    )

    income = stream(seed, county.number, Purpose.INCOME)
    excess = income.lognormal(np.log(INCOME_EXCESS_MEDIAN * 100), INCOME_EXCESS_SIGMA, n)
    # Poor and returned households are recorded below the line: illness, disability, disaster.
    below = income.integers(line_cents * 55 // 100, line_cents, n)
    exited = status == EXITED
    return CountyHouseholds(
        county=county,
        villages=villages,
        household_id=village_code * 10**6 + serial,
        village_code=village_code,
        size=size.astype(np.int64),
        status=status.astype(np.int8),
        year_registered=year_registered.astype(np.int64),
        year_exited=year_exited.astype(np.int64),
        cause=cause.astype(np.int8),
        relocated=relocated,
        base_cents=np.where(exited, line_cents, below).astype(np.int64),
        excess=np.where(exited, excess, 0.0),
        income_cents=np.zeros(n, dtype=np.int64),
    )


def registry_table(
    households: CountyHouseholds,
    head_name: pa.Array,
    head_id_number: pa.Array,
    columns: list[str],
) -> pa.Table:
    """registry_households rows of one county; the head's name and id come from its members."""
    n = len(households)
    exited = households.year_exited > 0
    values = {
        "household_id": codes(households.household_id, 18),
        "county_code": repeated(households.county.code, n),
        "village_code": codes(households.village_code, 12),
        "head_name": head_name,
        "head_id_number": head_id_number,
        "household_size": pa.array(households.size),
        "poverty_status": labels(POVERTY_STATUSES, households.status),
        "year_registered": pa.array(households.year_registered),
        "year_exited": pa.array(households.year_exited, mask=~exited),
        "poverty_cause": labels(POVERTY_CAUSES, households.cause),
        "per_capita_net_income": money(households.income_cents),
        "relocated": pa.array(households.relocated),
    }
    return pa.table([values[column] for column in columns], names=columns)
