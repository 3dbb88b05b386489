"""Random streams of the generator: one per (seed, county, purpose).

Each county and each job draws from its own stream, so adding a draw in one place, or visiting
counties in another order, changes nothing elsewhere; the same seed and scale give the same bytes.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Purpose(IntEnum):
    """What a stream is used for. Values are part of the seed: never renumber them."""

    COUNTY = 1
    VILLAGES = 2
    HOUSEHOLDS = 3
    INCOME = 4
    MEMBERS = 5
    NAMES = 6
    SURVEY_SAMPLE = 7
    SURVEY_NON_REGISTERED = 8
    SURVEY_INCOME = 9
    SURVEY_COMPONENTS = 10
    SURVEY_FLAGS = 11
    ACCEPTANCE = 12
    SURVEY_DATES = 13
    HISTORY = 14


def stream(seed: int, county_code: int, purpose: Purpose) -> np.random.Generator:
    """The generator for one county (by its numeric code) and one purpose."""
    return np.random.default_rng(np.random.SeedSequence([seed, county_code, int(purpose)]))
