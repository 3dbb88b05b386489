"""The floor: the least any pipeline must spend on a batch, a bare DuckDB read of its files.

Each CSV is read with DuckDB's parallel `read_csv`, every column as text, and aggregated (rows
and the summed length of every value) so every value is parsed and touched; nothing is validated
and nothing is written. Run as a child process of the bench (`python -m pipeline.bench.floor
BATCH_DIR`), so its wall time and peak memory are measured like a run's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb


def floor_query(csv_path: Path) -> str:
    """Rows, then one length sum per column (COLUMNS(*) expands to every column)."""
    quoted = str(csv_path).replace("'", "''")
    return (
        "select count(*), sum(length(columns(*))) "
        f"from read_csv('{quoted}', all_varchar = true, header = true)"
    )


def read_batch(batch_dir: Path) -> dict[str, int]:
    """Rows and characters over every CSV of the batch, in an in-memory database."""
    rows = characters = 0
    with duckdb.connect() as con:
        for path in sorted(batch_dir.glob("*.csv")):
            count, *lengths = con.execute(floor_query(path)).fetchone()
            rows += count
            characters += sum(length or 0 for length in lengths)
    return {"rows": rows, "characters": characters}


def main(argv: list[str] | None = None) -> int:
    (batch_dir,) = argv if argv is not None else sys.argv[1:]
    print(json.dumps(read_batch(Path(batch_dir))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
