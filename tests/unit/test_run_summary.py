"""What `povexit run` prints beside the verdicts: commands that work as printed, and quiet on a
closed pipe."""

from __future__ import annotations

import os
import shlex

from pipeline import run_summary, settings
from pipeline.runner import _say


def test_report_command__names_the_marts_folder_only_when_it_is_not_the_default(tmp_path):
    default = settings.PROJECT_ROOT / "data" / "marts"
    assert run_summary.report_command("a-2020", default) == "povexit report --batch a-2020"
    other = tmp_path / "my marts"
    command = run_summary.report_command("a-2020", other)
    assert shlex.split(command) == ["povexit", "report", "--batch", "a-2020", "--marts", str(other)]


def test_quarantine_command__finds_the_project_from_outside_it(tmp_path, monkeypatch):
    warehouse = tmp_path / "_work" / "a-2020.duckdb"
    monkeypatch.chdir(settings.PROJECT_ROOT)
    inside = shlex.split(run_summary.quarantine_command(warehouse))
    assert inside[:3] == ["uv", "run", "duckdb"]
    assert inside[3:6] == ["-readonly", str(warehouse), "-c"]
    assert inside[6] == run_summary.QUARANTINE_QUERY
    monkeypatch.chdir(tmp_path)
    outside = shlex.split(run_summary.quarantine_command(warehouse))
    assert outside[:5] == ["uv", "run", "--project", str(settings.PROJECT_ROOT), "duckdb"]


def test_say__a_closed_pipe_is_silenced_not_raised():
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "w") as stream:
        _say(["verdicts"], stream)  # the reader has gone: no BrokenPipeError
        _say(["more"], stream)  # and later output goes nowhere, quietly
