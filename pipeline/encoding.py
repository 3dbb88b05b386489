"""A CSV file's text encoding, decided on the evidence of the whole file: UTF-8 or GB18030.

Exports arrive as UTF-8 (with or without a byte-order mark) or as GB18030/GBK. A probe of the
first bytes is not enough: a file can turn bad after it, and a probe can cut a character in
two. So the whole file is read in chunks of `CHUNK_BYTES`, in constant memory, through
incremental decoders (a character cut at a chunk boundary is completed by the next chunk).

- UTF-8 when every byte decodes as UTF-8. GB18030 bytes rarely form valid UTF-8 by chance.
- Otherwise GB18030 when every byte decodes as GB18030 *and* the text is plausible. GB18030
  decodes almost any byte pairs, so Big5 bytes or a stray Latin-1 byte decode without error,
  into garbled text; what gives them away is which characters come out. Chinese text (names,
  places) is nearly all in the common simplified set GB 2312, while misread bytes land all
  over GBK's rare Han characters, its private-use area and GB18030's four-byte forms. So at
  most one in `RARE_ONE_IN` (100) of the non-ASCII characters may fall outside GB 2312, which
  allows for a rare character in a name. Below 100 non-ASCII characters that allows none: a
  short file has too little text to outvote a garbled character, and refusing costs the user
  one re-export as UTF-8, where guessing wrong would publish garbled names. And at most half of
  the GB 2312 characters may come from its second, rarer level: two accented Latin-1 letters
  side by side (`\xe9\xe8`) make one such character, where Chinese text is mostly first-level.
- Otherwise the file is refused, naming the line of the first byte that is not UTF-8 and the
  line where the GB18030 reading failed. Row text is never quoted, only one byte's value.

A file that starts with a UTF-8 byte-order mark declares itself UTF-8: if it does not decode,
it is refused without trying GB18030.
"""

from __future__ import annotations

import codecs
import gzip
import unicodedata
import zlib
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipeline.errors import InputError

# Small enough to keep memory flat on a 900 MB file, large enough that per-chunk overhead
# vanishes; tests shrink it to put chunk boundaries everywhere.
CHUNK_BYTES = 4 << 20
# At most one non-ASCII character in this many may fall outside GB 2312 in a GB18030 file.
RARE_ONE_IN = 100

_WHITESPACE = " \t\n\r\x0b\x0c"  # what bytes.strip() strips
_FIX = "save the file as UTF-8"


class _Undecodable(Exception):
    """The first byte a decoder refused, by its offset in the (decompressed) stream."""

    def __init__(self, offset: int, byte: int):
        super().__init__(offset, byte)
        self.offset, self.byte = offset, byte


class _NulByte(Exception):
    """A NUL byte, by its offset in the (decompressed) stream."""

    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset


class _Implausible(Exception):
    """GB18030 text with too many non-ASCII characters outside GB 2312, or too many rare ones.

    The first of them is in the decoded text of a chunk that starts at stream offset
    `text_offset`, after `newlines_before` line breaks of that text.
    """

    def __init__(self, text_offset: int, newlines_before: int, finding: str):
        super().__init__(text_offset, newlines_before, finding)
        self.text_offset, self.newlines_before = text_offset, newlines_before
        self.finding = finding


def detect_encoding(path: Path) -> str:
    """The encoding to read a CSV file (plain or `.gz`) with: `"utf-8"` or `"gb18030"`.

    A UTF-8 byte-order mark is accepted as UTF-8 (the reader strips it).

    Args:
        path: The raw file; a name ending in `.gz` is read through gzip.

    Returns:
        `"utf-8"` when the whole file decodes as UTF-8, else `"gb18030"` when the whole file
        decodes as GB18030 into plausible Chinese text.

    Raises:
        InputError: the file is empty (only whitespace), cannot be read, is a truncated or
            corrupt gzip stream, or is neither UTF-8 nor plausible GB18030 (naming the line).
    """
    try:
        _check_utf8(path)
        return "utf-8"
    except _NulByte as fault:
        raise nul_byte_error(path, fault.offset) from None
    except _Undecodable as fault:
        line = _line_at(path, fault.offset)
        not_utf8 = f"byte 0x{fault.byte:02X} is not UTF-8"
    if _starts_with_bom(path):
        raise InputError(
            f"{path}: line {line}: {not_utf8}, though the file starts with a UTF-8 "
            f"byte-order mark (tried UTF-8 only); {_FIX}"
        )
    try:
        _check_gb18030(path)
        return "gb18030"
    except _Undecodable as fault:
        as_gb = f"byte 0x{fault.byte:02X} on line {_line_at(path, fault.offset)} is undecodable"
    except _Implausible as fault:
        first = _line_at(path, fault.text_offset) + fault.newlines_before
        as_gb = f"{fault.finding}, the first on line {first}"
    raise InputError(
        f"{path}: line {line}: neither UTF-8 nor plausible GB18030 "
        f"({not_utf8}; read as GB18030, {as_gb}); {_FIX}"
    )


def nul_byte_error(path: Path, offset: int, read_from: Path | None = None) -> InputError:
    """The refusal of a file holding a NUL byte at stream `offset` of `read_from` (the file
    itself, or its UTF-8 copy, whose lines are the file's)."""
    line = _line_at(read_from or path, offset)
    return InputError(
        f"{path}: line {line}: a NUL byte, which no text export holds (UTF-16, or not a text "
        f"file); {_FIX}"
    )


def transcode_to_utf8(path: Path, encoding: str, target: Path) -> None:
    """Write the text of `path` (plain or `.gz`), decoded from `encoding`, to `target` as
    plain UTF-8, in one streaming pass.

    DuckDB reads UTF-8 only, so a GB18030 file is read through this copy. Line breaks, quotes
    and commas are single bytes in both encodings and are never part of a multi-byte
    character, so the copy has the same lines, rows and fields as the file. The copy is
    written beside `target` and renamed into place: a reader never sees half of one.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    partial = target.with_name(f"{target.name}.partial")
    end = 0
    try:
        with partial.open("wb") as out:
            for chunk in _chunks(path):
                end += len(chunk)
                out.write(_decode(decoder, chunk, end).encode("utf-8"))
            out.write(_decode(decoder, b"", end, final=True).encode("utf-8"))
    except _Undecodable:
        # The whole file decoded when its encoding was decided: it has changed since.
        partial.unlink(missing_ok=True)
        raise InputError(f"{path}: changed during the run; run the batch again") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)


def _chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes (decompressed if `.gz`), `CHUNK_BYTES` at a time."""
    gz = path.name.endswith(".gz")
    try:
        raw = path.open("rb")
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({type(error).__name__})") from None
    with raw, gzip.open(raw, "rb") if gz else nullcontext(raw) as stream:
        while True:
            try:
                chunk = stream.read(CHUNK_BYTES)
            except (EOFError, zlib.error, OSError) as error:  # gzip.BadGzipFile is an OSError
                if gz:
                    raise InputError(f"{path}: truncated or corrupt gzip stream") from None
                raise InputError(f"{path}: cannot be read ({type(error).__name__})") from None
            if not chunk:
                return
            yield chunk


def _decode(decoder: codecs.IncrementalDecoder, data: bytes, end: int, final=False) -> str:
    """`decoder.decode(data)`, where `data` ends at stream offset `end`.

    Raises:
        _Undecodable: where the error lies in the stream. An incremental decoder reports it in
            the bytes it held back from earlier input followed by `data`.
    """
    try:
        return decoder.decode(data, final)
    except UnicodeDecodeError as error:
        raise _Undecodable(
            end - len(error.object) + error.start, error.object[error.start]
        ) from None


def _check_utf8(path: Path) -> None:
    """Raises _Undecodable at the first byte that is not UTF-8; InputError if empty."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    end = 0
    blank = True  # nothing but whitespace (after a byte-order mark) so far
    started = False  # some text has been decoded (a byte-order mark can only come first)
    for chunk in _chunks(path):
        start, end = end, end + len(chunk)
        nul = chunk.find(b"\x00")
        if nul >= 0:  # valid UTF-8, but no text export holds one: UTF-16, or not text at all
            raise _NulByte(start + nul)
        if blank:  # decoded whole, to see whether anything but whitespace comes
            text = _decode(decoder, chunk, end)
            if text and not started:
                text, started = text.removeprefix("\ufeff"), True
            blank = not text.strip(_WHITESPACE)
            continue
        # ASCII is UTF-8: nothing to check unless a character is pending from the last chunk.
        if chunk.isascii() and not decoder.getstate()[0]:
            continue
        # A line break is never part of a multi-byte character, so the whole lines between
        # the chunk's first and last break go to a validator several times faster than
        # decoding to str. The decoder gets the bytes around the chunk's edges, and so still
        # completes a character cut by a boundary (with no line break, it gets all of it).
        first, last = chunk.find(b"\n") + 1, chunk.rfind(b"\n") + 1
        _decode(decoder, chunk[:first], start + first)
        if not _is_utf8(memoryview(chunk)[first:last]):  # find the byte, as Python sees it
            _decode(codecs.getincrementaldecoder("utf-8")(), chunk[first:last], start + last)
        _decode(decoder, chunk[last:], end)
    _decode(decoder, b"", end, final=True)  # the file may end inside a character
    if blank:
        raise InputError(f"{path}: empty file (no header line)")


def _is_utf8(data: memoryview) -> bool:
    """Whether `data` is valid UTF-8 (and whole characters), by Arrow's validator, no copy.

    It accepts exactly what Python's strict UTF-8 decoder does (no surrogates, overlong forms
    or code points past U+10FFFF); a test holds the two together.
    """
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32))
    array = pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _starts_with_bom(path: Path) -> bool:
    head = b""
    for chunk in _chunks(path):
        head += chunk
        if len(head) >= len(codecs.BOM_UTF8):
            break
    return head.startswith(codecs.BOM_UTF8)


def _spaces_outside_gb2312() -> dict[int, str]:
    """A `str.translate` table making a plain space of every Unicode space separator GB 2312
    lacks: the no-break space (spreadsheets pad cells with it), the en and em spaces and the
    other typographic spaces of U+2000-U+200A, and so on. GB18030 writes each in a four-byte
    form, and DuckDB's trim() strips each from a value's edges."""
    spaces = (chr(code) for code in range(0x3001) if unicodedata.category(chr(code)) == "Zs")
    return {ord(space): " " for space in spaces if not _in_gb2312(space)}


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


_PLAIN_SPACES = _spaces_outside_gb2312()


def _second_level() -> dict[int, None]:
    """A `str.translate` table deleting GB 2312's second level (3,008 rarer Han characters,
    lead bytes 0xD8-0xF7), so a length difference counts them in C."""
    found = {}
    for lead in range(0xD8, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                found[ord(bytes((lead, trail)).decode("gb2312"))] = None
            except UnicodeDecodeError:
                continue
    return found


_DROP_SECOND_LEVEL = _second_level()


def _check_gb18030(path: Path) -> None:
    """Raises _Undecodable at the first byte that is not GB18030, or _Implausible."""
    decoder = codecs.getincrementaldecoder("gb18030")()
    end = 0
    common = rare = 0  # non-ASCII characters inside and outside GB 2312
    second_level = 0  # of the common ones, those of GB 2312's second, rarer level
    first_rare: tuple[int, int] | None = None  # (text_offset, newlines_before)
    first_second: tuple[int, int] | None = None
    for chunk in _chunks(path):
        pending = decoder.getstate()[0]
        start, end = end, end + len(chunk)
        if not pending and chunk.isascii():
            continue
        # A space GB 2312 lacks (a no-break space, an em space) is a four-byte form in
        # GB18030 but no evidence either way: it counts as the space it stands for.
        text = _decode(decoder, chunk, end).translate(_PLAIN_SPACES)
        if text.isascii():  # O(1) for a str
            continue
        kept = text.translate(_DROP_SECOND_LEVEL)
        if len(kept) < len(text):
            second_level += len(text) - len(kept)
            if first_second is None:
                where = next(i for i, ch in enumerate(text) if ord(ch) in _DROP_SECOND_LEVEL)
                first_second = (start - len(pending), text.count("\n", 0, where))
        # GB 2312 encodes ASCII in one byte, each of its own characters in two, and nothing
        # else: one encode in C counts the non-ASCII characters and tells whether all are
        # common, with no Python loop over characters.
        try:
            common += len(text.encode("gb2312")) - len(text)
            continue
        except UnicodeEncodeError as error:
            if first_rare is None:
                first_rare = (start - len(pending), text.count("\n", 0, error.start))
        ascii_count = len(text.encode("ascii", "ignore"))
        chunk_common = (len(text.encode("gb2312", "ignore")) - ascii_count) // 2
        common += chunk_common
        rare += len(text) - ascii_count - chunk_common
    _decode(decoder, b"", end, final=True)
    if first_rare is not None and rare * RARE_ONE_IN > common + rare:
        raise _Implausible(
            *first_rare,
            f"{rare} of {common + rare} non-ASCII characters fall outside GB 2312, "
            "as misread Big5 or Latin-1 bytes do",
        )
    # Chinese text is mostly GB 2312's first level (the 3,755 common characters); pairs of
    # accented Latin-1 letters land in its second level. So a file whose Chinese is mostly
    # second-level characters is no Chinese text.
    if first_second is not None and second_level * 2 > common:
        raise _Implausible(
            *first_second,
            f"{second_level} of {common} GB 2312 characters are of its rarer second level, "
            "as misread Latin-1 letters are",
        )


def _line_at(path: Path, offset: int) -> int:
    """The 1-based line holding the byte at stream `offset`: one plus the line breaks before.

    Only called to word an error, so it reads the file again rather than have the happy path
    count lines it never reports.
    """
    line, start = 1, 0
    for chunk in _chunks(path):
        if start + len(chunk) > offset:
            return line + chunk.count(b"\n", 0, offset - start)
        line += chunk.count(b"\n")
        start += len(chunk)
    return line
