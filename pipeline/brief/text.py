"""The batch's findings as text or markdown, in English or Chinese: the press-release figures,
the announcement, the county table with confidence and decisions, each agency's findings, and
the province's history.

One document (`report_document`) renders both ways: `render_text` for a terminal (columns
aligned by display width, a Chinese character taking two), `render_markdown` with headings and
tables.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import duckdb

from pipeline.brief import labels
from pipeline.brief.announcement import announcement_text, batch_summary, has_table
from pipeline.report import confidence_cells, county_rows


def _pct(value) -> str:
    return "n/a" if value is None else f"{value * 100:.2f}%"


def _money(value) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _count(value) -> str:
    return "n/a" if value is None else f"{value:,}"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    align: str  # one character a column: `<` left, `>` right


@dataclass
class Section:
    title: str | None = None
    lines: list[str] = field(default_factory=list)
    paragraph: str | None = None
    table: Table | None = None
    # the section as text shows it after its table (markdown shows `table` only)
    text_after: list[str] = field(default_factory=list)


@dataclass
class Document:
    title: str
    sections: list[Section]


# --- the figures at the top ----------------------------------------------------------------

SUMMARY = {
    "en": {
        "title": "Exit assessment {batch_id} (province {province_code}, {assessment_year})",
        "lines": [
            "counties assessed: {counties_assessed}, meeting the standard: {counties_meeting}",
            "highest comprehensive poverty incidence: {incidence}; wrong-exit rate: {wrong}; "
            "missed-evaluation rate: {missed}",
            "public acceptance (pooled): {acceptance}; mean of counties: {mean_acceptance}",
            "surveyed exited households' per-capita net income: {income} yuan, {over_line} "
            "{line_side} the line of {line}, {over_province} {province_side} the provincial "
            "registry average of {province_income}",
            "counties approved to exit: {counties_approved}; public notice: {notice}",
            "poverty counties: {poverty_counties}, exited: {poverty_counties_exited}",
            "agencies: {agencies}, recommending every county they assessed: "
            "{agencies_recommending}; households to monitor: {households_to_monitor}",
            "quarantined input rows: {rejected}",
        ],
        "notice": "{start} to {end}",
        "no_notice": "not given",
        "sides": ("above", "below"),
    },
    "zh": {
        "title": "{province_name}{assessment_year}年贫困县退出评估（批次 {batch_id}，"
        "省代码 {province_code}）",
        "lines": [
            "评估县数：{counties_assessed}，达标县数：{counties_meeting}",
            "综合贫困发生率最高：{incidence}；错退率最高：{wrong}；漏评率最高：{missed}",
            "群众认可度（全部调查户）：{acceptance}；各县平均：{mean_acceptance}",
            "抽查脱贫户人均纯收入：{income}元，{line_side}贫困线（{line}元）{over_line}元，"
            "{province_side}全省建档立卡户平均（{province_income}元）{over_province}元",
            "批准退出县数：{counties_approved}；公示期：{notice}",
            "贫困县数：{poverty_counties}，已摘帽：{poverty_counties_exited}",
            "评估机构数：{agencies}，建议其评估的各县全部退出的机构数：{agencies_recommending}；"
            "防返贫监测户数：{households_to_monitor}",
            "隔离的输入行数：{rejected}",
        ],
        "notice": "{start}至{end}",
        "no_notice": "未公示",
        "sides": ("高于", "低于"),
    },
}


def _magnitude(value):
    return None if value is None else abs(value)


def _side(value, sides: tuple[str, str]) -> str:
    return sides[1] if value is not None and value < 0 else sides[0]


def _summary(con: duckdb.DuckDBPyConnection, batch_id: str, lang: str) -> tuple[str, Section]:
    s = batch_summary(con, batch_id)
    worst = con.execute(
        "select max(comprehensive_incidence), max(wrong_exit_rate), max(missed_rate) "
        "from county_assessment where batch_id = ?",
        [batch_id],
    ).fetchone()
    rejected = con.execute(
        "select count(distinct (source_file, line_number)) from rejected_rows where batch_id = ?",
        [batch_id],
    ).fetchone()[0]
    words = SUMMARY[lang]
    start, end = s.get("public_notice_start"), s.get("public_notice_end")
    values = {
        **s,
        "province_name": labels.province(s.get("province_code"), s.get("province_name"), lang),
        "incidence": _pct(worst[0]),
        "wrong": _pct(worst[1]),
        "missed": _pct(worst[2]),
        "acceptance": _pct(s.get("acceptance_rate")),
        "mean_acceptance": _pct(s.get("mean_county_acceptance")),
        "income": _money(s.get("exited_sample_income")),
        # a difference below is said so, not written as a negative amount "above"
        "over_line": _money(_magnitude(s.get("income_over_line"))),
        "line_side": _side(s.get("income_over_line"), words["sides"]),
        "line": _money(s.get("poverty_line_yuan")),
        "over_province": _money(_magnitude(s.get("income_over_province"))),
        "province_side": _side(s.get("income_over_province"), words["sides"]),
        "province_income": _money(s.get("province_registry_income")),
        "notice": words["notice"].format(start=start, end=end) if start else words["no_notice"],
        "rejected": rejected,
    }
    # marts published before a column existed: it reads n/a
    for name in ("counties_approved", "agencies", "agencies_recommending"):
        values.setdefault(name, None)
    values["households_to_monitor"] = s.get("households_to_monitor")
    values = {key: ("n/a" if value is None else value) for key, value in values.items()}
    return (
        words["title"].format(**values),
        Section(lines=[line.format(**values) for line in words["lines"]]),
    )


# --- the tables ----------------------------------------------------------------------------

COUNTY_COLUMNS = (
    "county_code",
    "county_name",
    "comprehensive_incidence",
    "wrong_exit_rate",
    "missed_rate",
    "acceptance_rate",
    "exited_sample_income",
    "verdict",
    "verdict_confidence",
    "decision",
)


def _counties(con: duckdb.DuckDBPyConnection, batch_id: str, lang: str) -> Section:
    rows = county_rows(con, batch_id)
    confidences = confidence_cells(con, batch_id, rows, lang)
    open_, close = ("（", "）") if lang == "zh" else (" (", ")")
    cells = []
    for row in rows:
        code, name, _, incidence, wrong, missed, accept, income, verdict, decision, reason, _ = row
        decided = labels.value("decision", decision, lang)
        if reason is not None:
            decided += f"{open_}{labels.value('decision_reason', reason, lang)}{close}"
        cells.append(
            [
                code,
                name,
                _pct(incidence),
                _pct(wrong),
                _pct(missed),
                _pct(accept),
                _money(income),
                labels.value("verdict", verdict, lang),
                confidences.get(code, "n/a"),
                decided,
            ]
        )
    headers = [labels.header("county_assessment", column, lang) for column in COUNTY_COLUMNS]
    return Section(title=labels.title("counties", lang), table=Table(headers, cells, "<<>>>>><<<"))


AGENCY_QUERY = """
select agency_code, county_code, surveyed_households, comprehensive_incidence, wrong_exit_rate,
    missed_rate, acceptance_rate, recommends_exit
from agency_findings where batch_id = ? order by agency_code, county_code
"""
AGENCY_COLUMNS = (
    "agency_code",
    "county_code",
    "surveyed_households",
    "comprehensive_incidence",
    "wrong_exit_rate",
    "missed_rate",
    "acceptance_rate",
    "recommends_exit",
)
NOT_COMPUTED = {"en": "n/a (a rate cannot be computed)", "zh": "无法判断（有指标无法计算）"}


def _agencies(con: duckdb.DuckDBPyConnection, batch_id: str, lang: str) -> Section | None:
    """Each agency's findings on its own households, county by county (agency_findings)."""
    rows = con.execute(AGENCY_QUERY, [batch_id]).fetchall()
    if not rows:
        return None
    said = {**labels.BOOLEANS[lang], None: NOT_COMPUTED[lang]}
    cells = [
        [
            agency,
            county,
            _count(households),
            _pct(incidence),
            _pct(wrong),
            _pct(missed),
            _pct(accept),
            said[recommends],
        ]
        for agency, county, households, incidence, wrong, missed, accept, recommends in rows
    ]
    headers = [labels.header("agency_findings", column, lang) for column in AGENCY_COLUMNS]
    return Section(title=labels.title("agencies", lang), table=Table(headers, cells, "<<>>>>><"))


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
HISTORY_COLUMNS = (
    "assessment_year",
    "batch",
    "counties_assessed",
    "counties_approved",
    "exited_of",
    "remaining_poor",
    "registry_incidence",
    "wrong_exit_persons_found",
    "missed_persons_found",
    "zero_error_years",
)


def _history(con: duckdb.DuckDBPyConnection, batch_id: str, lang: str) -> list[Section]:
    """The province's rounds up to this batch's (province_progress), and the persons in poverty
    at each year's end as this batch's registry tells it (poverty_trajectory)."""
    if not (has_table(con, "province_progress") and has_table(con, "poverty_trajectory")):
        return []
    rounds = con.execute(HISTORY_QUERY, [batch_id]).fetchall()
    if not rounds:
        return []
    cells = [
        [
            str(year),
            batch,
            _count(assessed),
            _count(approved),
            f"{_count(exited)}/{_count(poverty)}",
            _count(poor),
            _pct(incidence),
            _count(wrong),
            _count(missed),
            _count(streak),
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
        ) in rounds
    ]
    headers = [labels.header("province_progress", column, lang) for column in HISTORY_COLUMNS]
    sections = [
        Section(title=labels.title("history", lang), table=Table(headers, cells, "<<>>>>>>>>"))
    ]
    trajectory = con.execute(
        "select year, persons_in_poverty from poverty_trajectory where batch_id = ? order by year",
        [batch_id],
    ).fetchall()
    if trajectory:
        year_word = "年" if lang == "zh" else ""
        colon = "：" if lang == "zh" else ": "
        headers = [
            labels.header("poverty_trajectory", column, lang)
            for column in ("year", "persons_in_poverty")
        ]
        sections.append(
            Section(
                title=labels.title("trajectory", lang, batch_id=batch_id),
                table=Table(headers, [[str(y), _count(p)] for y, p in trajectory], "<>"),
                text_after=[
                    "  " + "  ".join(f"{y}{year_word}{colon}{_count(p)}" for y, p in trajectory)
                ],
            )
        )
    return sections


def report_document(con: duckdb.DuckDBPyConnection, batch_id: str, lang: str) -> Document:
    """The batch's findings, as text and markdown both show them."""
    labels.check_lang(lang)
    title, summary = _summary(con, batch_id, lang)
    sections = [
        summary,
        Section(
            title=labels.title("announcement", lang),
            paragraph=announcement_text(con, batch_id, lang),
        ),
        _counties(con, batch_id, lang),
    ]
    agencies = _agencies(con, batch_id, lang)
    if agencies is not None:
        sections.append(agencies)
    sections.extend(_history(con, batch_id, lang))
    return Document(title, sections)


# --- rendering -----------------------------------------------------------------------------


def width(text: str) -> int:
    """Terminal columns of `text`: a wide (Chinese) character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _aligned(text: str, size: int, align: str) -> str:
    room = " " * max(0, size - width(text))
    return room + text if align == ">" else text + room


def table_lines(table: Table, gap: int = 2) -> list[str]:
    """The table as aligned text columns."""
    sizes = [
        max(width(cell) for cell in column)
        for column in zip(table.headers, *table.rows, strict=True)
    ]
    lines = []
    for row in [table.headers, *table.rows]:
        cells = [
            _aligned(cell, size, align)
            for cell, size, align in zip(row, sizes, table.align, strict=True)
        ]
        lines.append((" " * gap).join(cells).rstrip())
    return lines


def render_text(document: Document) -> str:
    out = [document.title]
    for number, section in enumerate(document.sections):
        if number:
            out.append("")
        if section.title:
            out.append(section.title)
        out.extend(f"  {line}" for line in section.lines)
        if section.paragraph is not None:
            out.append(section.paragraph)
        if section.text_after:
            out.extend(section.text_after)
        elif section.table is not None:
            out.extend(table_lines(section.table))
    return "\n".join(out)


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(document: Document) -> str:
    out = [f"# {_md_cell(document.title)}"]
    for section in document.sections:
        out.append("")
        if section.title:
            out.extend([f"## {section.title}", ""])
        out.extend(f"- {line}" for line in section.lines)
        if section.paragraph is not None:
            out.append(section.paragraph)
        if section.table is not None:
            table = section.table
            out.append("| " + " | ".join(_md_cell(h) for h in table.headers) + " |")
            out.append("|" + "|".join("---:" if a == ">" else "---" for a in table.align) + "|")
            out.extend(
                "| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in table.rows
            )
    return "\n".join(out) + "\n"


def text_report(con: duckdb.DuckDBPyConnection, batch_id: str, lang: str) -> str:
    return render_text(report_document(con, batch_id, lang))


def markdown_report(con: duckdb.DuckDBPyConnection, batch_id: str, lang: str) -> str:
    return render_markdown(report_document(con, batch_id, lang))
