"""The bench's generated batches: one folder per (scale, seed), generated once and reused.

A batch folder appears only when the generator has finished (it writes into a hidden folder and
renames it), so a folder with its manifest is complete and can be reused as it is: the same
scale and seed always give the same bytes.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from pipeline.bench.measure import Measurement, measured

BATCH = "guizhou-2020"
# CSV bytes per unit of scale (scale 1 wrote 912 MB); sizes grow linearly with the scale.
BYTES_PER_SCALE = 912_000_000


class NoRoom(Exception):
    """The disk cannot hold the batch the bench would generate."""


def expected_bytes(scale: float) -> int:
    return round(BYTES_PER_SCALE * scale)


def check_room(folder: Path, scale: float) -> None:
    """Refuse to start a generation that would fill the disk, before writing anything.

    The batch must fit twice over: the runs' working databases and marts come on top of it.
    """
    free = shutil.disk_usage(folder).free
    needed = 2 * expected_bytes(scale)
    if needed > free:
        raise NoRoom(
            f"scale {scale:g} needs about {needed / 1e9:.1f} GB free on {folder} "
            f"(the batch and room for the runs), only {free / 1e9:.1f} GB is"
        )


def raw_folder(root: Path, scale: float, seed: int) -> Path:
    """The raw folder (holding the batch folder) of one scale and seed."""
    return root / f"raw-scale{scale:g}-seed{seed}"


def is_cached(raw: Path) -> bool:
    return (raw / BATCH / "batch.toml").is_file()


def generate_command(raw: Path, scale: float, seed: int) -> list[str]:
    # Through the library rather than `povexit generate`, which stops at scale 1: the bench
    # goes up to the generator's MAX_SCALE.
    return [
        sys.executable, "-m", "pipeline.bench.generate",
        "--scale", f"{scale:g}", "--seed", str(seed), "--out", str(raw),
    ]  # fmt: skip


def ensure_batch(
    root: Path, scale: float, seed: int, logs: Path
) -> tuple[Path, Measurement | None]:
    """The batch folder of this scale and seed, and the generator's measurement if it had to
    be generated now (None when reused)."""
    raw = raw_folder(root, scale, seed)
    if is_cached(raw):
        return raw / BATCH, None
    check_room(root, scale)
    print(f"generating scale {scale:g}, seed {seed} into {raw} ...", flush=True)
    generation = measured(
        generate_command(raw, scale, seed), log=logs / f"generate-scale{scale:g}.log"
    )
    return raw / BATCH, generation


def count_rows(batch_dir: Path) -> int:
    """Data rows of the batch's CSV files: lines less one header each (no value spans lines)."""
    total = 0
    for path in sorted(batch_dir.glob("*.csv")):
        with path.open("rb") as handle:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
        total -= 1
    return total
