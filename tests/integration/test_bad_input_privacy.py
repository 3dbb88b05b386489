"""The whole bad-input collection run end to end: no id number and no name gets out.

Each case damages a copy of the tiny batch, with generated names for every person, the way a
hostile or careless export would: ids and names typed into other columns, a lost header, an
unclosed quote, a multi-line value, a truncated gzip. Every case runs through `povexit run`
with --debug (the most talkative logs) on a real Dagster instance, so the event log is on disk.
Then the published marts, the captured output and logs, and every byte under DAGSTER_HOME are
searched for the batch's id numbers, its names, and anything id-shaped.
"""

from __future__ import annotations

import gzip
import logging
import re

import duckdb
import numpy as np
import pytest

from pipeline.cli import main
from pipeline.generate.names import draw_surnames, full_names
from pipeline.privacy import id_pattern
from tests.batch_builder import default_batch, write_batch
from tests.integration.test_bad_files import CASES as UNUSABLE_FILES

pytestmark = pytest.mark.slow

A_NAME_ID = "520402199503310012"  # typed into columns where no id belongs


def _named_batch() -> dict:
    """The tiny batch with a generated name for every person and head."""
    batch = default_batch()
    rng = np.random.default_rng(8)
    members = batch["registry_members"]
    names = full_names(rng, draw_surnames(rng, len(members)), np.ones(len(members), bool))
    for member, name in zip(members, names.to_pylist(), strict=True):
        member["name"] = name
    heads = {m["household_id"]: m["name"] for m in members if m["member_no"] == "1"}
    for household in batch["registry_households"]:
        household["head_name"] = heads[household["household_id"]]
    batch["manifest"]["thresholds"]["quarantine_share_max"] = 1.0  # publish what it can
    return batch


def _rewrite(folder, table, edit):
    path = folder / f"{table}.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    edit(lines)
    path.write_text("\n".join(lines), encoding="utf-8")


def _name_as_relation(batch, folder):
    batch["registry_members"][0]["relation"] = batch["registry_members"][1]["name"]


def _id_as_survey_household(batch, folder):
    batch["survey_households"][0]["household_id"] = batch["registry_members"][0]["id_number"]


def _id_as_county_name(batch, folder):
    batch["counties"][2]["county_name"] = A_NAME_ID


def _id_as_survey_id(batch, folder):
    batch["survey_households"][1]["survey_id"] = batch["registry_members"][2]["id_number"]


def _bad_check_digit(batch, folder):
    member = batch["registry_members"][3]
    member["id_number"] = member["id_number"][:-1] + (
        "0" if member["id_number"][-1] != "0" else "1"
    )


def _member_overflow(batch, folder):
    batch["registry_members"][0]["member_no"] = "3000000000"


def _swapped_name_and_household_headers(batch, folder):
    def swap(lines):
        lines[0] = lines[0].replace("household_id", "@").replace("name", "household_id")
        lines[0] = lines[0].replace("@", "name")

    _rewrite(folder, "registry_members", swap)


def _multiline_agency(batch, folder):
    member = batch["registry_members"][0]
    batch["survey_households"][2]["agency_code"] = f"{member['name']}\n{member['id_number']}"


def _id_and_name_as_extra_headers(batch, folder):
    member = batch["registry_members"][0]

    def extra(lines):
        lines[0] += f",{member['id_number']},{member['name']}"
        lines[1:] = [line + ",a,b" if line else line for line in lines[1:]]

    _rewrite(folder, "survey_households", extra)


def _unclosed_quote_near_the_end(batch, folder):
    def unclose(lines):
        lines[-3] = lines[-3].rsplit(",", 1)[0] + ',"1995-03-31'

    _rewrite(folder, "registry_members", unclose)


def _header_line_deleted(batch, folder):
    _rewrite(folder, "registry_members", lambda lines: lines.pop(0))


def _header_only(batch, folder):
    _rewrite(folder, "registry_members", lambda lines: lines.__delitem__(slice(1, None)))


def _truncated_gzip(batch, folder):
    path = folder / "registry_members.csv"
    header, *rows = path.read_text(encoding="utf-8").strip().split("\n")
    packed = gzip.compress("\n".join([header, *rows * 300]).encode())
    (folder / "registry_members.csv.gz").write_bytes(packed[: len(packed) * 2 // 3])
    path.unlink()


# Damage to the rows before writing: independent of each other, so one batch (one run) holds
# them all, and each must come out as a masked quarantine value.
ROW_DAMAGE = [
    _name_as_relation,
    _id_as_survey_household,
    _id_as_county_name,
    _id_as_survey_id,
    _bad_check_digit,
    _member_overflow,
    _multiline_agency,
]
# Damage to the written files that still lets the batch run: one batch for both.
HEADER_DAMAGE = [_swapped_name_and_household_headers, _id_and_name_as_extra_headers]
# Damage that stops the batch (exit 2): a batch each.
FATAL_DAMAGE = [_unclosed_quote_near_the_end, _header_line_deleted, _header_only, _truncated_gzip]


def _secrets(batch) -> set[str]:
    found = set()
    for member in batch["registry_members"]:
        found |= {member["name"], member["id_number"]}
    for household in batch["registry_households"]:
        found |= {household["head_name"], household["head_id_number"]}
    return found


def test_bad_input_collection__no_personal_data_leaves_ingestion(
    folders, tmp_path, monkeypatch, capsys, caplog
):
    raw, marts = folders
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    caplog.set_level(logging.DEBUG)

    secrets: set[str] = set()
    codes = {}
    # The unusable-file collection too: each stops before Dagster, with one message to search.
    for number, (damage, _) in enumerate(UNUSABLE_FILES.values()):
        batch = _named_batch()
        batch_id = f"unusable-{number:02d}"
        folder = write_batch(raw, batch, batch_id=batch_id)
        damage(folder)
        if (folder / "batch.toml").read_text(encoding="utf-8").find(batch_id) < 0:
            continue  # a case that rewrites the manifest names another batch: not runnable here
        secrets |= _secrets(batch)
        codes[f"unusable {number}"] = main(["--debug", "run", "--batch", batch_id])
        (raw / batch_id).rename(tmp_path / batch_id)
    cases = [("rows", ROW_DAMAGE, []), ("headers", [], HEADER_DAMAGE)]
    cases += [(damage.__name__.strip("_"), [], [damage]) for damage in FATAL_DAMAGE]
    for name, row_damage, file_damage in cases:
        batch = _named_batch()
        for damage in row_damage:
            damage(batch, None)
        folder = write_batch(raw, batch, batch_id=f"bad-{name.replace('_', '-')}")
        for damage in file_damage:
            damage(batch, folder)
        secrets |= _secrets(batch)
        codes[name] = main(["--debug", "run", "--batch", folder.name])
        # A stopped batch would stop the next runs' preflight of every folder: set it aside.
        if codes[name] == 2:
            folder.rename(tmp_path / folder.name)

    assert all(code == 2 for name, code in codes.items() if name.startswith("unusable")), codes
    assert [codes[damage.__name__.strip("_")] for damage in FATAL_DAMAGE] == [2, 2, 2, 2]
    assert codes["rows"] == 0 and codes["headers"] in (0, 1), codes

    captured = capsys.readouterr()
    seen = [captured.out, captured.err, caplog.text]
    with duckdb.connect(str(marts / "exit_assessment.duckdb"), read_only=True) as con:
        for (table,) in con.execute("show tables").fetchall():
            seen.append(str(con.execute(f'select * from "{table}"').fetchall()))
        masked = {v for (v,) in con.execute("select masked_value from rejected_rows").fetchall()}
    for path in home.rglob("*"):
        if path.is_file():
            seen.append(path.read_bytes().decode("utf-8", errors="replace"))
    everything = "\n".join(seen)

    assert "5204**********0012" in masked  # the id typed as a county name, shown masked
    assert "**" in masked  # a name typed as a relation
    leaked = sorted(secret for secret in secrets if secret and secret in everything)
    assert leaked == []
    assert re.findall(id_pattern(), everything) == []
    assert len(everything) > 100_000  # the event logs were there to search
