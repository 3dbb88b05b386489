"""The `povexit` command line: --version, --debug on either side of the subcommand, generating
a batch under any id, and manifest faults that are the user's (exit 2, never 3)."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version

import duckdb
import pytest

from pipeline import cli
from pipeline.cli import main
from tests.batch_builder import write_batch


def test_version__prints_the_installed_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"povexit {version('povexit')}\n"


@pytest.mark.slow  # a whole pipeline run
def test_command__exits_with_main_s_code_and_its_whole_output(folders, batch):
    # The command skips the interpreter's teardown (`cli.entry`): the exit code and every line
    # printed before it must still come through.
    write_batch(folders[0], batch)
    command = [sys.executable, "-m", "pipeline.cli"]
    done = subprocess.run([*command, "run"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.rstrip().splitlines()[-1].startswith("findings:")
    done = subprocess.run(
        [*command, "run", "--batch", "Bad_Id"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and done.stderr.startswith("error: invalid batch id 'Bad_Id'")


@pytest.mark.parametrize("closed", [1, 2])
def test_command__a_closed_output_stream_changes_no_exit_code(closed):
    # `povexit ... >&-` or `2>&-`: Python sets that stream to None; the exit is still main's.
    command = [sys.executable, "-m", "pipeline.cli"]

    def close_it():
        os.close(closed)

    done = subprocess.run([*command, "--version"], preexec_fn=close_it, capture_output=False)
    assert done.returncode == 0
    done = subprocess.run(
        [*command, "run", "--batch", "Bad_Id"],
        preexec_fn=close_it,
        stdout=subprocess.DEVNULL if closed == 2 else None,
        stderr=subprocess.DEVNULL if closed == 1 else None,
        check=False,
    )
    assert done.returncode == 2


def _fail(args):
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    "argv",
    [
        ["--debug", "report", "--batch", "test-2020"],
        ["report", "--batch", "test-2020", "--debug"],
        ["report", "--debug", "--batch", "test-2020"],
    ],
)
def test_debug__before_or_after_the_subcommand_shows_the_traceback(monkeypatch, argv):
    monkeypatch.setattr(cli, "_report", _fail)
    with pytest.raises(RuntimeError, match="boom"):
        main(argv)


def test_without_debug__internal_error_is_one_line_exit_3(monkeypatch, capsys):
    monkeypatch.setattr(cli, "_report", _fail)
    assert main(["report", "--batch", "test-2020"]) == 3
    assert capsys.readouterr().err == "internal error: RuntimeError (rerun with --debug)\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--debug", "--batch", "Bad_Id"],
        ["generate", "--batch", "Bad_Id", "--debug"],
    ],
)
def test_debug_after_the_subcommand__parses(folders, argv, capsys):
    assert main(argv) == 2  # the batch id is refused, not the flag
    assert "invalid batch id 'Bad_Id'" in capsys.readouterr().err


@pytest.mark.slow
def test_generate_any_batch_id__runs_and_publishes_under_that_id(folders, capsys):
    raw, marts = folders
    assert main(["generate", "--batch", "shaanxi-2019", "--scale", "0.001"]) == 0
    manifest = (raw / "shaanxi-2019" / "batch.toml").read_text(encoding="utf-8")
    assert 'batch_id = "shaanxi-2019"' in manifest
    assert main(["run", "--batch", "shaanxi-2019"]) == 0
    with duckdb.connect(str(marts / "exit_assessment.duckdb"), read_only=True) as con:
        ids = con.execute("select distinct batch_id from county_assessment").fetchall()
    assert ids == [("shaanxi-2019",)]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("poverty_line_yuan", float("nan"), "'poverty_line_yuan' must be a finite number"),
        ("poverty_line_yuan", float("inf"), "'poverty_line_yuan' must be a finite number"),
        ("poverty_line_yuan", float("-inf"), "'poverty_line_yuan' must be a finite number"),
        ("poverty_line_yuan", 1e20, "'poverty_line_yuan' must be above 0 and at most"),
        ("reject_threshold", 0.2, "write [thresholds] quarantine_share_max instead"),
        ("reject_treshold", 0.2, "unknown key 'reject_treshold'; known: batch_id"),
    ],
)
def test_run__manifest_fault_exit_2_one_line(folders, batch, capsys, key, value, message):
    raw, marts = folders
    batch["manifest"][key] = value
    write_batch(raw, batch)
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "batch.toml" in err[0] and message in err[0], err
    assert not (marts / "exit_assessment.duckdb").exists()


def test_ctrl_c__is_one_line_and_the_shell_code(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_run", interrupted)
    assert main(["run", "--batch", "test-2020"]) == 130
    assert capsys.readouterr().err == "interrupted\n"
