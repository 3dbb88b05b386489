"""Reading a batch's files ahead (`pipeline.prefetch`): the raw step takes only answers that are
still the files', reads the same with them as without, and never reads a file twice."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from pipeline import prefetch, raw_view, warehouse
from pipeline.errors import InputError
from pipeline.ingest import ingest
from pipeline.schemas.fields import RAW_TABLES
from tests.batch_builder import Unreadable, write_batch

REGISTRY = [table for table in RAW_TABLES if table.name.startswith("registry_")]


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch):
    """Each test with its own answers, and files as old as they need to be: a batch written by
    a test is seconds old, and the thread leaves a file written so lately alone."""
    monkeypatch.setattr(prefetch, "_READ_AHEAD", prefetch._ReadAhead())
    monkeypatch.setattr(prefetch, "_STARTED", set())
    monkeypatch.setattr(prefetch, "SETTLED_NS", 0)


@pytest.fixture
def reads(monkeypatch):
    """The raw step's own reads of each file: surveys of its bytes and DuckDB screens."""
    seen = {"scans": [], "screens": []}
    scan, query = raw_view.scan_bytes, raw_view._query

    def counting_scan(path):
        seen["scans"].append(Path(path).name)
        return scan(path)

    def counting_query(con, sql, path):
        if "doubtful" in sql and "line_bytes" in sql:
            seen["screens"].append(Path(path).name)
        return query(con, sql, path)

    monkeypatch.setattr(raw_view, "scan_bytes", counting_scan)
    monkeypatch.setattr(raw_view, "_query", counting_query)
    return seen


def read_tables(folder: Path, tmp_path: Path) -> dict:
    """Each registry table through the raw step: its report's counts and its rows."""
    con = warehouse.connect(":memory:")
    found = {}
    for table in REGISTRY:
        report = ingest(con, folder, table, tmp_path / "scratch")
        rows = con.execute(f'select * from "{table.asset}" order by all').fetchall()
        found[table.name] = (
            report.rows_read,
            report.blank_lines,
            report.malformed,
            report.physical_lines,
            rows,
        )
    return found


def read_ahead(folder: Path) -> None:
    threads = prefetch.start(folder, screens=True)
    assert len(threads) == 2  # the fingerprint's and the read-ahead's
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()


def twin_batches(tmp_path: Path) -> tuple[Path, Path]:
    """The same batch in two folders: one read ahead, one not."""
    folder = write_batch(tmp_path / "raw")
    twin = tmp_path / "twin" / folder.name
    shutil.copytree(folder, twin)
    return folder, twin


def test_the_raw_step_takes_the_answers_and_reads_what_it_reads_without_them(tmp_path, reads):
    folder, twin = twin_batches(tmp_path)
    read_ahead(folder)
    with_answers = read_tables(folder, tmp_path)
    assert reads == {"scans": [], "screens": []}
    without = read_tables(twin, tmp_path)
    assert reads["screens"] == [f"{table.name}.csv" for table in REGISTRY]
    assert with_answers == without
    assert with_answers["registry_members"][0] > 0


def test_a_malformed_and_a_blank_line_read_ahead__are_found_as_without(tmp_path, reads):
    folder, twin = twin_batches(tmp_path)
    for batch in (folder, twin):
        members = batch / "registry_members.csv"
        lines = members.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[2:2] = ["a,b\n", "\n"]  # a line of two fields, and a blank line
        members.write_text("".join(lines), encoding="utf-8")
    read_ahead(folder)
    with_answers = read_tables(folder, tmp_path)
    assert "registry_members.csv" not in reads["screens"]
    assert with_answers == read_tables(twin, tmp_path)
    assert with_answers["registry_members"][1:3] == (1, [(3, 2)])


@pytest.mark.parametrize("same_size", [False, True])
def test_a_file_changed_after_its_read_ahead__is_read_again(tmp_path, reads, same_size):
    folder, twin = twin_batches(tmp_path)
    read_ahead(folder)
    for batch in (folder, twin):
        members = batch / "registry_members.csv"
        text = members.read_text(encoding="utf-8")
        # One line gone (a shorter file), or one line's member number changed (the same size).
        lines = text.splitlines(keepends=True)
        changed = lines[:-1] if not same_size else [*lines[:-1], lines[-1].replace(",1,", ",9,")]
        assert same_size == (len("".join(changed)) == len(text))
        time.sleep(0.01)  # a later modification time, whatever the clock's grain
        members.write_text("".join(changed), encoding="utf-8")
    with_answers = read_tables(folder, tmp_path)
    assert reads["scans"] == ["registry_members.csv"]
    assert with_answers == read_tables(twin, tmp_path)


def test_a_file_written_within_the_settling_time__is_not_read_ahead(tmp_path, monkeypatch):
    monkeypatch.setattr(prefetch, "SETTLED_NS", 3600 * 10**9)
    folder = write_batch(tmp_path / "raw")
    read_ahead(folder)
    assert prefetch._READ_AHEAD.scans == {} and prefetch._READ_AHEAD.screens == {}


def test_a_gb18030_file__is_left_to_the_raw_step(tmp_path, reads):
    folder, twin = twin_batches(tmp_path)
    for batch in (folder, twin):
        members = batch / "registry_members.csv"
        text = members.read_text(encoding="utf-8").replace("member_no", "成员序号")
        members.write_bytes(text.encode("gb18030"))
    read_ahead(folder)
    assert str((folder / "registry_members.csv").resolve()) not in prefetch._READ_AHEAD.scans
    assert read_tables(folder, tmp_path) == read_tables(twin, tmp_path)


def test_a_file_the_thread_cannot_read__gets_the_raw_steps_own_message(tmp_path, capfd):
    folder, twin = twin_batches(tmp_path)
    for batch in (folder, twin):
        members = batch / "registry_members.csv"
        # An id number in a line that is not UTF-8: DuckDB's message would quote it.
        members.write_bytes(members.read_bytes() + b"H9,1,\xe9,520102196810027967,head,F,x\n")
    read_ahead(folder)
    errors = []
    for batch in (folder, twin):
        with pytest.raises(InputError) as raised:
            read_tables(batch, tmp_path)
        errors.append(str(raised.value).replace(str(batch), "<batch>"))
    assert errors[0] == errors[1]
    assert "520102196810027967" not in errors[0]
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.fixture
def held_scan(monkeypatch):
    """The households file's byte scan held until the test lets it go."""
    release, begun = threading.Event(), threading.Event()
    scan = prefetch.scan_bytes

    def held(path, stop=None):
        if path.name == "registry_households.csv":
            begun.set()
            assert release.wait(timeout=30)
        return scan(path, stop)

    monkeypatch.setattr(prefetch, "scan_bytes", held)
    return begun, release


def ask_in_background(function, argument) -> tuple[threading.Thread, list]:
    answers = []
    asker = threading.Thread(target=lambda: answers.append(function(argument)))
    asker.start()
    return asker, answers


def test_the_raw_step_waits_for_a_file_being_read_and_claims_one_not_begun(tmp_path, held_scan):
    begun, release = held_scan
    folder = write_batch(tmp_path / "raw")
    households = (folder / "registry_households.csv").resolve()
    members = (folder / "registry_members.csv").resolve()
    threads = prefetch.start(folder, screens=True)
    assert begun.wait(timeout=30)
    # The members file, not begun: the raw step reads it, and the thread skips it.
    assert prefetch.scan_of(members) is None
    # The households file, being read for long enough to be worth waiting for.
    prefetch._READ_AHEAD.reading_since -= 60
    asker, answers = ask_in_background(prefetch.scan_of, households)
    asker.join(timeout=0.5)
    assert asker.is_alive()  # waiting
    release.set()
    asker.join(timeout=30)
    for thread in threads:
        thread.join(timeout=60)
    assert answers[0] is not None and answers[0].size == households.stat().st_size
    assert str(members) not in prefetch._READ_AHEAD.scans


def test_a_read_the_thread_has_only_begun__is_left_to_the_raw_step(tmp_path, held_scan):
    """A read that lasts longer than the thread had spent on it when asked (starved by other
    work on the machine) is stopped; the raw step reads the file itself."""
    begun, release = held_scan
    folder = write_batch(tmp_path / "raw")
    households = (folder / "registry_households.csv").resolve()
    threads = prefetch.start(folder, screens=True)
    assert begun.wait(timeout=30)
    asker, answers = ask_in_background(prefetch.scan_of, households)
    asker.join(timeout=10)
    assert answers == [None]  # no answer, and no wait for the held scan
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert str(households) not in prefetch._READ_AHEAD.scans
    assert not [layout for layout in prefetch._READ_AHEAD.screens if layout.path == households]


def test_a_same_size_rewrite_that_restores_its_modification_time__is_read_again(tmp_path, reads):
    """The change time shows what the modification time no longer does (`unzip -o`,
    `touch -r`, `cp -p` of a file with the same times)."""
    folder, twin = twin_batches(tmp_path)
    read_ahead(folder)
    for batch in (folder, twin):
        members = batch / "registry_members.csv"
        times = members.stat()
        text = members.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        # The same length, one field fewer: a malformed line only a fresh screen finds.
        lines[2] = lines[2].replace(",", ";", 1)
        time.sleep(0.01)
        members.write_text("".join(lines), encoding="utf-8")
        os.utime(members, ns=(times.st_atime_ns, times.st_mtime_ns))
    with_answers = read_tables(folder, tmp_path)
    assert "registry_members.csv" in reads["screens"]
    assert with_answers == read_tables(twin, tmp_path)
    assert with_answers["registry_members"][2] == [(3, 6)]


def test_start__once_per_folder(tmp_path):
    folder = write_batch(tmp_path / "raw")
    first = prefetch.start(folder, screens=False)
    assert len(first) == 1 and prefetch.start(folder, screens=True) == []
    first[0].join(timeout=60)


@pytest.mark.skipif(os.uname().sysname != "Linux", reason="a thread's own priority: Linux")
def test_the_thread_yields_to_the_run(tmp_path, monkeypatch):
    niceness = []
    monkeypatch.setattr(
        prefetch,
        "_read_ahead",
        lambda table, path: niceness.append(os.getpriority(os.PRIO_PROCESS, 0)),
    )
    base = os.getpriority(os.PRIO_PROCESS, 0)
    read_ahead(write_batch(tmp_path / "raw"))
    assert niceness and all(value == min(base + prefetch._NICENESS, 19) for value in niceness)
    assert os.getpriority(os.PRIO_PROCESS, 0) == base  # this thread's own is untouched


def test_a_file_the_fingerprint_cannot_read__is_left_to_preflight_silently(tmp_path, capfd):
    # The thread starts before preflight: an exception escaping it would print a traceback
    # beside the run's one line naming the file.
    folder = write_batch(tmp_path / "raw")
    (folder / "notes.txt").write_text("checked by the county office\n", encoding="utf-8")
    escaped = []
    hook, threading.excepthook = threading.excepthook, escaped.append
    try:
        with pytest.MonkeyPatch.context() as patch:
            Unreadable(patch, "notes.txt")
            for thread in prefetch.start(folder, screens=False):
                thread.join(timeout=60)
    finally:
        threading.excepthook = hook
    assert escaped == []
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
