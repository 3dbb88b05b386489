"""Validation's copy of a raw relation numbers every row as the relation does, on both paths:
a file whose lines are all rows (copied from its rows as read, numbered by position) and any
other file (copied from the numbered relation)."""

from __future__ import annotations

from functools import cache

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import warehouse
from pipeline.ingest import ingest
from pipeline.raw_sql import rows_view
from pipeline.schemas.fields import REGISTRY_MEMBERS
from pipeline.schemas.values import canonical_sql, normalize_sql
from pipeline.validation import number_rows
from pipeline.validation_plan import numbered_table

HEADER = "household_id,member_no,name,id_number,relation,sex,birth_date"
ROW = "5201021012010000{n:02d},{n},张三,520102197210024863,户主,女,1972-10-02"


def members_file(folder, lines: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "registry_members.csv").write_text("\n".join([HEADER, *lines]) + "\n")


def numbered_and_raw(tmp_path, lines: list[str]):
    members_file(tmp_path / "batch", lines)
    con = warehouse.connect(":memory:")
    ingest(con, tmp_path / "batch", REGISTRY_MEMBERS, tmp_path / "sources")
    number_rows(con, REGISTRY_MEMBERS)
    numbered = con.execute(
        f'select * from "{numbered_table(REGISTRY_MEMBERS.name)}" order by line_number'
    ).fetchall()
    raw = con.execute(f'select * from "{REGISTRY_MEMBERS.asset}" order by line_number').fetchall()
    as_read = con.execute(
        "select count(*) from information_schema.tables where table_name = ?",
        [rows_view(REGISTRY_MEMBERS.asset)],
    ).fetchone()[0]
    return numbered, raw, bool(as_read)


def test_lines_all_rows__numbered_by_position_as_the_relation_numbers_them(tmp_path):
    numbered, raw, as_read = numbered_and_raw(tmp_path, [ROW.format(n=n) for n in range(1, 60)])
    assert as_read  # the positional path ran
    assert numbered == raw
    assert [row[0] for row in numbered] == list(range(2, 61))
    assert numbered[0][4] == "head" and numbered[0][5] == "F"  # normalised as the relation is


@pytest.mark.parametrize(
    "odd_line", ["", ",,,,,,", '"5201021012010000,77",7,x,y,head,M,1970-01-01', "too,few"]
)
def test_other_files__copied_from_the_numbered_relation(tmp_path, odd_line):
    lines = [ROW.format(n=n) for n in range(1, 30)]
    lines.insert(10, odd_line)
    numbered, raw, as_read = numbered_and_raw(tmp_path, lines)
    assert not as_read
    assert numbered == raw


def test_a_file_that_changed_form__leaves_no_stale_rows_view(tmp_path):
    members_file(tmp_path / "batch", [ROW.format(n=n) for n in range(1, 5)])
    con = warehouse.connect(":memory:")
    ingest(con, tmp_path / "batch", REGISTRY_MEMBERS, tmp_path / "sources")
    members_file(tmp_path / "batch", [ROW.format(n=1), "", ROW.format(n=2)])
    ingest(con, tmp_path / "batch", REGISTRY_MEMBERS, tmp_path / "sources")
    number_rows(con, REGISTRY_MEMBERS)
    lines = con.execute(
        f'select line_number from "{numbered_table(REGISTRY_MEMBERS.name)}" order by 1'
    ).fetchall()
    assert lines == [(2,), (4,)]


CANONICAL_ROW = "5201021012010000{n:02d},{n},张三,520102197210024863,head,F,1972-10-02"


@pytest.mark.parametrize(
    "odd_value",
    [None, " head", "head ", "Head", "户主", "HEAD", "head\u3000", "\u00a0head"],
)
def test_lines_all_rows__a_column_spelt_otherwise_anywhere_is_normalised(tmp_path, odd_value):
    # Columns spelt canonically throughout take the cheap path (`canonical_columns_sql`); one
    # value spelt otherwise, on the last line, sends its column through the full normalisation.
    lines = [CANONICAL_ROW.format(n=n) for n in range(1, 40)]
    if odd_value is not None:
        lines.append(CANONICAL_ROW.format(n=40).replace(",head,", f",{odd_value},"))
    numbered, raw, as_read = numbered_and_raw(tmp_path, lines)
    assert as_read
    assert numbered == raw
    assert {row[4] for row in numbered} == {"head"}


@cache
def _connection() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()  # one for every example: opening one costs more than the query


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    field=st.sampled_from(REGISTRY_MEMBERS.loaded_fields),
    value=st.one_of(
        st.none(),
        st.text(alphabet=st.sampled_from(list("ab Mh0-1.9０－　\u00a0\t户主男eadF")), max_size=6),
        st.sampled_from(["head", "M", "F", "spouse", " M", "m", "男", "１"]),
    ),
)
def test_canonical_test__holds_only_where_normalising_changes_nothing(field, value):
    column = '"v"'
    canonical, normalised, plain = (
        _connection()
        .execute(
            f"select {canonical_sql(field, column)}, {normalize_sql(field, column)}, "
            f"nullif({column}, '') from (select ?::varchar as v)",
            [value],
        )
        .fetchone()
    )
    if canonical:
        assert normalised == plain
