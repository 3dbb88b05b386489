"""`make bench`: the generator and the pipeline at full scale, timed and measured.

Generates `guizhou-2020` at `--scale` (default 1: 9.23 million registered persons) once into
the bench folder (kept and reused while scale and seed are unchanged), then times
`povexit run` on it in a fresh process. Each step runs as its own child process so its wall time
and peak resident memory (`wait4`'s ru_maxrss) are its own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BATCH = "guizhou-2020"
RAW_FILES = ("counties", "registry_households", "registry_members", "survey_households")


def measured(argv: list[str]) -> dict:
    """Run a command; its wall seconds, peak RSS in MiB and exit code."""
    started = time.perf_counter()
    child = subprocess.Popen(argv)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    return {
        "command": " ".join(argv),
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024),
        "exit_code": os.waitstatus_to_exitcode(status),
    }


def count_rows(batch_dir: Path) -> int:
    total = 0
    for name in RAW_FILES:
        with (batch_dir / f"{name}.csv").open("rb") as handle:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
        total -= 1  # header
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.bench", description=__doc__)
    parser.add_argument("--dir", default=".bench", help="where the bench batch and marts go")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args(argv)

    root = Path(args.dir).resolve()
    raw = root / f"raw-scale{args.scale:g}-seed{args.seed}"
    marts = root / "marts"
    povexit = [sys.executable, "-m", "pipeline.cli"]
    results = {}
    if not (raw / BATCH / "batch.toml").is_file():
        shutil.rmtree(raw, ignore_errors=True)
        results["generate"] = measured(
            [
                *povexit,
                "generate",
                "--batch",
                BATCH,
                "--scale",
                str(args.scale),
                "--seed",
                str(args.seed),
                "--out",
                str(raw),
            ]
        )
    rows = count_rows(raw / BATCH)
    if "generate" in results:
        results["generate"]["rows_per_second"] = round(rows / results["generate"]["seconds"])
    shutil.rmtree(marts, ignore_errors=True)
    results["run"] = measured(
        [*povexit, "run", "--batch", BATCH, "--raw", str(raw), "--marts", str(marts)]
    )
    results["run"]["rows_per_second"] = round(rows / results["run"]["seconds"])
    results["input_rows"] = rows
    results["scale"] = args.scale

    print()
    print(f"input rows: {rows:,} (scale {args.scale:g}, seed {args.seed})")
    for step in ("generate", "run"):
        if step in results:
            r = results[step]
            print(
                f"{step:>8}: {r['seconds']:>7.1f} s  {r['rows_per_second']:>10,} rows/s  "
                f"peak {r['peak_rss_mib']:>6,} MiB  exit {r['exit_code']}"
            )
    (root / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return max(r["exit_code"] for r in results.values() if isinstance(r, dict))


if __name__ == "__main__":
    sys.exit(main())
