"""A tiny hand-built raw batch that tests edit row by row, written as SPEC section 1 files.

The default batch is valid: two counties in the exit batch (one `west`, one `central`), one
earlier-exited county, a handful of households and persons, and their surveys. Tests change one
thing and assert what the pipeline does with it.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
from pathlib import Path

import tomli_w

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(county: str, birth: str, sequence: int) -> str:
    """A GB 11643 id: county + YYYYMMDD + 3-digit sequence (odd = male) + check character."""
    body = f"{county}{birth}{sequence:03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


COUNTY_COLUMNS = [
    "county_code",
    "county_name",
    "prefecture_code",
    "prefecture_name",
    "region",
    "rural_population",
    "poverty_county",
    "exit_year",
    "in_exit_batch",
]
HOUSEHOLD_COLUMNS = [
    "household_id",
    "county_code",
    "village_code",
    "head_name",
    "head_id_number",
    "household_size",
    "poverty_status",
    "year_registered",
    "year_exited",
    "poverty_cause",
    "per_capita_net_income",
    "relocated",
]
MEMBER_COLUMNS = [
    "household_id",
    "member_no",
    "name",
    "id_number",
    "relation",
    "sex",
    "birth_date",
]
SURVEY_COLUMNS = [
    "survey_id",
    "agency_code",
    "county_code",
    "village_code",
    "survey_date",
    "sample_frame",
    "household_id",
    "household_size",
    "wage_income",
    "operating_income",
    "property_income",
    "transfer_income",
    "production_cost",
    "food_secure",
    "clothing_secure",
    "education_secure",
    "medical_secure",
    "housing_secure",
    "water_secure",
    "acceptance",
]


def _household(hid, county, size, status="exited", exited="2019", income="9000.00"):
    return {
        "household_id": hid,
        "county_code": county,
        "village_code": hid[:12],
        "head_name": "张三",
        "head_id_number": "",
        "household_size": str(size),
        "poverty_status": status,
        "year_registered": "2014",
        "year_exited": exited if status == "exited" else "",
        "poverty_cause": "illness",
        "per_capita_net_income": income,
        "relocated": "false",
    }


def _survey(sid, county, frame, hid, size, wage, **flags):
    row = {
        "survey_id": sid,
        "agency_code": "AG01",
        "county_code": county,
        "village_code": (hid or f"{county}001001")[:12],
        "survey_date": "2020-10-20",
        "sample_frame": frame,
        "household_id": hid or "",
        "household_size": str(size),
        "wage_income": wage,
        "operating_income": "1000.00",
        "property_income": "0.00",
        "transfer_income": "500.00",
        "production_cost": "500.00",
        "acceptance": "accept",
    }
    for name in ("food", "clothing", "education", "medical", "housing", "water"):
        row[f"{name}_secure"] = flags.get(name, "true")
    return row


def default_batch() -> dict:
    counties = [
        {
            "county_code": "529901",
            "county_name": "甲县",
            "prefecture_code": "529900",
            "prefecture_name": "测试州",
            "region": "west",
            "rural_population": "100",
            "poverty_county": "true",
            "exit_year": "",
            "in_exit_batch": "true",
        },
        {
            "county_code": "529902",
            "county_name": "乙县",
            "prefecture_code": "529900",
            "prefecture_name": "测试州",
            "region": "central",
            "rural_population": "80",
            "poverty_county": "true",
            "exit_year": "",
            "in_exit_batch": "true",
        },
        {
            "county_code": "529903",
            "county_name": "丙县",
            "prefecture_code": "529900",
            "prefecture_name": "测试州",
            "region": "west",
            "rural_population": "50",
            "poverty_county": "true",
            "exit_year": "2018",
            "in_exit_batch": "false",
        },
    ]
    households = [
        _household("529901001001000001", "529901", 3),
        _household("529901001001000002", "529901", 2),
        _household("529902001001000001", "529902", 2),
        _household("529903001001000001", "529903", 1, status="poor", income="3000.00"),
    ]
    members = []
    for number, household in enumerate(households):
        county = household["county_code"]
        for member_no in range(1, int(household["household_size"]) + 1):
            birth = f"19{60 + member_no}0{member_no}1{number}"
            sequence = 10 * number + 2 * member_no + 1  # odd: male
            members.append(
                {
                    "household_id": household["household_id"],
                    "member_no": str(member_no),
                    "name": "张三",
                    "id_number": resident_id(county, birth, sequence),
                    "relation": "head" if member_no == 1 else "child",
                    "sex": "M",
                    "birth_date": f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
                }
            )
        household["head_id_number"] = members[-int(household["household_size"])]["id_number"]
    surveys = [
        _survey("S1", "529901", "exited", "529901001001000001", 3, "12000.00"),
        _survey("S2", "529901", "non_registered", None, 2, "9000.00"),
        _survey("S3", "529902", "exited", "529902001001000001", 2, "9000.00"),
        _survey("S4", "529902", "non_registered", None, 4, "20000.00"),
    ]
    return {
        "manifest": {
            "batch_id": "test-2020",
            "province_code": "52",
            "province_name": "测试省",
            "assessment_year": 2020,
            "poverty_line_yuan": 4000,
            "thresholds": {},  # tests set overrides here; an empty table is the defaults
            "public_notice": {"start": dt.date(2020, 11, 16), "end": dt.date(2020, 11, 22)},
        },
        "counties": counties,
        "registry_households": households,
        "registry_members": members,
        "survey_households": surveys,
        # objections.csv with its header alone: no objection; None leaves the file out
        "objections": [],
    }


OBJECTION_COLUMNS = ["objection_id", "county_code", "received_date", "status", "summary"]

COLUMNS = {
    "counties": COUNTY_COLUMNS,
    "registry_households": HOUSEHOLD_COLUMNS,
    "registry_members": MEMBER_COLUMNS,
    "survey_households": SURVEY_COLUMNS,
    "objections": OBJECTION_COLUMNS,
}


def objection(oid: str, county: str, received: str, status: str, summary: str = "") -> dict:
    return {
        "objection_id": oid,
        "county_code": county,
        "received_date": received,
        "status": status,
        "summary": summary,
    }


def write_batch(raw_dir: Path, batch: dict | None = None, batch_id: str | None = None) -> Path:
    """Write `batch` (default: the valid tiny batch) under raw_dir; returns the batch folder."""
    batch = copy.deepcopy(batch or default_batch())
    batch_id = batch_id or batch["manifest"]["batch_id"]
    batch["manifest"]["batch_id"] = batch_id
    folder = raw_dir / batch_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "batch.toml").write_text(tomli_w.dumps(batch["manifest"]), encoding="utf-8")
    for name, columns in COLUMNS.items():
        if batch.get(name) is None:  # an optional table the batch does not have
            continue
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(batch[name])
    return folder


class Unreadable:
    """Makes `Path.open` refuse one file name, as a file system refuses a reader the file's
    mode shuts out (the tests run as root, whom no mode shuts out). `refusing` turns it off."""

    def __init__(self, monkeypatch, name: str):
        self.name, self.refusing = name, True
        opened = Path.open

        def refused(path, *args, **kwargs):
            if path.name == self.name and self.refusing:
                raise PermissionError(13, "Permission denied")
            return opened(path, *args, **kwargs)

        monkeypatch.setattr(Path, "open", refused)
