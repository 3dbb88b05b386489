"""Exact-figure adjustments: the published figures must come out to the cent at every scale.

Everything works in integer cents. Incomes are drawn freely, then the part above the poverty line
is stretched by one common factor so the average lands on the target, and the last few cents of
rounding go to a single household. Nobody is pushed below the line and no component goes
negative.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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


@dataclass(frozen=True)
class RegistryIncome:
    """The province-wide calibration of recorded incomes, to apply one county at a time.

    Decided from every county's households, applied as each county is written, so the counties
    need not all be held in memory at once.
    """

    factor: float  # common stretch of every household's income above its base
    chosen: tuple[int, int]  # (part, household) that takes the rounding residual
    adjustment: int  # cents added to that household's per-capita income

    def per_capita(self, part: int, base: np.ndarray, excess: np.ndarray) -> np.ndarray:
        """Recorded per-capita incomes (cents) of one part, in the order it was given."""
        income = base.astype(np.int64) + np.rint(excess * self.factor).astype(np.int64)
        if part == self.chosen[0]:
            income[self.chosen[1]] += self.adjustment
        return income


def registry_income(
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], target_cents: int
) -> RegistryIncome:
    """The calibration whose member-weighted mean over all parts is `target_cents` exactly.

    `parts` are (sizes, base, excess) per county, in the province's order. The same figures as
    one `registry_per_capita` over the parts put end to end: the residual goes to the first of
    the richest one-person households, where one cent of per-capita income is one cent of the
    weighted sum; with no such household the mean is still within half a cent of the target.
    """
    persons = sum(int(sizes.sum()) for sizes, _, _ in parts)
    total = target_cents * persons
    needed = total - sum(int((sizes.astype(np.int64) * base).sum()) for sizes, base, _ in parts)
    free = _weighted_sum([(sizes, excess) for sizes, _, excess in parts])
    if free <= 0 or needed < 0:
        raise ValueError("target income cannot be reached without going below the poverty line")
    stretch = RegistryIncome(factor=needed / free, chosen=(-1, -1), adjustment=0)

    weighted = 0
    richest: dict[str, tuple[int, int, int]] = {}  # kind -> (income, part, household)
    for i, (sizes, base, excess) in enumerate(parts):
        income = stretch.per_capita(i, base, excess)
        weighted += int((sizes.astype(np.int64) * income).sum())
        for kind, candidates in (
            ("alone", np.flatnonzero((sizes == 1) & (excess > 0))),
            ("any", np.flatnonzero(excess > 0)),
        ):
            if candidates.size:
                best = candidates[np.argmax(income[candidates])]
                # Strictly richer only: on a tie the first household in province order stays.
                if kind not in richest or income[best] > richest[kind][0]:
                    richest[kind] = (int(income[best]), i, int(best))
    _, part, household = richest.get("alone") or richest["any"]
    size = int(parts[part][0][household])
    return replace(stretch, chosen=(part, household), adjustment=(total - weighted) // size)


def _weighted_sum(parts: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """sum(sizes * values) over all parts as one float64 array, summed once.

    Summing county subtotals would round differently in the last bits, move the stretch factor
    and with it some incomes by a cent: the files would no longer be byte for byte the same.
    """
    products = np.empty(sum(sizes.size for sizes, _ in parts), dtype=np.float64)
    start = 0
    for sizes, values in parts:
        np.multiply(sizes.astype(np.int64), values, out=products[start : start + sizes.size])
        start += sizes.size
    return float(products.sum())


def registry_per_capita(
    sizes: np.ndarray, base: np.ndarray, excess: np.ndarray, target_cents: int
) -> np.ndarray:
    """Recorded per-capita incomes (cents) whose member-weighted mean is `target_cents` exactly.

    One part of `registry_income`, for a province given as a whole.
    """
    return registry_income([(sizes, base, excess)], target_cents).per_capita(0, base, excess)


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
