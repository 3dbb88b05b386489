"""Third-party field survey (实地评估调查) of the counties applying to exit.

Each agency assesses a share of the counties. In each county it interviews a random sample of
registry households that have exited and a sample of households that were never registered; the
income, guarantee and acceptance answers are then calibrated so the batch reproduces the press
release to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.generate import calibration
from pipeline.generate.counties import BatchReference, County
from pipeline.generate.formatting import codes, iso_dates, labels, money, repeated
from pipeline.generate.households import EXITED, CountyHouseholds
from pipeline.generate.streams import Purpose, stream
from pipeline.schemas.fields import ACCEPTANCE_ANSWERS, SAMPLE_FRAMES, SECURE_FLAGS

FRAME_EXITED, FRAME_POOR, FRAME_NON_REGISTERED = (
    SAMPLE_FRAMES.index(f) for f in ("exited", "poor", "non_registered")
)
ACCEPT, NOT_ACCEPT, UNSURE = (
    ACCEPTANCE_ANSWERS.index(a) for a in ("accept", "not_accept", "unsure")
)
AGENCIES = ("AG01", "AG02", "AG03")

# About 1,500 interviews per county at every scale, half in each frame, as in the 2020 round;
# a frame shrinks only when the county has fewer households to draw from.
SAMPLE_TARGET = (730, 771)
# At most this many poor or returned households are interviewed per county.
POOR_FRAME_TARGET = 200
# Non-registered rural households are smaller than registered ones (mean ~3.5 persons).
NON_REGISTERED_SIZES = np.array([0.12, 0.20, 0.22, 0.20, 0.14, 0.07, 0.03, 0.02])
NON_REGISTERED_MEAN_SIZE = float((np.arange(1, 9) * NON_REGISTERED_SIZES).sum())
# Per-capita income above the line, yuan: non-registered households are somewhat better off.
NON_REGISTERED_EXCESS = (7_000.0, 0.6)
# Surveyed exited households earn more than the registry last recorded (the survey asks about
# the current year); the factor scales their income above the line before calibration.
SURVEY_GROWTH = (1.2, 0.15)
# Income structure of a rural household (wage, operating, property, transfer) and the share of
# operating income spent on production.
INCOME_SHARES = np.array([4.5, 3.0, 0.25, 2.3])
PRODUCTION_COST_SHARE = (0.15, 0.45)
# Households that do not accept split between "not accept" and "unsure".
NOT_ACCEPT_SHARE = 0.4
# Poor households are interviewed too; some still lack a guarantee.
POOR_SECURE_CHANCE = 0.9
# Fieldwork window of the assessment round: month, day of its first and last day.
WINDOW = ((10, 15), (11, 10))


@dataclass
class CountyPlan:
    """Who is interviewed in one county, before the batch-wide calibration."""

    households: CountyHouseholds
    agency: str
    slot: int  # the county's place in its agency's round
    exited: np.ndarray  # sampled exited households (indices into households)
    poor: np.ndarray  # sampled poor or returned households
    non_registered: int  # non-registered households to interview

    @property
    def county(self) -> County:
        return self.households.county


def agencies_for(counties: list[County]) -> list[tuple[str, int]]:
    """(agency, slot) per county of the exit batch: contiguous thirds in county-code order."""
    n = len(counties)
    assignment = []
    for i in range(n):
        agency = i * len(AGENCIES) // n
        first = next(j for j in range(n) if j * len(AGENCIES) // n == agency)
        assignment.append((AGENCIES[agency], i - first))
    return assignment


def plan_county(
    households: CountyHouseholds, rural_population: int, seed: int, agency: str, slot: int
) -> CountyPlan:
    rng = stream(seed, households.county.number, Purpose.SURVEY_SAMPLE)
    exited_target, non_registered_target = rng.integers(*SAMPLE_TARGET, 2)
    candidates = np.flatnonzero(households.status == EXITED)
    exited = np.sort(rng.choice(candidates, min(exited_target, candidates.size), replace=False))
    # The poor frame samples the county's poor and returned households. The reference batch's
    # exit counties have none (incidence must be 0), so its surveys carry no poor frame.
    poor_candidates = np.flatnonzero(households.status != EXITED)
    poor_count = min(POOR_FRAME_TARGET, poor_candidates.size)
    poor = np.sort(rng.choice(poor_candidates, poor_count, replace=False))
    non_registered_population = max(0, rural_population - households.persons)
    available = max(1, int(non_registered_population // NON_REGISTERED_MEAN_SIZE))
    return CountyPlan(
        households=households,
        agency=agency,
        slot=slot,
        exited=exited,
        poor=poor,
        non_registered=int(min(non_registered_target, available)),
    )


def keep_sampled(plan: CountyPlan) -> CountyPlan:
    """The plan with only its sampled households: all the survey reads of the registry, so
    the county's whole registry need not stay in memory until the survey is written."""
    sampled = np.concatenate([plan.exited, plan.poor])
    hh = plan.households
    per_household = {
        f.name: getattr(hh, f.name)[sampled]
        for f in fields(hh)
        if f.name not in ("county", "villages")
    }
    return replace(
        plan,
        households=replace(hh, **per_household),
        exited=np.arange(plan.exited.size),
        poor=np.arange(plan.exited.size, sampled.size),
    )


@dataclass
class _Rows:
    """One county's survey rows, all frames, before dates and ids."""

    frame: np.ndarray
    household_id: np.ndarray  # 0 where none
    village_code: np.ndarray
    size: np.ndarray
    base: np.ndarray  # per-capita cents that calibration must not move
    excess: np.ndarray  # per-capita cents above base, free for calibration
    net_income: np.ndarray  # household cents, set once calibrated


def _county_rows(plan: CountyPlan, seed: int, kept: int, line_cents: int) -> _Rows:
    hh, county = plan.households, plan.county
    rng = stream(seed, county.number, Purpose.SURVEY_INCOME)
    growth = rng.lognormal(np.log(SURVEY_GROWTH[0]), SURVEY_GROWTH[1], plan.exited.size)
    exited_excess = (hh.income_cents[plan.exited] - line_cents) * growth
    poor_income = np.rint(
        hh.income_cents[plan.poor] * rng.lognormal(np.log(1.1), 0.2, plan.poor.size)
    ).astype(np.int64)

    # Drawn for the planned count, then cut to what the acceptance calibration keeps, so the
    # kept households do not change when others are dropped.
    nrng = stream(seed, county.number, Purpose.SURVEY_NON_REGISTERED)
    size = nrng.choice(np.arange(1, 9), plan.non_registered, p=NON_REGISTERED_SIZES)[:kept]
    village = nrng.integers(0, hh.villages.codes.size, plan.non_registered)[:kept]
    median, sigma = NON_REGISTERED_EXCESS
    excess = np.rint(nrng.lognormal(np.log(median * 100), sigma, plan.non_registered)[:kept])
    non_registered_income = size * (line_cents + excess.astype(np.int64))

    sampled = np.concatenate([plan.exited, plan.poor])
    return _Rows(
        frame=np.concatenate(
            [
                np.full(plan.exited.size, FRAME_EXITED),
                np.full(plan.poor.size, FRAME_POOR),
                np.full(kept, FRAME_NON_REGISTERED),
            ]
        ),
        household_id=np.concatenate([hh.household_id[sampled], np.zeros(kept, np.int64)]),
        village_code=np.concatenate([hh.village_code[sampled], hh.villages.codes[village]]),
        size=np.concatenate([hh.size[sampled], size]).astype(np.int64),
        base=np.full(plan.exited.size, line_cents, dtype=np.int64),
        excess=exited_excess,
        net_income=np.concatenate(
            [np.zeros(plan.exited.size, np.int64), hh.size[plan.poor] * poor_income,
             non_registered_income]
        ),
    )  # fmt: skip


def _components(rng: np.random.Generator, net: np.ndarray) -> np.ndarray:
    """Wage, operating, property, transfer income and production cost (cents, all >= 0) whose
    balance is exactly the net income."""
    shares = rng.dirichlet(INCOME_SHARES, net.size)
    cost_share = rng.uniform(*PRODUCTION_COST_SHARE, net.size) * shares[:, 1]
    gross = net / (1 - cost_share)
    parts = np.floor(gross[:, None] * shares).astype(np.int64)
    cost = parts.sum(axis=1) - net
    short = cost < 0
    parts[short, 0] -= cost[short]
    cost[short] = 0
    return np.column_stack([parts, cost])


def survey_table(
    plans: list[CountyPlan], reference: BatchReference, seed: int, columns: list[str]
) -> pa.Table:
    line = reference.poverty_line_cents
    kept, declining = calibration.trim_for_acceptance(
        [p.exited.size + p.poor.size for p in plans],
        [p.non_registered for p in plans],
        reference.acceptance_hundredths,
    )
    rows = [_county_rows(p, seed, k, line) for p, k in zip(plans, kept, strict=True)]

    # One pooled calibration: the published figure is over the batch's exited sample.
    exited = [r.frame == FRAME_EXITED for r in rows]
    pooled = calibration.sample_net_incomes(
        np.concatenate([r.size[e] for r, e in zip(rows, exited, strict=True)]),
        np.concatenate([r.base for r in rows]),
        np.concatenate([r.excess for r in rows]),
        reference.exited_sample_income_cents,
    )
    bounds = np.cumsum([0] + [int(e.sum()) for e in exited])
    for i, (r, e) in enumerate(zip(rows, exited, strict=True)):
        r.net_income[e] = pooled[bounds[i] : bounds[i + 1]]

    answers = calibration.share_out(declining, [r.frame.size for r in rows])
    year = reference.assessment_year
    window_start, window_end = (np.datetime64(f"{year}-{m:02d}-{d:02d}") for m, d in WINDOW)
    slots = max(p.slot for p in plans) + 1
    span = int((window_end - window_start).astype(np.int64) + 1) // slots
    start_day = int((window_start - np.datetime64("1970-01-01")).astype(np.int64))

    return pa.concat_tables(
        _county_table(plan, r, not_accepting, seed, start_day + plan.slot * span, span, columns)
        for plan, r, not_accepting in zip(plans, rows, answers, strict=True)
    )


def _county_table(
    plan: CountyPlan,
    r: _Rows,
    not_accepting: int,
    seed: int,
    first_day: int,
    span: int,
    columns: list[str],
) -> pa.Table:
    county = plan.county
    n = r.frame.size
    parts = _components(stream(seed, county.number, Purpose.SURVEY_COMPONENTS), r.net_income)

    flag_rng = stream(seed, county.number, Purpose.SURVEY_FLAGS)
    secure = np.ones((n, len(SECURE_FLAGS)), dtype=bool)
    poor = r.frame == FRAME_POOR
    secure[poor] = flag_rng.random((int(poor.sum()), len(SECURE_FLAGS))) < POOR_SECURE_CHANCE

    answer_rng = stream(seed, county.number, Purpose.ACCEPTANCE)
    answer = np.full(n, ACCEPT)
    declining = answer_rng.choice(n, not_accepting, replace=False)
    answer[declining] = np.where(
        answer_rng.random(not_accepting) < NOT_ACCEPT_SHARE, NOT_ACCEPT, UNSURE
    )

    # Each county is visited over its own stretch of the window; ids follow the interview order.
    date_rng = stream(seed, county.number, Purpose.SURVEY_DATES)
    day = first_day + date_rng.integers(0, span, n)
    order = np.lexsort((date_rng.random(n), day))
    serial = np.arange(1, n + 1)

    has_id = r.household_id[order] > 0
    household_id = pc.if_else(
        pa.array(has_id), codes(r.household_id[order], 18), pa.scalar(None, pa.string())
    )
    values = {
        "survey_id": pc.binary_join_element_wise(
            repeated(plan.agency, n), repeated(county.code, n), codes(serial, 5), "-"
        ),
        "agency_code": repeated(plan.agency, n),
        "county_code": repeated(county.code, n),
        "village_code": codes(r.village_code[order], 12),
        "survey_date": iso_dates(day[order]),
        "sample_frame": labels(SAMPLE_FRAMES, r.frame[order]),
        "household_id": household_id,
        "household_size": pa.array(r.size[order]),
        "wage_income": money(parts[order, 0]),
        "operating_income": money(parts[order, 1]),
        "property_income": money(parts[order, 2]),
        "transfer_income": money(parts[order, 3]),
        "production_cost": money(parts[order, 4]),
        **{flag: pa.array(secure[order, i]) for i, flag in enumerate(SECURE_FLAGS)},
        "acceptance": labels(ACCEPTANCE_ANSWERS, answer[order]),
    }
    return pa.table([values[column] for column in columns], names=columns)
