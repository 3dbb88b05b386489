"""A batch's manifest, `batch.toml`: who, which year, which poverty line, which thresholds."""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.errors import InputError
from pipeline.settings import check_batch_id

MANIFEST_FILE = "batch.toml"

# The official thresholds of 国开办发〔2017〕56号 (SPEC 3.4); a manifest may override any of them.
OFFICIAL_THRESHOLDS = {
    "incidence_west": 0.03,
    "incidence_central": 0.02,
    "incidence_east": 0.02,
    "wrong_exit_rate": 0.02,
    "missed_rate": 0.02,
    "acceptance_rate": 0.90,
}
# Share of a file's rows that may be quarantined before the batch publishes nothing.
DEFAULT_REJECT_THRESHOLD = 0.01


@dataclass(frozen=True)
class BatchManifest:
    batch_id: str
    province_code: str
    province_name: str
    assessment_year: int
    poverty_line_yuan: float
    incidence_max_west: float
    incidence_max_central: float
    incidence_max_east: float
    wrong_exit_rate_max: float
    missed_rate_max: float
    acceptance_rate_min: float
    reject_threshold: float

    def as_row(self) -> dict:
        return asdict(self)


def _require(doc: dict, key: str, kind: type, where: str):
    if key not in doc:
        raise InputError(f"{where}: missing key {key!r}")
    value = doc[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
        raise InputError(f"{where}: {key!r} must be a {kind.__name__}, found {value!r}")
    return value


def read_manifest(batch_dir: Path) -> BatchManifest:
    """Parse and check `batch.toml` of a batch folder; any problem is an InputError."""
    path = batch_dir / MANIFEST_FILE
    where = str(path)
    if not path.is_file():
        raise InputError(f"{where}: missing (every batch folder needs a batch.toml)")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{where}: not valid TOML ({error})") from None

    batch_id = _require(doc, "batch_id", str, where)
    if batch_id != batch_dir.name:
        raise InputError(
            f"{where}: batch_id {batch_id!r} disagrees with its folder {batch_dir.name!r}"
        )
    check_batch_id(batch_id)
    province_code = _require(doc, "province_code", str, where)
    if not re.fullmatch(r"\d{2}", province_code):
        raise InputError(f"{where}: province_code must be 2 digits, found {province_code!r}")
    year = _require(doc, "assessment_year", int, where)
    if not 2013 <= year <= 2100:
        raise InputError(f"{where}: assessment_year {year} is outside 2013..2100")
    line = _require(doc, "poverty_line_yuan", float, where)
    if line <= 0:
        raise InputError(f"{where}: poverty_line_yuan must be positive, found {line}")

    overrides = doc.get("thresholds", {})
    if not isinstance(overrides, dict):
        raise InputError(f"{where}: [thresholds] must be a table")
    unknown = sorted(set(overrides) - set(OFFICIAL_THRESHOLDS))
    if unknown:
        raise InputError(
            f"{where}: unknown threshold {unknown[0]!r}; known: {', '.join(OFFICIAL_THRESHOLDS)}"
        )
    thresholds = {
        key: _require({**OFFICIAL_THRESHOLDS, **overrides}, key, float, where + " [thresholds]")
        for key in OFFICIAL_THRESHOLDS
    }
    for key, value in thresholds.items():
        if not 0 <= value <= 1:
            raise InputError(f"{where}: threshold {key} must be a fraction 0..1, found {value}")
    reject_threshold = doc.get("reject_threshold", DEFAULT_REJECT_THRESHOLD)
    reject_threshold = _require(
        {"reject_threshold": reject_threshold}, "reject_threshold", float, where
    )
    if not 0 <= reject_threshold <= 1:
        raise InputError(f"{where}: reject_threshold must be a fraction 0..1")

    return BatchManifest(
        batch_id=batch_id,
        province_code=province_code,
        province_name=str(doc.get("province_name", "")),
        assessment_year=year,
        poverty_line_yuan=line,
        incidence_max_west=thresholds["incidence_west"],
        incidence_max_central=thresholds["incidence_central"],
        incidence_max_east=thresholds["incidence_east"],
        wrong_exit_rate_max=thresholds["wrong_exit_rate"],
        missed_rate_max=thresholds["missed_rate"],
        acceptance_rate_min=thresholds["acceptance_rate"],
        reject_threshold=reject_threshold,
    )


def store_manifest(con, manifest: BatchManifest) -> None:
    """The manifest as the one-row table `batch_manifest` that the SQL models read."""
    row = manifest.as_row()
    con.execute(
        """
        create or replace table batch_manifest (
            batch_id varchar, province_code varchar, province_name varchar,
            assessment_year integer, poverty_line_yuan decimal(12, 2),
            incidence_max_west double, incidence_max_central double, incidence_max_east double,
            wrong_exit_rate_max double, missed_rate_max double, acceptance_rate_min double,
            reject_threshold double
        )
        """
    )
    con.execute(
        f"insert into batch_manifest values ({', '.join('?' * len(row))})", list(row.values())
    )
