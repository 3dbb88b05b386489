"""A batch's input fingerprint: hashed once while its files stand still, again when one moves."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from pipeline import fingerprint, prefetch
from pipeline.errors import InputError
from tests.batch_builder import Unreadable, write_batch


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A batch whose answers are kept: the window in which a file's stamp may hide a change is
    shut, as a file's ctime cannot be set back to age it."""
    monkeypatch.setattr(fingerprint, "SETTLED_NS", 0)
    monkeypatch.setattr(fingerprint, "_DIGESTS", {})
    return write_batch(tmp_path / "raw")


class Counting:
    """Counts the files hashed."""

    def __init__(self, monkeypatch):
        self.files = 0
        digest = fingerprint._digest_file

        def counted(into, path):
            self.files += 1
            digest(into, path)

        monkeypatch.setattr(fingerprint, "_digest_file", counted)


def _fresh(folder) -> str:
    fingerprint._DIGESTS.clear()
    return fingerprint.batch_fingerprint(folder)


def test_batch_fingerprint__settled_files_are_hashed_once(folder, monkeypatch):
    counting = Counting(monkeypatch)
    first = fingerprint.batch_fingerprint(folder)
    hashed = counting.files
    assert fingerprint.batch_fingerprint(folder) == first
    assert counting.files == hashed


def test_batch_fingerprint__a_file_changed_in_place_is_hashed_again(folder):
    first = fingerprint.batch_fingerprint(folder)
    path = folder / "counties.csv"
    # Same size, same inode, its modification time put back: its ctime still moves.
    stat = path.stat()
    time.sleep(0.05)  # file times are coarse: the write must fall in a later tick to show
    with path.open("r+b") as handle:
        handle.write(b"#")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    changed = fingerprint.batch_fingerprint(folder)
    assert changed != first and changed == _fresh(folder)


def test_batch_fingerprint__a_recently_written_file_is_never_taken_on_trust(folder, monkeypatch):
    # Every file written within the window: its stamp may not show the next write.
    monkeypatch.setattr(fingerprint, "SETTLED_NS", 3600 * 10**9)
    counting = Counting(monkeypatch)
    fingerprint.batch_fingerprint(folder)
    hashed = counting.files
    fingerprint.batch_fingerprint(folder)
    assert counting.files == 2 * hashed


def test_prefetch__a_later_call_takes_the_background_answer(folder, monkeypatch):
    counting = Counting(monkeypatch)
    threads = prefetch.start(folder, screens=False)
    answer = fingerprint.batch_fingerprint(folder)  # waits for the thread, or hashes first
    for thread in threads:  # else it may hash on into the next test's counter
        thread.join(timeout=60)
    hashed = counting.files
    assert answer == _fresh(folder)
    assert hashed == len([p for p in folder.iterdir() if p.is_file()])


def test_batch_fingerprint__one_answer_per_folder_however_it_is_named(folder, monkeypatch):
    counting = Counting(monkeypatch)
    first = fingerprint.batch_fingerprint(folder)
    hashed = counting.files
    monkeypatch.chdir(folder.parent)
    assert fingerprint.batch_fingerprint(Path(folder.name)) == first  # `--raw .`
    link = folder.parent / "link"
    link.symlink_to(folder)
    assert fingerprint.batch_fingerprint(link) == first
    assert counting.files == hashed


def test_an_unreadable_file__named_before_the_run_and_when_hashed(folder, monkeypatch):
    note = folder / "notes.txt"
    note.write_text("reviewed by the county office\n", encoding="utf-8")
    Unreadable(monkeypatch, note.name)
    message = rf"{re.escape(str(note))}: cannot be read \(PermissionError\)"
    with pytest.raises(InputError, match=message):
        fingerprint.check_readable(folder)
    with pytest.raises(InputError, match=message):
        fingerprint.batch_fingerprint(folder)
