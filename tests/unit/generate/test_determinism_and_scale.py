"""Same seed and scale give the same bytes; sizes grow linearly with --scale; bad arguments fail."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from pipeline.cli import main as povexit
from pipeline.generate import generate_batch
from tests.unit.generate.conftest import BATCH, connect

FILES = ("batch.toml", "counties.csv", "registry_households.csv", "registry_members.csv",
         "survey_households.csv", "objections.csv")  # fmt: skip
# Full-scale sizes: Guizhou's registry (SPEC section 5) and a rural population a little over
# 36 million, so that 308,000 poor persons at the end of 2019 are 0.85% of it.
REGISTERED_PERSONS, RURAL_POPULATION = 9_230_000, 36_240_000


def digests(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


def test_same_seed_and_scale__byte_identical(generated, tmp_path):
    again = generate_batch(BATCH, tmp_path, scale=0.003, seed=2020)
    assert digests(again) == digests(generated(0.003))


def test_other_seed__other_households(generated):
    first, other = digests(generated(0.001)), digests(generated(0.001, 11))
    assert first["registry_members.csv"] != other["registry_members.csv"]
    assert first["batch.toml"] == other["batch.toml"]


@pytest.mark.parametrize("scale", [0.001, 0.003, 0.01])
def test_sizes_scale_linearly(generated, scale):
    con = connect(generated(scale))
    persons, rural = con.execute(
        "select (select count(*) from registry_members), "
        "(select sum(rural_population::bigint) from counties)"
    ).fetchone()
    assert persons == pytest.approx(REGISTERED_PERSONS * scale, rel=0.03)
    assert rural == pytest.approx(RURAL_POPULATION * scale, rel=0.03)


def test_other_batch_id__guizhou_2020_calibration_under_that_id(generated, tmp_path):
    other = generate_batch("yunnan-2020", tmp_path, scale=0.001, seed=2020)
    assert other == tmp_path / "yunnan-2020"
    reference, written = digests(generated(0.001)), digests(other)
    assert {k: v for k, v in written.items() if k != "batch.toml"} == {
        k: v for k, v in reference.items() if k != "batch.toml"
    }
    manifest = (other / "batch.toml").read_text(encoding="utf-8")
    assert manifest == (generated(0.001) / "batch.toml").read_text(encoding="utf-8").replace(
        BATCH, "yunnan-2020"
    )


def test_replacing_a_batch_leaves_no_working_folders(tmp_path):
    generate_batch(BATCH, tmp_path, scale=0.001, seed=1)
    generate_batch(BATCH, tmp_path, scale=0.001, seed=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [BATCH]
    assert sorted(p.name for p in (tmp_path / BATCH).iterdir()) == sorted(FILES)


def test_cli_generate__writes_the_batch(tmp_path, capsys):
    code = povexit(["generate", "--batch", BATCH, "--scale", "0.001", "--out", str(tmp_path)])
    assert code == 0
    assert sorted(p.name for p in (tmp_path / BATCH).iterdir()) == sorted(FILES)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--batch", "Guizhou 2020"], "invalid batch id"),
        (["--batch", BATCH, "--scale", "0"], "scale must be in (0, 1]"),
        (["--batch", BATCH, "--scale", "1.5"], "scale must be in (0, 1]"),
        (["--batch", BATCH, "--seed", "-1"], "seed must be a non-negative integer"),
        (["--history", "--scale", "0.0005"], "--history needs --scale 0.001 or more"),
    ],
)
def test_cli_generate__bad_arguments_exit_2(tmp_path, capsys, arguments, message):
    assert povexit(["generate", *arguments, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # a batch written twice per form
@pytest.mark.parametrize(("form", "headers"), [("xlsx", "zh"), ("csv-gz", "en")])
def test_other_forms__byte_identical_too(tmp_path, form, headers):
    written = []
    for attempt in ("first", "second"):
        if written:
            time.sleep(1.1)  # a file stamped with the time of writing would now differ
        out = tmp_path / attempt
        arguments = ["generate", "--batch", BATCH, "--scale", "0.001", "--out", str(out)]
        assert povexit([*arguments, "--format", form, "--headers", headers]) == 0
        written.append(
            {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (out / BATCH).iterdir()}
        )
    assert written[0] == written[1] and len(written[0]) == len(FILES)


def test_cli_generate__out_a_file_is_one_line(tmp_path, capsys):
    target = tmp_path / "afile"
    target.write_text("")
    assert povexit(["generate", "--batch", BATCH, "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "--out must be a folder" in err and "Traceback" not in err
