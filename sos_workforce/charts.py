"""Altair chart builders. Pages draw them; tests check the data behind them."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from sos_workforce.profile_reporting import ProgressReport
from sos_workforce.reporting import BandTable
from sos_workforce.timeline import Timeline

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
    frame = diverging_positions(frame, len(labels))
    item_order = list(dict.fromkeys(frame["item"]))
    chart: alt.Chart = (
        alt.Chart(frame, title=f"{table.title}: share of answers in each band")
        .mark_bar()
        .encode(
            x=alt.X("start:Q", title="% of those answering (left: low, right: high)"),
            x2="end:Q",
            y=alt.Y("item:N", title=None, sort=item_order),
            color=alt.Color("band:N", scale=colour_scale, sort=labels, title="Band"),
            order=alt.Order("band_index:Q"),
            tooltip=[
                alt.Tooltip("statement:N", title="Statement"),
                alt.Tooltip("band:N", title="Band"),
                alt.Tooltip("percent:Q", title="%", format=".1f"),
                alt.Tooltip("count:Q", title="Answers"),
                alt.Tooltip("n:Q", title="n answering"),
                alt.Tooltip("ci_low:Q", title="95% CI low", format=".1f"),
                alt.Tooltip("ci_high:Q", title="95% CI high", format=".1f"),
            ],
        )
        .properties(height=alt.Step(40))
    )
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


def domain_timeline_chart(
    report: ProgressReport, timeline: Timeline, domains: list[str], until: dt.date
) -> alt.LayerChart | None:
    """Each chosen domain's score by round date, over shaded phases and milestone rules."""
    scores = report.scores[report.scores["domain"].isin(domains)].copy()
    if scores.empty:
        return None
    scores["held_on"] = pd.to_datetime(scores["held_on"])
    x_scale = alt.Scale(nice=False)
    layers: list[alt.Chart] = []
    phases = phase_frame(timeline, until)
    if not phases.empty:
        layers.append(
            alt.Chart(phases)
            .mark_rect(opacity=0.6)
            .encode(
                x=alt.X("start:T", scale=x_scale, title="Round date"),
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
                alt.Tooltip("score:Q", title="Score", format=".1f"),
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
            tooltip=["Domain:N", "Round:N", alt.Tooltip("Score:Q", format=".1f")],
        )
    )
    return alt.LayerChart(
        layer=[rule, dots], title="Latest round against the previous one", height=alt.Step(24)
    )
