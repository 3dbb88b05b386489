"""The committed reference batch is exactly what the Makefile's `generate` command writes."""

from __future__ import annotations

import hashlib
import re
import shlex
from pathlib import Path

import pytest

from pipeline.cli import main as povexit

# Whole pipeline runs: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "data" / "raw" / "guizhou-2020"
SIZE_LIMIT = 8_000_000  # bytes: the "under 8 MB", read strictly


def generate_command() -> list[str]:
    """The arguments after `povexit` in the Makefile's `generate` target."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^generate:.*\n\t\$\(RUN\) povexit (.+)$", makefile, re.MULTILINE)
    assert recipe, "the Makefile has no `generate` target running povexit"
    return shlex.split(recipe.group(1).replace("$(BATCH)", "guizhou-2020"))


def digests(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
    }


def test_committed_batch__regenerates_byte_for_byte(tmp_path):
    arguments = generate_command()
    out = arguments.index("--out")
    arguments[out + 1] = str(tmp_path)
    assert povexit(arguments) == 0
    assert digests(tmp_path / "guizhou-2020") == digests(COMMITTED)


def test_committed_batch__under_8_mb():
    assert sum(path.stat().st_size for path in COMMITTED.iterdir()) < SIZE_LIMIT
