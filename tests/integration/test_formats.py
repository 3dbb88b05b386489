"""The same batch in every supported form gives the same marts, to the byte of every value."""

from __future__ import annotations

import dagster as dg
import pytest

from pipeline.cli import main
from pipeline.convert import FORMATS, HEADERS, convert_batch
from pipeline.definitions import defs
from tests.batch_builder import write_batch
from tests.integration.test_run import marts_content

RAW_ASSETS = [
    "batch_manifest",
    *(f"raw_{name}" for name in ("counties", "registry_households", "registry_members")),
    *(f"raw_{name}" for name in ("survey_households", "objections")),
]

# Whole pipeline runs: the `slow` tier (make test-fast leaves them out).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def canonical_marts(tmp_path_factory):
    root = tmp_path_factory.mktemp("canonical")
    write_batch(root / "raw")
    code = main(["run", "--raw", str(root / "raw"), "--marts", str(root / "marts")])
    assert code == 0
    return marts_content(root / "marts")


def test_generate_choices__the_forms_and_header_languages_convert_writes():
    from pipeline import cli

    assert cli.GENERATE_FORMATS == FORMATS and cli.GENERATE_HEADERS == HEADERS


@pytest.mark.parametrize("headers", HEADERS)
@pytest.mark.parametrize("form", FORMATS)
def test_every_form__gives_identical_marts(tmp_path, canonical_marts, form, headers):
    source = write_batch(tmp_path / "source")
    convert_batch(source, tmp_path / "raw" / source.name, form, headers)
    code = main(["run", "--raw", str(tmp_path / "raw"), "--marts", str(tmp_path / "marts")])
    assert code == 0
    assert marts_content(tmp_path / "marts") == canonical_marts


def test_windows_line_ends_bom_spaces_and_full_width_digits__are_read(tmp_path, canonical_marts):
    source = write_batch(tmp_path / "raw")
    path = source / "survey_households.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header, first, *rest = lines
    cells = first.split(",")
    cells[7] = "３"  # household_size, typed on a Chinese input method
    cells[8] = f"  {cells[8]} "
    lines = [header, ",".join(cells), *rest]
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    code = main(["run", "--raw", str(tmp_path / "raw"), "--marts", str(tmp_path / "marts")])
    assert code == 0
    assert marts_content(tmp_path / "marts") == canonical_marts


@pytest.mark.parametrize("form", [form for form in FORMATS if form != "csv"])
def test_every_form__leaves_no_id_number_in_the_working_database(tmp_path, form):
    # A workbook's sheets and a GB18030 file's UTF-8 copy are read through scratch copies
    # that validation removes: neither the members' id numbers nor the heads' stay behind.
    source = write_batch(tmp_path / "source")
    ids = [
        line.split(",")[3]
        for line in (source / "registry_members.csv").read_text(encoding="utf-8").splitlines()[1:]
    ]
    convert_batch(source, tmp_path / "raw" / source.name, form, "zh")
    code = main(["run", "--raw", str(tmp_path / "raw"), "--marts", str(tmp_path / "marts")])
    assert code == 0
    work = tmp_path / "marts" / "_work"
    assert not list(work.glob("*.sources/*"))
    data = b"".join(path.read_bytes() for path in work.glob("*.duckdb"))
    assert ids and not [number for number in ids if number.encode() in data]


def _with_a_bad_file(tmp_path, form, name="survey_households"):
    """A batch in `form` whose file `name` has a bad line 3 (the survey file is read after the
    members', the counties' before)."""
    source = write_batch(tmp_path / "source")
    batch = tmp_path / "raw" / source.name
    convert_batch(source, batch, form, "en")
    next(batch.glob(f"{name}.*")).unlink()
    lines = (source / f"{name}.csv").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",", ",\r", 1)  # a bare carriage return inside line 3
    (batch / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return batch


@pytest.mark.parametrize("form", ["csv-gb18030", "xlsx"])
def test_a_run_failing_after_a_copy_was_made__leaves_no_copy_behind(tmp_path, form, capsys):
    # The members' copy (UTF-8 of a GB18030 file, Parquet of a sheet) holds every name and id
    # number; a later file's bad line stops the run before validation would remove it.
    _with_a_bad_file(tmp_path, form)
    code = main(["run", "--raw", str(tmp_path / "raw"), "--marts", str(tmp_path / "marts")])
    err = capsys.readouterr().err
    assert code == 2 and "survey_households.csv" in err and "line 3" in err, err
    assert not list((tmp_path / "marts" / "_work").glob("*.sources/*"))


@pytest.mark.parametrize("bad", ["survey_households", "counties"])
def test_a_failing_ui_materialization__leaves_no_copy_behind(tmp_path, monkeypatch, bad):
    # "Materialize" on a selection in the UI runs Dagster's implicit asset job, not assess_batch.
    # The survey file fails after the members' copy is made, the counties' file before.
    batch = _with_a_bad_file(tmp_path, "csv-gb18030", bad)
    monkeypatch.setenv("POVEXIT_RAW_DIR", str(tmp_path / "raw"))
    monkeypatch.setenv("POVEXIT_MARTS_DIR", str(tmp_path / "marts"))
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("batch", [batch.name])
        result = job.execute_in_process(
            partition_key=batch.name,
            instance=instance,
            asset_selection=[dg.AssetKey(key) for key in RAW_ASSETS],
            raise_on_error=False,
        )
    failed = {event.step_key for event in result.all_events if event.is_step_failure}
    assert failed == {f"raw_{bad}"}
    assert (tmp_path / "marts" / "_work").is_dir()
    assert not list((tmp_path / "marts" / "_work").glob("*.sources/*"))


def test_a_run_whose_first_file_fails__leaves_no_copy_made_after(tmp_path, capsys):
    # Dagster goes on with the steps that do not need the failed one: the members' copy is
    # made after the counties' step failed (and its hook ran).
    _with_a_bad_file(tmp_path, "csv-gb18030", "counties")
    code = main(["run", "--raw", str(tmp_path / "raw"), "--marts", str(tmp_path / "marts")])
    err = capsys.readouterr().err
    assert code == 2 and "counties.csv" in err and "line 3" in err, err
    assert (tmp_path / "marts" / "_work").is_dir()
    assert not list((tmp_path / "marts" / "_work").glob("*.sources/*"))
