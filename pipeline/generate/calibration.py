"""Exact-figure adjustments: the published figures must come out to the cent at every scale.

Everything works in integer cents. Incomes are drawn freely, then the part above the poverty line
is stretched by one common factor so the average lands on the target, and the last few cents of
rounding go to a single household. Nobody is pushed below the line and no component goes
negative.
"""

from __future__ import annotations

import numpy as np


def stretch_to_total(
    weights: np.ndarray, base: np.ndarray, excess: np.ndarray, total: int
) -> np.ndarray:
    """Per-unit values `base + k * excess` (integer cents) whose weighted sum is near `total`.

    `base` is what must not move (the poverty line, or an income recorded below it); `excess`
    is the free part above it. Returns the values before the rounding residual is placed.
    """
    weights = weights.astype(np.int64)
    free = float((weights * excess).sum())
    needed = total - int((weights * base).sum())
    if free <= 0 or needed < 0:
        raise ValueError("target income cannot be reached without going below the poverty line")
    return base + np.rint(excess * (needed / free)).astype(np.int64)


def registry_per_capita(
    sizes: np.ndarray, base: np.ndarray, excess: np.ndarray, target_cents: int
) -> np.ndarray:
    """Recorded per-capita incomes (cents) whose member-weighted mean is `target_cents` exactly.

    The residual goes to the richest one-person household, where one cent of per-capita income
    is one cent of the weighted sum; with no such household the mean is still within half a
    cent of the target.
    """
    total = target_cents * int(sizes.sum())
    income = stretch_to_total(sizes, base, excess, total)
    residual = total - int((sizes * income).sum())
    candidates = np.flatnonzero((sizes == 1) & (excess > 0))
    if candidates.size == 0:
        candidates = np.flatnonzero(excess > 0)
    chosen = candidates[np.argmax(income[candidates])]
    income[chosen] += residual // int(sizes[chosen])
    return income


def sample_net_incomes(
    sizes: np.ndarray, base: np.ndarray, excess: np.ndarray, target_cents: int
) -> np.ndarray:
    """Household net incomes (cents) with sum / sum(sizes) equal to `target_cents` exactly.

    Per-capita values are stretched, then the residual goes into the richest household's total.
    """
    total = target_cents * int(sizes.sum())
    income = stretch_to_total(sizes, base, excess, total) * sizes
    residual = total - int(income.sum())
    income[np.argmax(income)] += residual
    return income


def non_accepting_count(surveyed: int, acceptance_hundredths: int) -> int | None:
    """Households not accepting so that accept / surveyed rounds to the target percentage.

    The share must fall strictly inside the rounding interval (no half-way case, whatever the
    reader's rounding rule); None when no whole number of households does it.
    """
    # accepting / surveyed in ((target - 0.5) / 10**4, (target + 0.5) / 10**4), times 2 * 10**4
    low, high = 2 * acceptance_hundredths - 1, 2 * acceptance_hundredths + 1
    for declining in range(surveyed + 1):
        accepting = surveyed - declining
        share = 20_000 * accepting
        if low * surveyed < share < high * surveyed:
            return declining
        if share <= low * surveyed:
            return None
    return None


def trim_for_acceptance(
    fixed: list[int], droppable: list[int], acceptance_hundredths: int
) -> tuple[list[int], int]:
    """Drop non-registered surveys until a whole number of non-accepting households works.

    `fixed` are each county's surveys that must stay, `droppable` its non-registered ones. The
    drop comes from the county with the most non-registered surveys (the first such county on
    a tie), and never empties a county's frame, so missed_rate stays computable.
    Returns the kept non-registered counts and the number of households not accepting.
    """
    kept = list(droppable)
    while True:
        declining = non_accepting_count(sum(fixed) + sum(kept), acceptance_hundredths)
        if declining is not None:
            return kept, declining
        county = max(range(len(kept)), key=lambda i: (kept[i], -i))
        if kept[county] <= 1:
            raise ValueError(
                f"too few interviews ({sum(fixed) + sum(kept)}) at this scale for the acceptance "
                f"rate to round to {acceptance_hundredths / 100:.2f}%; use a larger --scale"
            )
        kept[county] -= 1


def share_out(total: int, sizes: list[int]) -> list[int]:
    """Split `total` in proportion to `sizes` (largest remainder, ties to the first)."""
    whole = sum(sizes)
    exact = [total * size / whole for size in sizes]
    parts = [int(value) for value in exact]
    order = sorted(range(len(sizes)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts
