"""`python -m pipeline.bench`: see the package docstring for the three benches."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.bench import national, scales, standard
from pipeline.bench.batches import NoRoom
from pipeline.errors import InputError
from pipeline.generate import MAX_SCALE


def parse_scales(text: str) -> list[float]:
    """`1,3,10` -> [1.0, 3.0, 10.0], each within what the generator accepts."""
    values = [float(part) for part in text.split(",") if part.strip()]
    if not values or any(not 0 < value <= MAX_SCALE for value in values):
        raise argparse.ArgumentTypeError(f"scales must be in (0, {MAX_SCALE}], found {text!r}")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.bench", description=sys.modules["pipeline.bench"].__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--dir", default=".bench", help="bench cache, runs and results")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--scale", type=float, help="default 1, or 10 with --national")
    parser.add_argument("--repeat", type=int, default=3, help="runs for the median (make bench)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--national", action="store_true", help="one run at national scale")
    mode.add_argument("--scales", type=parse_scales, help="one run per scale, e.g. 1,3,10")
    args = parser.parse_args(argv)
    if args.scale is None:
        args.scale = 10.0 if args.national else 1.0
    if not 0 < args.scale <= MAX_SCALE:
        parser.error(f"--scale must be in (0, {MAX_SCALE}]")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    root = Path(args.dir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    try:
        if args.national:
            report, code = national.bench(root, args.scale, args.seed)
            name = "results-national.md"
        elif args.scales:
            report, code = scales.bench(root, args.scales, args.seed)
            name = "results-scales.md"
        else:
            report, code = standard.bench(root, args.scale, args.seed, args.repeat)
            name = "results.md"
    except (NoRoom, InputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report.write(root / name)
    return code


if __name__ == "__main__":
    sys.exit(main())
