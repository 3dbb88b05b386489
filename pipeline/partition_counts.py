"""Counts over whole partitions of a table (uniqueness) read from a group-by instead.

`count(x) over (partition by k)`, the shape of every uniqueness rule, makes DuckDB sort every
row into its partition. Over millions of rows it is cheaper to group by an 8-byte hash of the
keys (stored beside each row by the check query), compare by their keys only the few rows that
share a hash, and left-join the counts of the partitions with more than one row back: a row of
a one-row partition counts itself. Any other window is left to DuckDB as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops


@ibis.udf.scalar.builtin(name="hash")
def _hash(value) -> dt.uint64:
    """DuckDB's hash: equal values (nulls too) hash alike."""


def _fields(node: ops.Node) -> list[ops.Field]:
    """The columns a value reads, not those its relations are built from."""
    return node.find(ops.Field, filter=ops.Value)


def _partition_count(window: ops.WindowFunction, table: ibis.Table) -> bool:
    """A count over whole partitions of `table` (no order, no frame): what uniqueness is."""
    return (
        isinstance(window.func, ops.Count | ops.CountStar)
        and window.func.where is None
        and bool(window.group_by)
        and not window.order_by
        and window.start is None
        and window.end is None
        and all(field.rel == table.op() for field in _fields(window))
    )


def partition_counts(conditions: list[ibis.Value], table: ibis.Table) -> list[ops.WindowFunction]:
    """The counts over whole partitions of `table` in the conditions, each once."""
    found = []
    for condition in conditions:
        for window in condition.op().find(ops.WindowFunction, ordered=True):
            if _partition_count(window, table) and window not in found:
                found.append(window)
    return found


def partition_hash(window: ops.WindowFunction) -> ibis.Value:
    """One hash of a row's partition keys: grouping 8-byte hashes of millions of rows is
    faster and lighter than grouping the keys, and only rows sharing a hash are compared
    by their keys."""
    keys = [key.to_expr() for key in window.group_by]
    if len(keys) == 1:
        return _hash(keys[0])
    return _hash(ibis.struct({f"key{position}": key for position, key in enumerate(keys)}))


def rebased(node: ops.Node, source: ibis.Table, target: ibis.Table) -> ops.Node:
    """`node` reading the same-named columns of `target` instead of `source`."""
    fields = [field for field in _fields(node) if field.rel == source.op()]
    return node.replace({field: target[field.name].op() for field in fields})


def _count_of_one_row(count: ops.Count | ops.CountStar) -> ibis.Value:
    """What a count over a partition of one row is: that row's own count."""
    if isinstance(count, ops.CountStar):
        return ibis.literal(1, type="int64")
    return count.arg.to_expr().notnull().cast("int64")


@dataclass
class GroupCounts:
    """The partitions of one window with more than one row, each with its count."""

    counts: ibis.Table
    matches: list[ibis.BooleanValue]
    count: ibis.Value


def group_counts(
    window: ops.WindowFunction, checked: ibis.Table, hash_column: str, index: int
) -> GroupCounts:
    hashes = checked[hash_column]
    shared = checked.aggregate(by=[hashes], having=[checked.count() > 1])
    candidates = checked.filter(hashes.isin(shared[hash_column]))
    keys = {f"key{index}_{position}": key.to_expr() for position, key in enumerate(window.group_by)}
    counts = candidates.aggregate(
        **{f"count{index}": window.func.to_expr()},
        by=[key.name(name) for name, key in keys.items()],
        having=[candidates.count() > 1],
    )
    # Nulls make one partition in a window: the join must match them the same way.
    matches = [key.identical_to(counts[name]) for name, key in keys.items()]
    count = counts[f"count{index}"].coalesce(_count_of_one_row(window.func))
    return GroupCounts(counts, matches, count)
