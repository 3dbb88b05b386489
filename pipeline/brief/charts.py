"""The brief's charts: Vega-Altair specs drawn from the published marts, rendered to SVG by
vl-convert (no browser, no JavaScript, no network), to be inlined in the HTML brief.

Every chart plots aggregates the marts hold or that one SQL `group by` makes of them (the income
histogram's bins), never one mark per household, so a chart's size does not grow with the
survey. The functions take rows already read (html.py reads them once for its tables and its
charts) and the brief's words in its language.
"""

from __future__ import annotations

import math
import re

import altair as alt
import vl_convert

# Text in the charts: the page's own system fonts (the SVG keeps its text as text).
FONT = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
    '"Microsoft YaHei", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif'
)
CONFIG = {
    "font": FONT,
    "background": "white",
    "view": {"stroke": None},
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "titleFontWeight": "normal"},
    "legend": {"labelFontSize": 11, "titleFontSize": 11},
    "title": {"fontSize": 13, "anchor": "start", "fontWeight": "bold"},
    "concat": {"spacing": 28},
}

# The confidence classes (SPEC 3.5), best first, with their colours.
CONFIDENCE_COLOURS = {
    "confident_meets": "#1b7837",
    "likely_meets": "#a6dba0",
    "undetermined": "#bdbdbd",
    "likely_fails": "#f4a582",
    "confident_fails": "#b2182b",
}
THRESHOLD_COLOUR = "#d6001c"
INDICATOR_ORDER = ("incidence", "wrong_exit", "missed", "acceptance")
GUARANTEE_ORDER = ("food", "clothing", "education", "medical", "housing", "water", "income")


def render(chart: alt.TopLevelMixin, name: str, datasets: dict[str, list[dict]]) -> str:
    """The chart as an SVG element to inline.

    The chart names its data (`alt.Data(name=...)`) and `datasets` holds the rows by name, set
    into the spec's top-level `datasets` as Altair itself does: Altair deep-copies a chart's
    inline data each time charts are layered or concatenated, which would cost more than
    drawing them. `name` prefixes the SVG's ids, so that two charts on one page never share one
    (a clip path of one would clip the other)."""
    spec = chart.to_dict(validate=False)
    spec["datasets"] = datasets
    svg = vl_convert.vegalite_to_svg(spec, config=CONFIG, allowed_base_urls=[])
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{name}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{name}-\1"', svg)
    return svg


def _cell_pct(value: float | None) -> str:
    """A rate in a heat-map cell: one decimal, 100% when whole."""
    if value is None:
        return "—"
    return "100%" if value == 1 else f"{value * 100:.1f}%"


def _county_order(rows: list[dict]) -> list[str]:
    """The counties' labels in the order of their codes."""
    return [label for _, label in sorted({(r["county_code"], r["county_label"]) for r in rows})]


def _pct(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value * 100:.{digits}f}%"


def short_pct(value: float) -> str:
    """A threshold as a short percentage: 0.03 -> 3%, 0.025 -> 2.5%."""
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


# --- each county's indicators against their thresholds ----------------------------------


def indicator_chart(rows: list[dict], words: dict) -> str | None:
    """One bar chart per indicator, a bar per county reaching the one-sided 95% bound that
    decides whether it meets with confidence: upper95 for the three rates that must stay below
    their threshold, lower95 for acceptance, which must exceed it. The threshold is a red tick
    across each county's band, so a bar that stays short of it (rates) or passes it
    (acceptance) is a `confident_meets`. A thin black line spans both one-sided bounds (the 90%
    interval) and a dot marks the estimate, so the `likely_*` and `confident_fails` classes read
    from the picture too. Without an interval the bar reaches the estimate, pale, and says so.

    `rows`: county_label, indicator, estimate, threshold, lower95, upper95, confidence; from
    indicator_confidence (and county_assessment for the county's name).
    """
    if not rows:
        return None
    order = _county_order(rows)
    classes = words["confidence_values"]
    charts, datasets = [], {}
    for indicator in INDICATOR_ORDER:
        mine = [row for row in rows if row["indicator"] == indicator]
        if not mine:
            continue
        # two columns sharing the counties' rows: the right one does not repeat their names
        named = len(charts) % 2 == 0
        panel, datasets[indicator] = _indicator_panel(indicator, mine, order, classes, words, named)
        charts.append(panel)
    if not charts:
        return None
    # one concat of two columns: Altair copies every subchart at each level of nesting
    grid = alt.concat(*charts, columns=2).resolve_scale(color="shared")
    return render(grid, "indicators", datasets)


def _indicator_panel(
    indicator, rows, order, classes, words, named: bool
) -> tuple[alt.LayerChart, list]:
    above = indicator == "acceptance"
    values = []
    for row in rows:
        estimate, low, high = row["estimate"], row["lower95"], row["upper95"]
        bound = low if above else high
        has_interval = bound is not None
        if estimate is None:
            label = words["no_estimate"]
        elif has_interval:
            label = ("≥" if above else "≤") + _pct(bound)
        else:
            label = f"{_pct(estimate)} ({words['no_interval']})"
        values.append(
            {
                "county": row["county_label"],
                "bar": bound if has_interval else estimate,
                "estimate": estimate,
                "low": low,
                "high": high,
                "threshold": row["threshold"],
                "class": classes.get(row["confidence"], row["confidence"]),
                "interval": has_interval,
                "label": label,
            }
        )
    known = [
        v
        for row in values
        for v in (row["bar"], row["threshold"], row["low"], row["high"])
        if v is not None
    ]
    if above:
        floor = min([0.8, *known])
        domain = [math.floor(floor * 20) / 20, 1.0]
    else:
        domain = [0.0, min(1.0, _nice_ceiling(max([*known, 0.001]) * 1.15))]
    middle = domain[0] + 0.62 * (domain[1] - domain[0])
    for row in values:
        # a label goes inside a long bar, outside a short one
        row["inside"] = row["bar"] is not None and row["bar"] > middle
        row["text_at"] = domain[0] if row["bar"] is None else row["bar"]
    thresholds = sorted({row["threshold"] for row in values if row["threshold"] is not None})
    title = words["indicator_titles"][indicator].format(
        threshold=(">" if above else "<") + " / ".join(short_pct(t) for t in thresholds),
        bound=words["lower95"] if above else words["upper95"],
    )
    y = alt.Y(
        "county:N",
        sort=order,
        title=None,
        axis=alt.Axis(labelLimit=200) if named else alt.Axis(labels=False, ticks=False),
    )
    x_scale = alt.Scale(domain=domain, clamp=True, zero=not above, nice=False)
    x_axis = alt.Axis(format=".0%" if above else ".1%", tickCount=5, grid=True)
    colour = alt.Color(
        "class:N",
        title=words["confidence"],
        scale=alt.Scale(
            domain=[classes[name] for name in CONFIDENCE_COLOURS],
            range=list(CONFIDENCE_COLOURS.values()),
        ),
        legend=alt.Legend(orient="bottom", direction="horizontal"),
    )
    bar_x = alt.X("bar:Q", scale=x_scale, axis=x_axis, title=None)
    # Channels are given as objects, never as shorthand strings (Altair parses those slowly);
    # what differs from row to row without a scale is an expression on the datum.
    bars = (
        alt.Chart()
        .transform_filter("datum.bar != null")
        .mark_bar(
            height={"band": 0.72},
            opacity=alt.ExprRef("datum.interval ? 1 : 0.45"),
            stroke=alt.ExprRef("datum.interval ? null : '#555555'"),
            strokeDash=alt.ExprRef("datum.interval ? [1, 0] : [3, 2]"),
        )
        .encode(y=y, x=bar_x, color=colour)
    )
    whisker = (
        alt.Chart()
        .transform_filter("datum.low != null && datum.high != null")
        .mark_rule(color="#222222", strokeWidth=1.2)
        .encode(y=y, x=alt.X("low:Q"), x2=alt.X2("high:Q"))
    )
    estimate = (
        alt.Chart()
        .transform_filter("datum.estimate != null")
        .mark_point(filled=True, color="#111111", size=22, shape="circle", opacity=1)
        .encode(y=y, x=alt.X("estimate:Q"))
    )
    rule = (
        alt.Chart()
        .transform_filter("datum.threshold != null")
        .mark_tick(color=THRESHOLD_COLOUR, thickness=2, bandSize=18)
        .encode(y=y, x=alt.X("threshold:Q"))
    )
    # a label inside a long bar (white), outside a short one
    text = (
        alt.Chart()
        .mark_text(
            fontSize=10,
            align=alt.ExprRef("datum.inside ? 'right' : 'left'"),
            dx=alt.ExprRef("datum.inside ? -5 : 5"),
            color=alt.ExprRef("datum.inside && datum.interval ? 'white' : '#222222'"),
            fontWeight=alt.ExprRef("datum.inside && datum.interval ? 'bold' : 'normal'"),
        )
        .encode(y=y, x=alt.X("text_at:Q"), text=alt.Text("label:N"))
    )
    return alt.layer(bars, whisker, rule, estimate, text, data=alt.Data(name=indicator)).properties(
        title=title, width=340, height=alt.Step(20)
    ), values


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above `value`."""
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value - 1e-12:
            return step * power
    return 10 * power


def nice_step(span: float, bins: int) -> float:
    """A round bin width (1, 2, 2.5 or 5 x 10^k) giving about `bins` bins over `span`."""
    if span <= 0:
        return 1.0
    return _nice_ceiling(span / bins)


# --- the exited households' income against the poverty line -----------------------------


def income_chart(bins: list[dict], line: float, average: float | None, words: dict) -> str | None:
    """A histogram of the surveyed exited households' per-capita net income, bins counted in
    SQL (`bins`: start, end, households), the poverty line a red rule, the person-weighted
    average of batch_summary a dashed one."""
    if not bins:
        return None
    below, above = words["below_line"], words["above_line"]
    values = [{**b, "side": below if b["end"] <= line else above} for b in bins]
    bars = (
        alt.Chart(alt.Data(name="bins"))
        .mark_bar(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X(
                "start:Q",
                title=words["income_axis"],
                axis=alt.Axis(format=",.0f"),
                scale=alt.Scale(nice=False, zero=False),
            ),
            x2=alt.X2("end:Q"),
            y=alt.Y("households:Q", title=words["households"]),
            y2=alt.Y2Datum(0),
            color=alt.Color(
                "side:N",
                title=None,
                scale=alt.Scale(domain=[below, above], range=["#d6604d", "#4393c3"]),
                legend=alt.Legend(orient="top-right"),
            ),
        )
    )
    marks = [{"x": line, "what": f"{words['poverty_line']} {line:,.0f}", "dash": False}]
    if average is not None:
        marks.append({"x": average, "what": f"{words['average']} {average:,.2f}", "dash": True})
    layers, datasets = [bars], {"bins": values}
    # the line's rule solid, the average's dashed; their labels stacked at the top
    for index, (mark, y) in enumerate(zip(marks, (12, 28), strict=False)):
        datasets[f"mark{index}"] = [mark]
        data = alt.Data(name=f"mark{index}")
        layers.append(
            alt.Chart(data)
            .mark_rule(
                strokeWidth=2, color=THRESHOLD_COLOUR, strokeDash=[5, 3] if mark["dash"] else [1, 0]
            )
            .encode(x=alt.X("x:Q"))
        )
        layers.append(
            alt.Chart(data)
            .mark_text(align="left", dx=4, baseline="bottom", fontSize=11, color=THRESHOLD_COLOUR)
            .encode(x=alt.X("x:Q"), y=alt.YValue(y), text=alt.Text("what:N"))
        )
    chart = alt.layer(*layers).properties(width=860, height=260, title=words["income_title"])
    return render(chart, "income", datasets)


# --- two no worries, three guarantees + water: compliance by county ----------------------


def guarantee_chart(rows: list[dict], words: dict) -> str | None:
    """A heat map, indicator by county, of guarantee_compliance.rate, the rate written in each
    cell. `rows`: county_label, indicator, rate."""
    if not rows:
        return None
    names = words["guarantee_values"]
    values = [
        {
            "county": row["county_label"],
            "indicator": names.get(row["indicator"], row["indicator"]),
            "rate": row["rate"],
            "text": _cell_pct(row["rate"]),
        }
        for row in rows
    ]
    rates = [v["rate"] for v in values if v["rate"] is not None]
    low = min([*rates, 0.9])
    # both ends of the red-yellow-green scale are dark: white text there, dark in between
    edge = 0.22 * (1 - low)
    for value in values:
        rate = value["rate"]
        value["dark"] = rate is not None and (rate < low + edge or rate > 1 - edge)
    known = {names.get(name, name) for name in GUARANTEE_ORDER}
    order = [names.get(name, name) for name in GUARANTEE_ORDER] + sorted(
        {v["indicator"] for v in values} - known
    )
    x = alt.X("indicator:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, orient="top"))
    y = alt.Y("county:N", sort=_county_order(rows), title=None, axis=alt.Axis(labelLimit=220))
    cells = (
        alt.Chart()
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "rate:Q",
                title=words["rate"],
                scale=alt.Scale(domain=[low, 1.0], scheme="redyellowgreen", clamp=True),
                legend=alt.Legend(format=".0%", orient="right"),
            ),
        )
    )
    text = (
        alt.Chart()
        .mark_text(fontSize=10, color=alt.ExprRef("datum.dark ? 'white' : '#1a1a1a'"))
        .encode(x=x, y=y, text=alt.Text("text:N"))
    )
    chart = alt.layer(cells, text, data=alt.Data(name="compliance")).properties(
        width=alt.Step(72), height=alt.Step(22), title=words["guarantee_title"]
    )
    return render(chart, "guarantees", {"compliance": values})


# --- the province's history ---------------------------------------------------------------

PANEL = {"width": 330, "height": 170}


def _panel(
    data, x, field, title, colour, axis_title, number_format, mark, axis_format=None
) -> alt.LayerChart:
    """A small chart of one figure over the rounds or years, each mark labelled with it."""
    y = alt.Y(f"{field}:Q", title=axis_title, axis=alt.Axis(format=axis_format or number_format))
    if mark == "bar":
        shape = alt.Chart().mark_bar(color=colour)
    elif mark == "line":
        shape = alt.Chart().mark_line(color=colour, point=alt.OverlayMarkDef(color=colour))
    else:
        shape = alt.Chart().mark_area(
            line=alt.OverlayMarkDef(color=colour),
            color=colour,
            opacity=0.35,
            point=alt.OverlayMarkDef(color=colour),
        )
    text = (
        alt.Chart()
        .mark_text(dy=-7, fontSize=10, color="#222222")
        .encode(x=x, y=alt.Y(f"{field}:Q"), text=alt.Text(f"{field}:Q", format=number_format))
    )
    return alt.layer(shape.encode(x=x, y=y), text, data=data).properties(title=title, **PANEL)


def history_chart(rounds: list[dict], trajectory: list[dict], words: dict) -> str | None:
    """Four small charts: counties exited by each round (against the province's poverty
    counties), remaining poor and registry incidence round by round (province_progress), and
    the persons in poverty at each year's end as this batch's registry tells it
    (poverty_trajectory)."""
    if not rounds and not trajectory:
        return None
    panels, datasets = [], {}
    if rounds:
        datasets["rounds"] = rounds
        data = alt.Data(name="rounds")
        x = alt.X("round:O", title=None, sort=None, axis=alt.Axis(labelAngle=0))
        exited = _panel(
            data,
            x,
            "poverty_counties_exited",
            words["history_exited"],
            "#2166ac",
            words["counties"],
            "d",
            "bar",
        )
        totals = sorted({r["poverty_counties"] for r in rounds if r["poverty_counties"]})
        if totals:
            datasets["total"] = [{"total": totals[-1]}]
            total = (
                alt.Chart(alt.Data(name="total"))
                .mark_rule(color=THRESHOLD_COLOUR, strokeDash=[4, 3], strokeWidth=1.5)
                .encode(y=alt.Y("total:Q"))
            )
            exited = alt.layer(exited, total)
        panels.append(exited)
        panels.append(
            _panel(
                data,
                x,
                "remaining_poor",
                words["history_poor"],
                "#762a83",
                words["persons"],
                ",d",
                "bar",
            )
        )
        panels.append(
            _panel(
                data,
                x,
                "registry_incidence",
                words["history_incidence"],
                "#b2182b",
                words["incidence"],
                ".2%",
                "line",
                axis_format=".0%",
            )
        )
    if trajectory:
        x = alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0))
        datasets["trajectory"] = trajectory
        panels.append(
            _panel(
                alt.Data(name="trajectory"),
                x,
                "persons_in_poverty",
                words["history_trajectory"],
                "#1b7837",
                words["persons"],
                ",d",
                "area",
            )
        )
    grid = alt.concat(*panels, columns=2)
    return render(grid, "history", datasets)
