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
    acceptance_rate, exited_sample_income, verdict, decision, decision_reason, verdict_confidence
from county_assessment where batch_id = ? order by county_code
"""
# Marts published before SPEC 3.5 have no confidence: their column reads null.
OLD_COUNTY_QUERY = COUNTY_QUERY.replace("verdict_confidence", "null as verdict_confidence")


def county_rows(con: duckdb.DuckDBPyConnection, batch_id: str) -> list[tuple]:
    query = COUNTY_QUERY if _has_table(con, "indicator_confidence") else OLD_COUNTY_QUERY
    return con.execute(query, [batch_id]).fetchall()


CONFIDENCE_QUERY = """
select county_code, indicator, confidence, threshold, lower95, upper95
from indicator_confidence where batch_id = ?
"""
# The indicators as the verdict table names them, in its order.
INDICATOR_NAMES = {
    "incidence": "incidence",
    "wrong_exit": "wrong-exit",
    "missed": "missed",
    "acceptance": "accept",
}
CONFIDENCE_WIDTH = 34


def confidence_cells(con: duckdb.DuckDBPyConnection, batch_id: str, rows: list[tuple]) -> dict:
    """{county_code: its verdict_confidence as the verdict table shows it} (none for marts
    published before SPEC 3.5): see `confidence_cell`."""
    if not _has_table(con, "indicator_confidence"):
        return {}
    indicators: dict[str, list[tuple]] = {}
    for county, *row in con.execute(CONFIDENCE_QUERY, [batch_id]).fetchall():
        indicators.setdefault(county, []).append(tuple(row))
    return {
        row[0]: confidence_cell(row[11], indicators.get(row[0], []))
        for row in rows
        if row[11] is not None
    }


def confidence_cell(verdict_confidence: str, indicators: list[tuple]) -> str:
    """A county's verdict_confidence in a few words: `confident` or `likely` (the verdict
    column beside it says meets or fails) and the indicator and one-sided 95% bound that decide
    it, e.g. `likely (wrong-exit ≤2.41%)`, `confident (accept ≥97.64%)`.

    Of the indicators in the county's class, a class that meets is decided by the one whose
    bound (upper95; lower95 for acceptance) is nearest its threshold, or has none (`no
    interval`); a class that fails by the one whose bound on the other side is furthest past
    it. `undetermined` names the first empty frame (`empty`), or `no registry` when every
    indicator is decided but the county has no registered person (SPEC 3.5).

    `indicators`: (indicator, confidence, threshold, lower95, upper95) of the county.
    """
    # on a tie (no interval) a survey rate is named before the incidence built from it
    order = ["wrong_exit", "missed", "acceptance", "incidence"]
    if verdict_confidence == "undetermined":
        empty = sorted(
            (order.index(i), INDICATOR_NAMES[i])
            for i, confidence, *_ in indicators
            if confidence == "undetermined" and i != "incidence"
        )
        return f"undetermined ({empty[0][1]}: empty)" if empty else "undetermined (no registry)"
    level, side = verdict_confidence.split("_")
    candidates = []
    for indicator, confidence, threshold, lower95, upper95 in indicators:
        if confidence != verdict_confidence:
            continue
        name, above = INDICATOR_NAMES[indicator], indicator == "acceptance"
        # the rate's worst case for a class that meets, its best case for one that fails
        bound, sign = (lower95, "≥") if above == (side == "meets") else (upper95, "≤")
        if bound is None:
            # no interval: the weakest case for a class that meets, the least clear failure
            text, past = f"{name}: no interval", float("inf" if side == "meets" else "-inf")
        else:
            # how far the bound sits on the failing side of the threshold, as a share of the
            # room on the passing side: the furthest decides, the weakest indicator of a class
            # that meets and the clearest failure of one that fails
            room = (1 - threshold) if above else threshold
            past = (threshold - bound if above else bound - threshold) / room
            text = f"{name} {sign}{_pct(bound)}"
        candidates.append((past, -order.index(indicator), text))
    if not candidates:
        return level
    return f"{level} ({max(candidates)[2]})"


def verdict_lines(rows: list[tuple], confidences: dict[str, str] | None = None) -> list[str]:
    confidences = confidences or {}
    header = (
        f"{'county':<8}{'name':<{NAME_WIDTH}}{'incidence':>10}{'wrong-exit':>11}{'missed':>9}"
        f"{'accept':>9}{'income':>12}  {'verdict':<19}{'confidence':<{CONFIDENCE_WIDTH}}decision"
    )
    lines = [header]
    for row in rows:
        code, name, _, incidence, wrong, missed, accept, income, verdict, decision, reason, _ = row
        decided = decision if reason is None else f"{decision} ({reason})"
        sure = confidences.get(code, "n/a")
        lines.append(
            f"{code:<8}{_pad(name)}{_pct(incidence):>10}{_pct(wrong):>11}"
            f"{_pct(missed):>9}{_pct(accept):>9}{_money(income):>12}  {verdict:<19}"
            f"{sure:<{CONFIDENCE_WIDTH}}{decided}"
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
        confidences = confidence_cells(con, batch_id, rows)
    meeting = sum(row[8] == "meets" for row in rows)
    approved = sum(row[9] == "approved" for row in rows)
    return [
        f"{batch_id}: county verdicts",
        *verdict_lines(rows, confidences),
        f"{meeting} of {len(rows)} counties meet the standard; {approved} approved to exit.",
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
        print(
            f"  counties approved to exit: {s.counties_approved}; public notice: "
            + (
                f"{s.public_notice_start} to {s.public_notice_end}"
                if s.public_notice_start
                else "not given"
            )
        )
        print(f"  poverty counties: {s.poverty_counties}, exited: {s.poverty_counties_exited}")
        print(
            f"  agencies: {s.agencies}, recommending every county they assessed: "
            f"{s.agencies_recommending}; households to monitor: {s.households_to_monitor}"
        )
        print(f"  quarantined input rows: {rejected}")
        print()
        rows = county_rows(con, batch_id)
        print("\n".join(verdict_lines(rows, confidence_cells(con, batch_id, rows))))
        for section in (agency_lines(con, batch_id), history_lines(con, batch_id)):
            if section:
                print()
                print("\n".join(section))
    return EXIT_PUBLISHED


AGENCY_QUERY = """
select agency_code, county_code, surveyed_households, wrong_exit_rate, missed_rate,
    comprehensive_incidence, acceptance_rate, recommends_exit
from agency_findings where batch_id = ? order by agency_code, county_code
"""


def agency_lines(con: duckdb.DuckDBPyConnection, batch_id: str) -> list[str]:
    """Each agency's findings on its own households, county by county (agency_findings)."""
    rows = con.execute(AGENCY_QUERY, [batch_id]).fetchall()
    if not rows:
        return []
    lines = [
        "Agencies' findings on their own households (agency_findings)",
        f"{'agency':<8}{'county':<8}{'households':>11}{'incidence':>10}{'wrong-exit':>11}"
        f"{'missed':>9}{'accept':>9}  recommends exit",
    ]
    for agency, county, households, wrong, missed, incidence, accept, recommends in rows:
        said = {True: "yes", False: "no"}.get(recommends, "n/a (a rate cannot be computed)")
        lines.append(
            f"{agency:<8}{county:<8}{households:>11,}{_pct(incidence):>10}{_pct(wrong):>11}"
            f"{_pct(missed):>9}{_pct(accept):>9}  {said}"
        )
    return lines


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Marts published by an older version may lack a table: its section is left out."""
    found = con.execute(
        "select count(*) from duckdb_tables() where table_name = ?", [name]
    ).fetchone()[0]
    return bool(found)


HISTORY_QUERY = """
select later.assessment_year, later.batch_id, later.counties_assessed, later.counties_approved,
    later.poverty_counties_exited, later.poverty_counties, later.remaining_poor,
    later.registry_incidence, later.wrong_exit_persons_found, later.missed_persons_found,
    later.zero_error_years
from province_progress as this
join province_progress as later
    on later.province_code = this.province_code and later.assessment_year <= this.assessment_year
where this.batch_id = ?
order by later.assessment_year, later.batch_id
"""


def history_lines(con: duckdb.DuckDBPyConnection, batch_id: str) -> list[str]:
    """The province's rounds up to this batch's (province_progress), and the persons in poverty
    at each year's end as this batch's registry tells it (poverty_trajectory)."""
    if not (_has_table(con, "province_progress") and _has_table(con, "poverty_trajectory")):
        return []
    rounds = con.execute(HISTORY_QUERY, [batch_id]).fetchall()
    if not rounds:
        return []
    lines = [
        "History of the province (province_progress)",
        f"{'year':<6}{'batch':<18}{'assessed':>9}{'approved':>9}{'exited':>10}"
        f"{'remaining poor':>16}{'incidence':>10}{'wrong exits':>12}{'missed':>8}"
        f"{'zero-error years':>18}",
    ]
    for (
        year,
        batch,
        assessed,
        approved,
        exited,
        poverty,
        poor,
        incidence,
        wrong,
        missed,
        streak,
    ) in rounds:
        lines.append(
            f"{year:<6}{batch:<18}{assessed:>9}{_count(approved):>9}"
            f"{f'{_count(exited)}/{_count(poverty)}':>10}{_count(poor):>16}{_pct(incidence):>10}"
            f"{_count(wrong):>12}{_count(missed):>8}{streak:>18}"
        )
    trajectory = con.execute(
        "select year, persons_in_poverty from poverty_trajectory where batch_id = ? order by year",
        [batch_id],
    ).fetchall()
    if trajectory:
        lines.append("")
        lines.append(f"Persons in poverty at the end of each year, from {batch_id}'s registry")
        lines.append("  " + "  ".join(f"{year}: {_count(persons)}" for year, persons in trajectory))
    return lines


def _count(value) -> str:
    return "n/a" if value is None else f"{value:,}"
