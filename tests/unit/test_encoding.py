"""A CSV file's encoding, decided on the whole file: UTF-8, plausible GB18030, or refused."""

from __future__ import annotations

import gzip
from itertools import accumulate
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline import encoding
from pipeline.encoding import detect_encoding
from pipeline.errors import InputError

REFERENCE = Path(__file__).parents[2] / "data/raw/guizhou-2020/registry_members.csv"
COUNTY_NAMES = ("南明區", "雲巖區", "花溪區", "烏當區")
# Every character of GB 2312 (rows 0xA1-0xF7, cells 0xA1-0xFE), for generated text.
GB2312 = sorted(
    {
        char
        for lead in range(0xA1, 0xF8)
        for cell in range(0xA1, 0xFF)
        for char in bytes((lead, cell)).decode("gb2312", "ignore")
    }
)


@pytest.fixture(scope="module")
def reference() -> bytes:
    return REFERENCE.read_bytes()


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def cuts_a_character(data: bytes, chunk: int) -> bool:
    """Whether some chunk boundary falls inside a multi-byte UTF-8 character."""
    return any(0x80 <= data[at] < 0xC0 for at in range(chunk, len(data), chunk))


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def refusal(path: Path) -> str:
    with pytest.raises(InputError) as raised:
        detect_encoding(path)
    return str(raised.value)


# --- UTF-8 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [encoding.CHUNK_BYTES, 65_537])
def test_detect__the_reference_file_shifted_by_0_to_59_bytes_is_utf8(
    tmp_path, monkeypatch, reference, chunk
):
    monkeypatch.setattr(encoding, "CHUNK_BYTES", chunk)
    assert len(reference) > encoding.CHUNK_BYTES  # at least one boundary inside the file
    cut = 0
    for shift in range(60):
        data = b"#" * shift + reference
        cut += cuts_a_character(data, chunk)
        assert detect_encoding(write(tmp_path, "members.csv", data)) == "utf-8", shift
    # Some shifts really do put a boundary inside a character (names are 3-byte characters).
    assert cut >= 3


def test_detect__a_utf8_bom_is_utf8(tmp_path):
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbfcounty_code,county_name\n520102,\xe5\x8d\x97\n")
    assert detect_encoding(path) == "utf-8"


def test_detect__a_bom_split_across_chunks_is_still_a_bom(tmp_path, monkeypatch):
    monkeypatch.setattr(encoding, "CHUNK_BYTES", 1)
    assert detect_encoding(write(tmp_path, "bom.csv", b"\xef\xbb\xbfa,b\n")) == "utf-8"
    message = refusal(write(tmp_path, "bad.csv", b"\xef\xbb\xbfa,b\n\xb0\xa1\n"))
    assert "line 2: byte 0xB0 is not UTF-8" in message
    assert "byte-order mark (tried UTF-8 only)" in message


def test_detect__a_bom_file_that_is_not_utf8_is_not_tried_as_gb18030(tmp_path):
    data = b"\xef\xbb\xbfcounty_code,county_name\n" + "520102,南明区\n".encode("gb18030")
    message = refusal(write(tmp_path, "bom.csv", data))
    assert message.endswith(
        "bom.csv: line 2: byte 0xC4 is not UTF-8, though the file starts with a UTF-8 "
        "byte-order mark (tried UTF-8 only); save the file as UTF-8"
    )


@pytest.mark.parametrize("chunk", [encoding.CHUNK_BYTES, 4099])
def test_detect__a_bad_byte_after_the_first_mib_names_its_line(
    tmp_path, monkeypatch, reference, chunk
):
    monkeypatch.setattr(encoding, "CHUNK_BYTES", chunk)
    lines = reference.splitlines(keepends=True)
    # The first line starting past 1.5 MiB, beyond any probe of the first MiB.
    line = next(n for n, end in enumerate(accumulate(map(len, lines)), 2) if end > 3 << 19)
    lines[line - 1] = lines[line - 1].replace(b",", b",\xff", 1)
    message = refusal(write(tmp_path, "members.csv", b"".join(lines)))
    assert f"members.csv: line {line}: neither UTF-8 nor plausible GB18030" in message
    assert "(byte 0xFF is not UTF-8; read as GB18030, " in message


def test_detect__a_file_ending_inside_a_character_names_the_last_line(tmp_path):
    message = refusal(write(tmp_path, "cut.csv", "a,b\n1,南\n2,南".encode()[:-1]))
    assert "cut.csv: line 3: neither UTF-8 nor plausible GB18030 (byte 0xE5 is not UTF-8" in (
        message
    )


# --- GB18030 -------------------------------------------------------------------------------


@pytest.mark.parametrize("shift", [0, 1, 2, 3])
def test_detect__the_reference_file_in_gb18030_is_gb18030(tmp_path, monkeypatch, reference, shift):
    monkeypatch.setattr(encoding, "CHUNK_BYTES", 65_537)
    data = b"#" * shift + reference.decode("utf-8").encode("gb18030")
    assert detect_encoding(write(tmp_path, "members.csv", data)) == "gb18030"


def test_detect__big5_county_names_are_refused_naming_their_line(tmp_path):
    rows = ["county_code,county_name", "520100,Guiyang"]
    rows += [f"52010{n},{name}" for n, name in enumerate(COUNTY_NAMES, start=2)]
    data = "\n".join(rows).encode("big5") + b"\n"
    message = refusal(write(tmp_path, "counties.csv", data))
    assert message.startswith(f"{tmp_path / 'counties.csv'}: line 3: neither UTF-8 nor")
    assert "byte 0xAB is not UTF-8; read as GB18030" in message
    assert "fall outside GB 2312" in message
    assert "the first on line 3" in message
    assert message.endswith("save the file as UTF-8")
    # No row content: neither the names (in any encoding) nor the codes.
    for text in (*COUNTY_NAMES, *data.decode("gb18030", "replace").split(), "52010"):
        assert text not in message


def test_detect__a_stray_latin1_byte_is_refused_naming_its_line(tmp_path):
    data = b"name,count\nTea,1\nCaf\xe9s,2\nBars,3\n"
    message = refusal(write(tmp_path, "places.csv", data))
    assert message.startswith(f"{tmp_path / 'places.csv'}: line 3: neither UTF-8 nor")
    assert "byte 0xE9 is not UTF-8" in message
    assert "1 of 1 non-ASCII characters fall outside GB 2312" in message
    assert "Caf" not in message


def test_detect__a_latin1_byte_gb18030_cannot_decode_is_named_as_undecodable(tmp_path):
    message = refusal(write(tmp_path, "places.csv", b"name,count\nCaf\xe9,2\n"))
    assert "line 2:" in message
    assert "read as GB18030, byte 0xE9 on line 2 is undecodable" in message


def test_detect__one_rare_character_is_tolerated_only_among_100_common_ones(tmp_path):
    # 鄠 is a real county name's character, in GBK but not GB 2312.
    rare = "610118,鄠邑区\n"
    few = "county_code,county_name\n" + "520102,南明区\n" * 10 + rare
    many = "county_code,county_name\n" + "520102,南明区\n" * 33 + rare  # 3 x 33 + 3 = 102
    message = refusal(write(tmp_path, "few.csv", few.encode("gb18030")))
    assert "1 of 33 non-ASCII characters fall outside GB 2312" in message
    assert "the first on line 12" in message
    assert detect_encoding(write(tmp_path, "many.csv", many.encode("gb18030"))) == "gb18030"


# --- Files that are not text ---------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b" \r\n\t\n", b"\xef\xbb\xbf\r\n"])
def test_detect__an_empty_file_is_refused(tmp_path, data):
    path = write(tmp_path, "empty.csv", data)
    assert refusal(path) == f"{path}: empty file (no header line)"
    gz = write(tmp_path, "empty.csv.gz", gzip.compress(data))
    assert refusal(gz) == f"{gz}: empty file (no header line)"


def test_detect__gzip_files_are_read_decompressed(tmp_path, reference):
    utf8 = write(tmp_path, "members.csv.gz", gzip.compress(reference))
    gb = write(tmp_path, "gb.csv.gz", gzip.compress(reference.decode().encode("gb18030")))
    assert (detect_encoding(utf8), detect_encoding(gb)) == ("utf-8", "gb18030")


def test_detect__a_gzip_line_number_counts_decompressed_lines(tmp_path):
    path = write(tmp_path, "t.csv.gz", gzip.compress(b"a,b\n" * 1000 + b"x,\xff\n"))
    assert "line 1001:" in refusal(path)


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_detect__a_gzip_truncated_in_the_middle_is_refused(tmp_path, reference, keep):
    whole = gzip.compress(reference)
    path = write(tmp_path, "members.csv.gz", whole[: int(len(whole) * keep)])
    assert refusal(path) == f"{path}: truncated or corrupt gzip stream"


def test_detect__a_file_that_is_not_gzip_is_refused(tmp_path):
    path = write(tmp_path, "members.csv.gz", b"household_id,member_no\n")
    assert refusal(path) == f"{path}: truncated or corrupt gzip stream"


def test_detect__an_unreadable_path_is_refused(tmp_path):
    assert refusal(tmp_path) == f"{tmp_path}: cannot be read (IsADirectoryError)"
    missing = tmp_path / "missing.csv.gz"
    assert refusal(missing) == f"{missing}: cannot be read (FileNotFoundError)"


# --- Properties ----------------------------------------------------------------------------

# Lines of GB 2312 characters and ASCII, half and half.
# Chinese text as exports hold it: GB 2312's first level, the 3,755 common characters.
COMMON = [char for char in GB2312 if 0xB0 <= char.encode("gb2312")[0] <= 0xD7]
TEXT = (
    st.lists(
        st.text(st.one_of(st.sampled_from(COMMON), st.sampled_from("abc019,. \"'")), max_size=30),
        min_size=1,
        max_size=12,
    )
    .map("\n".join)
    .filter(lambda text: text.strip())
)


@pytest.mark.slow  # hundreds of generated files: the full suite runs it
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT, chunk=st.integers(1, 64))
def test_detect__gb2312_text_is_read_as_what_it_was_saved_as(tmp_path, monkeypatch, text, chunk):
    monkeypatch.setattr(encoding, "CHUNK_BYTES", chunk)
    assert detect_encoding(write(tmp_path, "t.csv", text.encode("utf-8"))) == "utf-8"
    data = text.encode("gb18030")
    # Pure ASCII, or GB bytes that happen to form UTF-8, are UTF-8.
    expected = "utf-8" if is_utf8(data) else "gb18030"
    assert detect_encoding(write(tmp_path, "t.csv", data)) == expected


@pytest.mark.slow  # hundreds of generated files: the full suite runs it
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT, at=st.integers(0, 1000), chunk=st.integers(1, 64))
def test_detect__a_bad_byte_anywhere_names_its_line(tmp_path, monkeypatch, text, at, chunk):
    monkeypatch.setattr(encoding, "CHUNK_BYTES", chunk)
    data = text.encode("utf-8")
    # Insert 0xFF (never in UTF-8 nor GB18030) between characters, not inside one.
    at = len(text[: at % (len(text) + 1)].encode("utf-8"))
    data = data[:at] + b"\xff" + data[at:]
    line = data.count(b"\n", 0, at) + 1
    message = refusal(write(tmp_path, "t.csv", data))
    assert f"t.csv: line {line}: neither UTF-8 nor plausible GB18030" in message
    # 0xFF is never part of GB18030 either: that reading fails too, here or earlier.
    assert "(byte 0xFF is not UTF-8; read as GB18030, " in message


@pytest.mark.slow  # hundreds of generated files: the full suite runs it
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT, at=st.integers(0, 1000), chunk=st.integers(1, 64))
def test_detect__the_first_rare_character_names_its_line(tmp_path, monkeypatch, text, at, chunk):
    monkeypatch.setattr(encoding, "CHUNK_BYTES", chunk)
    at %= len(text) + 1
    text = text[:at] + "鄠" + text[at:]  # in GBK, not in GB 2312
    data = text.encode("gb18030")
    assume(not is_utf8(data))
    path = write(tmp_path, "t.csv", data)
    non_ascii = sum(not char.isascii() for char in text)
    if non_ascii >= 100:
        assert detect_encoding(path) == "gb18030"  # one rare character in 100 is tolerated
    else:
        message = refusal(path)
        assert f"1 of {non_ascii} non-ASCII characters fall outside GB 2312" in message
        assert f"the first on line {text.count(chr(10), 0, at) + 1})" in message


PIECES = st.sampled_from(
    [bytes([byte]) for byte in range(256)]
    + [char.encode() for char in "é中😀\ufeff\uffff"]
    + [b"\xed\xa0\x80", b"\xc0\x80", b"\xe0\x80\x80", b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80"]
)


@pytest.mark.slow  # hundreds of generated files: the full suite runs it
@settings(max_examples=2000, deadline=None)
@given(data=st.lists(PIECES, max_size=12).map(b"".join))
def test_is_utf8__agrees_with_pythons_strict_decoder(data):
    assert encoding._is_utf8(memoryview(data)) == is_utf8(data)


def test_detect__accented_latin_1_pairs_are_no_chinese(tmp_path):
    """`\\xe9\\xe8` decodes as GB18030 to 殍, a GB 2312 character, but of its rarer level."""
    message = refusal(write(tmp_path, "t.csv", b"agency,n\nA1,1\nAG\xe9\xe801,2\n"))
    assert "t.csv: line 3: neither UTF-8 nor plausible GB18030" in message
    assert "1 of 1 GB 2312 characters are of its rarer second level" in message


@pytest.mark.parametrize(
    "space",
    ["\u00a0", "\u2002", "\u2003", "\u2009", "\u202f"],
    ids=["no-break", "en", "em", "thin", "narrow no-break"],
)
def test_detect__spaces_gb2312_lacks_around_chinese_text_are_no_evidence_against_it(
    tmp_path, space
):
    # Spreadsheets pad cells with U+00A0, typeset text holds en and em spaces: each a
    # four-byte form in GB18030, outside GB 2312.
    rows = "".join(f"52010{n},{space}南明区{space},{space}{n}{space}\n" for n in range(5))
    path = write(tmp_path, "t.csv", ("county_code,county_name,n\n" + rows).encode("gb18030"))
    assert detect_encoding(path) == "gb18030"


def test_detect__a_few_rarer_characters_among_common_ones_are_chinese(tmp_path):
    names = "张三,李四,王五,赵六,陈七,刘八,杨九,黄十,周一,吴二,哏,殍"  # the last two: second level
    assert detect_encoding(write(tmp_path, "t.csv", names.encode("gb18030"))) == "gb18030"


def test_detect__utf16_without_a_byte_order_mark_is_named(tmp_path):
    data = "survey_id,agency_code\nS1,A1\n".encode("utf-16-le")
    message = refusal(write(tmp_path, "t.csv", data))
    assert "t.csv: line 1: a NUL byte" in message and "UTF-16" in message


# --- The UTF-8 copy of a GB18030 file --------------------------------------------------------


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT, chunk=st.integers(1, 64), gz=st.booleans())
def test_transcode__the_copy_is_the_text_whatever_the_chunks(
    tmp_path, monkeypatch, text, chunk, gz
):
    monkeypatch.setattr(encoding, "CHUNK_BYTES", chunk)
    data = text.encode("gb18030")
    source = write(tmp_path, "t.csv.gz" if gz else "t.csv", gzip.compress(data) if gz else data)
    copy = tmp_path / "copy.csv"
    encoding.transcode_to_utf8(source, "gb18030", copy)
    assert copy.read_bytes() == text.encode("utf-8")
    assert not (tmp_path / "copy.csv.partial").exists()
