"""What a raw CSV file's bytes hold, found at memory speed before anything parses them.

DuckDB reads a file as lines fast, but it ends a line at a carriage return as well as at a line
feed, and it knows nothing of quotes when told to read whole lines. So the bytes are scanned
first. A file with no `"` and no carriage return has exactly one row per line, its lines are
DuckDB's lines, and it needs nothing more; a file with either goes through the exact line scan
of `pipeline.lines`. The scan also finds the first NUL byte (no text export holds one, and
DuckDB's line reader uses NUL as its never-seen delimiter), and notes what it takes to check
that the lines DuckDB read add up to the file: its size, a UTF-8 byte-order mark (which DuckDB
drops) and whether the last line ends with a line feed.

The file is read once, in chunks, into one reused buffer searched at memchr speed (a gzip file
is decompressed on the way, which also finds a truncated or corrupt stream).
"""

from __future__ import annotations

import codecs
import gzip
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pipeline.errors import InputError

CHUNK_BYTES = 16 << 20


@dataclass(frozen=True)
class ByteScan:
    size: int  # bytes, decompressed
    has_bom: bool
    ends_with_line_feed: bool
    has_quote: bool
    has_carriage_return: bool
    first_nul: int | None  # offset of the first NUL byte, decompressed

    @property
    def needs_line_scan(self) -> bool:
        """Whether DuckDB's lines may differ from the file's rows: a quoted value may span
        lines, and DuckDB ends lines at carriage returns."""
        return self.has_quote or self.has_carriage_return

    @property
    def content_bytes(self) -> int:
        """The bytes DuckDB's lines and their line feeds are made of (no byte-order mark),
        counting a line feed after the last line even where the file has none."""
        return self.size - len(codecs.BOM_UTF8) * self.has_bom + (not self.ends_with_line_feed)


class ScanStopped(Exception):
    """The caller's `stop` asked for the survey to end before the file did."""


def scan_bytes(path: Path, stop: Callable[[], bool] | None = None) -> ByteScan:
    """Survey a raw CSV file, plain or gzip (by its name). `stop`, asked before each chunk,
    ends the survey early (a read ahead the raw step no longer waits for).

    Raises:
        InputError: the file cannot be read, or is a truncated or corrupt gzip stream.
        ScanStopped: `stop` returned true.
    """
    gz = path.name.endswith(".gz")
    try:
        with gzip.open(path, "rb") if gz else path.open("rb", buffering=0) as stream:
            return _survey(stream, stop)
    except (EOFError, zlib.error, OSError) as error:  # gzip.BadGzipFile is an OSError
        if gz and not isinstance(error, FileNotFoundError):
            raise InputError(f"{path}: truncated or corrupt gzip stream") from None
        raise InputError(f"{path}: cannot be read ({type(error).__name__})") from None


def _survey(stream: BinaryIO, stop: Callable[[], bool] | None = None) -> ByteScan:
    """One pass over the bytes, into one reused buffer: memory stays at `CHUNK_BYTES`."""
    buffer = bytearray(CHUNK_BYTES)
    size, head, last = 0, b"", b"\n"
    has_quote = has_carriage_return = False
    first_nul = None
    while True:
        if stop and stop():
            raise ScanStopped
        if not (count := stream.readinto(buffer)):
            break
        if len(head) < len(codecs.BOM_UTF8):
            # A read may return fewer bytes than the mark has (a pipe, a network mount).
            head = (head + bytes(buffer[:count]))[: len(codecs.BOM_UTF8)]
        has_quote = has_quote or buffer.find(b'"', 0, count) >= 0
        has_carriage_return = has_carriage_return or buffer.find(b"\r", 0, count) >= 0
        nul = buffer.find(b"\x00", 0, count) if first_nul is None else -1
        if nul >= 0:
            first_nul = size + nul
        size += count
        last = bytes(buffer[count - 1 : count])
    return ByteScan(
        size=size,
        has_bom=head.startswith(codecs.BOM_UTF8),
        ends_with_line_feed=last == b"\n",
        has_quote=has_quote,
        has_carriage_return=has_carriage_return,
        first_nul=first_nul,
    )
