"""Text output from the published marts: the verdict table and the press-release figures."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from types import SimpleNamespace

import duckdb

from pipeline import warehouse
from pipeline.errors import EXIT_PUBLISHED, InputError
from pipeline.settings import marts_path


def _pct(value) -> str:
    return "n/a" if value is None else f"{value * 100:.2f}%"


def _money(value) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _open(marts_file: Path) -> duckdb.DuckDBPyConnection:
    if not marts_file.is_file():
        raise InputError(f"{marts_file}: no published marts yet (run `povexit run` first)")
    return warehouse.connect(marts_file, read_only=True)


COUNTY_QUERY = """
select county_code, county_name, region, comprehensive_incidence, wrong_exit_rate, missed_rate,
    acceptance_rate, exited_sample_income, verdict
from county_assessment where batch_id = ? order by county_code
"""


def county_rows(con: duckdb.DuckDBPyConnection, batch_id: str) -> list[tuple]:
    return con.execute(COUNTY_QUERY, [batch_id]).fetchall()


def verdict_lines(rows: list[tuple]) -> list[str]:
    header = (
        f"{'county':<8}{'name':<{NAME_WIDTH}}{'incidence':>10}{'wrong-exit':>11}{'missed':>9}"
        f"{'accept':>9}{'income':>12}  verdict"
    )
    lines = [header]
    for code, name, _, incidence, wrong, missed, accept, income, verdict in rows:
        lines.append(
            f"{code:<8}{_pad(name)}{_pct(incidence):>10}{_pct(wrong):>11}"
            f"{_pct(missed):>9}{_pct(accept):>9}{_money(income):>12}  {verdict}"
        )
    return lines


def verdict_markdown(con: duckdb.DuckDBPyConnection, batch_id: str) -> str:
    """The county verdicts as a markdown table (the Dagster UI shows it on county_assessment)."""
    cursor = con.execute(COUNTY_QUERY, [batch_id])
    names = [description[0] for description in cursor.description]
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for row in cursor.fetchall():
        cells = [f"{v:.4f}" if isinstance(v, float) else "" if v is None else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


NAME_WIDTH = 24


def _pad(name: str) -> str:
    """The name padded to NAME_WIDTH terminal columns (a Chinese character takes two)."""
    shown = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in name)
    return name + " " * max(1, NAME_WIDTH - shown)


def verdict_summary(marts_file: Path, batch_id: str) -> list[str]:
    """The batch's county verdicts as published, and how many counties meet the standard."""
    with _open(marts_file) as con:
        rows = county_rows(con, batch_id)
    meeting = sum(row[-1] == "meets" for row in rows)
    return [
        f"{batch_id}: county verdicts",
        *verdict_lines(rows),
        f"{meeting} of {len(rows)} counties meet the standard.",
    ]


def print_report(marts: Path, batch_id: str) -> int:
    with _open(marts_path(marts)) as con:
        cursor = con.execute("select * from batch_summary where batch_id = ?", [batch_id])
        row = cursor.fetchone()
        if row is None:
            raise InputError(f"{marts_path(marts)}: no published batch {batch_id!r}")
        # Plain values, not a pandas row: a null stays None ("n/a"), never NaN.
        s = SimpleNamespace(**dict(zip([c[0] for c in cursor.description], row, strict=True)))
        counties = con.execute(
            "select max(comprehensive_incidence), max(wrong_exit_rate), max(missed_rate) "
            "from county_assessment where batch_id = ?",
            [batch_id],
        ).fetchone()
        rejected = con.execute(
            "select count(distinct (source_file, line_number)) from rejected_rows "
            "where batch_id = ?",
            [batch_id],
        ).fetchone()[0]
        print(f"Exit assessment {batch_id} (province {s.province_code}, {s.assessment_year})")
        print(
            f"  counties assessed: {s.counties_assessed}, meeting the standard: "
            f"{s.counties_meeting}"
        )
        print(
            f"  highest comprehensive poverty incidence: {_pct(counties[0])}; "
            f"wrong-exit rate: {_pct(counties[1])}; missed-evaluation rate: {_pct(counties[2])}"
        )
        print(
            f"  public acceptance (pooled): {_pct(s.acceptance_rate)}; "
            f"mean of counties: {_pct(s.mean_county_acceptance)}"
        )
        print(
            f"  surveyed exited households' per-capita net income: "
            f"{_money(s.exited_sample_income)} yuan, {_money(s.income_over_line)} above the "
            f"line of {_money(s.poverty_line_yuan)}, {_money(s.income_over_province)} above "
            f"the provincial registry average of {_money(s.province_registry_income)}"
        )
        print(f"  poverty counties: {s.poverty_counties}, exited: {s.poverty_counties_exited}")
        print(f"  quarantined input rows: {rejected}")
        print()
        print("\n".join(verdict_lines(county_rows(con, batch_id))))
    return EXIT_PUBLISHED
