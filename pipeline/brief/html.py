"""The HTML brief: one self-contained page that works offline (inline CSS, charts as inline SVG,
system fonts, no script, no request), every number read from a published mart.

`write_html(con, batch_id, lang, path)` reads the batch's marts through `con` (a read-only
connection to the published marts file), fills `templates/brief.html.j2` (Jinja2, autoescaped)
and writes the page. A section whose mart is missing (marts published by an older version) is
left out. A Content-Security-Policy in the page forbids every fetch, so a page that asked for
anything would show it as an error in the browser's console (tests/integration/
test_brief_browser.py opens it in Chromium and looks).
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import duckdb
import jinja2
from markupsafe import Markup

from pipeline.brief import charts, labels
from pipeline.errors import InputError

TEMPLATES = Path(__file__).parent / "templates"

# The page's own words: headings, notes and chart titles. The marts' coded values (verdict,
# decision, confidence, region) read as in the other formats, from `pipeline.brief.labels`.
WORDS = {
    "zh": {
        "html_lang": "zh-CN",
        "title": "贫困县退出评估简报",
        "batch": "批次",
        "year_suffix": "年",
        "poverty_line_unit": "贫困线 {line} 元/人·年",
        "source": "数据来源",
        "footer": (
            "本简报由 povexit 根据已发布的数据文件 exit_assessment.duckdb 生成，"
            "所有数字均取自已发布的数据表。"
        ),
        "sections": {
            "headline": "主要数据",
            "announcement": "公告",
            "counties": "各县评估结论",
            "indicators": "各县指标与退出标准",
            "income": "抽样退出户人均纯收入",
            "guarantees": "“两不愁三保障”及饮水安全",
            "agencies": "第三方评估机构意见",
            "history": "全省历年进展",
            "quarantine": "隔离的输入行",
            "lists": "整改与监测名单",
        },
        "headline": {
            "counties_assessed": "评估县数",
            "counties_meeting": "达到退出标准",
            "counties_approved": "批准退出",
            "acceptance_rate": "群众认可度",
            "mean_county_acceptance": "各县平均 {value}",
            "exited_sample_income": "抽样退出户人均纯收入（元）",
            "income_over_line": "高于贫困线（元）",
            "over_line_detail": "贫困线 {value} 元",
            "income_over_province": "高于全省建档立卡户平均（元）",
            "over_province_detail": "全省建档立卡户人均纯收入 {value} 元",
            "poverty_counties_exited": "累计摘帽贫困县",
            "exited_detail": "全省贫困县 {value} 个",
            "counties_unit": "个",
        },
        "county_columns": {
            "code": "县代码",
            "name": "县名",
            "region": "区域",
            "incidence": "综合贫困发生率",
            "wrong_exit": "错退率",
            "missed": "漏评率",
            "acceptance": "群众认可度",
            "verdict": "评估结论",
            "confidence": "结论把握度",
            "decision": "退出决定",
        },
        "interval_note": (
            "方括号内为按抽样设计（以村为初级抽样单位）计算的95%双侧置信区间；"
            "“—”表示无法计算区间（样本过少或样本框为空）。"
        ),
        "indicators_note": (
            "柱长为决定把握度的95%单侧界：综合贫困发生率、错退率、漏评率取上限，"
            "群众认可度取下限；红色竖线为退出标准，黑点为估计值，细黑线连接两个95%单侧界。"
            "浅色虚框柱表示没有区间，柱长为估计值。"
        ),
        "income_note": "按{width}元分组；共{households}户。",
        "income_clamped_low": "低于{value}元的{households}户计入最左一组。",
        "income_clamped_high": "不低于{value}元的{households}户计入最右一组。",
        "agencies_summary": (
            "评估机构 {agencies} 家，其中建议其评估的全部县退出的 {recommending} 家。"
        ),
        "agency_columns": {
            "agency": "评估机构",
            "county": "县",
            "households": "调查户数",
            "recommends": "建议退出",
        },
        "history_columns": {
            "year": "年度",
            "batch": "批次",
            "assessed": "评估县数",
            "approved": "批准退出",
            "exited": "累计摘帽",
            "remaining_poor": "剩余贫困人口",
            "registry_incidence": "建档立卡贫困发生率",
            "wrong_found": "发现错退人口",
            "missed_found": "发现漏评人口",
            "zero_error_years": "连续零错退零漏评年数",
        },
        "trajectory_note": "年末贫困人口按本批次的建档立卡数据计算（poverty_trajectory）。",
        "quarantine_columns": {
            "file": "文件",
            "column": "列",
            "rule": "规则",
            "findings": "记录数",
            "lines": "行数",
        },
        "quarantine_none": "本批次没有被隔离的输入行。",
        "quarantine_note": "只列出数量，不显示被隔离的值。",
        "whole_row": "（整行）",
        "list_columns": {
            "code": "县代码",
            "name": "县名",
            "rect_exited": "整改：已脱贫户",
            "rect_non_registered": "整改：非建档立卡户",
            "mon_unstable": "监测：脱贫不稳定户",
            "mon_near_poor": "监测：边缘易致贫户",
        },
        "total": "合计",
        "lists_note": "整改名单为未达到脱贫标准的抽样户；监测名单为防返贫监测对象（户数）。",
        "yes": "是",
        "no": "否",
        "not_computable": "无法计算",
        # charts
        "confidence": "把握度",
        "no_estimate": "无法计算",
        "no_interval": "无区间",
        "upper95": "95%单侧上限",
        "lower95": "95%单侧下限",
        "indicator_titles": {
            "incidence": "综合贫困发生率（标准 {threshold}；柱长：{bound}）",
            "wrong_exit": "错退率（标准 {threshold}；柱长：{bound}）",
            "missed": "漏评率（标准 {threshold}；柱长：{bound}）",
            "acceptance": "群众认可度（标准 {threshold}；柱长：{bound}）",
        },
        "indicator_axis": "",
        "below_line": "低于贫困线",
        "above_line": "高于贫困线",
        "income_axis": "人均纯收入（元/人·年）",
        "households": "户数",
        "poverty_line": "贫困线",
        "average": "平均",
        "income_title": "抽样退出户人均纯收入分布",
        "guarantee_values": {
            "food": "不愁吃",
            "clothing": "不愁穿",
            "education": "义务教育",
            "medical": "基本医疗",
            "housing": "住房安全",
            "water": "饮水安全",
            "income": "收入",
        },
        "rate": "达标率",
        "guarantee_title": "各县“两不愁三保障”及饮水安全、收入达标率",
        "counties": "县数",
        "persons": "人数",
        "incidence": "发生率",
        "history_exited": "累计摘帽贫困县（红线：全省贫困县数）",
        "history_poor": "剩余贫困人口",
        "history_incidence": "建档立卡贫困发生率",
        "history_trajectory": "年末贫困人口（本批次建档立卡数据）",
    },
    "en": {
        "html_lang": "en",
        "title": "Poverty-county exit assessment brief",
        "batch": "Batch",
        "year_suffix": "",
        "poverty_line_unit": "poverty line {line} yuan per person per year",
        "source": "Source",
        "footer": (
            "Generated by povexit from the published marts file exit_assessment.duckdb; every "
            "number is read from a published table."
        ),
        "sections": {
            "headline": "Headline figures",
            "announcement": "Announcement",
            "counties": "County verdicts",
            "indicators": "Each county's indicators against the standard",
            "income": "Per-capita net income of the surveyed exited households",
            "guarantees": "Two no-worries, three guarantees and safe water",
            "agencies": "The evaluation agencies' findings",
            "history": "The province year by year",
            "quarantine": "Quarantined input rows",
            "lists": "Rectification and monitoring lists",
        },
        "headline": {
            "counties_assessed": "Counties assessed",
            "counties_meeting": "Meeting the standard",
            "counties_approved": "Approved to exit",
            "acceptance_rate": "Public acceptance",
            "mean_county_acceptance": "mean of the counties {value}",
            "exited_sample_income": "Exited households' per-capita net income (yuan, sample)",
            "income_over_line": "Above the poverty line (yuan)",
            "over_line_detail": "poverty line {value} yuan",
            "income_over_province": "Above the province's registered average (yuan)",
            "over_province_detail": "registered households' average {value} yuan",
            "poverty_counties_exited": "Poverty counties exited",
            "exited_detail": "of {value} poverty counties",
            "counties_unit": "",
        },
        "county_columns": {
            "code": "Code",
            "name": "County",
            "region": "Region",
            "incidence": "Poverty incidence",
            "wrong_exit": "Wrong-exit rate",
            "missed": "Missed rate",
            "acceptance": "Acceptance",
            "verdict": "Verdict",
            "confidence": "Confidence",
            "decision": "Decision",
        },
        "interval_note": (
            "In brackets: the design-based two-sided 95% interval (villages as primary sampling "
            "units); “—”: no interval (too few units or an empty sample frame)."
        ),
        "indicators_note": (
            "Each bar reaches the one-sided 95% bound that decides the confidence class: the "
            "upper bound for incidence, wrong-exit and missed rates, the lower bound for "
            "acceptance. The red tick is the standard, the dot the estimate, the thin line spans "
            "both one-sided 95% bounds. A pale dashed bar has no interval and reaches the "
            "estimate."
        ),
        "income_note": "Bins of {width} yuan; households: {households}.",
        "income_clamped_low": "Below {value} yuan, counted in the first bin: {households}.",
        "income_clamped_high": "At or above {value} yuan, counted in the last bin: {households}.",
        "agencies_summary": (
            "Evaluation agencies: {agencies}; recommending the exit of every county they "
            "assessed: {recommending}."
        ),
        "agency_columns": {
            "agency": "Agency",
            "county": "County",
            "households": "Households surveyed",
            "recommends": "Recommends exit",
        },
        "history_columns": {
            "year": "Year",
            "batch": "Batch",
            "assessed": "Assessed",
            "approved": "Approved",
            "exited": "Exited",
            "remaining_poor": "Remaining poor",
            "registry_incidence": "Registry incidence",
            "wrong_found": "Wrong exits found",
            "missed_found": "Missed found",
            "zero_error_years": "Zero-error years",
        },
        "trajectory_note": (
            "Persons in poverty at each year's end as this batch's registry tells it "
            "(poverty_trajectory)."
        ),
        "quarantine_columns": {
            "file": "File",
            "column": "Column",
            "rule": "Rule",
            "findings": "Findings",
            "lines": "Lines",
        },
        "quarantine_none": "No input row of this batch was quarantined.",
        "quarantine_note": "Counts only; quarantined values are not shown.",
        "whole_row": "(whole row)",
        "list_columns": {
            "code": "Code",
            "name": "County",
            "rect_exited": "Rectify: exited",
            "rect_non_registered": "Rectify: non-registered",
            "mon_unstable": "Monitor: unstable exit",
            "mon_near_poor": "Monitor: near-poor",
        },
        "total": "Total",
        "lists_note": (
            "Households: the rectification list holds the surveyed households below the "
            "standard, the monitoring list those to watch against a return to poverty."
        ),
        "yes": "yes",
        "no": "no",
        "not_computable": "not computable",
        "confidence": "Confidence",
        "no_estimate": "not computable",
        "no_interval": "no interval",
        "upper95": "one-sided 95% upper bound",
        "lower95": "one-sided 95% lower bound",
        "indicator_titles": {
            "incidence": "Poverty incidence (standard {threshold}; bar: {bound})",
            "wrong_exit": "Wrong-exit rate (standard {threshold}; bar: {bound})",
            "missed": "Missed rate (standard {threshold}; bar: {bound})",
            "acceptance": "Acceptance (standard {threshold}; bar: {bound})",
        },
        "indicator_axis": "",
        "below_line": "below the line",
        "above_line": "above the line",
        "income_axis": "per-capita net income (yuan per person per year)",
        "households": "households",
        "poverty_line": "poverty line",
        "average": "average",
        "income_title": "Surveyed exited households by per-capita net income",
        "guarantee_values": {
            "food": "food",
            "clothing": "clothing",
            "education": "education",
            "medical": "medical",
            "housing": "housing",
            "water": "water",
            "income": "income",
        },
        "rate": "rate",
        "guarantee_title": "Share of surveyed households secure, by county and indicator",
        "counties": "counties",
        "persons": "persons",
        "incidence": "incidence",
        "history_exited": "Poverty counties exited (red: all poverty counties)",
        "history_poor": "Remaining poor",
        "history_incidence": "Registry poverty incidence",
        "history_trajectory": "Persons in poverty at year end (this batch's registry)",
    },
}


# --- formatting -----------------------------------------------------------------------------


def coded(kind: str, code: str | None, lang: str) -> str | None:
    """A coded value of the marts in the language: in Chinese as `labels` writes it, in
    English the marts' own word, spaced (`confident meets`)."""
    if code is None:
        return None
    return labels.value(kind, code, lang) if lang == "zh" else code.replace("_", " ")


def page_words(lang: str) -> dict:
    """WORDS[lang] with the coded values the charts name (confidence classes)."""
    words = dict(WORDS[lang])
    words["confidence_values"] = {
        name: coded("confidence", name, lang) for name in charts.CONFIDENCE_COLOURS
    }
    return words


def pct(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def money(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


def count(value) -> str:
    return "—" if value is None else f"{value:,}"


# --- reading the marts ----------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, query: str, params: list | dict) -> list[dict]:
    cursor = con.execute(query, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main'"
        ).fetchall()
    }


def _float(value):
    return None if value is None else float(value)


def _indicator_cells(con, batch_id: str) -> dict[tuple[str, str], dict]:
    rows = _rows(
        con,
        "select county_code, indicator, estimate, threshold, ci_low, ci_high, lower95, upper95, "
        "confidence from indicator_confidence where batch_id = ?",
        [batch_id],
    )
    return {(row["county_code"], row["indicator"]): row for row in rows}


COUNTY_RATES = {
    "incidence": "comprehensive_incidence",
    "wrong_exit": "wrong_exit_rate",
    "missed": "missed_rate",
    "acceptance": "acceptance_rate",
}


def _income_bins(con, batch_id: str, line: float) -> tuple[list[dict], dict]:
    """The exited frame's per-capita net incomes counted in round bins (SQL), the range set by
    the 0.5% and 99.5% quantiles and the poverty line; households beyond it are counted in the
    end bins (and said so)."""
    frame = (
        "select per_capita_net_income::double as y from survey_household_income "
        "where batch_id = $batch and sample_frame = 'exited' "
        "and per_capita_net_income is not null"
    )
    low, high, households = con.execute(
        f"select quantile_cont(y, 0.005), quantile_cont(y, 0.995), count(*) from ({frame})",
        {"batch": batch_id},
    ).fetchone()
    if not households:
        return [], {}
    width = charts.nice_step(max(high, line) - min(low, line), 40)
    start = math.floor(min(low, line) / width) * width
    end = max(math.ceil(max(high, line) / width) * width, start + width)
    bins = _rows(
        con,
        f"""
        select least(greatest(floor((y - $start) / $width), 0), $last) as bin, count(*) as n,
            count(*) filter (where y < $start) as under, count(*) filter (where y >= $end) as over
        from ({frame}) group by bin order by bin
        """,
        {
            "start": start,
            "width": width,
            "last": round((end - start) / width) - 1,
            "end": end,
            "batch": batch_id,
        },
    )
    values = [
        {
            "start": start + row["bin"] * width,
            "end": start + (row["bin"] + 1) * width,
            "households": row["n"],
        }
        for row in bins
    ]
    facts = {
        "width": width,
        "households": households,
        "start": start,
        "end": end,
        "under": sum(row["under"] for row in bins),
        "over": sum(row["over"] for row in bins),
    }
    return values, facts


def _county_label(name: str, code: str) -> str:
    return f"{name}（{code}）"


def brief_context(con: duckdb.DuckDBPyConnection, batch_id: str, lang: str) -> dict:
    """Everything the template shows, read from the marts in `con`."""
    words = page_words(labels.check_lang(lang))
    tables = _tables(con)
    if "batch_summary" not in tables:
        raise InputError("the marts have no batch_summary table (not a published marts file?)")
    summary = _rows(con, "select * from batch_summary where batch_id = ?", [batch_id])
    if not summary:
        raise InputError(f"no published batch {batch_id!r}")
    s = summary[0]
    line = float(s["poverty_line_yuan"])
    context: dict = {"w": words, "batch_id": batch_id}
    context["subtitle"] = " · ".join(
        part
        for part in (
            f"{words['batch']} {batch_id}",
            labels.province(s.get("province_code"), s.get("province_name"), lang),
            f"{s['assessment_year']}{words['year_suffix']}",
            words["poverty_line_unit"].format(
                line=f"{line:,.0f}" if line == round(line) else money(line)
            ),
        )
        if part
    )

    # headline figures
    h = words["headline"]
    cards = [
        (h["counties_assessed"], count(s.get("counties_assessed")), ""),
        (h["counties_meeting"], count(s.get("counties_meeting")), ""),
    ]
    if s.get("counties_approved") is not None:
        cards.append((h["counties_approved"], count(s["counties_approved"]), ""))
    cards += [
        (
            h["acceptance_rate"],
            pct(s.get("acceptance_rate")),
            h["mean_county_acceptance"].format(value=pct(s.get("mean_county_acceptance"))),
        ),
        (h["exited_sample_income"], money(s.get("exited_sample_income")), ""),
        (
            h["income_over_line"],
            money(s.get("income_over_line")),
            h["over_line_detail"].format(value=money(s.get("poverty_line_yuan"))),
        ),
        (
            h["income_over_province"],
            money(s.get("income_over_province")),
            h["over_province_detail"].format(value=money(s.get("province_registry_income"))),
        ),
        (
            h["poverty_counties_exited"],
            count(s.get("poverty_counties_exited")),
            h["exited_detail"].format(value=count(s.get("poverty_counties"))),
        ),
    ]
    context["cards"] = cards

    context["announcement"] = _announcement(con, batch_id, lang, tables)
    # what pipeline.brief.announcement reads, of the tables these marts have
    context["announcement_sources"] = [
        name
        for name in (
            "batch_summary",
            "county_assessment",
            "agency_findings",
            "province_progress",
            "poverty_trajectory",
        )
        if name in tables
    ]

    # counties, their indicators and intervals
    counties = (
        _rows(
            con,
            "select * from county_assessment where batch_id = ? order by county_code",
            [batch_id],
        )
        if "county_assessment" in tables
        else []
    )
    names = {row["county_code"]: row["county_name"] for row in counties}
    has_confidence = "indicator_confidence" in tables
    cells = _indicator_cells(con, batch_id) if has_confidence else {}
    county_rows = []
    for row in counties:
        indicators = []
        for indicator, column in COUNTY_RATES.items():
            cell = cells.get((row["county_code"], indicator), {})
            interval = (
                f"[{pct(cell['ci_low'])}, {pct(cell['ci_high'])}]"
                if cell.get("ci_low") is not None
                else "—"
                if has_confidence
                else None
            )
            indicators.append((pct(row.get(column)), interval))
        decision = row.get("decision")
        reason = row.get("decision_reason")
        county_rows.append(
            {
                "code": row["county_code"],
                "name": row["county_name"],
                "region": coded("region", row.get("region"), lang),
                "indicators": indicators,
                "verdict": coded("verdict", row["verdict"], lang),
                "verdict_class": row["verdict"],
                "confidence": coded("confidence", row.get("verdict_confidence"), lang),
                "confidence_class": row.get("verdict_confidence") or "",
                "decision": coded("decision", decision, lang),
                "reason": coded("decision_reason", reason, lang),
                "decision_class": decision or "",
            }
        )
    context["counties"] = county_rows
    context["has_confidence"] = has_confidence
    context["has_decision"] = any(row.get("decision") is not None for row in counties)

    # charts
    chart_rows = [
        {
            "county_code": code,
            "county_label": _county_label(names.get(code, code), code),
            "indicator": indicator,
            **{key: _float(cell[key]) for key in ("estimate", "threshold", "lower95", "upper95")},
            "confidence": cell["confidence"],
        }
        for (code, indicator), cell in sorted(cells.items())
    ]
    context["indicator_chart"] = _svg(charts.indicator_chart(chart_rows, words))

    context["income_chart"] = None
    if "survey_household_income" in tables:
        bins, facts = _income_bins(con, batch_id, line)
        context["income_chart"] = _svg(
            charts.income_chart(bins, line, _float(s.get("exited_sample_income")), words)
        )
        notes = []
        if facts:
            notes.append(
                words["income_note"].format(
                    width=count(int(facts["width"])) if facts["width"] >= 1 else facts["width"],
                    households=count(facts["households"]),
                )
            )
            if facts["under"]:
                notes.append(
                    words["income_clamped_low"].format(
                        value=count(int(facts["start"])), households=count(facts["under"])
                    )
                )
            if facts["over"]:
                notes.append(
                    words["income_clamped_high"].format(
                        value=count(int(facts["end"])), households=count(facts["over"])
                    )
                )
        context["income_notes"] = " ".join(notes)

    context["guarantee_chart"] = None
    if "guarantee_compliance" in tables:
        compliance = _rows(
            con,
            "select county_code, indicator, rate from guarantee_compliance where batch_id = ?",
            [batch_id],
        )
        context["guarantee_chart"] = _svg(
            charts.guarantee_chart(
                [
                    {
                        "county_code": r["county_code"],
                        "county_label": _county_label(
                            names.get(r["county_code"], r["county_code"]), r["county_code"]
                        ),
                        "indicator": r["indicator"],
                        "rate": _float(r["rate"]),
                    }
                    for r in compliance
                ],
                words,
            )
        )

    # agencies
    context["agencies"] = None
    if "agency_findings" in tables:
        findings = _rows(
            con,
            "select * from agency_findings where batch_id = ? order by agency_code, county_code",
            [batch_id],
        )
        recommends = {True: words["yes"], False: words["no"], None: words["not_computable"]}
        context["agencies"] = [
            {
                "agency": row["agency_code"],
                "county": names.get(row["county_code"], row["county_code"]),
                "code": row["county_code"],
                "households": count(row.get("surveyed_households")),
                "rates": [pct(row.get(column)) for column in COUNTY_RATES.values()],
                "recommends": recommends[row.get("recommends_exit")],
                "recommends_class": {True: "yes", False: "no"}.get(
                    row.get("recommends_exit"), "na"
                ),
            }
            for row in findings
        ]
        context["agencies_summary"] = (
            words["agencies_summary"].format(
                agencies=count(s["agencies"]), recommending=count(s.get("agencies_recommending"))
            )
            if s.get("agencies") is not None
            else None
        )

    # history
    context["history"] = None
    if "province_progress" in tables:
        rounds = _rows(
            con,
            """
            select later.* from province_progress as this
            join province_progress as later
                on later.province_code = this.province_code
                and later.assessment_year <= this.assessment_year
            where this.batch_id = ? order by later.assessment_year, later.batch_id
            """,
            [batch_id],
        )
        trajectory = (
            _rows(
                con,
                "select year, persons_in_poverty from poverty_trajectory where batch_id = ? "
                "order by year",
                [batch_id],
            )
            if "poverty_trajectory" in tables
            else []
        )
        years = [row["assessment_year"] for row in rounds]
        unique = len(set(years)) == len(years)
        chart_rounds = [
            {
                "round": str(row["assessment_year"]) if unique else row["batch_id"],
                "poverty_counties_exited": row.get("poverty_counties_exited"),
                "poverty_counties": row.get("poverty_counties"),
                "remaining_poor": row.get("remaining_poor"),
                "registry_incidence": _float(row.get("registry_incidence")),
            }
            for row in rounds
        ]
        context["history"] = [
            {
                "year": row["assessment_year"],
                "batch": row["batch_id"],
                "current": row["batch_id"] == batch_id,
                "assessed": count(row.get("counties_assessed")),
                "approved": count(row.get("counties_approved")),
                "exited": f"{count(row.get('poverty_counties_exited'))} / "
                f"{count(row.get('poverty_counties'))}",
                "remaining_poor": count(row.get("remaining_poor")),
                "registry_incidence": pct(row.get("registry_incidence")),
                "wrong_found": count(row.get("wrong_exit_persons_found")),
                "missed_found": count(row.get("missed_persons_found")),
                "zero_error_years": count(row.get("zero_error_years")),
            }
            for row in rounds
        ]
        context["history_sources"] = ["province_progress"] + (
            ["poverty_trajectory"] if trajectory else []
        )
        context["history_chart"] = _svg(
            charts.history_chart(
                chart_rounds,
                [
                    {"year": r["year"], "persons_in_poverty": r["persons_in_poverty"]}
                    for r in trajectory
                ],
                words,
            )
        )

    # quarantine: counts only
    context["quarantine"] = None
    if "rejected_rows" in tables:
        context["quarantine"] = [
            {
                "file": row["source_file"],
                "column": row["column"] or words["whole_row"],
                "rule": row["rule"],
                "findings": count(row["findings"]),
                "lines": count(row["lines"]),
            }
            for row in _rows(
                con,
                """
                select source_file, "column", rule, count(*) as findings,
                    count(distinct line_number) as lines
                from rejected_rows where batch_id = ?
                group by all order by source_file, "column", rule
                """,
                [batch_id],
            )
        ]

    context["lists"] = _list_sizes(con, batch_id, tables, names)
    return context


def _list_sizes(con, batch_id: str, tables: set[str], names: dict[str, str]) -> dict | None:
    """The rectification and monitoring lists' sizes by county (counts of their rows)."""
    columns = []
    counts: dict[str, dict[str, int]] = {}
    queries = {
        "rectification_list": (
            "sample_frame",
            {"exited": "rect_exited", "non_registered": "rect_non_registered"},
        ),
        "monitoring_list": (
            "risk_reason",
            {"unstable_exit": "mon_unstable", "near_poor": "mon_near_poor"},
        ),
    }
    sources = []
    for table, (by, keys) in queries.items():
        if table not in tables:
            continue
        sources.append(table)
        columns += list(keys.values())
        for code, value, n in con.execute(
            f'select county_code, "{by}", count(*) from "{table}" where batch_id = ? group by all',
            [batch_id],
        ).fetchall():
            key = keys.get(value, f"{table}:{value}")
            if key not in columns:
                columns.append(key)
            counts.setdefault(code, {})[key] = counts.get(code, {}).get(key, 0) + n
    if not sources:
        return None
    codes = sorted(set(names) | set(counts))
    rows = [
        {
            "code": code,
            "name": names.get(code, ""),
            "counts": [count(counts.get(code, {}).get(key, 0)) for key in columns],
        }
        for code in codes
    ]
    totals = [count(sum(counts.get(code, {}).get(key, 0) for code in codes)) for key in columns]
    return {"columns": columns, "rows": rows, "totals": totals, "sources": sources}


# The tables `pipeline.brief.announcement` cannot do without.
ANNOUNCEMENT_TABLES = {"batch_summary", "county_assessment", "agency_findings"}


def _announcement(con, batch_id: str, lang: str, tables: set[str]) -> list[str] | None:
    """The press-release paragraph(s) of `pipeline.brief.announcement` (left out if that
    module is absent or the marts lack a table it reads)."""
    if not tables >= ANNOUNCEMENT_TABLES:
        return None
    try:
        from pipeline.brief.announcement import announcement_text
    except ImportError:
        return None
    text = announcement_text(con, batch_id, lang)
    paragraphs = [part.strip() for part in text.split("\n\n") if part.strip()]
    return paragraphs or None


def _svg(svg: str | None) -> Markup | None:
    # vl-convert's SVG: its text is XML-escaped by Vega's renderer, so it is markup to keep.
    return None if svg is None else Markup(svg)


@cache  # compiling the page's template takes a fifth of a second; both languages share it
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(con: duckdb.DuckDBPyConnection, batch_id: str, lang: str) -> str:
    return _environment().get_template("brief.html.j2").render(**brief_context(con, batch_id, lang))


def write_html(con: duckdb.DuckDBPyConnection, batch_id: str, lang: str, path: Path) -> None:
    """Write the batch's brief in `lang` (zh or en) to `path`: one offline HTML page."""
    page = render_html(con, batch_id, lang)
    Path(path).write_text(page, encoding="utf-8")
