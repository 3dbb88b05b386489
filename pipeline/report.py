"""The county verdict table from the published marts: what `povexit run` prints after a
publish and the Dagster UI shows on county_assessment, and the confidence cell the reports share.

The report itself (`povexit report`: text, markdown, html, xlsx) is `pipeline.brief`.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import duckdb

from pipeline import warehouse
from pipeline.brief.labels import CONFIDENCE_WORDS
from pipeline.errors import InputError


def _pct(value) -> str:
    return "n/a" if value is None else f"{value * 100:.2f}%"


def _money(value) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def open_marts(marts_file: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published marts file, or an InputError saying there is
    none yet."""
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
INDICATOR_NAMES = CONFIDENCE_WORDS["en"]["indicator"]
CONFIDENCE_WIDTH = 34


def confidence_cells(
    con: duckdb.DuckDBPyConnection, batch_id: str, rows: list[tuple], lang: str = "en"
) -> dict:
    """{county_code: its verdict_confidence as the verdict table shows it} (none for marts
    published before SPEC 3.5): see `confidence_cell`."""
    if not _has_table(con, "indicator_confidence"):
        return {}
    indicators: dict[str, list[tuple]] = {}
    for county, *row in con.execute(CONFIDENCE_QUERY, [batch_id]).fetchall():
        indicators.setdefault(county, []).append(tuple(row))
    return {
        row[0]: confidence_cell(row[11], indicators.get(row[0], []), lang)
        for row in rows
        if row[11] is not None
    }


def confidence_cell(verdict_confidence: str, indicators: list[tuple], lang: str = "en") -> str:
    """A county's verdict_confidence in a few words: `confident` or `likely` (the verdict
    column beside it says meets or fails) and the indicator and one-sided 95% bound that decide
    it, e.g. `likely (wrong-exit ≤2.41%)`, `confident (accept ≥97.64%)`.

    Of the indicators in the county's class, a class that meets is decided by the one whose
    bound (upper95; lower95 for acceptance) is nearest its threshold, or has none (`no
    interval`); a class that fails by the one whose bound on the other side is furthest past
    it. `undetermined` names the first empty frame (`empty`), or `no registry` when every
    indicator is decided but the county has no registered person (SPEC 3.5).

    `indicators`: (indicator, confidence, threshold, lower95, upper95) of the county. In
    Chinese (`lang` zh) the same cell reads e.g. `可能（错退率≤2.41%）`.
    """
    words = CONFIDENCE_WORDS[lang]
    names = words["indicator"]
    open_, close, colon = words["open"], words["close"], words["colon"]
    # on a tie (no interval) a survey rate is named before the incidence built from it
    order = ["wrong_exit", "missed", "acceptance", "incidence"]
    if verdict_confidence == "undetermined":
        empty = sorted(
            (order.index(i), names[i])
            for i, confidence, *_ in indicators
            if confidence == "undetermined" and i != "incidence"
        )
        why = f"{empty[0][1]}{colon}{words['empty']}" if empty else words["no registry"]
        return f"{words['undetermined']}{open_}{why}{close}"
    level, side = verdict_confidence.split("_")
    level = words[level]
    candidates = []
    for indicator, confidence, threshold, lower95, upper95 in indicators:
        if confidence != verdict_confidence:
            continue
        name, above = names[indicator], indicator == "acceptance"
        # the rate's worst case for a class that meets, its best case for one that fails
        bound, sign = (lower95, "≥") if above == (side == "meets") else (upper95, "≤")
        if bound is None:
            # no interval: the weakest case for a class that meets, the least clear failure
            text = f"{name}{colon}{words['no interval']}"
            past = float("inf" if side == "meets" else "-inf")
        else:
            # how far the bound sits on the failing side of the threshold, as a share of the
            # room on the passing side: the furthest decides, the weakest indicator of a class
            # that meets and the clearest failure of one that fails
            room = (1 - threshold) if above else threshold
            past = (threshold - bound if above else bound - threshold) / room
            text = f"{name}{words['space']}{sign}{_pct(bound)}"
        candidates.append((past, -order.index(indicator), text))
    if not candidates:
        return level
    return f"{level}{open_}{max(candidates)[2]}{close}"


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
    with open_marts(marts_file) as con:
        rows = county_rows(con, batch_id)
        confidences = confidence_cells(con, batch_id, rows)
    meeting = sum(row[8] == "meets" for row in rows)
    approved = sum(row[9] == "approved" for row in rows)
    return [
        f"{batch_id}: county verdicts",
        *verdict_lines(rows, confidences),
        f"{meeting} of {len(rows)} counties meet the standard; {approved} approved to exit.",
    ]


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Marts published by an older version may lack a table: its section is left out."""
    found = con.execute(
        "select count(*) from duckdb_tables() where table_name = ?", [name]
    ).fetchone()[0]
    return bool(found)
