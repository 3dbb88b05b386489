"""Generated batches shared by the generator's tests: each (scale, seed) is written once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.generate import generate_batch, generate_history
from tests.unit.generate.figures import connect

BATCH = "guizhou-2020"
YEARS = range(2016, 2021)

__all__ = ["BATCH", "YEARS", "connect"]


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Callable[..., Path]:
    """generated(scale, seed=2020) -> the batch folder, generated once per session."""
    folders: dict[tuple[float, int], Path] = {}

    def make(scale: float, seed: int = 2020) -> Path:
        if (scale, seed) not in folders:
            out = tmp_path_factory.mktemp(f"scale{scale:g}-seed{seed}")
            folders[scale, seed] = generate_batch(BATCH, out, scale=scale, seed=seed)
        return folders[scale, seed]

    return make


@pytest.fixture(scope="session")
def history(tmp_path_factory) -> Callable[..., dict[int, Path]]:
    """history(scale, seed=2020) -> {year: batch folder} of the five rounds, written once."""
    made: dict[tuple[float, int], dict[int, Path]] = {}

    def make(scale: float, seed: int = 2020) -> dict[int, Path]:
        if (scale, seed) not in made:
            out = tmp_path_factory.mktemp(f"history{scale:g}-seed{seed}")
            folders = generate_history(out, scale=scale, seed=seed)
            made[scale, seed] = dict(zip(YEARS, folders, strict=True))
        return made[scale, seed]

    return make
