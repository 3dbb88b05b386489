"""Registry households (建档立卡户) of one county: villages, sizes, history, cause, income.

A household is drawn once with its whole history (year registered, the year it left poverty, a
fall back into poverty and a second exit); each assessment round writes a snapshot of it: the
households registered by then, with their status as of that year. Income here is drawn but not
final: the province-wide calibration (calibration.py) fixes the recorded per-capita incomes once
every county's households exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipeline.generate.counties import County, registry_households_target, scaled_rural_population
from pipeline.generate.formatting import codes, labels, money, repeated
from pipeline.generate.streams import Purpose, stream
from pipeline.schemas.fields import POVERTY_CAUSES, POVERTY_STATUSES

POOR, EXITED, RETURNED = (POVERTY_STATUSES.index(s) for s in ("poor", "exited", "returned"))

# Household sizes 1..8: registered poor households hold many elderly people living alone and
# many large families; the mean is about 3.7 persons (9.23 million persons, ~2.5 million
# households).
SIZE_PROBABILITIES = np.array([0.11, 0.16, 0.19, 0.22, 0.16, 0.09, 0.045, 0.025])
MEAN_SIZE = float((np.arange(1, 9) * SIZE_PROBABILITIES).sum())

# The province's history: registration from the 2014 identification campaign, the last round
# of assessment in FINAL_YEAR, when every poverty county has exited.
FIRST_REGISTRATION, FINAL_YEAR = 2014, 2020
# Registration began with the 2014 identification campaign; later years are the "dynamic
# adjustment" rounds that added households that had been missed or had fallen into poverty.
REGISTRATION_YEARS = np.arange(FIRST_REGISTRATION, FINAL_YEAR)
REGISTRATION_PROBABILITIES = np.array([0.80, 0.06, 0.05, 0.04, 0.03, 0.02])

# First exit year of the households that had left poverty by the end of 2019, by the county's
# own exit year (None: never a poverty county), over 2014..2019; never before registration.
# Most of a county's poor left in the years up to its own exit, a few after it. Together they
# give the province's trajectory (README): about 6.2 million poor at the end of 2014, 4.9
# million at the end of 2015, falling every year to 308,000 at the end of 2019.
EXIT_YEARS = np.arange(FIRST_REGISTRATION, FINAL_YEAR)
_EXIT_WEIGHTS = {
    None: (0.25, 0.33, 0.21, 0.09, 0.08, 0.04),
    2016: (0.22, 0.34, 0.40, 0.02, 0.015, 0.005),
    2017: (0.19, 0.30, 0.24, 0.24, 0.02, 0.01),
    2018: (0.16, 0.25, 0.17, 0.12, 0.28, 0.02),
    2019: (0.14, 0.21, 0.14, 0.11, 0.14, 0.26),
    2020: (0.13, 0.19, 0.13, 0.11, 0.17, 0.27),
}
EXIT_PROBABILITIES = {
    year: np.array(weights) / sum(weights) for year, weights in _EXIT_WEIGHTS.items()
}
# The persons still poor at the end of 2019 (SPEC section 5: 308,000 in Guizhou) are shared out
# over the counties by registered persons, the 9 counties of the last round weighing this much
# more: they held the deepest poverty.
LAST_COUNTIES_POOR_WEIGHT = 2.8
# Of them, households with these causes are more likely to be among the last poor, and so are
# households registered in the last two adjustment rounds.
DEEP_CAUSES = np.isin(np.array(POVERTY_CAUSES), ["illness", "disability", "lack_labour"])
DEEP_CAUSE_WEIGHT, LATE_REGISTRATION_WEIGHT = 2.0, 1.5
# A county applying to exit has at most this share of its rural population still poor in its
# own round (the exit standard is below 3% in the west), and the last poor of a county that
# exited before 2019 are capped at this share of its rural population at the allocation.
EXIT_ROUND_POOR_MAX = 0.02
EARLY_COUNTY_LAST_POOR_MAX = 0.015
# Outside the last round's counties, a share of the last poor are still poor (or returned) in
# the final round; the rest exit in it. In the last round's counties every one exits.
STILL_POOR_IN_FINAL_YEAR = 0.15
# Falling back into poverty (返贫): a share of the last poor had exited once and fell back by
# 2019; a few other households fell back and exited again by 2019.
LAST_POOR_FELL_BACK = 0.25
OTHERS_FELL_BACK = 0.012

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

# Exited households' recorded per-capita income above the line, yuan: lognormal.
INCOME_EXCESS_MEDIAN, INCOME_EXCESS_SIGMA = 5_000.0, 0.6
# An exited household's recorded income above the line, a year earlier: this share of it (the
# incomes of the registered poor grew by about 15% a year).
INCOME_EXCESS_YEARLY = 0.86


@dataclass
class Villages:
    codes: np.ndarray  # 12-digit village codes, int64
    weights: np.ndarray  # share of the county's households living there


@dataclass
class CountyHouseholds:
    """One county's households with their whole history, in household id order."""

    county: County
    villages: Villages
    household_id: np.ndarray  # int64: village code * 10**6 + serial
    village_code: np.ndarray
    size: np.ndarray
    year_registered: np.ndarray
    first_exit: np.ndarray  # year it first left poverty; 0 if never (by FINAL_YEAR)
    fell_back: np.ndarray  # year it fell back into poverty (返贫); 0 if never
    exit_again: np.ndarray  # year it left poverty again after falling back; 0 if never
    last_poor: np.ndarray  # bool: poor (or returned) at the end of FINAL_YEAR - 1
    cause: np.ndarray  # index into POVERTY_CAUSES
    relocated: np.ndarray
    below_cents: np.ndarray  # per capita while poor, at the final year's line (below it)
    excess: np.ndarray  # per capita above the line once exited, cents, before calibration
    line_cents: int  # the final year's poverty line

    def __len__(self) -> int:
        return self.household_id.size

    @property
    def persons(self) -> int:
        return int(self.size.sum())

    def status_in(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """Status (index into POVERTY_STATUSES) and year_exited (0 where null) as of `year`,
        for every household, registered by then or not."""
        first, back, again = self.first_exit, self.fell_back, self.exit_again
        exited_first = (first > 0) & (first <= year)
        fallen = exited_first & (back > 0) & (back <= year)
        exited_again = fallen & (again > 0) & (again <= year)
        status = np.select(
            [exited_again, fallen, exited_first], [EXITED, RETURNED, EXITED], POOR
        ).astype(np.int8)
        year_exited = np.select([exited_again, fallen, exited_first], [again, 0, first], 0)
        return status, year_exited.astype(np.int64)

    def part(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sizes, base, excess) of the final year's recorded incomes, for the calibration:
        the base is the line if exited, else the whole (below-line) income."""
        status, _ = self.status_in(FINAL_YEAR)
        exited = status == EXITED
        line = self.line_cents
        return (
            self.size,
            np.where(exited, line, self.below_cents).astype(np.int64),
            np.where(exited, self.excess, 0.0),
        )


@dataclass
class Registry:
    """One round's snapshot of a county's households: what registry_households holds."""

    county: County
    villages: Villages
    household_id: np.ndarray
    village_code: np.ndarray
    size: np.ndarray
    status: np.ndarray  # index into POVERTY_STATUSES
    year_registered: np.ndarray
    year_exited: np.ndarray  # 0 where null
    cause: np.ndarray
    relocated: np.ndarray
    income_cents: np.ndarray  # per capita as recorded in the round's year

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


def last_poor_weight(county: County) -> float:
    """The county's weight in sharing out the persons poor at the end of FINAL_YEAR - 1."""
    last = county.reference_exit_year == FINAL_YEAR
    return county.full_registered_persons * (LAST_COUNTIES_POOR_WEIGHT if last else 1.0)


def last_poor_targets(counties: list[County], scale: float, total: int) -> list[int]:
    """Persons poor at the end of FINAL_YEAR - 1 per county, summing to `total`.

    Shared out by `last_poor_weight` (largest remainder); a county that exited before that
    year keeps at most EARLY_COUNTY_LAST_POOR_MAX of its rural population, the rest going to
    the counties of the last round.
    """
    weights = [last_poor_weight(county) for county in counties]
    targets = _largest_remainder(total, weights)
    caps = [
        math.floor(EARLY_COUNTY_LAST_POOR_MAX * max(1, round(c.full_rural_population * scale)))
        if c.reference_exit_year is not None and c.reference_exit_year < FINAL_YEAR
        else None
        for c in counties
    ]
    spill = sum(max(0, t - cap) for t, cap in zip(targets, caps, strict=True) if cap is not None)
    targets = [min(t, cap) if cap is not None else t for t, cap in zip(targets, caps, strict=True)]
    last = [i for i, c in enumerate(counties) if c.reference_exit_year == FINAL_YEAR]
    for i, extra in zip(last, _largest_remainder(spill, [weights[i] for i in last]), strict=True):
        targets[i] += extra
    return targets


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(value) for value in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def pick_persons(order: np.ndarray, size: np.ndarray, target: int) -> np.ndarray:
    """Households taken in `order` while they fit, skipping those that would overshoot:
    persons as close to `target` as the sizes allow from below, usually exactly.

    Taking `pick_persons(order, size, target).sum()` persons as the target picks the same
    households again (a household taken fits under either; one skipped fits under neither).
    """
    cumulative = np.cumsum(size[order])
    prefix = int(np.searchsorted(cumulative, target, side="right"))
    taken = list(order[:prefix])
    remaining = target - (int(cumulative[prefix - 1]) if prefix else 0)
    for household in order[prefix:]:
        if remaining == 0:
            break
        if size[household] <= remaining:
            taken.append(household)
            remaining -= int(size[household])
    mask = np.zeros(size.size, dtype=bool)
    mask[np.array(taken, dtype=np.int64)] = True
    return mask


def draw_households(
    county: County, seed: int, scale: float, line_cents: int, last_poor_target: int
) -> CountyHouseholds:
    """The county's households and their history.

    `last_poor_target`: persons to leave poor at the end of FINAL_YEAR - 1 (`last_poor`);
    fewer only when the household sizes cannot make the number (see `pick_persons`).
    """
    rng = stream(seed, county.number, Purpose.HOUSEHOLDS)
    villages = village_frame(county, seed)
    n = registry_households_target(county, scale, MEAN_SIZE)

    # Drawn iid, so sorting by village instead of permuting every column changes nothing.
    village = np.sort(rng.choice(villages.codes.size, n, p=villages.weights))
    first = np.searchsorted(village, village, side="left")
    serial = np.arange(n) - first + 1
    village_code = villages.codes[village]

    size = rng.choice(np.arange(1, 9), n, p=SIZE_PROBABILITIES).astype(np.int64)
    year_registered = rng.choice(REGISTRATION_YEARS, n, p=REGISTRATION_PROBABILITIES)
    cause = rng.choice(len(POVERTY_CAUSES), n, p=CAUSE_WEIGHTS)
    relocated = rng.random(n) < np.where(
        PLACE_BOUND_CAUSES[cause], RELOCATION_PLACE_BOUND, RELOCATION_OTHER
    )

    history = _history(county, seed, scale, size, year_registered, cause, last_poor_target)

    income = stream(seed, county.number, Purpose.INCOME)
    excess = income.lognormal(np.log(INCOME_EXCESS_MEDIAN * 100), INCOME_EXCESS_SIGMA, n)
    # Poor and returned households are recorded below the line: illness, disability, disaster.
    below = income.integers(line_cents * 55 // 100, line_cents, n)
    return CountyHouseholds(
        county=county,
        villages=villages,
        household_id=village_code * 10**6 + serial,
        village_code=village_code,
        size=size,
        year_registered=year_registered.astype(np.int64),
        cause=cause.astype(np.int8),
        relocated=relocated,
        below_cents=below.astype(np.int64),
        excess=excess,
        line_cents=line_cents,
        **history,
    )


def _history(
    county: County,
    seed: int,
    scale: float,
    size: np.ndarray,
    registered: np.ndarray,
    cause: np.ndarray,
    last_poor_target: int,
) -> dict[str, np.ndarray]:
    """Exit, fall-back and second-exit years of every household (0: never).

    Every random number is drawn for every household before any choice, so the draws do not
    depend on the target: the same target picks the same households.
    """
    n = size.size
    rng = stream(seed, county.number, Purpose.HISTORY)
    own_exit = county.reference_exit_year
    drawn_exit = rng.choice(EXIT_YEARS, n, p=EXIT_PROBABILITIES[own_exit])
    priority, back, again, fate, fall = (rng.random(n) for _ in range(5))
    before_final = FINAL_YEAR - 1

    # The last poor: a weighted random order (Efraimidis-Spirakis keys), deepest first.
    weight = np.where(DEEP_CAUSES[cause], DEEP_CAUSE_WEIGHT, 1.0) * np.where(
        registered >= FINAL_YEAR - 2, LATE_REGISTRATION_WEIGHT, 1.0
    )
    key = priority ** (1.0 / weight)
    order = np.lexsort((np.arange(n), -key))
    last_poor = pick_persons(order, size, last_poor_target)

    first_exit = np.maximum(drawn_exit, registered)
    first_exit[last_poor] = 0

    # A county applying to exit before the final year leaves few poor in its own round: the
    # least deep of the households still poor then are brought forward to exit that year.
    if own_exit is not None and own_exit < FINAL_YEAR:
        rural = scaled_rural_population(county, scale, int(size.sum()))
        present = registered <= own_exit
        allowed = math.floor(EXIT_ROUND_POOR_MAX * rural) - int(size[last_poor & present].sum())
        late = np.flatnonzero(~last_poor & present & (first_exit > own_exit))
        late = late[np.lexsort((late, key[late]))]  # least deep first
        excess = int(size[late].sum()) - max(0, allowed)
        if excess > 0:
            moved = late[: int(np.searchsorted(np.cumsum(size[late]), excess)) + 1]
            first_exit[moved] = own_exit

    fell_back = np.zeros(n, dtype=np.int64)
    exit_again = np.zeros(n, dtype=np.int64)
    # Others that fell back and exited again by FINAL_YEAR - 1 (never returned while their
    # county applied to exit).
    others = ~last_poor & (first_exit <= before_final - 2) & (fall < OTHERS_FELL_BACK)
    back_year = first_exit + 1 + np.floor(back * (before_final - 1 - first_exit)).astype(np.int64)
    again_year = back_year + 1 + np.floor(again * (before_final - back_year)).astype(np.int64)
    if own_exit is not None:
        others &= ~((back_year <= own_exit) & (own_exit < again_year))
    fell_back[others] = back_year[others]
    exit_again[others] = again_year[others]

    # The last poor: some had exited once and fell back by FINAL_YEAR - 1; in the final year
    # they exit (again), or outside the last round's counties some stay poor or returned.
    once = last_poor & (drawn_exit <= before_final - 1) & (registered <= before_final - 1)
    once &= fall < LAST_POOR_FELL_BACK
    earlier_exit = np.maximum(np.minimum(drawn_exit, before_final - 1), registered)
    exits_in_final = (own_exit == FINAL_YEAR) | (fate >= STILL_POOR_IN_FINAL_YEAR)
    fallback_year = (
        earlier_exit + 1 + np.floor(back * (before_final - earlier_exit)).astype(np.int64)
    )
    first_exit[once] = earlier_exit[once]
    fell_back[once] = fallback_year[once]
    exit_again[once & exits_in_final] = FINAL_YEAR
    first_exit[last_poor & ~once & exits_in_final] = FINAL_YEAR
    return {
        "first_exit": first_exit.astype(np.int64),
        "fell_back": fell_back,
        "exit_again": exit_again,
        "last_poor": last_poor,
    }


def snapshot(households: CountyHouseholds, year: int, income_cents: np.ndarray) -> Registry:
    """The round of `year`: households registered by then, status as of then.

    `income_cents`: every household's recorded per-capita income in that year (see
    `recorded_income`).
    """
    present = households.year_registered <= year
    status, year_exited = households.status_in(year)
    return Registry(
        county=households.county,
        villages=households.villages,
        household_id=households.household_id[present],
        village_code=households.village_code[present],
        size=households.size[present],
        status=status[present],
        year_registered=households.year_registered[present],
        year_exited=year_exited[present],
        cause=households.cause[present],
        relocated=households.relocated[present],
        income_cents=income_cents[present],
    )


def recorded_income(
    households: CountyHouseholds,
    year: int,
    line_cents: int,
    final_income: np.ndarray,
    factor: float,
) -> np.ndarray:
    """Recorded per-capita incomes (cents) of every household in `year`.

    The final year's are the calibrated `final_income`. Before it, an exited household's
    income above that year's line is the calibrated part above the line shrunk by
    INCOME_EXCESS_YEARLY a year; a poor or returned household keeps its share of the line.
    """
    if year == FINAL_YEAR:
        return final_income
    status, _ = households.status_in(year)
    shrink = factor * INCOME_EXCESS_YEARLY ** (FINAL_YEAR - year)
    exited = line_cents + np.rint(households.excess * shrink).astype(np.int64)
    below = households.below_cents * line_cents // households.line_cents
    return np.where(status == EXITED, exited, below)


def registry_table(
    households: Registry,
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
