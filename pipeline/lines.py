"""A CSV file's physical lines, counted without a CSV parser: how many, and where rows start.

The raw view (`pipeline.raw_sql`) reads a file as lines and needs to know which of them a
quoted field holding a line break joins into one row; an unclosed quote would make one row
swallow the rest of the file. This pass reads the bytes once, counts every line break, and
follows quotes the way RFC 4180 readers do (a quote opens a field only at the field's start;
`""` inside a quoted field is a quote). It gives the first line of every row, the rows that
span several lines, and refuses a file whose quoting cannot be trusted: a quote still open at
the end of the file, a quoted field that runs over what looks like whole rows, a row spanning
lines whose field count is not the header's (a quote left open until another quote happened
to close it), or a carriage return that is not part of a line end.

Runs of lines without a quote are counted in bulk (numpy over the block), so the pass costs
Python work only for the lines that hold a quote. It is only run on files that hold a quote
or a carriage return at all (`pipeline.byte_scan`): other files' lines are DuckDB's lines.

It works on bytes: `"`, `,`, `\\r` and `\\n` are never part of a multi-byte character in UTF-8
or GB18030, so the same pass serves both encodings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import BinaryIO

import numpy as np

from pipeline.errors import InputError

CHUNK_BYTES = 16 << 20
# A line longer than this is no export's line: the file has bare CR line ends or no lines.
MAX_LINE_BYTES = 64 << 20

_QUOTED_BODY = re.compile(rb'(?:[^"]|"")*')


@dataclass
class LineMap:
    """Where a file's rows (records, the header being record 1) sit among its lines."""

    physical_lines: int = 0
    records: int = 0
    # Empty rows above the header (a sheet may start lower down; a CSV's header is line 1).
    leading_blank_lines: int = 0
    # Rows spanning more than one line, as (record number, first line, lines spanned).
    multiline: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def header_lines(self) -> int:
        if self.multiline and self.multiline[0][0] == 1:
            return self.multiline[0][2]
        return 1

    @cached_property
    def _shifts(self) -> tuple[np.ndarray, np.ndarray]:
        """The multi-line records' numbers, and the lines they add up to and including each
        (read once the scan is complete)."""
        starts = np.array([record for record, _, _ in self.multiline], dtype=np.int64)
        extra = np.cumsum([span - 1 for _, _, span in self.multiline], dtype=np.int64)
        return starts, extra

    def first_lines(self, records) -> np.ndarray:
        """The first physical line of each record number (an int64 array)."""
        records = np.asarray(records, dtype=np.int64)
        if not self.multiline:
            return records
        starts, extra = self._shifts
        # Lines added by the multi-line records before each record.
        before = np.searchsorted(starts, records, side="left")
        return records + np.where(before > 0, extra[np.maximum(before - 1, 0)], 0)


def _after_quoted_body(line: bytes, start: int) -> int | None:
    """Position just after the closing quote of a quoted field whose body starts at `start`;
    None when the field is still open at the end of the line."""
    end = _QUOTED_BODY.match(line, start).end()
    return end + 1 if end < len(line) else None


def _follow_quotes(line: bytes, in_quote: bool) -> tuple[bool, int, int]:
    """Whether a quoted field is still open at the end of `line` (without its line break), how
    many delimiters the line holds outside quotes, and where the open field's text starts.

    `in_quote`: the line starts inside a quoted field opened on an earlier line.
    """
    position, delimiters = 0, 0
    while True:
        if in_quote or (position < len(line) and line[position] == 0x22):  # a field's quote
            body = position if in_quote else position + 1
            after = _after_quoted_body(line, body)
            if after is None:
                return True, delimiters, body
            # What follows the closing quote, up to the delimiter, is plain text of the field.
            position, in_quote = after, False
        comma = line.find(b",", position)
        if comma < 0:
            return False, delimiters, len(line)
        position, delimiters = comma + 1, delimiters + 1


class _Scanner:
    """The quote state across lines, fed one complete line at a time."""

    def __init__(self, path, fields_expected: int):
        self.path = path
        self.fields_expected = fields_expected
        self.map = LineMap()
        self.open_since: int | None = None  # first line of the row whose quote is open
        self.delimiters = 0  # of that row so far, outside quotes
        self.quoted_delimiters = 0  # inside its open quote so far

    def _bare_return(self, number: int) -> InputError:
        return InputError(
            f"{self.path}: line {number}: a bare carriage return inside the line "
            "(line ends must be \\n or \\r\\n)"
        )

    def plain_lines(self, body: bytes, start: int, end: int) -> None:
        """Count the whole lines of `body[start:end]` in one go: they hold no quote and start
        outside one, so only their number and their carriage returns matter."""
        if start == end:
            return
        data = np.frombuffer(body, dtype=np.uint8, count=end - start, offset=start)
        if body.find(b"\r", start, end) >= 0:
            returns = np.flatnonzero(data == 0x0D)
            # The piece ends with a line feed, so every return has a byte after it.
            bare = returns[data[returns + 1] != 0x0A]
            if bare.size:
                before = int(np.count_nonzero(data[: bare[0]] == 0x0A))
                raise self._bare_return(self.map.physical_lines + before + 1)
        lines = int(np.count_nonzero(data == 0x0A))
        self.map.physical_lines += lines
        self.map.records += lines

    def block(self, body: bytes) -> None:
        """Feed a block of whole lines (ending with a line feed). Runs of lines without a quote
        are counted in bulk; a line with a quote, or inside an open one, is followed exactly."""
        position = 0
        while position < len(body):
            if self.open_since is None:
                quote = body.find(b'"', position)
                if quote < 0:
                    self.plain_lines(body, position, len(body))
                    return
                line_start = body.rfind(b"\n", position, quote) + 1
                if line_start > position:
                    self.plain_lines(body, position, line_start)
                    position = line_start
            line_end = body.index(b"\n", position)
            self.line(body[position:line_end])
            position = line_end + 1

    def line(self, line: bytes) -> None:
        self.map.physical_lines += 1
        number = self.map.physical_lines
        if self.open_since is None:
            if b"\r" in line.removesuffix(b"\r"):
                raise self._bare_return(number)
            if b'"' in line:
                still_open, self.delimiters, body = _follow_quotes(line, in_quote=False)
                if still_open:
                    self.open_since = number
                    self.quoted_delimiters = line.count(b",", body)
                    return
            self.map.records += 1
            return
        # A line inside a quoted field. A real multi-line value (an address, a remark) is
        # text; a quoted value holding a whole row's worth of delimiters, over all its lines,
        # holds the rows the quote swallowed.
        inside = _QUOTED_BODY.match(line).end()
        self.quoted_delimiters += line.count(b",", 0, inside)
        if self.quoted_delimiters >= max(self.fields_expected - 1, 1):
            raise InputError(
                f"{self.path}: line {self.open_since}: a quote opens here and runs over whole "
                f"rows (line {number} is inside it); close the quote or remove it"
            )
        still_open, delimiters, body = _follow_quotes(line, in_quote=True)
        self.delimiters += delimiters
        if still_open:
            if body > inside:  # the quote closed, and another field's quote opened after it
                self.quoted_delimiters = line.count(b",", body)
            return
        first, fields = self.open_since, self.delimiters + 1
        if fields != self.fields_expected:
            # A quote left open that some later quote happened to close: the row it makes
            # holds the lines between, and those may be rows of their own.
            raise InputError(
                f"{self.path}: line {first}: a quote opens here and closes only on line "
                f"{number}, making one row of {fields} fields (the header has "
                f"{self.fields_expected}); close the quote where it belongs"
            )
        self.map.records += 1
        self.map.multiline.append((self.map.records, first, number - first + 1))
        self.open_since = None

    def finish(self) -> LineMap:
        if self.open_since is not None:
            raise InputError(
                f"{self.path}: line {self.open_since}: a quote opens here and never closes"
            )
        return self.map


def scan_lines(stream: BinaryIO, path, fields_expected: int) -> LineMap:
    """Count the lines of a CSV byte stream and map its rows to them.

    Args:
        stream: the file's bytes (decompressed).
        path: the file, for messages.
        fields_expected: the header's number of fields; a quoted "value" holding that many
            fields on one line is taken for swallowed rows.

    Raises:
        InputError: a quote never closes, a quote swallows rows, a bare CR ends a line.
    """
    scanner = _Scanner(path, fields_expected)
    carry = b""
    while chunk := stream.read(CHUNK_BYTES):
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            if len(data) > MAX_LINE_BYTES:
                raise InputError(
                    f"{path}: line {scanner.map.physical_lines + 1}: no line end in "
                    f"{MAX_LINE_BYTES >> 20} MiB (line ends must be \\n or \\r\\n)"
                )
            carry = data
            continue
        body, carry = data[: cut + 1], data[cut + 1 :]
        scanner.block(body)
    if carry:
        scanner.line(carry)
    return scanner.finish()
