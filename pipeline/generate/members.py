"""Registry persons of one county: relation to the head, sex, birth date, name, id number.

Every household gets exactly household_size persons, so member counts equal household sizes in
the reference batch; member 1 is always the head.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipeline.generate import names
from pipeline.generate.formatting import codes, iso_dates, labels, strings
from pipeline.generate.households import CountyHouseholds
from pipeline.generate.id_numbers import id_number_matrix, sequence_numbers
from pipeline.generate.streams import Purpose, stream
from pipeline.schemas.fields import RELATIONS, SEXES

HEAD, SPOUSE, CHILD, PARENT, GRANDCHILD, OTHER = (
    RELATIONS.index(r) for r in ("head", "spouse", "child", "parent", "grandchild", "other")
)
DAYS_PER_YEAR = 365.2425

# Relation of members after the head and spouse, by the head's age (<40, 40-54, 55+): young heads
# live with their parents, old heads with grandchildren left behind by migrant parents.
_OTHER_RELATIONS = np.array([CHILD, PARENT, GRANDCHILD, OTHER])
_RELATION_PROBABILITIES = np.array(
    [
        [0.80, 0.15, 0.00, 0.05],
        [0.76, 0.07, 0.10, 0.07],
        [0.50, 0.02, 0.41, 0.07],
    ]
)
_RELATION_THRESHOLDS = np.cumsum(_RELATION_PROBABILITIES, axis=1)[:, :-1]
# Persons living alone are mostly elderly, and more often women (widows) than other heads.
HEAD_AGE_ALONE, HEAD_AGE_FAMILY = (66.0, 11.0), (50.0, 12.0)
MALE_HEAD_ALONE, MALE_HEAD_FAMILY = 0.40, 0.88
# Legal marriage ages (22 for men, 20 for women): the youngest head of a family, and a spouse.
YOUNGEST_HEAD, YOUNGEST_SPOUSE = 22, 20
# A man heading a household is usually married; a woman heading one usually is not.
SPOUSE_OF_MALE_HEAD, SPOUSE_OF_FEMALE_HEAD = 0.88, 0.45
# Parents are at least PARENT_GAP years older than the head; nobody is older than OLDEST_AGE.
PARENT_GAP, OLDEST_AGE = 18.0, 99.0
# Share of boys among children and grandchildren (Guizhou's sex ratio at birth was high).
MALE_CHILD = 0.53


@dataclass
class CountyMembers:
    table: pa.Table  # registry_members rows, SPEC column order
    head_name: pa.Array  # one per household, household order
    head_id_number: pa.Array


def fold(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Reflect values into [low, high]: unlike clipping, it piles nobody onto one birth date."""
    values = np.where(values < low, 2 * low - values, values)
    values = np.where(values > high, 2 * high - values, values)
    return np.clip(values, low, high)


def draw_members(
    households: CountyHouseholds, seed: int, reference_day: int, columns: list[str]
) -> CountyMembers:
    """Persons of the county's households; ages are counted back from `reference_day`."""
    county = households.county
    rng = stream(seed, county.number, Purpose.MEMBERS)
    size = households.size
    n_households, n = size.size, int(size.sum())
    household = np.repeat(np.arange(n_households), size)
    first = np.cumsum(size) - size
    member_no = np.arange(n) - first[household] + 1

    alone = size == 1
    head_age = np.where(
        alone,
        fold(rng.normal(*HEAD_AGE_ALONE, n_households), 20, 95),
        fold(rng.normal(*HEAD_AGE_FAMILY, n_households), YOUNGEST_HEAD, 92),
    )
    head_male = rng.random(n_households) < np.where(alone, MALE_HEAD_ALONE, MALE_HEAD_FAMILY)
    age_of_head, male_head = head_age[household], head_male[household]

    group = (age_of_head >= 40).astype(np.int64) + (age_of_head >= 55)
    pick = (rng.random(n)[:, None] > _RELATION_THRESHOLDS[group]).sum(axis=1)
    spouse_chance = np.where(male_head, SPOUSE_OF_MALE_HEAD, SPOUSE_OF_FEMALE_HEAD)
    is_spouse = (member_no == 2) & (rng.random(n) < spouse_chance)
    relation = np.where(member_no == 1, HEAD, np.where(is_spouse, SPOUSE, _OTHER_RELATIONS[pick]))
    # A head too old to have a living parent at least PARENT_GAP years older lives with a
    # relative of another kind instead.
    relation = np.where(
        (relation == PARENT) & (age_of_head > OLDEST_AGE - PARENT_GAP), OTHER, relation
    )

    normal, uniform = rng.normal(size=n), rng.random(n)
    child_low = np.maximum(0.0, age_of_head - 40)
    child_age = child_low + (age_of_head - 20 - child_low) * uniform
    grand_high = np.maximum(age_of_head - 38, 0.0)
    grand_low = np.maximum(0.0, age_of_head - 65)
    age = np.select(
        [relation == HEAD, relation == SPOUSE, relation == CHILD, relation == PARENT,
         relation == GRANDCHILD],
        [
            age_of_head,
            fold(age_of_head + np.where(male_head, -2.5, 2.5) + 3 * normal, YOUNGEST_SPOUSE, 99),
            child_age,
            age_of_head + PARENT_GAP
            + np.minimum(14.0, OLDEST_AGE - PARENT_GAP - age_of_head) * uniform,
            grand_low + (grand_high - grand_low) * uniform,
        ],
        fold(age_of_head - 5 + 12 * normal, 0, 99),
    )  # fmt: skip
    birth_day = reference_day - np.floor(age * DAYS_PER_YEAR).astype(np.int64)

    male_chance = np.where((relation == CHILD) | (relation == GRANDCHILD), MALE_CHILD, 0.5)
    male_chance = np.where(relation == PARENT, 0.45, male_chance)
    male = np.where(
        relation == HEAD,
        male_head,
        np.where(relation == SPOUSE, ~male_head, rng.random(n) < male_chance),
    )

    name_rng = stream(seed, county.number, Purpose.NAMES)
    family = names.draw_surnames(name_rng, n_households)[household]
    own = names.draw_surnames(name_rng, n)
    # Children take the father's surname; married-in spouses and others keep their own; a
    # head's father shares the head's surname.
    takes_family = (
        ((relation == HEAD) & male)
        | ((relation == SPOUSE) & male)
        | (relation == CHILD)
        | (relation == GRANDCHILD)
        | ((relation == PARENT) & male & male_head)
    )
    father_of_female_head = (relation == PARENT) & male & ~male_head
    surname = np.where(
        takes_family, family, np.where(father_of_female_head, own[first][household], own)
    )
    name = names.full_names(name_rng, surname, male)

    sequence = sequence_numbers(county.number, birth_day, male.astype(np.int64))
    id_number = strings(id_number_matrix(county.code, birth_day, sequence))
    values = {
        "household_id": codes(households.household_id[household], 18),
        "member_no": pa.array(member_no),
        "name": name,
        "id_number": id_number,
        "relation": labels(RELATIONS, relation),
        "sex": labels(SEXES, np.where(male, SEXES.index("M"), SEXES.index("F"))),
        "birth_date": iso_dates(birth_day),
    }
    heads = pa.array(first)
    return CountyMembers(
        table=pa.table([values[column] for column in columns], names=columns),
        head_name=name.take(heads),
        head_id_number=id_number.take(heads),
    )
