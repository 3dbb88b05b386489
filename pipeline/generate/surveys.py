"""Third-party field survey (实地评估调查) of the counties applying to exit in a round.

Each agency assesses a share of the counties (or, with fewer counties than agencies, a share of
each county's interviews). In each county it interviews a random sample of the round's exited
registry households, its poor or returned ones, and households that were never registered. A
round with published figures (2020) is then calibrated to reproduce the press release to the
cent; the other rounds keep what was drawn, with one wrong exit placed in 2017.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.generate import calibration
from pipeline.generate.counties import BatchReference, County
from pipeline.generate.formatting import codes, iso_dates, labels, money, repeated
from pipeline.generate.households import EXITED, Registry
from pipeline.generate.streams import Purpose, stream
from pipeline.schemas.fields import ACCEPTANCE_ANSWERS, SAMPLE_FRAMES, SECURE_FLAGS

FRAME_EXITED, FRAME_POOR, FRAME_NON_REGISTERED = (
    SAMPLE_FRAMES.index(f) for f in ("exited", "poor", "non_registered")
)
ACCEPT, NOT_ACCEPT, UNSURE = (
    ACCEPTANCE_ANSWERS.index(a) for a in ("accept", "not_accept", "unsure")
)
HOUSING = SECURE_FLAGS.index("housing_secure")

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
# A wrong exit is placed only where it leaves the county's wrong-exit rate below this (the
# veto is at 2%).
WRONG_EXIT_RATE_MAX = 0.015


@dataclass
class CountyPlan:
    """Who is interviewed in one county, before the round-wide calibration."""

    households: Registry
    agencies: tuple[str, ...]  # one, or several sharing the county's interviews
    slot: int  # the county's place in its agencies' round
    exited: np.ndarray  # sampled exited households (indices into households)
    poor: np.ndarray  # sampled poor or returned households
    non_registered: int  # non-registered households to interview

    @property
    def county(self) -> County:
        return self.households.county


def agencies_for(
    counties: list[County], agencies: tuple[str, ...]
) -> list[tuple[tuple[str, ...], int]]:
    """(agencies, slot) per county of the exit batch: contiguous shares in county-code order,
    one agency a county; with fewer counties than agencies, every agency shares each county."""
    n = len(counties)
    if n < len(agencies):
        return [(agencies, i) for i in range(n)]
    assignment = []
    for i in range(n):
        agency = i * len(agencies) // n
        first = next(j for j in range(n) if j * len(agencies) // n == agency)
        assignment.append(((agencies[agency],), i - first))
    return assignment


def plan_county(
    households: Registry,
    rural_population: int,
    seed: int,
    agencies: tuple[str, ...],
    slot: int,
) -> CountyPlan:
    rng = stream(seed, households.county.number, Purpose.SURVEY_SAMPLE)
    exited_target, non_registered_target = rng.integers(*SAMPLE_TARGET, 2)
    candidates = np.flatnonzero(households.status == EXITED)
    exited = np.sort(rng.choice(candidates, min(exited_target, candidates.size), replace=False))
    # Agencies sharing a county each need households of every frame; at the smallest scales a
    # county may have too few exited households to share.
    agencies = tuple(agencies)[: max(1, exited.size)]
    # The poor frame samples the county's poor and returned households. The final round's exit
    # counties have none (incidence must be 0), so its surveys carry no poor frame.
    poor_candidates = np.flatnonzero(households.status != EXITED)
    poor_count = min(POOR_FRAME_TARGET, poor_candidates.size)
    poor = np.sort(rng.choice(poor_candidates, poor_count, replace=False))
    non_registered_population = max(0, rural_population - households.persons)
    available = max(1, int(non_registered_population // NON_REGISTERED_MEAN_SIZE))
    return CountyPlan(
        households=households,
        agencies=agencies,
        slot=slot,
        exited=exited,
        poor=poor,
        # Agencies sharing a county each need a household of each frame.
        non_registered=int(max(len(agencies), min(non_registered_target, available))),
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
    exited_size = hh.size[plan.exited]
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
        # Uncalibrated exited incomes; a calibrated round replaces them.
        net_income=np.concatenate(
            [exited_size * (line_cents + np.rint(exited_excess).astype(np.int64)),
             hh.size[plan.poor] * poor_income, non_registered_income]
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


def wrong_exits(plans: list[CountyPlan], rows: list[_Rows], count: int) -> dict[int, int]:
    """{plan: row} of the sampled exited households found not to meet the standard.

    One household each in the `count` counties with the most sampled exited persons: the
    smallest such household, and only where the county's wrong-exit rate stays below
    WRONG_EXIT_RATE_MAX.
    """
    chosen: dict[int, int] = {}
    persons = [int(r.size[r.frame == FRAME_EXITED].sum()) for r in rows]
    for i in sorted(range(len(plans)), key=lambda i: (-persons[i], i)):
        if len(chosen) == count:
            break
        exited = np.flatnonzero(rows[i].frame == FRAME_EXITED)
        if exited.size == 0:
            continue
        row = int(exited[np.argmin(rows[i].size[exited])])
        if rows[i].size[row] < WRONG_EXIT_RATE_MAX * persons[i]:
            chosen[i] = row
    return chosen


def survey_table(
    plans: list[CountyPlan], reference: BatchReference, seed: int, columns: list[str]
) -> pa.Table:
    """The round's field survey. A round with published figures is calibrated to them:
    pooled acceptance and the exited sample's income; other rounds keep what was drawn."""
    line = reference.poverty_line_cents
    calibrated = reference.acceptance_hundredths is not None
    if calibrated:
        kept, declining = calibration.trim_for_acceptance(
            [p.exited.size + p.poor.size for p in plans],
            [p.non_registered for p in plans],
            reference.acceptance_hundredths,
        )
    else:
        kept = [p.non_registered for p in plans]
    rows = [_county_rows(p, seed, k, line) for p, k in zip(plans, kept, strict=True)]

    if reference.exited_sample_income_cents is not None:
        # One pooled calibration: the published figure is over the round's exited sample.
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

    if calibrated:
        answers: list[int | None] = calibration.share_out(declining, [r.frame.size for r in rows])
    else:
        answers = [None] * len(rows)
    failing = wrong_exits(plans, rows, reference.wrong_exit_households)

    window_start, window_end = (np.datetime64(day, "D") for day in reference.fieldwork)
    slots = max(p.slot for p in plans) + 1
    span = int((window_end - window_start).astype(np.int64) + 1) // slots
    start_day = int((window_start - np.datetime64("1970-01-01")).astype(np.int64))

    return pa.concat_tables(
        _county_table(
            plan, r, not_accepting, failing.get(i), reference, seed,
            start_day + plan.slot * span, span, columns,
        )
        for i, (plan, r, not_accepting) in enumerate(zip(plans, rows, answers, strict=True))
    )  # fmt: skip


def _agency_rows(frame: np.ndarray, agencies: int) -> np.ndarray:
    """Agency (index) of each row: agencies sharing a county take turns within each frame."""
    agency = np.zeros(frame.size, dtype=np.int64)
    for value in np.unique(frame):
        rows = np.flatnonzero(frame == value)
        agency[rows] = np.arange(rows.size) % agencies
    return agency


def _county_table(
    plan: CountyPlan,
    r: _Rows,
    not_accepting: int | None,
    failing: int | None,
    reference: BatchReference,
    seed: int,
    first_day: int,
    span: int,
    columns: list[str],
) -> pa.Table:
    county = plan.county
    n = r.frame.size
    parts = _components(stream(seed, county.number, Purpose.SURVEY_COMPONENTS), r.net_income)
    agency = _agency_rows(r.frame, len(plan.agencies))

    flag_rng = stream(seed, county.number, Purpose.SURVEY_FLAGS)
    secure = np.ones((n, len(SECURE_FLAGS)), dtype=bool)
    poor = r.frame == FRAME_POOR
    secure[poor] = flag_rng.random((int(poor.sum()), len(SECURE_FLAGS))) < POOR_SECURE_CHANCE
    if failing is not None:
        # A wrong exit: the house was found unsafe (危房), the most common finding.
        secure[failing, HOUSING] = False

    # Households not accepting: the calibrated number, or a drawn share of the interviews;
    # shared out over the agencies by their interviews, so each keeps about the same rate.
    answer_rng = stream(seed, county.number, Purpose.ACCEPTANCE)
    if not_accepting is None:
        not_accepting = int(answer_rng.uniform(*reference.decline_share) * n)
    answer = np.full(n, ACCEPT)
    groups = [np.flatnonzero(agency == a) for a in range(len(plan.agencies))]
    for rows, count in zip(
        groups, calibration.share_out(not_accepting, [g.size for g in groups]), strict=True
    ):
        declining = answer_rng.choice(rows, count, replace=False)
        answer[declining] = np.where(
            answer_rng.random(count) < NOT_ACCEPT_SHARE, NOT_ACCEPT, UNSURE
        )

    # Each county is visited over its own stretch of the window; ids follow the interview order.
    date_rng = stream(seed, county.number, Purpose.SURVEY_DATES)
    day = first_day + date_rng.integers(0, span, n)
    order = np.lexsort((date_rng.random(n), day))
    agency = agency[order]
    # Each agency numbers its own questionnaires.
    serial = np.empty(n, dtype=np.int64)
    for a in range(len(plan.agencies)):
        rows = np.flatnonzero(agency == a)
        serial[rows] = np.arange(1, rows.size + 1)
    agency_code = labels(plan.agencies, agency)

    has_id = r.household_id[order] > 0
    household_id = pc.if_else(
        pa.array(has_id), codes(r.household_id[order], 18), pa.scalar(None, pa.string())
    )
    values = {
        "survey_id": pc.binary_join_element_wise(
            agency_code, repeated(county.code, n), codes(serial, 5), "-"
        ),
        "agency_code": agency_code,
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
