"""Repeated expressions computed once: same answers, and nothing moved that was skipped."""

from __future__ import annotations

import duckdb
import sqlglot

from pipeline.sql_shared import compute_shared_once

DATA = "(select * from (values ('520102'), ('5201x2'), (null), ('')) as v(code)) as t"
SUM = "try_cast(substring(t.code, 1, 1) as bigint) + try_cast(substring(t.code, 2, 1) as bigint)"


# The digits of an id read from one cast, inside a checksum.
DIGIT = "try_cast(substring(t.code, 1, 3) as bigint)"
CHECKSUM = f"(({DIGIT} // 100) % 10 * 7 + ({DIGIT} // 10) % 10 * 9 + {DIGIT} % 10 * 10)"


def shared(sql: str) -> str:
    return compute_shared_once(sqlglot.parse_one(sql, dialect="duckdb")).sql(dialect="duckdb")


def answers(sql: str) -> list[tuple]:
    return duckdb.connect().execute(sql).fetchall()


def test_a_repeated_expression__is_computed_once_with_the_same_answers():
    sql = (
        f"select t.code, case when {SUM} > 5 then {SUM} else -({SUM}) end as a, "
        f"({SUM}) * 2 as b from {DATA}"
    )
    rewritten = shared(sql)
    assert rewritten.count("SUBSTRING") == 2
    assert '"_shared_0"' in rewritten
    assert answers(rewritten) == answers(sql)


def test_copies_only_in_branches__stay_where_they_are():
    # Evaluated for some rows only: moving it would evaluate it for every row.
    branches = f"case when t.code is null then 0 when t.code = '' then {SUM} else {SUM} end"
    sql = f"select {branches} from {DATA}"
    assert "_shared_" not in shared(sql)


def test_a_subquery__keeps_its_own_expressions():
    inner = "(select max(try_cast(substring(code, 1, 2) as int) + 1) from (values ('1')) v(code))"
    sql = f"select {inner} as a, {inner} as b from {DATA}"
    assert "_shared_" not in shared(sql)


def test_another_shape__comes_back_unchanged():
    sql = f"select {SUM}, {SUM} from {DATA} where t.code is not null"
    assert shared(sql) == sqlglot.parse_one(sql, dialect="duckdb").sql(dialect="duckdb")


def test_a_repeat_inside_a_moved_expression__is_computed_once_under_its_own_name():
    # The checksum is itself repeated.
    sql = f"select t.code, {CHECKSUM} % 11 as a, {CHECKSUM} + 1 as b from {DATA}"
    rewritten = shared(sql)
    assert rewritten.count("SUBSTRING") == 1
    assert '"_shared_0"' in rewritten and '"_shared_1"' in rewritten
    assert answers(rewritten) == answers(sql)


def test_a_part_of_a_moved_expression_left_above_it__reads_the_column_computed_beneath():
    # The id's digits: summed for the check character (moved beneath), and compared on their
    # own with the birth date (left above, once, inside a branch).
    alone = f"case when t.code <> '' then {DIGIT} % 1000 end"
    sql = f"select t.code, {CHECKSUM} % 11 as a, {CHECKSUM} + 1 as b, {alone} as c from {DATA}"
    rewritten = shared(sql)
    assert rewritten.count("SUBSTRING") == 1
    assert answers(rewritten) == answers(sql)


def test_a_repeated_regular_expression_match__is_computed_once():
    # One call, but a costly one: the form of an id, tested by three rules.
    form = r"regexp_matches(t.code, '^\d{6}$')"
    both = f"coalesce({form}, true) as a, case when {form} then 1 end as b"
    sql = f"select t.code, {both} from {DATA}"
    rewritten = shared(sql)
    assert rewritten.count("REGEXP_MATCHES") == 1
    assert answers(rewritten) == answers(sql)
