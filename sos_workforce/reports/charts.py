"""Altair chart builders. Pages draw them; tests check the data behind them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import altair as alt
import pandas as pd

from sos_workforce.core.figures import ROUNDED_TOOLTIP, as_shown
from sos_workforce.outcomes import IndicatorSeries
from sos_workforce.profiling import ProgressReport, Timeline
from sos_workforce.surveys import BandTable, BenchmarkRow, Trend

# Low bands in warm colours, high bands in cool ones; readable in greyscale and for
# common colour-vision deficiencies (ColorBrewer RdYlBu endpoints).
_PALETTES = {
    2: ["#d7191c", "#2c7bb6"],
    3: ["#d7191c", "#fdae61", "#2c7bb6"],
    4: ["#d7191c", "#fdae61", "#abd9e9", "#2c7bb6"],
    5: ["#d7191c", "#fdae61", "#ffffbf", "#abd9e9", "#2c7bb6"],
}


def diverging_positions(frame: pd.DataFrame, n_bands: int) -> pd.DataFrame:
    """Add ``start``/``end`` so bands stack left to right, centred on the middle band
    (or on the boundary between the two middle bands when their number is even)."""
    frame = frame.sort_values(["item", "band_index"]).copy()
    starts, ends = [], []
    for _, group in frame.groupby("item", sort=False):
        shares = group["percent"].tolist()
        half = n_bands // 2
        left = sum(shares[:half]) + (shares[half] / 2 if n_bands % 2 else 0)
        position = -left
        for share in shares:
            starts.append(position)
            position += share
            ends.append(position)
    frame["start"] = starts
    frame["end"] = ends
    return frame


def diverging_band_chart(table: BandTable) -> alt.Chart | None:
    """A diverging stacked bar per item; ``None`` when every item is suppressed."""
    frame = table.long_frame()
    if frame.empty:
        return None
    labels = list(table.band_labels)
    palette = _PALETTES.get(len(labels))
    colour_scale = alt.Scale(domain=labels, range=palette) if palette else alt.Scale(domain=labels)
    item_order = [row.label for row in table.rows if not row.suppressed]  # as in the table
    frame = diverging_positions(frame, len(labels))
    chart: alt.Chart = (
        alt.Chart(frame, title="Share of answers in each band")
        .mark_bar()
        .encode(
            x=alt.X(
                "start:Q",
                title="% of those answering (left: low, right: high)",
                axis=alt.Axis(labelExpr="abs(datum.value) + '%'"),
            ),
            x2="end:Q",
            y=alt.Y("item:N", title=None, sort=item_order, axis=alt.Axis(labelLimit=220)),
            color=alt.Color("band:N", scale=colour_scale, sort=labels, title="Band"),
            order=alt.Order("band_index:Q"),
            tooltip=[
                alt.Tooltip("statement:N", title="Statement"),
                alt.Tooltip("band:N", title="Band"),
                alt.Tooltip("percent:Q", title="%", format=ROUNDED_TOOLTIP),
                alt.Tooltip("count:Q", title="Answers"),
                alt.Tooltip("n:Q", title="n answering"),
                alt.Tooltip("ci_low:Q", title="95% CI low", format=ROUNDED_TOOLTIP),
                alt.Tooltip("ci_high:Q", title="95% CI high", format=ROUNDED_TOOLTIP),
            ],
        )
        .properties(height=alt.Step(40))
    )
    return chart


# A heat map's cells are wide enough for "100%" and "hidden" at its label size, and its
# statements are written beneath in lines of a few words, so nothing overlaps.
HEATMAP_CELL_WIDTH = 80
HEATMAP_CELL_HEIGHT = 28
HEATMAP_FONT_SIZE = 11
HEATMAP_LINE_CHARACTERS = 12
# Shares above this get white labels: the "blues" scheme is dark enough there for white
# text (and light enough below it for black) at a contrast of at least 4.5:1.
HEATMAP_WHITE_TEXT_ABOVE = 72


def heatmap_label(share: float | None, status: str) -> str:
    """What a heat-map cell says: its share as shown ("100%"), "hidden" when withheld,
    "—" when nobody answered."""
    if status == "shown":
        return as_shown(share, places=0, unit="%")
    return "—" if status == "no responses" else "hidden"


def wrapped(text: str, width: int = HEATMAP_LINE_CHARACTERS) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken between words (a longer
    word keeps a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [text]


# A heat map's columns are narrow when a page stretches it to a phone's width.
_NARROW = f"bandwidth('x') < {HEATMAP_CELL_WIDTH - 4}"


def _lines_expr(labels: Sequence[str]) -> str:
    """A Vega expression giving each axis label as its wrapped lines (an array of lines is
    drawn one under another)."""
    entries = ", ".join(
        f"{json.dumps(label)}: {json.dumps(wrapped(label))}" for label in dict.fromkeys(labels)
    )
    return f"({{{entries}}}[datum.value] || datum.value)"


def team_heatmap_chart(frame: pd.DataFrame) -> alt.Chart | None:
    """Teams × items, coloured by the share in the top band; withheld cells are grey and
    labelled, never left blank."""
    if frame.empty:
        return None
    frame = frame.assign(
        label=[
            heatmap_label(share, str(status))
            for share, status in zip(frame["top_share"], frame["status"], strict=True)
        ]
    )
    team_order = list(dict.fromkeys(frame["team"]))
    item_order = list(dict.fromkeys(frame["item"]))
    base = alt.Chart(frame).encode(
        x=alt.X(
            "item:N",
            sort=item_order,
            title=None,
            # Across, in lines of a few words, where a column is wide enough; upright
            # where the page squeezes the columns (a phone), so they never run together.
            axis=alt.Axis(
                labelAngle=alt.ExprRef(f"{_NARROW} ? -90 : 0"),
                labelAlign=alt.ExprRef(f"{_NARROW} ? 'right' : 'center'"),
                labelBaseline=alt.ExprRef(f"{_NARROW} ? 'middle' : 'top'"),
                labelExpr=f"{_NARROW} ? datum.value : {_lines_expr(item_order)}",
                labelLimit=0,
                labelFontSize=HEATMAP_FONT_SIZE,
                labelLineHeight=HEATMAP_FONT_SIZE + 2,
                ticks=False,
                domain=False,
            ),
        ),
        y=alt.Y(
            "team:N",
            sort=team_order,
            title=None,
            axis=alt.Axis(labelLimit=260, labelFontSize=HEATMAP_FONT_SIZE, ticks=False),
        ),
        tooltip=[
            alt.Tooltip("team:N", title="Team"),
            alt.Tooltip("item:N", title="Statement"),
            alt.Tooltip("top_share:Q", title="% in top band", format=ROUNDED_TOOLTIP),
            alt.Tooltip("n:Q", title="n answering"),
            alt.Tooltip("status:N", title="Status"),
        ],
    )
    # Null shares would be dropped by Vega-Lite, so withheld cells get their own layer.
    withheld = base.transform_filter("datum.status != 'shown'").mark_rect(
        stroke="white", strokeWidth=2, color="#e0e0e0"
    )
    cells = (
        base.transform_filter("datum.status == 'shown'")
        .mark_rect(stroke="white", strokeWidth=2)
        .encode(
            color=alt.Color(
                "top_share:Q",
                scale=alt.Scale(domain=[0, 100], scheme="blues"),
                title="% in top band",
                legend=alt.Legend(
                    orient="bottom", direction="horizontal", gradientLength=150, format="d"
                ),
            )
        )
    )
    text = base.mark_text(fontSize=HEATMAP_FONT_SIZE, fontWeight="bold").encode(
        text="label:N",
        color=alt.condition(
            f"datum.top_share > {HEATMAP_WHITE_TEXT_ABOVE}", alt.value("white"), alt.value("black")
        ),
    )
    chart: alt.Chart = (withheld + cells + text).properties(
        title=alt.TitleParams(
            ["Share in the top band by team", "(hidden = too few, or derivable by subtraction)"],
            anchor="start",
        ),
        width=alt.Step(HEATMAP_CELL_WIDTH),
        height=alt.Step(HEATMAP_CELL_HEIGHT),
    )
    return chart


def benchmark_frame(
    rows: list[BenchmarkRow], subject: str = "Statement", own: str | None = None
) -> pd.DataFrame:
    """One row per item: this authority's share beside the others' spread. ``own`` names
    our column (default: "Us (% <top band>)", with the number answering beside it); the
    time-use comparison passes "Us" (its number of workers is shown elsewhere)."""

    def fmt(value: float | None) -> str:
        return as_shown(value, unit="%")

    records = []
    for row in rows:
        record = {subject: row.label}
        if own is None:
            record[f"Us (% {row.top_band})"] = fmt(row.own_share)
            record["n"] = "too few" if row.own_n is None else str(row.own_n)
        else:
            record[own] = fmt(row.own_share)
        record |= {
            "Other authorities: median": fmt(row.others.median),
            "Other authorities: middle half": "–"
            if row.others.lower_quartile is None
            else f"{as_shown(row.others.lower_quartile)}–"
            f"{as_shown(row.others.upper_quartile, unit='%')}",
            "Authorities compared": str(row.others.contributors),
            "Statistical neighbours: median": fmt(row.neighbours.median),
        }
        records.append(record)
    return pd.DataFrame.from_records(records).set_index(subject)


def benchmark_chart(
    rows: list[BenchmarkRow], measure: str = "% in the top band"
) -> alt.Chart | None:
    """Dots for this authority against a bar for the others' middle half and a tick at
    their median; ``None`` when no comparison can be shown."""
    records = [
        {
            "item": row.label,
            "own": row.own_share,
            "median": row.others.median,
            "q1": row.others.lower_quartile,
            "q3": row.others.upper_quartile,
        }
        for row in rows
        if row.others.median is not None
    ]
    if not records:
        return None
    frame = pd.DataFrame.from_records(records)
    order = list(frame["item"])
    y = alt.Y("item:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    x_scale = alt.Scale(domain=[0, 100])
    middle = (
        alt.Chart(frame)
        .mark_bar(color="#c6dbef", height=14)
        .encode(x=alt.X("q1:Q", scale=x_scale, title=measure), x2="q3:Q", y=y)
    )
    median = (
        alt.Chart(frame)
        .mark_tick(color="#08519c", thickness=2, size=18)
        .encode(x="median:Q", y=y, tooltip=[alt.Tooltip("median:Q", title="Others' median")])
    )
    own = (
        alt.Chart(frame)
        .mark_point(filled=True, size=90, color="#d94801")
        .encode(x="own:Q", y=y, tooltip=[alt.Tooltip("own:Q", title="Us")])
    )
    chart: alt.Chart = (middle + median + own).properties(
        title="Us (orange) against other authorities (bar: middle half, tick: median)",
        height=alt.Step(34),
    )
    return chart


def trend_frame(trend: Trend) -> pd.DataFrame:
    """Waves × items: "72.3% (+5.1)" where a change may be shown."""
    records = []
    for point in trend.points:
        if point.top_share is None:
            value = "too few"
        elif point.change is None:
            value = as_shown(point.top_share, unit="%")
        else:
            value = f"{as_shown(point.top_share, unit='%')} ({as_shown(point.change, signed=True)})"
        records.append(
            {"Wave": f"{point.wave_title} (v{point.version})", "item": point.label, "value": value}
        )
    if not records:
        return pd.DataFrame()
    frame = pd.DataFrame.from_records(records)
    return frame.pivot_table(
        index="Wave", columns="item", values="value", aggfunc="first", sort=False
    )


def trend_chart(
    trend: Trend, timeline: Timeline | None = None, until: dt.date | None = None
) -> alt.Chart | alt.LayerChart | None:
    """Top-band share per item across waves; a reworded item is a separate line. With a
    ``timeline``, the implementation phases and milestones are drawn behind the lines."""
    records = [
        {
            "date": point.opens_on.isoformat(),
            "wave": point.wave_title,
            "series": point.label if point.version == 1 else f"{point.label} (v{point.version})",
            "series_key": f"{point.item_code}:{point.fingerprint[:8]}",
            "share": point.top_share,
            "n": point.n,
        }
        for point in trend.points
        if point.top_share is not None
    ]
    if len({r["date"] for r in records}) < 2:
        return None
    frame = pd.DataFrame.from_records(records)
    frame["date"] = pd.to_datetime(frame["date"])
    lines: alt.Chart = (
        alt.Chart(frame, title="Share in the top band, wave by wave")
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title="Wave opened", scale=alt.Scale(nice=False)),
            y=alt.Y("share:Q", scale=alt.Scale(domain=[0, 100]), title="% in the top band"),
            color=alt.Color("series:N", title="Statement"),
            detail="series_key:N",
            tooltip=["wave:N", "series:N", alt.Tooltip("share:Q", format=ROUNDED_TOOLTIP), "n:Q"],
        )
    )
    if timeline is None or not timeline.phases:
        return lines
    layers = phase_layers(timeline, until or max(frame["date"]).date(), "Wave opened")
    return alt.LayerChart(
        layer=[*layers, lines],
        title="Share in the top band, wave by wave, over the implementation phases",
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent")),
    )


def measure_trend_chart(
    points: Sequence[tuple[str, float]],
    label: str,
    references: Sequence[tuple[str, Sequence[tuple[str, float]]]] = (),
) -> alt.LayerChart | None:
    """One measure over snapshots (a solid line), with DfE's published figures for England
    or a region at each census date (30 September) as labelled dashed lines."""
    if not points:
        return None
    frame = pd.DataFrame.from_records([{"date": d, "value": v} for d, v in points])
    line = (
        alt.Chart(frame, title=f"{label} over time")
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title="Date"),
            y=alt.Y("value:Q", title=label),
            tooltip=[alt.Tooltip("date:T"), alt.Tooltip("value:Q", format=ROUNDED_TOOLTIP)],
        )
    )
    layers: list[alt.Chart] = [line]
    records = [
        {"reference": name, "date": day, "value": value}
        for name, series in references
        for day, value in series
    ]
    if records:
        refs = pd.DataFrame.from_records(records)
        layers.append(
            alt.Chart(refs)
            .mark_line(point=True, strokeDash=[6, 4], color="#6f777b")
            .encode(
                x="date:T",
                y="value:Q",
                detail="reference:N",
                tooltip=[
                    alt.Tooltip("reference:N", title="DfE"),
                    alt.Tooltip("date:T"),
                    alt.Tooltip("value:Q", format=ROUNDED_TOOLTIP),
                ],
            )
        )
        last = refs.sort_values("date").groupby("reference", as_index=False).last()
        layers.append(
            alt.Chart(last)
            .mark_text(align="left", dx=6, color="#505a5f")
            .encode(x="date:T", y="value:Q", text="reference:N")
        )
    return alt.LayerChart(layer=layers)


# --- time use -------------------------------------------------------------------------------

# Direct work in blues, the rest in a neutral-to-warm range (ColorBrewer, colour-blind safe).
_ACTIVITY_COLOURS = [
    "#08519c",
    "#4292c6",
    "#bdbdbd",
    "#fd8d3c",
    "#fdd0a2",
    "#a1d99b",
    "#41ab5d",
    "#756bb1",
    "#bcbddc",
    "#d94801",
]


def time_share_chart(frame: pd.DataFrame) -> alt.Chart | None:
    """A stacked bar per group (whole period, then teams): the share of recorded time per
    activity, from ``TimeUseReport.activity_frame``; ``None`` when nothing can be shown."""
    if frame.empty:
        return None
    activities = list(dict.fromkeys(frame.sort_values("order")["activity"]))
    groups = list(dict.fromkeys(frame["group"]))
    chart: alt.Chart = (
        alt.Chart(frame, title="Share of recorded time by activity")
        .mark_bar()
        .encode(
            x=alt.X("share:Q", title="% of recorded time", scale=alt.Scale(domain=[0, 100])),
            y=alt.Y("group:N", sort=groups, title=None, axis=alt.Axis(labelLimit=240)),
            color=alt.Color(
                "activity:N",
                sort=activities,
                scale=alt.Scale(domain=activities, range=_ACTIVITY_COLOURS[: len(activities)])
                if len(activities) <= len(_ACTIVITY_COLOURS)
                else alt.Scale(domain=activities),
                title="Activity",
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=300),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("activity:N", title="Activity"),
                alt.Tooltip("share:Q", title="% of recorded time", format=ROUNDED_TOOLTIP),
                alt.Tooltip("minutes:Q", title="Minutes"),
            ],
        )
        .properties(height=alt.Step(30))
    )
    return chart


def hours_chart(frame: pd.DataFrame) -> alt.Chart | None:
    """Hours worked a week beside contracted hours, per group (grouped bars), from
    ``TimeUseReport.hours_frame``."""
    if frame.empty:
        return None
    groups = list(dict.fromkeys(frame["group"]))
    measures = ["Hours worked a week", "Contracted hours a week"]
    chart: alt.Chart = (
        alt.Chart(frame, title="Hours worked against contracted hours (mean per worker)")
        .mark_bar()
        .encode(
            x=alt.X("hours:Q", title="Hours a week"),
            y=alt.Y("group:N", sort=groups, title=None, axis=alt.Axis(labelLimit=240)),
            yOffset=alt.YOffset("measure:N", sort=measures),
            color=alt.Color(
                "measure:N",
                sort=measures,
                scale=alt.Scale(domain=measures, range=["#d94801", "#9ecae1"]),
                title=None,
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("hours:Q", title="Hours", format=ROUNDED_TOOLTIP),
                alt.Tooltip("workers:Q", title="Workers"),
            ],
        )
        .properties(height=alt.Step(14))
    )
    return chart


def confidence_scatter(points: pd.DataFrame, item: str, top_band: str) -> alt.Chart | None:
    """Teams as points: direct-work share against the share in the top confidence band
    for one statement (team aggregates only)."""
    if points.empty:
        return None
    base = alt.Chart(points).encode(
        x=alt.X("direct_share:Q", title="Direct work, % of recorded time"),
        y=alt.Y("top_share:Q", title=f"% rating {top_band}", scale=alt.Scale(domain=[0, 100])),
        tooltip=[
            alt.Tooltip("team:N", title="Team"),
            alt.Tooltip("direct_share:Q", title="Direct work %", format=ROUNDED_TOOLTIP),
            alt.Tooltip("top_share:Q", title=f"% {top_band}", format=ROUNDED_TOOLTIP),
            alt.Tooltip("workers:Q", title="Workers (diary)"),
            alt.Tooltip("respondents:Q", title="Respondents (survey)"),
        ],
    )
    chart: alt.Chart = (
        base.mark_point(filled=True, size=90, color="#08519c")
        + base.mark_text(align="left", dx=7, fontSize=11).encode(text="team:N")
    ).properties(title=f"Direct work and confidence by team: {item}")
    return chart


# --- self-profiling -----------------------------------------------------------------------

_PHASE_COLOURS = ["#f0f0f0", "#deebf7", "#c6dbef", "#e5f5e0"]


def phase_frame(timeline: Timeline, until: dt.date) -> pd.DataFrame:
    """One row per recorded phase with its start and end (open phases end at ``until``)."""
    return pd.DataFrame(
        [
            {
                "phase": span.label,
                "start": pd.Timestamp(span.starts_on),
                "end": pd.Timestamp(span.ends_on or max(until, span.starts_on)),
            }
            for span in timeline.phases
        ],
        columns=["phase", "start", "end"],
    )


def phase_layers(timeline: Timeline, until: dt.date, x_title: str) -> list[alt.Chart]:
    """Shaded implementation phases and dashed milestone rules, to draw behind a time series
    (combine with ``resolve=…color="independent"`` so each keeps its own legend)."""
    x_scale = alt.Scale(nice=False)
    layers: list[alt.Chart] = []
    phases = phase_frame(timeline, until)
    if not phases.empty:
        layers.append(
            alt.Chart(phases)
            .mark_rect(opacity=0.6)
            .encode(
                x=alt.X("start:T", scale=x_scale, title=x_title),
                x2="end:T",
                color=alt.Color(
                    "phase:N",
                    title="Phase",
                    sort=list(phases["phase"]),
                    scale=alt.Scale(
                        domain=list(phases["phase"]), range=_PHASE_COLOURS[: len(phases)]
                    ),
                ),
                tooltip=[alt.Tooltip("phase:N", title="Phase")],
            )
        )
    if timeline.milestones:
        milestones = pd.DataFrame(
            [
                {"milestone": m.title, "achieved_on": pd.Timestamp(m.achieved_on)}
                for m in timeline.milestones
            ]
        )
        layers.append(
            alt.Chart(milestones)
            .mark_rule(strokeDash=[4, 3], color="#636363")
            .encode(
                x=alt.X("achieved_on:T", scale=x_scale),
                tooltip=[
                    alt.Tooltip("milestone:N", title="Milestone"),
                    alt.Tooltip("achieved_on:T", title="Date", format="%d %b %Y"),
                ],
            )
        )
    return layers


def domain_timeline_chart(
    report: ProgressReport, timeline: Timeline, domains: list[str], until: dt.date
) -> alt.LayerChart | None:
    """Each chosen domain's score by round date, over shaded phases and milestone rules."""
    scores = report.scores[report.scores["domain"].isin(domains)].copy()
    if scores.empty:
        return None
    scores["held_on"] = pd.to_datetime(scores["held_on"])
    x_scale = alt.Scale(nice=False)
    layers = phase_layers(timeline, until, "Round date")
    layers.append(
        alt.Chart(scores)
        .mark_line(point=True)
        .encode(
            x=alt.X("held_on:T", scale=x_scale, title="Round date"),
            y=alt.Y("score:Q", scale=alt.Scale(domain=[0, 10]), title="Domain score (0–10)"),
            color=alt.Color("domain:N", title="Domain", sort=domains),
            tooltip=[
                alt.Tooltip("domain:N", title="Domain"),
                alt.Tooltip("round:N", title="Round"),
                alt.Tooltip("held_on:T", title="Date", format="%d %b %Y"),
                alt.Tooltip("score:Q", title="Score", format=ROUNDED_TOOLTIP),
            ],
        )
    )
    return alt.LayerChart(
        layer=layers,
        title="Domain scores across rounds, over the implementation phases",
        height=320,
        # Phases and domains each keep their own legend.
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent")),
    )


def latest_vs_previous_chart(frame: pd.DataFrame) -> alt.LayerChart | None:
    """A dot plot: each domain's previous score (hollow) and latest (filled), joined."""
    if frame.empty:
        return None
    order = list(frame["Domain"])
    long = frame.melt(
        id_vars=["Domain"], value_vars=["Previous", "Latest"], var_name="Round", value_name="Score"
    )
    y = alt.Y("Domain:N", sort=order, title=None)
    x_scale = alt.Scale(domain=[0, 10])
    rule = (
        alt.Chart(frame)
        .mark_rule(color="#969696")
        .encode(y=y, x=alt.X("Previous:Q", scale=x_scale), x2="Latest:Q")
    )
    dots = (
        alt.Chart(long)
        .mark_point(size=90, filled=True)
        .encode(
            y=y,
            x=alt.X("Score:Q", scale=x_scale, title="Domain score (0–10)"),
            color=alt.Color(
                "Round:N",
                scale=alt.Scale(domain=["Previous", "Latest"], range=["#bdbdbd", "#2c7bb6"]),
            ),
            shape=alt.Shape(
                "Round:N",
                scale=alt.Scale(domain=["Previous", "Latest"], range=["circle", "diamond"]),
            ),
            tooltip=["Domain:N", "Round:N", alt.Tooltip("Score:Q", format=ROUNDED_TOOLTIP)],
        )
    )
    return alt.LayerChart(
        layer=[rule, dots], title="Latest round against the previous one", height=alt.Step(24)
    )


# --- outcomes beside the implementation ---------------------------------------------------

# Neither red nor green: a colour would read as a judgement, and the page judges nothing
# unless the authority has set a direction (then in words, beside the table).
_OUTCOME_COLOURS = ["#08519c", "#e6550d", "#756bb1", "#636363"]


def outcome_chart(
    series: IndicatorSeries, timeline: Timeline | None = None
) -> alt.Chart | alt.LayerChart | None:
    """One indicator over the years: the authority, its statistical neighbours' mean, its
    region and England, with the SoS phases shaded and the start date marked. The same
    figures, rounded as shown, are in ``series.table()``."""
    frame = series.chart_frame()
    if frame.empty:
        return None
    order = list(dict.fromkeys(frame["series"]))
    definition = series.definition
    x_title = "Year ending 31 March" if definition.period == "reporting_year" else "Mid-year"
    lines = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("year_end:T", title=x_title, scale=alt.Scale(nice=False)),
            # Not from zero: the lines are read for their course over the years, and the
            # table beside the chart gives every figure.
            y=alt.Y(
                "value:Q",
                title="%" if definition.unit == "percent" else "Per 10,000 children",
                scale=alt.Scale(zero=False),
            ),
            color=alt.Color(
                "series:N",
                sort=order,
                scale=alt.Scale(domain=order, range=_OUTCOME_COLOURS[: len(order)]),
                title=None,
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                sort=order,
                scale=alt.Scale(domain=order, range=[[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("series:N", title="Who"),
                alt.Tooltip("year:N", title="Year"),
                alt.Tooltip("shown:N", title=definition.label),
            ],
        )
    )
    layers: list[alt.Chart] = []
    if timeline is not None:
        until = max(frame["year_end"]).date()
        layers += phase_layers(timeline, until, x_title)
        if timeline.sos_start_date is not None:
            start = pd.DataFrame(
                [{"start": pd.Timestamp(timeline.sos_start_date), "label": "SoS start"}]
            )
            layers.append(
                alt.Chart(start)
                .mark_rule(color="#1b1b1b", strokeWidth=1.5)
                .encode(
                    x=alt.X("start:T", scale=alt.Scale(nice=False)),
                    tooltip=[
                        alt.Tooltip("start:T", title="Signs of Safety start", format="%d %b %Y")
                    ],
                )
            )
    chart: alt.LayerChart = alt.LayerChart(
        layer=[*layers, lines],
        height=240,
        # The height is the plot's (legends and axes come on top of it, also where the page
        # fits the chart to its column's width).
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
        # Phases and series each keep their own legend, both under the chart so a narrow
        # column (the table is beside it) keeps its width for the years.
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent")),
    ).configure_legend(orient="bottom", direction="vertical", columns=1, labelLimit=230)
    return chart


def score_distribution_chart(frame: pd.DataFrame) -> alt.Chart | None:
    """Bars of the share of forms giving each score, from a frame with ``score``,
    ``forms`` and ``percent`` (the conference feedback page's distribution)."""
    if frame.empty or not frame["forms"].sum():
        return None
    chart: alt.Chart = (
        alt.Chart(frame, title="Scores given")
        .mark_bar(color="#1d70b8")
        .encode(
            x=alt.X("score:O", title="Score"),
            y=alt.Y("percent:Q", title="% of forms"),
            tooltip=[
                alt.Tooltip("score:O", title="Score"),
                alt.Tooltip("forms:Q", title="Forms"),
                alt.Tooltip("percent:Q", title="% of forms", format=ROUNDED_TOOLTIP),
            ],
        )
        .properties(height=220)
    )
    return chart


def feedback_quarter_chart(frame: pd.DataFrame) -> alt.Chart | None:
    """The average score quarter by quarter (only quarters shown), from a frame with
    ``quarter``, ``order``, ``mean`` and ``n``; None with fewer than two quarters."""
    shown = frame.dropna(subset=["mean"])
    if len(shown) < 2:
        return None
    order = list(shown.sort_values("order")["quarter"])
    chart: alt.Chart = (
        alt.Chart(shown, title="Average score by quarter")
        .mark_line(point=True, color="#1d70b8")
        .encode(
            x=alt.X("quarter:N", sort=order, title="Quarter of the financial year"),
            y=alt.Y("mean:Q", title="Average score", scale=alt.Scale(domain=[0, 10])),
            tooltip=[
                alt.Tooltip("quarter:N", title="Quarter"),
                alt.Tooltip("mean:Q", title="Average score", format=ROUNDED_TOOLTIP),
                alt.Tooltip("n:Q", title="Forms"),
            ],
        )
        .properties(height=220)
    )
    return chart
