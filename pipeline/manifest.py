"""A batch's manifest, `batch.toml`: who, which year, which poverty line, which thresholds.

The manifest is strict (SPEC section 1): an unknown key is refused rather than ignored, since a
misspelt threshold that silently falls back to its default would change verdicts unnoticed.
Every fault here is the user's, so every one is an InputError (exit 2) naming the key.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.errors import InputError
from pipeline.privacy import HAN, shown
from pipeline.schemas.registry import BATCH_MANIFEST, ddl
from pipeline.settings import check_batch_id

MANIFEST_FILE = "batch.toml"

TOP_LEVEL_KEYS = (
    "batch_id",
    "province_code",
    "province_name",
    "assessment_year",
    "poverty_line_yuan",
    "thresholds",
    "public_notice",
)
# The official thresholds of 国开办发〔2017〕56号 (SPEC 3.4), the share of a file's rows that may
# be quarantined (SPEC 2) and the monitoring line as a multiple of the poverty line (SPEC 3.6).
DEFAULT_THRESHOLDS = {
    "incidence_max_west": 0.03,
    "incidence_max_central": 0.02,
    "incidence_max_east": 0.02,
    "wrong_exit_rate_max": 0.02,
    "missed_rate_max": 0.02,
    "acceptance_rate_min": 0.90,
    "quarantine_share_max": 0.01,
    "monitoring_income_ratio": 1.5,
}
# A ratio, not a share: the monitoring line may lie above the poverty line, and usually does.
RATIOS = {"monitoring_income_ratio"}
MAX_RATIO = 100.0
PUBLIC_NOTICE_KEYS = ("start", "end")

# Names of earlier manifests, refused with the name that replaced them: read under the old name
# they would be unknown keys, and a batch must not pass on a default its author meant to change.
RENAMED_TOP_LEVEL = {"reject_threshold": "[thresholds] quarantine_share_max"}
RENAMED_THRESHOLDS = {
    "incidence_west": "incidence_max_west",
    "incidence_central": "incidence_max_central",
    "incidence_east": "incidence_max_east",
    "wrong_exit_rate": "wrong_exit_rate_max",
    "missed_rate": "missed_rate_max",
    "acceptance_rate": "acceptance_rate_min",
}

# The line is stored as decimal(12, 2); anything near that limit is a typo, not a poverty line
# (the national line was 2,300 yuan at 2010 prices, about 4,000 in 2020).
POVERTY_LINE_MAX = 1_000_000


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
    quarantine_share_max: float
    monitoring_income_ratio: float
    public_notice_start: dt.date | None = None
    public_notice_end: dt.date | None = None

    def as_row(self) -> dict:
        return asdict(self)


def _require(doc: dict, key: str, kind: type, where: str, table: str = ""):
    name = f"[{table}] {key!r}" if table else repr(key)
    if key not in doc:
        raise InputError(f"{where}: missing key {name}")
    value = doc[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
        raise InputError(f"{where}: {name} must be a {kind.__name__}, found {shown(value)}")
    # TOML spells nan and inf as floats; no count, money or share of a manifest can be either.
    if kind is float and not math.isfinite(value):
        raise InputError(f"{where}: {name} must be a finite number, found {shown(value)}")
    return value


def _table(doc: dict, key: str, where: str) -> dict:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"{where}: {key!r} must be a table ([{key}]), found {shown(value)}")
    return value


def _check_keys(doc: dict, known, renamed: dict[str, str], where: str, table: str = "") -> None:
    """Old names first (their message says what to write instead), then any other unknown key."""
    prefix = f"[{table}] " if table else ""
    for key in doc:
        if key in renamed:
            raise InputError(f"{where}: {prefix}{key!r} was renamed: write {renamed[key]} instead")
    unknown = [key for key in doc if key not in known]
    if unknown:
        raise InputError(
            f"{where}: unknown key {prefix}{shown(unknown[0])}; known: {', '.join(known)}"
        )


def _poverty_line(doc: dict, where: str) -> float:
    line = _require(doc, "poverty_line_yuan", float, where)
    if not 0 < line <= POVERTY_LINE_MAX:
        raise InputError(
            f"{where}: 'poverty_line_yuan' must be above 0 and at most {POVERTY_LINE_MAX:,} "
            f"yuan per person per year, found {line:g}"
        )
    # Stored to the cent: more decimals would be rounded away without a word.
    if round(line, 2) != line:
        raise InputError(
            f"{where}: 'poverty_line_yuan' has more than 2 decimals (yuan and fen), "
            f"found {shown(line)}"
        )
    return line


def _thresholds(doc: dict, where: str) -> dict[str, float]:
    overrides = _table(doc, "thresholds", where)
    _check_keys(overrides, DEFAULT_THRESHOLDS, RENAMED_THRESHOLDS, where, "thresholds")
    values = {}
    for key, default in DEFAULT_THRESHOLDS.items():
        value = _require({key: overrides.get(key, default)}, key, float, where, "thresholds")
        # A monitoring line is a small multiple of the poverty line; far above, a typo (and a
        # line no income column could hold).
        if key in RATIOS and not 0 < value <= MAX_RATIO:
            raise InputError(
                f"{where}: [thresholds] {key!r} must be above 0 and at most {MAX_RATIO:g}, "
                f"found {value:g}"
            )
        if key not in RATIOS and not 0 <= value <= 1:
            raise InputError(
                f"{where}: [thresholds] {key!r} must be a fraction 0..1, found {value:g}"
            )
        values[key] = value
    return values


def _public_notice(doc: dict, where: str) -> tuple[dt.date | None, dt.date | None]:
    notice = _table(doc, "public_notice", where)
    _check_keys(notice, PUBLIC_NOTICE_KEYS, {}, where, "public_notice")
    if "public_notice" not in doc:
        return None, None
    missing = [key for key in PUBLIC_NOTICE_KEYS if key not in notice]
    if missing:
        raise InputError(f"{where}: [public_notice] needs both start and end, {missing[0]} missing")
    dates = []
    for key in PUBLIC_NOTICE_KEYS:
        value = notice[key]
        # A TOML datetime is a date subclass in Python; a notice period is in whole days.
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise InputError(
                f"{where}: [public_notice] {key!r} must be a TOML date such as 2020-11-16 "
                f"(unquoted), found {shown(value)}"
            )
        dates.append(value)
    start, end = dates
    if start > end:
        raise InputError(f"{where}: [public_notice] start {start} is after end {end}")
    return start, end


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
    _check_keys(doc, TOP_LEVEL_KEYS, RENAMED_TOP_LEVEL, where)

    batch_id = _require(doc, "batch_id", str, where)
    if batch_id != batch_dir.name:
        raise InputError(
            f"{where}: batch_id {shown(batch_id)} disagrees with its folder {batch_dir.name!r}"
        )
    check_batch_id(batch_id)
    province_code = _require(doc, "province_code", str, where)
    if not re.fullmatch(r"\d{2}", province_code):
        raise InputError(f"{where}: province_code must be 2 digits, found {shown(province_code)}")
    province_name = _require({"province_name": ""} | doc, "province_name", str, where)
    # Published in batch_summary: in Chinese it must read as a province (贵州省, 广西壮族自治区,
    # 重庆市), which a person's name typed in its place does not.
    if re.search(HAN, province_name) and not re.search("(省|自治区|市)$", province_name):
        raise InputError(
            f"{where}: province_name {shown(province_name)} is no province's name "
            "(in Chinese it ends in 省, 自治区 or 市)"
        )
    year = _require(doc, "assessment_year", int, where)
    if not 2013 <= year <= 2100:
        raise InputError(f"{where}: assessment_year {year} is outside 2013..2100")
    line = _poverty_line(doc, where)
    thresholds = _thresholds(doc, where)
    notice_start, notice_end = _public_notice(doc, where)

    return BatchManifest(
        batch_id=batch_id,
        province_code=province_code,
        province_name=province_name,
        assessment_year=year,
        poverty_line_yuan=line,
        **thresholds,
        public_notice_start=notice_start,
        public_notice_end=notice_end,
    )


def store_manifest(con, manifest: BatchManifest) -> None:
    """The manifest as the one-row table `batch_manifest` that the SQL models read."""
    row = manifest.as_row()
    con.execute('drop table if exists "batch_manifest"')
    con.execute(ddl(BATCH_MANIFEST))
    columns = ", ".join(f'"{name}"' for name in row)
    con.execute(
        f"insert into batch_manifest ({columns}) values ({', '.join('?' * len(row))})",
        list(row.values()),
    )


def quarantine_share_max(con) -> float:
    """The share of a file's rows the batch lets be quarantined (SPEC section 2)."""
    return con.execute("select quarantine_share_max from batch_manifest").fetchone()[0]
