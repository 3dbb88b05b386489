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
    county_frame,
    county_table,
    reference_for,
    scaled_rural_population,
)
from pipeline.generate.households import draw_households, registry_table
from pipeline.generate.members import draw_members
from pipeline.generate.surveys import agencies_for, plan_county, survey_table
from pipeline.generate.writer import CsvStream, batch_folder, write_manifest
from pipeline.schemas.fields import (
    COUNTIES,
    REGISTRY_HOUSEHOLDS,
    REGISTRY_MEMBERS,
    SURVEY_HOUSEHOLDS,
)
from pipeline.settings import BATCH_ID_PATTERN

__all__ = ["generate_batch"]


def generate_batch(batch_id: str, out_dir: Path, scale: float = 0.01, seed: int = 2020) -> Path:
    """Write a synthetic batch and return its folder, `out_dir / batch_id`.

    Args:
        batch_id: the batch to generate, any valid id; one without reference data of its own
            gets the 2020 Guizhou calibration, written under this id.
        out_dir: the raw folder that receives the batch folder (created if missing).
        scale: share of the province's real size, in (0, 1]; 1 is 9.23 million persons.
        seed: any non-negative integer; the same seed and scale give the same bytes.

    Raises:
        ValueError: an invalid batch id, scale or seed.
    """
    if not BATCH_ID_PATTERN.fullmatch(batch_id):
        raise ValueError(
            f"invalid batch id {batch_id!r}: it must match ^[a-z0-9][a-z0-9-]{{0,63}}$"
        )
    reference = reference_for(batch_id)
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], found {scale}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, found {seed!r}")
    seed = int(seed)
    out_dir = Path(out_dir)
    line = reference.poverty_line_cents

    counties = county_frame(reference, seed)
    households = [draw_households(county, seed, scale, line) for county in counties]
    _calibrate_registry_income(households, reference.registry_income_cents)
    rural = [
        scaled_rural_population(c, scale, h.persons)
        for c, h in zip(counties, households, strict=True)
    ]

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
        # Persons are streamed county by county; only the households stay in memory.
        with (
            CsvStream(folder / "registry_members.csv", REGISTRY_MEMBERS.columns) as member_out,
            CsvStream(folder / "registry_households.csv", REGISTRY_HOUSEHOLDS.columns) as out,
        ):
            for county_households in households:
                members = draw_members(
                    county_households, seed, reference_day, REGISTRY_MEMBERS.columns
                )
                member_out.write(members.table)
                out.write(
                    registry_table(
                        county_households,
                        members.head_name,
                        members.head_id_number,
                        REGISTRY_HOUSEHOLDS.columns,
                    )
                )

        assessed = [i for i, county in enumerate(counties) if county.in_exit_batch]
        plans = [
            plan_county(households[i], rural[i], seed, agency, slot)
            for i, (agency, slot) in zip(
                assessed, agencies_for([counties[i] for i in assessed]), strict=True
            )
        ]
        with CsvStream(folder / "survey_households.csv", SURVEY_HOUSEHOLDS.columns) as out:
            out.write(survey_table(plans, reference, seed, SURVEY_HOUSEHOLDS.columns))
    return out_dir / batch_id


def _calibrate_registry_income(households: list, target_cents: int) -> None:
    """Recorded incomes of the whole province at once: the published average is province-wide."""
    income = calibration.registry_per_capita(
        np.concatenate([h.size for h in households]),
        np.concatenate([h.base_cents for h in households]),
        np.concatenate([h.excess for h in households]),
        target_cents,
    )
    bounds = np.cumsum([0] + [len(h) for h in households])
    for i, h in enumerate(households):
        h.income_cents = income[bounds[i] : bounds[i + 1]]
