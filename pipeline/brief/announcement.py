"""The batch's announcement: one paragraph in the manner of the November 2020 press release
(`seed/000_5376f39ba34cc350.txt`), written from the published marts alone.

The same template serves every batch and says what the marts say: the counties approved by
name, the rates as published (a rate that rounds to 0.00% reads 0, as the release writes it),
acceptance and incomes, whether every agency recommended the exits, the public notice and the
objections it drew, the counties exited of the province, and the run of years without a wrong
exit or a missed household. A county that fails, is withheld or undecided is named with the
reasons; nothing is claimed that the marts do not hold (no "all agencies recommended" unless
they did, no "no objection" if one was received, no streak without `province_progress`).

Tables read: batch_summary, county_assessment, agency_findings, province_progress and
poverty_trajectory (the last two optional: marts published before them lack them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import jinja2

from pipeline.brief import labels
from pipeline.errors import InputError

TEMPLATES = Path(__file__).parent / "templates"


# --- numbers and words, as the release writes them -----------------------------------------


def rate(value) -> str:
    """A rate as published: a percentage with 2 decimals; one that rounds to 0.00% is 0."""
    if value is None:
        return "n/a"
    shown = f"{value * 100:.2f}"
    return "0" if shown in ("0.00", "-0.00") else f"{shown}%"


def limit(value) -> str:
    """A threshold as a percentage without trailing zeros: 0.03 -> 3%, 0.025 -> 2.5%."""
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def money(value) -> str:
    return "n/a" if value is None else f"{float(value):,.2f}"


def amount(value) -> str:
    """Yuan without `.00` when whole (the poverty line: 4,000)."""
    value = float(value)
    return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"


def count(value) -> str:
    return "n/a" if value is None else f"{value:,}"


EN_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six",
    "seven", "eight", "nine", "ten", "eleven", "twelve",
)  # fmt: skip
EN_ORDINALS = (
    "zeroth", "first", "second", "third", "fourth", "fifth", "sixth",
    "seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth",
)  # fmt: skip
ZH_DIGITS = "零一二三四五六七八九"


def en_words(n: int) -> str:
    return EN_WORDS[n] if 0 <= n < len(EN_WORDS) else f"{n:,}"


def en_ordinal(n: int) -> str:
    if 0 <= n < len(EN_ORDINALS):
        return EN_ORDINALS[n]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def zh_number(n: int) -> str:
    """1..99 in Chinese numerals (三, 十二, 二十一); other numbers as digits."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return ZH_DIGITS[ones]
    return (ZH_DIGITS[tens] if tens > 1 else "") + "十" + (ZH_DIGITS[ones] if ones else "")


def en_series(items) -> str:
    items = [str(item) for item in items]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def zh_series(items) -> str:
    return "、".join(str(item) for item in items)


MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def en_period(start, end, year: int) -> str:
    """November 16 to 22; November 26 to December 2; December 28, 2020 to January 3, 2021."""
    if start.year == end.year == year:
        first = f"{MONTHS_EN[start.month - 1]} {start.day}"
        if start.month == end.month:
            return f"{first} to {end.day}"
        return f"{first} to {MONTHS_EN[end.month - 1]} {end.day}"
    return (
        f"{MONTHS_EN[start.month - 1]} {start.day}, {start.year} to "
        f"{MONTHS_EN[end.month - 1]} {end.day}, {end.year}"
    )


def zh_period(start, end, year: int) -> str:
    """11月16日至22日; 11月26日至12月2日; 2020年12月28日至2021年1月3日."""
    if start.year == end.year == year:
        first = f"{start.month}月{start.day}日"
        if start.month == end.month:
            return f"{first}至{end.day}日"
        return f"{first}至{end.month}月{end.day}日"
    return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"


FILTERS = {
    "en": {"series": en_series, "words": en_words, "ordinal": en_ordinal, "period": en_period},
    "zh": {"series": zh_series, "words": str, "ordinal": zh_number, "period": zh_period},
}


# --- what the template is given ----------------------------------------------------------


@dataclass
class Failure:
    """One indicator that does not pass: its value and threshold, as published."""

    indicator: str  # incidence, wrong_exit, missed, acceptance
    value: str
    threshold: str
    above: bool  # passes when above the threshold (acceptance)


@dataclass
class Objections:
    received: int = 0
    upheld: int = 0
    pending: int = 0
    not_upheld: int = 0
    outside: int = 0


@dataclass
class County:
    code: str
    name: str
    verdict: str
    decision: str
    reason: str | None
    failures: list[Failure] = field(default_factory=list)
    # indicators that cannot be computed: the survey frame each needs was empty
    missing: list[str] = field(default_factory=list)
    no_registry: bool = False
    agencies: int = 0
    agencies_recommending: int = 0
    # agencies that surveyed the county and do not recommend its exit: (code, recommends)
    not_recommending: list[tuple[str, bool | None]] = field(default_factory=list)
    objections: Objections = field(default_factory=Objections)
    wrong_exit_persons: int = 0
    missed_persons: int = 0


@dataclass
class RateSummary:
    """A county rate over the batch: one value when every county shows the same, else the
    highest and the counties at it; the counties where it cannot be computed."""

    uniform: bool
    text: str  # the common value, or the highest
    at: list[str]  # counties at the highest (when not uniform)
    missing: list[str]
    zero: bool  # every computed value reads 0
    computed: int  # counties where it is computed


INDICATORS = (
    # indicator, value column, threshold column, pass column, passes when above
    ("incidence", "comprehensive_incidence", "incidence_max", "passes_incidence", False),
    ("wrong_exit", "wrong_exit_rate", "wrong_exit_rate_max", "passes_wrong_exit_rate", False),
    ("missed", "missed_rate", "missed_rate_max", "passes_missed_rate", False),
    ("acceptance", "acceptance_rate", "acceptance_rate_min", "passes_acceptance_rate", True),
)


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "select count(*) from duckdb_tables() where table_name = ?", [name]
    ).fetchone()[0]
    return bool(found)


def batch_summary(con: duckdb.DuckDBPyConnection, batch_id: str) -> dict:
    """The batch's row of batch_summary as a dict, or an InputError naming the batch."""
    rows = _dicts(con.execute("select * from batch_summary where batch_id = ?", [batch_id]))
    if not rows:
        raise InputError(f"no published batch {batch_id!r} in the marts")
    return rows[0]


def _county(row: dict, agencies: list[dict]) -> County:
    county = County(
        code=row["county_code"],
        name=row["county_name"],
        verdict=row["verdict"],
        decision=row.get("decision") or "undecided",
        reason=row.get("decision_reason"),
        agencies=row.get("agencies") or 0,
        agencies_recommending=row.get("agencies_recommending") or 0,
        no_registry=not row.get("registered_persons"),
        wrong_exit_persons=row.get("sampled_exited_persons_failing") or 0,
        missed_persons=row.get("sampled_non_registered_persons_failing") or 0,
    )
    for indicator, column, threshold, passes, above in INDICATORS:
        if row.get(column) is None:
            if indicator != "incidence":  # incidence is missing when a rate is
                county.missing.append(indicator)
        elif row.get(passes) is False:
            county.failures.append(
                Failure(indicator, rate(row[column]), limit(row[threshold]), above)
            )
    county.not_recommending = [
        (finding["agency_code"], finding["recommends_exit"])
        for finding in agencies
        if finding["county_code"] == county.code and finding["recommends_exit"] is not True
    ]
    received = row.get("objections_received") or 0
    upheld, pending = row.get("objections_upheld") or 0, row.get("objections_pending") or 0
    county.objections = Objections(
        received=received,
        upheld=upheld,
        pending=pending,
        not_upheld=received - upheld - pending,
        outside=row.get("objections_outside_notice") or 0,
    )
    return county


def _rate_summary(rows: list[dict], column: str) -> RateSummary:
    shown = [(rate(row[column]), row) for row in rows if row.get(column) is not None]
    missing = [row["county_name"] for row in rows if row.get(column) is None]
    if not shown:
        return RateSummary(True, "n/a", [], missing, False, 0)
    texts = {text for text, _ in shown}
    highest = max(row[column] for _, row in shown)
    top = rate(highest)
    return RateSummary(
        uniform=len(texts) == 1,
        text=top,
        at=[row["county_name"] for text, row in shown if text == top],
        missing=missing,
        zero=texts == {"0"},
        computed=len(shown),
    )


def _trend(first, last, first_value=None, last_value=None) -> str:
    """down, up or same: how a figure moved, `same` when it reads the same as shown."""
    if first == last:
        return "same"
    first, last = (first, last) if first_value is None else (first_value, last_value)
    return "down" if last < first else "up"


def _history(con, summary: dict) -> dict | None:
    """The province's persons in poverty and incidence before this round, as the release
    opens: from the first year of the trajectory to the year before the assessment."""
    year = summary["assessment_year"]
    out: dict = {"persons": None, "incidence": None}
    if has_table(con, "poverty_trajectory"):
        trajectory = con.execute(
            "select year, persons_in_poverty from poverty_trajectory "
            "where batch_id = ? and year < ? order by year",
            [summary["batch_id"], year],
        ).fetchall()
        if len(trajectory) >= 2:
            (first_year, first), (last_year, last) = trajectory[0], trajectory[-1]
            out["persons"] = {
                "from_year": first_year,
                "from": count(first),
                "to_year": last_year,
                "to": count(last),
                "trend": _trend(first, last),
            }
    if has_table(con, "province_progress"):
        rounds = con.execute(
            "select assessment_year, registry_incidence from province_progress "
            "where province_code = ? and assessment_year < ? and registry_incidence is not null "
            "order by assessment_year",
            [summary["province_code"], year],
        ).fetchall()
        # one batch a year is the rule; several of one year: the last of them is as good
        rounds = list(dict(rounds).items())
        if rounds and rounds[-1][0] == year - 1:
            (first_year, first), (last_year, last) = rounds[0], rounds[-1]
            out["incidence"] = {
                "from_year": first_year,
                "from": rate(first),
                "to_year": last_year,
                "to": rate(last),
                "trend": _trend(rate(first), rate(last), first, last),
                "single": len(rounds) == 1,
            }
    return out if out["persons"] or out["incidence"] else None


def _zero_error_years(con, batch_id: str) -> int | None:
    if not has_table(con, "province_progress"):
        return None
    row = con.execute(
        "select zero_error_years from province_progress where batch_id = ?", [batch_id]
    ).fetchone()
    return None if row is None else row[0]


def context(con: duckdb.DuckDBPyConnection, batch_id: str, lang: str) -> dict:
    """Everything the template says, formatted as published; language-neutral but for the
    province's name."""
    labels.check_lang(lang)
    s = batch_summary(con, batch_id)
    rows = _dicts(
        con.execute(
            "select * from county_assessment where batch_id = ? order by county_code", [batch_id]
        )
    )
    agencies = _dicts(
        con.execute(
            "select agency_code, county_code, recommends_exit from agency_findings "
            "where batch_id = ? order by agency_code, county_code",
            [batch_id],
        )
    )
    counties = [_county(row, agencies) for row in rows]
    by_decision = {
        decision: [c for c in counties if c.decision == decision]
        for decision in ("approved", "withheld", "rejected", "undecided")
    }
    not_approved = [c for c in counties if c.decision != "approved"]
    agency_count = s.get("agencies") or 0
    recommending = s.get("agencies_recommending") or 0
    # agencies -> counties whose exit it does not recommend
    dissent: dict[str, list[str]] = {}
    for county in counties:
        for agency, _ in county.not_recommending:
            dissent.setdefault(agency, []).append(county.name)
    wrong = s.get("wrong_exit_persons_found")
    missed = s.get("missed_persons_found")
    wrong = sum(c.wrong_exit_persons for c in counties) if wrong is None else wrong
    missed = sum(c.missed_persons for c in counties) if missed is None else missed
    income = s.get("exited_sample_income")
    notice = None
    if s.get("public_notice_start") and s.get("public_notice_end"):
        notice = (s["public_notice_start"], s["public_notice_end"])
    objections = Objections(
        **{
            name: sum(getattr(c.objections, name) for c in counties)
            for name in ("received", "upheld", "pending", "not_upheld", "outside")
        }
    )
    return {
        "batch_id": batch_id,
        "province": labels.province(s.get("province_code"), s.get("province_name"), lang),
        "year": s["assessment_year"],
        "line": amount(s["poverty_line_yuan"]),
        "assessed": len(counties),
        "counties": counties,
        "all_poverty_counties": all(row.get("poverty_county") is not False for row in rows),
        "approved": by_decision["approved"],
        "withheld": by_decision["withheld"],
        "rejected": by_decision["rejected"],
        "undecided": by_decision["undecided"],
        "not_approved": not_approved,
        "meeting": [c for c in counties if c.verdict == "meets"],
        "all_meet": bool(counties) and all(c.verdict == "meets" for c in counties),
        "poverty_counties": s.get("poverty_counties") or 0,
        "exited": s.get("poverty_counties_exited") or 0,
        "agencies": agency_count,
        "agencies_recommending": recommending,
        "all_recommend": agency_count > 0
        and recommending == agency_count
        and not dissent
        and all(c.agencies_recommending == c.agencies for c in counties),
        "dissent": sorted(dissent.items()),
        "incidence": _rate_summary(rows, "comprehensive_incidence"),
        "wrong_exit": _rate_summary(rows, "wrong_exit_rate"),
        "missed": _rate_summary(rows, "missed_rate"),
        "acceptance": rate(s.get("acceptance_rate")),
        "notice": notice,
        "objections": objections,
        "objected": [c for c in counties if c.objections.received],
        "income": None
        if income is None
        else {
            "value": money(income),
            "over_line": money(abs(s["income_over_line"])),
            "above_line": s["income_over_line"] >= 0,
            "province": money(s.get("province_registry_income")),
            "over_province": None
            if s.get("income_over_province") is None
            else money(abs(s["income_over_province"])),
            "above_province": (s.get("income_over_province") or 0) >= 0,
        },
        "wrong_found": wrong,
        "missed_found": missed,
        "wrong_counties": [c for c in counties if c.wrong_exit_persons],
        "missed_counties": [c for c in counties if c.missed_persons],
        "zero_error_years": _zero_error_years(con, batch_id),
        "history": _history(con, s),
        "monitor": s.get("households_to_monitor") or 0,
    }


@cache
def environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        # a tag's line break is kept: a template's lines join as words (see `render`)
        trim_blocks=False,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,  # plain text: the html brief escapes it where it shows it
    )
    env.globals["indicator_names"] = (
        labels.INDICATORS_EN if lang == "en" else labels.VALUES_ZH["indicator"]
    )
    env.filters.update(
        FILTERS[lang],
        rate=rate,
        limit=limit,
        money=money,
        count=count,
    )
    return env


# A template's line breaks are where its pieces join: without a space in Chinese, with one in
# English; the text is one paragraph.
JOINERS = {"zh": "", "en": " "}


def render(values: dict, lang: str) -> str:
    text = environment(lang).get_template(f"announcement.{lang}.j2").render(**values)
    text = re.sub(r"[ \t]*\n[ \t]*", JOINERS[lang], text.strip())
    if lang == "en":  # no space before punctuation, nor after an opening parenthesis
        text = re.sub(r" +([,.;:)])", r"\1", re.sub(r" {2,}", " ", text))
        text = re.sub(r"\( +", "(", text)
    return text


def announcement_text(con: duckdb.DuckDBPyConnection, batch_id: str, lang: str) -> str:
    """The batch's announcement, one paragraph in `lang` (zh or en)."""
    return render(context(con, batch_id, lang), lang)
