"""The bench's report: markdown tables that read in a terminal and paste into the README."""

from __future__ import annotations

MIB = 1024**2
GIB = 1024**3


def markdown_table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    """A markdown table with padded columns; columns in `right` are right-aligned (numbers)."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [
            str(cell).rjust(width) if i in right else str(cell).ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    # Each cell is padded by one space a side; the alignment colon sits at the cell's edge.
    rule = [("-" * (w + 1) + ":") if i in right else "-" * (w + 2) for i, w in enumerate(widths)]
    return "\n".join([line(header), "|" + "|".join(rule) + "|", *map(line, rows)])


def seconds(value: float) -> str:
    return f"{value:,.1f} s"


def mib(value: float) -> str:
    return f"{value:,.0f} MiB"


def size(byte_count: float) -> str:
    """Bytes in the unit a reader compares at a glance: MiB below 1 GiB, GiB above."""
    if byte_count >= GIB:
        return f"{byte_count / GIB:,.2f} GiB"
    return f"{byte_count / MIB:,.1f} MiB"


def ratio(value: float) -> str:
    return f"{value:.1f}x"


def target(met: bool) -> str:
    return "met" if met else "MISSED"


def series(values: list[float], digits: int = 1) -> str:
    """Every repetition, in the order they ran, so a drifting machine shows."""
    return " / ".join(f"{value:,.{digits}f}" for value in values)
