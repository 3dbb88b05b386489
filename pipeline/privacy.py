"""What may be shown of a value read from an input file: the one masking rule.

Personal data (names, resident id numbers) must reach no mart, log line, error message or
Dagster metadata, in whatever column it was typed. So masking follows the content, not only
the column:

- a run of digits (separators between them allowed) that holds anything shaped like a
  resident id (six digits, a plausible birth date from 1900 to this year, three digits and a
  check character, valid or not; however grouped) keeps its first and last four characters:
  `5204**********123X`; the whole run, so that digits before the id cannot pass for its start.
  Household ids (village code and a serial) have no birth date in that place and stay
  readable. A run that is a first-generation id (15 digits, YYMMDD) keeps its first four and
  last three;
- a common surname followed by one to three Han characters reads as a name and becomes `**`
  (a Chinese label such as 因病 or 已脱贫 stays);
- a value that spans lines (an unclosed quote's swallowed rows) is replaced whole;
- a value of a personal-data column is masked whole, but for the first and last four
  characters of one made of id characters only (digits and X);
- every value is cut to 64 characters.

`mask_value` is the rule; `MASK_VALUE_MACRO` is the same rule as a DuckDB macro, built from the
same patterns, for values masked inside the database (`rejected_rows`). A property test holds
the two to the same output. Messages pass `mask_ids`: they never quote row content, and this
makes sure of it.
"""

from __future__ import annotations

import datetime as dt
import re

VALUE_LIMIT = 64
NAME_MASK = "**"

# The most common Chinese surnames (over 85% of the population), compound ones first.
COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "歐陽", "司馬",
)  # fmt: skip
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关"
    "兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻"
    "祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿"
    "桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝皮班"
    # the same surnames in traditional characters, as Hong Kong, Macao and Taiwan write them
    "陳劉張黃趙吳楊鄭謝許馮鄧蕭葉蘇呂蔣韓閻陸錢龔萬顧孫馬羅鍾譚賈盧鄒龍湯魏薛廖"
)
# A Han character: every block of CJK ideographs, not only the common one (U+4E00-U+9FFF), as
# names use rare characters (䶮, 𠀀): extension A (U+3400-U+4DBF), the compatibility
# ideographs (U+F900-U+FAFF) and the supplementary planes' extensions B to I with their
# compatibility supplement (U+20000-U+323AF). Written literally: Python's re and RE2 agree.
# The radicals (U+2E80-U+2FDF) too: text copied out of a PDF often spells 文 as ⽂.
HAN = "[⺀-⿟㐀-䶿一-鿿豈-﫿𠀀-𲎯]"
# A variation selector may follow a character (a font's choice of glyph): still the character.
_VARIANT = "[\ufe00-\ufe0f\U000e0100-\U000e01ef]?"
_HAN = f"(?:{HAN}{_VARIANT})"


# Ids are written in groups (6-8-4, 6-4-4-4, 4-4-4-4-2, as phones and forms show them) with a
# space, dot, hyphen, slash or underscore between them, also a no-break or ideographic space,
# doubled or spaced (" - "): the same id. Up to three such characters may stand between any two
# of its characters. (Written literally: Python's re and RE2 read the same characters.)
_SEPARATOR = "[ ./_\u00a0\u2009\u202f\u3000-]"
_SEP = f"{_SEPARATOR}{{0,3}}"


def _spaced(*characters: str) -> str:
    """Character classes in a row, separators allowed between any two."""
    return _SEP.join(characters)


_DIGIT = "[0-9]"
_MONTH = f"(?:{_spaced('0', '[1-9]')}|{_spaced('1', '[0-2]')})"
_DAY = f"(?:{_spaced('0', '[1-9]')}|{_spaced('[12]', _DIGIT)}|{_spaced('3', '[01]')})"


def _years(latest: int) -> str:
    """The years 1900 to `latest` (2000-2099), spaced as `_spaced` spaces digits."""
    if not 2000 <= latest <= 2099:
        raise ValueError(f"birth years up to {latest}: the pattern is written for 2000-2099")
    tens, units = latest // 10 % 10, latest % 10
    years = [_spaced("1", "9", _DIGIT, _DIGIT), _spaced("2", "0", str(tens), f"[0-{units}]")]
    if tens:
        years.append(_spaced("2", "0", f"[0-{tens - 1}]", _DIGIT))
    return "(?:" + "|".join(years) + ")"


def id_pattern(latest_year: int | None = None) -> str:
    """A resident id's shape (GB 11643, 18 characters: region, birth date from 1900 to
    `latest_year`, sequence, check character), however grouped."""
    latest = latest_year or dt.date.today().year
    return _spaced(*[_DIGIT] * 6, _years(latest), _MONTH, _DAY, _DIGIT, _DIGIT, _DIGIT, "[0-9Xx]")


# A first-generation id: 15 digits (issued until 2004 and still in old records: region, birth
# date as YYMMDD, sequence), the whole of a run of digits (`RUN_PATTERN`). Masked, and a finding
# in place names only (`OLD_ID_IN_TEXT_PATTERN`): the rules on codes look for 18-character ids,
# as a 15-digit code of a village and a serial would pass for one.
OLD_ID_PATTERN = _spaced(*[_DIGIT] * 8, _MONTH, _DAY, _DIGIT, _DIGIT, _DIGIT)
# A first-generation id in a text that should hold no long number (a place name): 15 digits
# with no digit beside them. Not for codes, which may be 15-digit numbers of that shape.
OLD_ID_IN_TEXT_PATTERN = f"(?:^|[^0-9]){OLD_ID_PATTERN}(?:[^0-9]|$)"
# A run of digits, separators between them allowed, perhaps ending in a check character X: what
# is masked whole when an id is in it. Masking only the id would let digits before it (a phone
# number, a date: `13812342019 5201…`) be read as its start and leave its birth date shown.
RUN_PATTERN = f"{_DIGIT}(?:{_SEP}{_DIGIT})*(?:{_SEP}[Xx])?"
# Fifteen digits in a run: what a value needs before an id can be in it (the SQL macro looks
# for runs only then: most values shown are codes and words).
_LONG_RUN = _spaced(*[_DIGIT] * 15)


# A common surname, then perhaps a space: forms pad a two-character name to three (王　丽), and
# normalisation turns the ideographic space into a plain one.
_SURNAME = f"(?:{'|'.join(COMPOUND_SURNAMES)}|[{SURNAMES}]){_VARIANT}[ \u3000]?"
# A name anywhere in a value, after other words too (户主赵丽, 妻子赵丽): a common surname and
# one to three Han characters. It masks some plain words as well (住房安全 -> 住房**); in a
# quarantined value that costs nothing, since file, line and column say where it is.
NAME_PATTERN = f"{_SURNAME}{_HAN}{{1,3}}"
# A value that is a person's name and nothing else: for columns that must hold no name.
WHOLE_NAME_PATTERN = f"^{_SURNAME}{_HAN}{{1,2}}$"
ID_REPLACEMENT = "**********"
_LINE_BREAK = r"\r\n|\r|\n"

ID_CHARACTERS = "[0-9Xx]+"
_ID_CHARACTERS = re.compile(ID_CHARACTERS)
_ID = re.compile(id_pattern())
_OLD_ID = re.compile(OLD_ID_PATTERN)
_RUN = re.compile(RUN_PATTERN)
_NAME = re.compile(NAME_PATTERN)


def _masked_run(run: re.Match) -> str:
    """A run of digits with an id in it, or one that is a first-generation id, as shown: its
    first four characters and its last four (three for an old id)."""
    text = run[0]
    if _ID.search(text):
        return text[:4] + ID_REPLACEMENT + text[-4:]
    if _OLD_ID.fullmatch(text):
        return text[:4] + ID_REPLACEMENT + text[-3:]
    return text


def mask_ids(text: str) -> str:
    """`text` with every run of digits that holds an id masked (for messages, never cut)."""
    return _RUN.sub(_masked_run, text)


def mask_value(value: str | None, personal: bool = False) -> str | None:
    """What may be shown of one input value."""
    if value is None:
        return None
    if "\n" in value or "\r" in value:
        return f"[a value over {len(re.split(_LINE_BREAK, value))} lines]"
    if personal:
        # Only what looks like an id number keeps its ends: a name typed beside one, or in
        # its place, would show through them.
        if len(value) <= 8 or not _ID_CHARACTERS.fullmatch(value):
            return ("*" * len(value))[:VALUE_LIMIT]
        shown = value[:4] + "*" * (len(value) - 8) + value[-4:]
    else:
        shown = _NAME.sub(NAME_MASK, mask_ids(value))
    return shown[:VALUE_LIMIT]


def shown(value) -> str:
    """A value from an input file as an error message may quote it: masked, then in quotes."""
    return repr(mask_value(str(value)))


def _sql_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


MASK_VALUE_MACRO = f"""
create or replace temp macro povexit_mask_run(r) as
    case
        when regexp_matches(r, {_sql_quote(id_pattern())})
            then left(r, 4) || '{ID_REPLACEMENT}' || right(r, 4)
        when regexp_full_match(r, {_sql_quote(OLD_ID_PATTERN)})
            then left(r, 4) || '{ID_REPLACEMENT}' || right(r, 3)
        else r
    end;
create or replace temp macro povexit_mask_ids(v) as
    regexp_split_to_array(v, {_sql_quote(RUN_PATTERN)})[1] || array_to_string(
        list_transform(
            list_zip(
                regexp_extract_all(v, {_sql_quote(RUN_PATTERN)}),
                regexp_split_to_array(v, {_sql_quote(RUN_PATTERN)})[2:]
            ),
            lambda run_and_after: povexit_mask_run(run_and_after[1]) || run_and_after[2]
        ),
        ''
    );
create or replace temp macro povexit_mask(v, personal) as
    case
        when v is null then null
        when v like '%' || chr(10) || '%' or v like '%' || chr(13) || '%' then
            '[a value over ' || len(regexp_split_to_array(v, '{_LINE_BREAK}')) || ' lines]'
        when personal and (length(v) <= 8 or not regexp_full_match(v, '{ID_CHARACTERS}'))
            then left(repeat('*', length(v)), {VALUE_LIMIT})
        when personal then
            left(left(v, 4) || repeat('*', length(v) - 8) || right(v, 4), {VALUE_LIMIT})
        else left(
            regexp_replace(
                case
                    when regexp_matches(v, {_sql_quote(_LONG_RUN)}) then povexit_mask_ids(v)
                    else v
                end,
                {_sql_quote(NAME_PATTERN)}, '{NAME_MASK}', 'g'
            ),
            {VALUE_LIMIT}
        )
    end;
"""
