"""The one masking rule, in Python and as the DuckDB macro, and where it is applied."""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import privacy
from pipeline.errors import InputError
from pipeline.generate.names import SURNAMES as GENERATED_SURNAMES
from pipeline.privacy import (
    COMPOUND_SURNAMES,
    MASK_VALUE_MACRO,
    NAME_PATTERN,
    SURNAMES,
    WHOLE_NAME_PATTERN,
    mask_value,
)
from tests.batch_builder import resident_id
from tests.conftest import validate


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute(MASK_VALUE_MACRO)
    return connection


def sql_mask(con, value, personal=False):
    return con.execute("select povexit_mask(?, ?)", [value, personal]).fetchone()[0]


@pytest.mark.parametrize(
    "value, shown",
    [
        ("520402199503310012", "5204**********0012"),  # valid check digit
        ("52040219950331001X", "5204**********001X"),  # wrong check digit: still masked
        ("id 52040219000101001x!", "id 5204**********001x!"),  # inside other text, 1900
        ("5201020010010001", "5201020010010001"),  # a household id stays readable
        ("520103101215000001", "520103101215000001"),  # 18 digits, no birth date in place
        ("520402189912310012", "520402189912310012"),  # born before 1900: not an id shape
        ("520402199513310012", "520402199513310012"),  # month 13: not an id shape
        ("王小明", "**"),
        ("歐陽", "歐陽"),  # traditional characters: no surname of the list
        ("欧阳娜娜 and 张伟", "** and **"),
        ("因病", "因病"),  # a value label stays
        ("住房安全", "住**"),  # 房 is a surname too: masking a plain word costs nothing here
        ("妻子赵丽", "妻子**"),  # a name after other words
        # rare characters, common in names: extension A (䶮), extension B (𠀀), compatibility
        ("王䶮", "**"),
        ("王𠀀", "**"),
        ("户主张䶮", "户主**"),
        ("王小䶮", "**"),
        ("刘𠀀𠀁𠀂", "**"),
        ("李豈", "**"),
        # padded to three characters (normalisation makes the ideographic space a plain one),
        # a radical copied out of a PDF, a variation selector
        ("王\u3000丽", "**"),
        ("王 丽", "**"),
        ("王⽂", "**"),
        ("王\ufe00丽", "**"),
        ("王丽\ufe00", "**"),
        ("520102 19880827 9371", "5201**********9371"),  # written in groups
        ("520102.19880827.9371", "5201**********9371"),
        ("520102 1972 1002 4863", "5201**********4863"),  # 6-4-4-4, as phones show it
        ("520102-1972-10-02-4863", "5201**********4863"),
        ("5201 0219 6810 0279 67", "5201**********9 67"),  # 4-4-4-4-2
        ("520102/19681002/7967", "5201**********7967"),
        ("520102_19681002_796X", "5201**********796X"),
        ("520102  19681002  7967", "5201**********7967"),  # doubled, spaced, no-break
        ("520102 - 19681002 - 7967", "5201**********7967"),
        ("520102\u00a019681002\u00a07967", "5201**********7967"),
        # digits just before an id (a phone number, a date, a household id) are masked with
        # it: taken for its start, they would leave its birth date shown
        ("13812342019 520102196810027967", "1381**********7967"),
        ("2020-10-19 520102196810027967", "2020**********7967"),
        ("520102101204000019 520102196810027967", "5201**********7967"),
        ("13812342019520102196810027967", "1381**********7967"),
        # first-generation ids: 15 digits, a YYMMDD birth date, no check character
        ("520102681002796", "5201**********796"),
        ("old id 520102 681002 796.", "old id 5201**********796."),
        ("520102681002796,520102681002796", "5201**********796,5201**********796"),
        ("5201026810027961", "5201026810027961"),  # 16 digits: no whole 15
        ("520102681302796", "520102681302796"),  # month 13
        ("x" * 100, "x" * 64),
        ("line one\nline two\r\nthree", "[a value over 3 lines]"),
        (None, None),
    ],
)
def test_mask_value__follows_the_content(con, value, shown):
    assert mask_value(value) == shown
    assert sql_mask(con, value) == shown


@pytest.mark.parametrize(
    "value, shown",
    [
        ("5204021995", "5204**1995"),
        ("张三", "**"),
        ("520102198808279371周开明", "*" * 21),  # a name beside an id shows through no end
        ("赵丽520102199007100962", "*" * 20),
    ],
)
def test_mask_value__a_personal_column_keeps_only_an_id_s_ends(con, value, shown):
    assert mask_value(value, personal=True) == shown
    assert sql_mask(con, value, True) == shown


def test_mask_value__traditional_characters_are_names_too(con):
    assert mask_value("陳大文") == "**" == sql_mask(con, "陳大文")


# Digits and separators of ids; surnames, Han characters rare and common, a radical, spaces
# and a variation selector of names; value labels.
ALPHABET = "0123456789Xx-,./_ \u00a0\n张王欧阳明伟因病安全a䶮𠀀\u3000⽂\ufe00"


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(ALPHABET), max_size=80),
    st.booleans(),
)
def test_mask_value__python_and_sql_agree(con, value, personal):
    assert mask_value(value, personal) == sql_mask(con, value, personal)


@given(st.dates(), st.integers(0, 999), st.sampled_from("0123456789X"))
def test_mask_value__every_id_shape_is_masked(birth, sequence, check):
    value = f"520402{birth:%Y%m%d}{sequence:03d}{check}"
    if 1900 <= birth.year <= dt.date.today().year:
        assert mask_value(value) == f"5204**********{value[-4:]}"


@settings(max_examples=200, deadline=None)
@given(
    st.dates(dt.date(1900, 1, 1), dt.date.today()),
    st.integers(0, 999),
    st.lists(st.sampled_from(" ./_-"), min_size=17, max_size=17),
    st.lists(st.booleans(), min_size=17, max_size=17),
)
def test_mask_value__an_id_grouped_any_way_shows_no_birth_date(con, birth, sequence, seps, at):
    # A separator may stand between any two of its characters: only the first and last four
    # characters are shown, separators among them.
    characters = f"520402{birth:%Y%m%d}{sequence:03d}X"
    value = characters[0] + "".join(
        (sep if here else "") + character
        for sep, here, character in zip(seps, at, characters[1:], strict=True)
    )
    shown = mask_value(value)
    assert shown == sql_mask(con, value) == value[:4] + "**********" + value[-4:]


@settings(max_examples=200, deadline=None)
@given(
    st.dates(dt.date(1900, 1, 1), dt.date.today()),
    st.text(alphabet=st.sampled_from("0123456789"), min_size=1, max_size=12),
    st.sampled_from(["", " ", "-", "/", "  ", " - "]),
)
def test_mask_value__digits_before_an_id_never_show_its_birth_date(con, birth, before, sep):
    value = f"{before}{sep}520402{birth:%Y%m%d}1234"
    shown = mask_value(value)
    assert shown == sql_mask(con, value)
    assert f"{birth:%Y%m%d}" not in shown and shown.endswith("**********1234")


@given(st.dates(dt.date(1900, 1, 1), dt.date(1999, 12, 31)), st.integers(0, 999))
def test_mask_value__a_first_generation_id_is_masked(birth, sequence):
    value = f"520402{birth:%y%m%d}{sequence:03d}"
    assert mask_value(value) == f"5204**********{value[-3:]}"
    assert mask_value(f"{value}0") == f"{value}0"  # 16 digits: a code, not an id


@pytest.mark.parametrize("latest", [2000, 2009, 2010, 2026, 2099])
def test_id_pattern__years_are_exactly_1900_to_the_latest(latest):
    pattern = re.compile(privacy._years(latest))
    matched = [year for year in range(1800, 2200) if pattern.fullmatch(str(year))]
    assert matched == list(range(1900, latest + 1))


def test_surnames__cover_the_generator_s():
    listed = set(SURNAMES) | set(COMPOUND_SURNAMES)
    assert set(GENERATED_SURNAMES) <= listed


def test_input_error__masks_an_id_in_its_message():
    assert "520402199503310012" not in str(InputError("bad file 520402199503310012.csv"))


def test_error_messages__quote_a_manifest_value_or_batch_id_masked(tmp_path):
    from pipeline.manifest import read_manifest
    from pipeline.settings import check_batch_id

    with pytest.raises(InputError) as raised:
        check_batch_id("周开明")
    assert "周开明" not in str(raised.value)
    folder = tmp_path / "a-2020"
    folder.mkdir()
    (folder / "batch.toml").write_text(
        'batch_id = "a-2020"\nprovince_code = "周开明"\nassessment_year = 2020\n'
        "poverty_line_yuan = 4000\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as raised:
        read_manifest(folder)
    assert "province_code must be 2 digits" in str(raised.value)
    assert "周开明" not in str(raised.value)


def test_quarantine__an_id_typed_into_a_survey_household_id_is_masked(tmp_path, batch):
    typed = resident_id("520402", "19950331", 1)
    batch["survey_households"][0]["household_id"] = typed
    con = validate(tmp_path, batch)
    values = [v for (v,) in con.execute("select masked_value from rejected_rows").fetchall()]
    assert f"5204**********{typed[-4:]}" in values
    assert typed not in values


def test_quarantine__an_old_id_in_a_county_name_is_a_finding_not_published(tmp_path, batch):
    # County names reach the marts as written: a first-generation id in one is quarantined.
    name = batch["counties"][0]["county_name"]
    batch["counties"][0]["county_name"] = f"520102650808123{name}"
    batch["counties"][1]["county_name"] = f"520102 650808 123{batch['counties'][1]['county_name']}"
    con = validate(tmp_path, batch)
    found = con.execute(
        "select line_number, masked_value from rejected_rows where source_table = 'counties' "
        "and rule = 'holds no first-generation (15-digit) id number (personal data)'"
    ).fetchall()
    assert [line for line, _ in found] == [2, 3]
    assert all("650808" not in value for _, value in found)


def test_quarantine__an_integer_beyond_32_bits_is_a_type_finding(tmp_path, batch):
    batch["registry_members"][0]["member_no"] = "3000000000"
    con = validate(tmp_path, batch)
    rules = con.execute(
        'select "column", rule, masked_value from rejected_rows '
        "where source_table = 'registry_members'"
    ).fetchall()
    assert ("member_no", "type: int", "3000000000") in rules


@pytest.mark.parametrize("pattern", [NAME_PATTERN, WHOLE_NAME_PATTERN])
def test_name_patterns__need_a_character_beyond_ascii(pattern):
    # The name rules skip plain ASCII values (pipeline/schemas/raw.py): a match starts with a
    # surname, and every surname is written in Han characters.
    assert pattern.removeprefix("^").startswith(privacy._SURNAME)
    assert all(ord(char) > 127 for char in SURNAMES + "".join(COMPOUND_SURNAMES))
    assert not re.search(pattern, "".join(map(chr, range(128))))
