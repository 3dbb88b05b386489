"""`povexit run` and `povexit report` end to end on the tiny batch: exit codes and marts."""

from __future__ import annotations

import os
import re
import shlex
import time

import duckdb
import pytest

from pipeline import prefetch
from pipeline.cli import main
from tests.batch_builder import Unreadable, write_batch

# Whole pipeline runs: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow

MARTS = [
    "batch_summary",
    "county_assessment",
    "guarantee_compliance",
    "rectification_list",
    "rejected_rows",
    "survey_household_income",
]


def marts_content(marts_dir) -> dict[str, list[tuple]]:
    with duckdb.connect(str(marts_dir / "exit_assessment.duckdb"), read_only=True) as con:
        return {
            table: con.execute(f"select * from {table} order by all").fetchall() for table in MARTS
        }


def test_run__publishes_every_mart_and_prints_verdicts(folders, batch, capsys):
    raw, marts = folders
    write_batch(raw, batch)
    assert main(["run", "--batch", "test-2020"]) == 0
    out = capsys.readouterr().out
    assert "529901" in out and "meets" in out
    meeting = re.search(r"(\d+) of (\d+) counties meet the standard; (\d+) approved", out)
    assert meeting and int(meeting[1]) == out.count("  meets  ") >= 1
    assert int(meeting[3]) == out.count("  approved\n") >= 1
    content = marts_content(marts)
    empty_when_clean = {"rejected_rows", "rectification_list"}
    assert all(content[table] for table in MARTS if table not in empty_when_clean)
    assert [row[0] for row in content["batch_summary"]] == ["test-2020"]


def test_run__says_where_it_published_what_it_read_and_how_to_see_the_findings(
    folders, batch, capsys
):
    raw, marts = folders
    write_batch(raw, batch)
    assert main(["run", "--batch", "test-2020"]) == 0
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert captured.err == ""
    assert f"published: {marts.resolve() / 'exit_assessment.duckdb'}" in out
    counts = {line.split()[0]: line.split()[1:] for line in out if ".csv " in line}
    assert counts == {
        "counties.csv": ["3", "0", "0"],
        "registry_households.csv": ["4", "0", "0"],
        "registry_members.csv": ["8", "0", "0"],
        "survey_households.csv": ["4", "0", "0"],
        "objections.csv": ["0", "0", "0"],  # its header alone: no objection
    }
    # The marts folder is not the default one: the hint names it, and works as printed.
    [hint] = [line.removeprefix("findings: ") for line in out if line.startswith("findings: ")]
    assert hint == f"povexit report --batch test-2020 --marts {marts.resolve()}"
    assert main(shlex.split(hint)[1:]) == 0
    assert "poverty counties: 3, exited: 3" in capsys.readouterr().out  # 2 approved, 1 before


def test_run__blocked_says_where_the_quarantined_rows_are_and_how_to_list_them(
    folders, batch, capsys
):
    raw, marts = folders
    batch["registry_members"][0]["sex"] = "F"
    write_batch(raw, batch)
    assert main(["run", "--batch", "test-2020"]) == 1
    captured = capsys.readouterr()
    assert ["registry_members.csv", "8", "1", "0"] in [
        line.split() for line in captured.out.splitlines()
    ]
    assert "published" not in captured.out and "findings" not in captured.out
    err = captured.err.splitlines()
    working = marts.resolve() / "_work" / "test-2020.duckdb"
    assert err[0].startswith("error: test-2020: blocking check failed")
    assert err[1] == f"quarantined rows: {working}, table rejected_rows; list them with:"
    command = shlex.split(err[2])
    assert command[:2] == ["uv", "run"] and "duckdb" in command
    path, query = command[command.index("-readonly") + 1], command[command.index("-c") + 1]
    assert path == str(working)
    with duckdb.connect(path, read_only=True) as con:
        listed = con.execute(query).fetchall()
    assert [row[:3] for row in listed] == [("registry_members.csv", 2, "sex")]
    assert "17th digit" in listed[0][3]
    assert len(err) == 3


def test_run__twice_on_the_same_input_gives_identical_marts(folders, batch):
    raw, marts = folders
    write_batch(raw, batch)
    assert main(["run"]) == 0
    first = marts_content(marts)
    assert main(["run"]) == 0
    assert marts_content(marts) == first


def test_run__rejects_above_threshold_exit_1_and_publish_nothing(folders, batch, capsys):
    raw, marts = folders
    batch["registry_members"][0]["sex"] = "F"  # 1 of 8 member rows: 12.5% > 1%
    write_batch(raw, batch)
    assert main(["run", "--batch", "test-2020"]) == 1
    err = capsys.readouterr().err
    assert "registry_members.csv: 1 of 8 rows quarantined" in err
    assert not (marts / "exit_assessment.duckdb").exists()


def test_run__threshold_from_the_manifest_lets_a_batch_publish(folders, batch):
    raw, marts = folders
    batch["registry_members"][0]["sex"] = "F"
    batch["manifest"]["thresholds"]["quarantine_share_max"] = 0.2
    write_batch(raw, batch)
    assert main(["run"]) == 0
    rejected = marts_content(marts)["rejected_rows"]
    assert [(row[1], row[3], row[4]) for row in rejected] == [("registry_members.csv", 2, "sex")]


def test_run__failed_batch_leaves_other_batches_rows_untouched(folders, batch):
    raw, marts = folders
    write_batch(raw, batch, batch_id="good-2020")
    assert main(["run", "--batch", "good-2020"]) == 0
    before = marts_content(marts)
    bad = write_batch(raw, batch, batch_id="bad-2020")
    (bad / "survey_households.csv").write_text("survey_id\nS1\n", encoding="utf-8")
    assert main(["run", "--batch", "bad-2020"]) == 2
    assert marts_content(marts) == before


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--batch", "Bad_Id"], "invalid batch id 'Bad_Id'"),
        (["run", "--batch", "../etc"], "invalid batch id"),
        (["run", "--batch", "absent-2020"], "batch folder not found"),
    ],
)
def test_run__bad_arguments_exit_2_with_one_line(folders, argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def _keep_header_only(path):
    path.write_text(path.read_text(encoding="utf-8").split("\n")[0] + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda folder: (folder / "registry_members.csv").unlink(), "registry_members: missing"),
        (lambda folder: (folder / "batch.toml").unlink(), "batch.toml: missing"),
        (
            lambda folder: _replace_by_folder(folder / "counties.csv"),
            "counties.csv: not a regular file",
        ),
        (
            # an optional table: a broken link is not "no objections"
            lambda folder: _replace_by_broken_link(folder / "objections.csv"),
            "objections.csv: not a regular file",
        ),
        (
            lambda folder: (folder / "batch.toml").write_text('batch_id = "other"\n'),
            "disagrees with its folder",
        ),
        (
            lambda folder: (folder / "counties.csv").write_text(""),
            "counties.csv: empty file",
        ),
        (
            lambda folder: (folder / "counties.csv").write_text("county_code,county_name\n"),
            "counties.csv: missing required column 'prefecture_code'",
        ),
        (
            # Found mid-run, after the header checks: the good publish must still stand.
            lambda folder: _keep_header_only(folder / "survey_households.csv"),
            "survey_households.csv: no data rows",
        ),
        (
            lambda folder: _keep_header_only(folder / "registry_members.csv"),
            "registry_members.csv: no data rows",
        ),
    ],
)
def test_run__unusable_input_exit_2_and_marts_stay(folders, batch, damage, message, capsys):
    raw, marts = folders
    folder = write_batch(raw, batch)
    assert main(["run"]) == 0
    before = marts_content(marts)
    capsys.readouterr()
    damage(folder)
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert "Traceback" not in "\n".join(err)
    assert marts_content(marts) == before


def test_run__an_unreadable_file_beside_the_tables_exit_2_naming_it(
    folders, batch, monkeypatch, capsys
):
    # Publishing hashes every file of the folder: a note that cannot be read is found before
    # the run starts, not as an internal error when it publishes.
    raw, marts = folders
    folder = write_batch(raw, batch)
    (folder / "notes.txt").write_text("checked by the county office\n", encoding="utf-8")
    Unreadable(monkeypatch, "notes.txt")
    assert main(["run", "--batch", "test-2020"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "notes.txt: cannot be read (PermissionError)" in err[0], err
    assert not (marts / "exit_assessment.duckdb").exists()


def test_report__prints_the_press_release_figures(folders, batch, capsys):
    raw, _ = folders
    write_batch(raw, batch)
    assert main(["run"]) == 0
    capsys.readouterr()
    assert main(["report", "--batch", "test-2020"]) == 0
    out = capsys.readouterr().out
    assert "public acceptance (pooled): 100.00%" in out
    assert "poverty counties: 3, exited: 3" in out


def test_report__unknown_batch_exit_2(folders, capsys):
    assert main(["report", "--batch", "nothing-here"]) == 2


def test_publish__a_reader_holding_the_marts_open_is_not_blocked(folders, batch):
    raw, marts = folders
    write_batch(raw, batch)
    assert main(["run"]) == 0
    with duckdb.connect(str(marts / "exit_assessment.duckdb"), read_only=True) as reader:
        seen = reader.execute("select count(*) from county_assessment").fetchone()
        batch["survey_households"][0]["acceptance"] = "unsure"
        write_batch(raw, batch)
        assert main(["run"]) == 0
        # The reader keeps its snapshot: the file it opened, whole.
        assert reader.execute("select count(*) from county_assessment").fetchone() == seen
    accepting = marts_content(marts)["batch_summary"]
    assert accepting  # the new publish is in place


def test_run__several_batches_in_parallel_all_reach_the_marts(folders, batch):
    raw, marts = folders
    for batch_id in ("north-2020", "south-2020", "east-2020"):
        write_batch(raw, batch, batch_id=batch_id)
    assert main(["run"]) == 0
    with duckdb.connect(str(marts / "exit_assessment.duckdb"), read_only=True) as con:
        published = con.execute("select batch_id from batch_summary order by 1").fetchall()
    assert published == [("east-2020",), ("north-2020",), ("south-2020",)]


def test_run__flags_reach_the_definitions_as_resource_config(tmp_path, batch, monkeypatch):
    # Environment set to other folders: the flags must win, and must not be written into the
    # environment (a later run in the same process would inherit them).
    monkeypatch.setenv("POVEXIT_RAW_DIR", str(tmp_path / "elsewhere-raw"))
    monkeypatch.setenv("POVEXIT_MARTS_DIR", str(tmp_path / "elsewhere-marts"))
    raw, marts = tmp_path / "raw", tmp_path / "marts"
    write_batch(raw, batch)
    assert main(["run", "--batch", "test-2020", "--raw", str(raw), "--marts", str(marts)]) == 0
    assert (marts / "exit_assessment.duckdb").is_file()
    assert not (tmp_path / "elsewhere-marts").exists()
    assert os.environ["POVEXIT_MARTS_DIR"] == str(tmp_path / "elsewhere-marts")


def _replace_by_folder(path):
    path.unlink()
    path.mkdir()


def _replace_by_broken_link(path):
    path.unlink()
    path.symlink_to(path.with_name("gone.csv"))


def _append_a_line(survey):
    survey.write_text(survey.read_text(encoding="utf-8") + "\n", encoding="utf-8")


def _same_size_times_put_back(survey):
    # `cp -p` or `unzip -o` of a corrected export: one digit changed, size and times as before
    stat = survey.stat()
    time.sleep(0.05)  # file times are coarse: the write must fall in a later tick to show
    data = survey.read_bytes()
    digit = data.index(b"2020")
    survey.write_bytes(data[:digit] + b"2021" + data[digit + 4 :])
    os.utime(survey, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.mark.parametrize("edit", [_append_a_line, _same_size_times_put_back])
def test_run__a_file_edited_after_validation_publishes_nothing(
    folders, batch, monkeypatch, capsys, edit
):
    raw, marts = folders
    write_batch(raw, batch)
    from pipeline.defs.assets import publish
    from pipeline.fingerprint import batch_fingerprint

    def edit_then_hash(folder):
        # an office re-saves a file while the run is publishing: the fingerprint would be of
        # bytes the marts never saw
        edit(folder / "survey_households.csv")
        return batch_fingerprint(folder)

    monkeypatch.setattr(publish, "batch_fingerprint", edit_then_hash)
    assert main(["run", "--batch", "test-2020"]) == 2
    err = capsys.readouterr().err
    assert "survey_households.csv: changed during the run; run the batch again" in err
    assert not (marts / "exit_assessment.duckdb").exists()


def test_run__a_batch_read_ahead_publishes_and_quarantines_as_one_read_in_turn(
    folders, batch, monkeypatch, capsys
):
    """`povexit run` of one batch reads its files ahead while Dagster starts
    (`pipeline.prefetch`); the marts, the quarantine and what the run says are the same."""
    raw, marts = folders
    batch["manifest"]["thresholds"]["quarantine_share_max"] = 1.0  # publish what it can
    folder = write_batch(raw, batch)
    members = folder / "registry_members.csv"
    lines = members.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[1]  # a member twice: both lines quarantined
    members.write_text("".join([*lines[:5], "a,b\n", *lines[5:]]), encoding="utf-8")
    said, published = [], []
    for settled_ns in (0, 3600 * 10**9):  # files read ahead; then files too new to be
        monkeypatch.setattr(prefetch, "_READ_AHEAD", prefetch._ReadAhead())
        monkeypatch.setattr(prefetch, "_STARTED", set())
        monkeypatch.setattr(prefetch, "SETTLED_NS", settled_ns)
        out = marts / str(settled_ns)
        assert main(["run", "--batch", "test-2020", "--marts", str(out)]) == 0
        said.append(capsys.readouterr().out.replace(str(out.resolve()), "<marts>"))
        published.append(marts_content(out))
        read_ahead = prefetch._READ_AHEAD.screens
        assert {layout.source_table for layout in read_ahead} >= (
            {"registry_households", "registry_members"} if settled_ns == 0 else set()
        )
    assert said[0] == said[1]
    assert published[0] == published[1]
    assert {row[3] for row in published[0]["rejected_rows"]} >= {2, 4, 6}
