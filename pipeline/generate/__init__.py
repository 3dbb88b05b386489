"""Synthetic raw batches (SPEC section 1) calibrated to the published figures (SPEC section 5).

`generate_batch` writes one assessment round, `generate_history` the province's five rounds;
both write `<out_dir>/<batch_id>/` with the manifest and the tables, and return the folders.
Every round is a snapshot of one model of the province, so a round written alone is byte for
byte the same round written with the others. See README.md beside this file for the
distributions and why they were chosen.
"""

from __future__ import annotations

import datetime as dt
import math
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline.generate import calibration
from pipeline.generate.counties import (
    HISTORY,
    BatchReference,
    County,
    Province,
    county_frame,
    county_table,
    fit_rural_total,
    reference_for,
    scaled_rural_population,
)
from pipeline.generate.households import (
    CountyHouseholds,
    Registry,
    draw_households,
    last_poor_targets,
    recorded_income,
    registry_table,
    snapshot,
)
from pipeline.generate.members import CountyMembers, draw_members
from pipeline.generate.surveys import (
    CountyPlan,
    agencies_for,
    keep_sampled,
    plan_county,
    survey_table,
)
from pipeline.generate.writer import CsvStream, batch_folder, write_manifest
from pipeline.schemas.fields import (
    COUNTIES,
    OBJECTIONS,
    REGISTRY_HOUSEHOLDS,
    REGISTRY_MEMBERS,
    SURVEY_HOUSEHOLDS,
)
from pipeline.settings import BATCH_ID_PATTERN

__all__ = ["HISTORY_BATCHES", "MAX_SCALE", "generate_batch", "generate_history"]

# Above the real province's size only to measure the pipeline on larger batches (`make
# bench-national` uses 10); nothing in the draws stops there, it is a guard against typos.
MAX_SCALE = 10
HISTORY_BATCHES = tuple(reference.batch_id for reference in HISTORY)


def generate_batch(batch_id: str, out_dir: Path, scale: float = 0.01, seed: int = 2020) -> Path:
    """Write a synthetic batch and return its folder, `out_dir / batch_id`.

    Args:
        batch_id: the batch to generate, any valid id. `guizhou-2016` .. `guizhou-2020` are the
            rounds of the province's history; any other id gets the 2020 Guizhou round,
            written under this id.
        out_dir: the raw folder that receives the batch folder (created if missing).
        scale: share of the province's real size, in (0, MAX_SCALE]; 1 is 9.23 million
            persons.
        seed: any non-negative integer; the same seed and scale give the same bytes.

    Raises:
        ValueError: an invalid batch id, scale or seed.
    """
    if not BATCH_ID_PATTERN.fullmatch(batch_id):
        raise ValueError(
            f"invalid batch id {batch_id!r}: it must match ^[a-z0-9][a-z0-9-]{{0,63}}$"
        )
    (folder,) = _generate([reference_for(batch_id)], Path(out_dir), scale, seed)
    return folder


def generate_history(out_dir: Path, scale: float = 0.01, seed: int = 2020) -> list[Path]:
    """Write the province's five assessment rounds, `guizhou-2016` .. `guizhou-2020`: the same
    households and persons, each round a snapshot of the registry in its year. Returns the
    folders, oldest first. Arguments and errors as `generate_batch`."""
    return _generate(list(HISTORY), Path(out_dir), scale, seed)


def _generate(
    references: list[BatchReference], out_dir: Path, scale: float, seed: int
) -> list[Path]:
    if not 0 < scale <= MAX_SCALE:
        raise ValueError(f"scale must be in (0, {MAX_SCALE}], found {scale}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, found {seed!r}")
    seed = int(seed)
    province = references[0].province
    line = province.final_line_cents

    counties = county_frame(province, seed)
    targets, income, persons = _province_pass(counties, province, seed, scale)
    rural = fit_rural_total(
        [scaled_rural_population(c, scale, p) for c, p in zip(counties, persons, strict=True)],
        counties,
        sum(targets),
        province.incidence_before_final_year,
    )
    assignments = []
    for reference in references:
        assessed = [i for i, c in enumerate(counties) if c.in_exit_batch(reference.assessment_year)]
        agencies = agencies_for([counties[i] for i in assessed], reference.agencies)
        assignments.append(dict(zip(assessed, agencies, strict=True)))
    # Persons are drawn as of mid-year of the first round, so everyone exists in every round.
    reference_day = (dt.date(province.first_year, 6, 30) - dt.date(1970, 1, 1)).days

    with ExitStack() as stack:
        folders = [stack.enter_context(batch_folder(out_dir, r.batch_id)) for r in references]
        households_out, members_out = [], []
        for reference, folder in zip(references, folders, strict=True):
            write_manifest(folder / "batch.toml", reference.manifest())
            with CsvStream(folder / "counties.csv", COUNTIES.columns) as out:
                year = reference.assessment_year
                out.write(county_table(counties, rural, year, COUNTIES.columns))
            # No objection was received during any round's public notice: a header alone.
            CsvStream(folder / "objections.csv", OBJECTIONS.columns).close()
            members_out.append(
                stack.enter_context(
                    CsvStream(folder / "registry_members.csv", REGISTRY_MEMBERS.columns)
                )
            )
            households_out.append(
                stack.enter_context(
                    CsvStream(folder / "registry_households.csv", REGISTRY_HOUSEHOLDS.columns)
                )
            )

        # Households and persons are drawn, written and dropped county by county (households
        # are drawn again here: cheaper than holding the province's); each round gets its
        # snapshot of them, and its survey keeps only the households it samples.
        plans: list[list[CountyPlan]] = [[] for _ in references]
        for i, county in enumerate(counties):
            households = draw_households(county, seed, scale, line, targets[i])
            final_income = income.per_capita(i, *households.part()[1:])
            members = draw_members(households, seed, reference_day, REGISTRY_MEMBERS.columns)
            for k, reference in enumerate(references):
                year, line_then = reference.assessment_year, reference.poverty_line_cents
                incomes = recorded_income(households, year, line_then, final_income, income.factor)
                registry = snapshot(households, year, incomes)
                _write_registry(
                    households, members, registry, year, members_out[k], households_out[k]
                )
                if i in assignments[k]:
                    plan = plan_county(registry, rural[i], seed, *assignments[k][i])
                    plans[k].append(keep_sampled(plan))
            del members

        for reference, folder, round_plans in zip(references, folders, plans, strict=True):
            with CsvStream(folder / "survey_households.csv", SURVEY_HOUSEHOLDS.columns) as out:
                out.write(survey_table(round_plans, reference, seed, SURVEY_HOUSEHOLDS.columns))
    return [out_dir / reference.batch_id for reference in references]


def _write_registry(
    households: CountyHouseholds,
    members: CountyMembers,
    registry: Registry,
    year: int,
    member_out: CsvStream,
    household_out: CsvStream,
) -> None:
    """One county's persons and households in the round of `year`: those registered by then."""
    present = households.year_registered <= year
    if present.all():
        persons, heads, head_ids = members.table, members.head_name, members.head_id_number
    else:
        persons = members.table.filter(pa.array(np.repeat(present, households.size)))
        heads = members.head_name.filter(pa.array(present))
        head_ids = members.head_id_number.filter(pa.array(present))
    member_out.write(persons)
    household_out.write(registry_table(registry, heads, head_ids, REGISTRY_HOUSEHOLDS.columns))


def _province_pass(
    counties: list[County], province: Province, seed: int, scale: float
) -> tuple[list[int], calibration.RegistryIncome, list[int]]:
    """What must be decided over the whole province before any county is written.

    - each county's persons poor at the end of the year before the final round, summing to
      the province's figure exactly (a county whose household sizes cannot make its share
      passes the rest on);
    - the calibration of recorded incomes of the final round;
    - each county's registered persons (its rural population's floor).

    Every county's households are drawn once for it; only what the calibration reads is kept
    (size, base and free part: 13 bytes a household).
    """
    line = province.final_line_cents
    total = math.floor(province.poor_before_final_year * scale + 0.5)
    wanted = last_poor_targets(counties, scale, total)
    achieved, parts, persons = [], [], []
    for county, target in zip(counties, wanted, strict=True):
        households = draw_households(county, seed, scale, line, target)
        achieved.append(_last_poor(households))
        parts.append(_compact(households))
        persons.append(households.persons)
    # Shortfalls (rare: sizes that cannot make a small number) go to the counties with the most
    # poor, drawn again with a larger target.
    for i in sorted(range(len(counties)), key=lambda i: (-wanted[i], i)):
        short = total - sum(achieved)
        if short == 0:
            break
        households = draw_households(counties[i], seed, scale, line, achieved[i] + short)
        achieved[i] = _last_poor(households)
        parts[i] = _compact(households)
    if sum(achieved) != total:
        raise ValueError(
            f"cannot leave exactly {total} persons poor at the end of "
            f"{province.final_year - 1} at this scale; use a larger --scale"
        )
    income = calibration.registry_income(parts, province.registry_income_cents)
    return achieved, income, persons


def _last_poor(households: CountyHouseholds) -> int:
    return int(households.size[households.last_poor].sum())


def _compact(households: CountyHouseholds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sizes, base, excess = households.part()
    return sizes.astype(np.int8), base.astype(np.int32), excess
