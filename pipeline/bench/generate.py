"""Child process of the bench: one batch through the generator library, nothing else.

`povexit generate` accepts scales up to 1; the library goes to MAX_SCALE, which the national
bench needs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline.bench.batches import BATCH
from pipeline.generate import generate_batch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.bench.generate")
    parser.add_argument("--scale", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    print(f"wrote {generate_batch(BATCH, args.out, scale=args.scale, seed=args.seed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
