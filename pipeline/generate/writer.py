"""Streamed CSV output and the atomic batch folder.

Files are written into a hidden sibling folder and the folder is renamed into place at the end,
so a reader (the batch sensor, `povexit run`) never sees a half-written batch: hidden folders are
not batches.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import tomli_w

# No quoting at all: generated values never hold a separator, a quote or a line break, and the
# writer refuses any that would (RFC 4180 "structural characters").
_OPTIONS = pacsv.WriteOptions(
    include_header=False, quoting_style="none", quoting_header="none", delimiter=","
)


class CsvStream:
    """One CSV file written chunk by chunk: header first, UTF-8 without BOM, `\\n` line ends."""

    def __init__(self, path: Path, columns: list[str]):
        self.columns = list(columns)
        self._handle = path.open("wb")
        self._handle.write((",".join(self.columns) + "\n").encode("utf-8"))
        self._writer: pacsv.CSVWriter | None = None
        self._schema: pa.Schema | None = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.column_names != self.columns:
            raise ValueError(f"columns {table.column_names} differ from {self.columns}")
        if self._writer is None:
            self._schema = table.schema
            self._writer = pacsv.CSVWriter(self._handle, table.schema, write_options=_OPTIONS)
        self._writer.write_table(table.cast(self._schema))
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._handle.close()

    def __enter__(self) -> CsvStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_manifest(path: Path, manifest: dict) -> None:
    path.write_text(tomli_w.dumps(manifest), encoding="utf-8", newline="\n")


@contextmanager
def batch_folder(out_dir: Path, batch_id: str) -> Iterator[Path]:
    """A hidden working folder that becomes `out_dir/batch_id` only when the body succeeds.

    A batch already there is replaced; it is moved aside first, so the new folder appears in one
    rename and the old one is removed only after.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    work = out_dir / f".{batch_id}.partial-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        yield work
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    target = out_dir / batch_id
    stale = out_dir / f".{batch_id}.replaced-{os.getpid()}"
    if target.exists():
        shutil.rmtree(stale, ignore_errors=True)
        target.rename(stale)
    work.rename(target)
    shutil.rmtree(stale, ignore_errors=True)
