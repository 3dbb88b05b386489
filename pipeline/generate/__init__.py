"""Synthetic raw batches (SPEC section 1) calibrated to the published figures (SPEC section 5).

`generate_batch` is the whole public surface: it writes `<out_dir>/<batch_id>/` with the
manifest and the four tables, and returns that folder. See README.md beside this file for the
distributions and why they were chosen.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.generate import calibration
from pipeline.generate.counties import (
    County,
    county_frame,
    county_table,
    reference_for,
    scaled_rural_population,
)
from pipeline.generate.households import CountyHouseholds, draw_households, registry_table
from pipeline.generate.members import draw_members
from pipeline.generate.surveys import agencies_for, keep_sampled, plan_county, survey_table
from pipeline.generate.writer import CsvStream, batch_folder, write_manifest
from pipeline.schemas.fields import (
    COUNTIES,
    REGISTRY_HOUSEHOLDS,
    REGISTRY_MEMBERS,
    SURVEY_HOUSEHOLDS,
)
from pipeline.settings import BATCH_ID_PATTERN

__all__ = ["MAX_SCALE", "generate_batch"]

# Above the real province's size only to measure the pipeline on larger batches (`make
# bench-national` uses 10); nothing in the draws stops there, it is a guard against typos.
MAX_SCALE = 10


def generate_batch(batch_id: str, out_dir: Path, scale: float = 0.01, seed: int = 2020) -> Path:
    """Write a synthetic batch and return its folder, `out_dir / batch_id`.

    Args:
        batch_id: the batch to generate, any valid id; one without reference data of its own
            gets the 2020 Guizhou calibration, written under this id.
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
    reference = reference_for(batch_id)
    if not 0 < scale <= MAX_SCALE:
        raise ValueError(f"scale must be in (0, {MAX_SCALE}], found {scale}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, found {seed!r}")
    seed = int(seed)
    out_dir = Path(out_dir)
    line = reference.poverty_line_cents

    counties = county_frame(reference, seed)
    income, persons = _registry_income(counties, seed, scale, line, reference.registry_income_cents)
    rural = [scaled_rural_population(c, scale, p) for c, p in zip(counties, persons, strict=True)]
    assessed = [i for i, county in enumerate(counties) if county.in_exit_batch]
    assignments = dict(zip(assessed, agencies_for([counties[i] for i in assessed]), strict=True))

    with batch_folder(out_dir, batch_id) as folder:
        write_manifest(
            folder / "batch.toml",
            {
                "batch_id": reference.batch_id,
                "province_code": reference.province_code,
                "province_name": reference.province_name,
                "assessment_year": reference.assessment_year,
                "poverty_line_yuan": reference.poverty_line_yuan,
            },
        )
        with CsvStream(folder / "counties.csv", COUNTIES.columns) as out:
            out.write(county_table(counties, rural, COUNTIES.columns))

        reference_day = int(
            (
                np.datetime64(f"{reference.assessment_year}-06-30") - np.datetime64("1970-01-01")
            ).astype(np.int64)
        )
        # Households and persons are drawn, written and dropped county by county (households
        # are drawn again here: cheaper than holding the province's); the survey keeps only the
        # households it samples.
        plans = []
        with (
            CsvStream(folder / "registry_members.csv", REGISTRY_MEMBERS.columns) as member_out,
            CsvStream(folder / "registry_households.csv", REGISTRY_HOUSEHOLDS.columns) as out,
        ):
            for i, county in enumerate(counties):
                county_households = draw_households(county, seed, scale, line)
                county_households.income_cents = income.per_capita(
                    i, county_households.base_cents, county_households.excess
                )
                _write_registry(county_households, seed, reference_day, member_out, out)
                if i in assignments:
                    plan = plan_county(county_households, rural[i], seed, *assignments[i])
                    plans.append(keep_sampled(plan))

        with CsvStream(folder / "survey_households.csv", SURVEY_HOUSEHOLDS.columns) as out:
            out.write(survey_table(plans, reference, seed, SURVEY_HOUSEHOLDS.columns))
    return out_dir / batch_id


def _write_registry(
    households: CountyHouseholds,
    seed: int,
    reference_day: int,
    member_out: CsvStream,
    household_out: CsvStream,
) -> None:
    """One county's persons and households. The persons, the largest thing the generator
    holds, are released on return, before the next county is drawn."""
    members = draw_members(households, seed, reference_day, REGISTRY_MEMBERS.columns)
    member_out.write(members.table)
    household_out.write(
        registry_table(
            households, members.head_name, members.head_id_number, REGISTRY_HOUSEHOLDS.columns
        )
    )


def _registry_income(
    counties: list[County], seed: int, scale: float, line: int, target_cents: int
) -> tuple[calibration.RegistryIncome, list[int]]:
    """The province-wide calibration of recorded incomes, and each county's registered persons.

    The recorded average is province-wide, so every county's households are drawn once for it;
    only what the calibration reads is kept (size, base and free part: 13 bytes a household).
    """
    parts, persons = [], []
    for county in counties:
        households = draw_households(county, seed, scale, line)
        parts.append(
            (
                households.size.astype(np.int8),
                households.base_cents.astype(np.int32),
                households.excess,
            )
        )
        persons.append(households.persons)
    return calibration.registry_income(parts, target_cents), persons
