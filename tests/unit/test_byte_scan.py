"""The byte survey of a raw CSV file: what it finds whatever sizes the reads come in, and
that a caller can stop it."""

from __future__ import annotations

import codecs
import io

import pytest

from pipeline import byte_scan
from pipeline.byte_scan import ScanStopped, scan_bytes

DATA = codecs.BOM_UTF8 + b'code,name\r\nc1,"n"\nc2,\x00\n'


class Trickling(io.RawIOBase):
    """A stream that returns at most `step` bytes a read, as a pipe or a network mount may."""

    def __init__(self, data: bytes, step: int):
        self._data, self._step, self._at = data, step, 0

    def readinto(self, buffer) -> int:
        chunk = self._data[self._at : self._at + self._step]
        buffer[: len(chunk)] = chunk
        self._at += len(chunk)
        return len(chunk)


@pytest.mark.parametrize("step", [1, 2, 3, 5, len(DATA)])
def test_survey__the_same_whatever_the_size_of_each_read(step):
    whole = byte_scan._survey(Trickling(DATA, len(DATA)))
    assert byte_scan._survey(Trickling(DATA, step)) == whole
    assert whole.has_bom and whole.has_quote and whole.has_carriage_return
    assert whole.first_nul == DATA.index(b"\x00") and whole.ends_with_line_feed


def test_scan_bytes__stops_when_asked_without_reading_on(tmp_path, monkeypatch):
    monkeypatch.setattr(byte_scan, "CHUNK_BYTES", 4)
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" * 1000)
    asked = []

    def stop() -> bool:
        asked.append(True)
        return len(asked) > 3

    with pytest.raises(ScanStopped):
        scan_bytes(path, stop)
    assert len(asked) == 4  # asked before each read: three chunks of 4000 bytes read
    assert scan_bytes(path, lambda: False).size == 4000
