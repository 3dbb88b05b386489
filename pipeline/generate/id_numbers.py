"""Resident identity numbers (GB 11643-1999), unique across the batch by construction.

An id is the county code, the birth date, a 3-digit sequence whose last digit is odd for men and
even for women, and an ISO 7064 MOD 11-2 check character. The sequence comes from a person's
rank among the county's persons of the same birth date and sex, not from a random draw, so two
persons can never share an id.
"""

from __future__ import annotations

import numpy as np

from pipeline.generate.formatting import compact_date_matrix, digit_matrix

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARACTERS = np.frombuffer(b"10X98765432", dtype=np.uint8)
# Sequences per sex and birth date: odd 001..997 for men, even 002..998 for women.
SLOTS = 499


def sequence_numbers(county_number: int, birth_days: np.ndarray, male: np.ndarray) -> np.ndarray:
    """The 3-digit sequence of each person of one county.

    Persons are ranked within (birth date, sex) in their stable order; a per-date offset spreads
    the numbers so ids do not all end in 001, without ever putting two persons in one slot.
    """
    key = birth_days.astype(np.int64) * 2 + male
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    rank = np.empty(key.size, dtype=np.int64)
    rank[order] = np.arange(key.size) - np.searchsorted(ordered, ordered, side="left")
    if rank.size and rank.max() >= SLOTS:
        raise ValueError("more than 499 persons of one sex born on one day in one county")
    offset = (birth_days.astype(np.int64) * 7919 + county_number * 104_729 + male * 3) % SLOTS
    slot = (rank + offset) % SLOTS
    return np.where(male, 2 * slot + 1, 2 * slot + 2)


def check_characters(body: np.ndarray) -> np.ndarray:
    """MOD 11-2 check character (ASCII) for 17-digit ASCII bodies."""
    # Column by column: a whole-matrix int64 copy would take 8 times the ids' own bytes.
    total = np.zeros(body.shape[0], dtype=np.int64)
    for column, weight in enumerate(WEIGHTS):
        total += (body[:, column].astype(np.int64) - ord("0")) * weight
    return CHECK_CHARACTERS[total % 11]


def id_number_matrix(county_code: str, birth_days: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """18-byte ASCII rows: county code, YYYYMMDD, sequence, check character."""
    rows = birth_days.size
    county = np.tile(np.frombuffer(county_code.encode("ascii"), dtype=np.uint8), (rows, 1))
    body = np.hstack([county, compact_date_matrix(birth_days), digit_matrix(sequence, 3)])
    return np.hstack([body, check_characters(body)[:, None]])
