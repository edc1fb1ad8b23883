"""Time use from the diaries: where the time goes, direct against indirect work, hours
worked against contracted, the spread across workers, change between periods, and
direct time beside confidence by team. Every chart has its numbers in a table beside it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sos_workforce.core.enums import Role
from sos_workforce.core.exports import csv_bytes
from sos_workforce.core.figures import as_shown
from sos_workforce.diaries import (
    BENCHMARKS,
    DEFINITIONS,
    PeriodSummary,
    compare_periods,
    compare_with_others,
    confidence_beside_time,
    disclosure_note,
    list_periods,
    matching_waves,
    period_trend,
    time_use_report,
)
from sos_workforce.reports import (
    benchmark_chart,
    benchmark_frame,
    confidence_scatter,
    hours_chart,
    time_share_chart,
)
from ui import audited_download, require_actor, require_organisation, runtime

context = runtime()
actor = require_actor(Role.LEAD, Role.EXECUTIVE)
organisation_id = require_organisation()
k = context.settings.min_group_size

st.title("Time use")
periods = list_periods(context.db, actor, organisation_id, min_group_size=k)
if not periods:
    st.info(
        "No time diaries yet. An implementation lead launches a diary period for some teams "
        "on the Time diaries page and sends each worker their personal link; where the time "
        f"goes appears here once at least {k} people have recorded their days."
    )
    with st.expander("How the figures are worked out"):
        for line in DEFINITIONS:
            st.markdown(f"- {line}")
    st.stop()


def _label(period: PeriodSummary) -> str:
    return period.label


choice, refresh = st.columns([4, 1], vertical_alignment="bottom")
period = choice.selectbox("Diary period", periods, format_func=_label, key="time_use_period")
refresh.button("Refresh", key="time_use_refresh", icon=":material/refresh:")  # reruns the page
report = time_use_report(context.db, actor, period.id, k)
overall = report.overall
st.caption(
    f"{report.participants} people taking part; {report.weekdays} weekdays "
    f"({report.weeks:g} weeks)."
    + (
        f" Completion: {as_shown(report.completion, unit='%')} of worker-weekdays."
        if report.completion
        else ""
    )
)

if not overall.shown:
    st.warning(
        f"Fewer than {k} people have recorded time in this period, so no figures are shown "
        "yet. They appear as soon as enough people have filled in their diaries."
    )
else:
    assert overall.direct_share is not None and overall.admin_share is not None
    assert overall.hours_per_week is not None and overall.contracted_per_week is not None
    cards = st.columns(4)
    cards[0].metric(
        "Direct work with children and families",
        as_shown(overall.direct_share, unit="%"),
        help=f"Published benchmark: about {BENCHMARKS['direct_share']:g}% face to face.",
    )
    cards[1].metric(
        "Recording and administration",
        as_shown(overall.admin_share, unit="%"),
        help=f"Published benchmark: about {BENCHMARKS['admin_share']:g}%.",
    )
    cards[2].metric(
        "Hours worked a week",
        as_shown(overall.hours_per_week),
        f"{as_shown(overall.extra_hours_per_week, signed=True)} against contracted",
        delta_color="inverse",
        help=f"Mean per worker; contracted {as_shown(overall.contracted_per_week)}. Published: "
        f"{BENCHMARKS['hours_worked']:g} worked against {BENCHMARKS['hours_contracted']:g}.",
    )
    cards[3].metric("Hours per FTE week", as_shown(overall.hours_per_fte_week))
    st.caption(
        f"{overall.workers} workers recorded {as_shown(overall.recorded_hours)} hours. Published "
        f"benchmarks: about {BENCHMARKS['direct_share']:g}% face-to-face, "
        f"{BENCHMARKS['admin_share']:g}% administration; {BENCHMARKS['hours_worked']:g} hours "
        f"worked against {BENCHMARKS['hours_contracted']:g} contracted."
    )

    st.subheader("Where the time goes")
    chart = time_share_chart(report.activity_frame(by="group"))
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    shares = report.share_table()
    st.table(shares)
    hidden = [g.name.strip() for g in report.by_team if g.status == "withheld"]
    if hidden:
        st.caption(
            f"Not shown (fewer than {k} workers, or derivable by subtraction): "
            + ", ".join(hidden)
            + "."
        )

    st.subheader("Hours worked against contracted hours")
    chart = hours_chart(report.hours_frame())
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    summary = report.summary_frame()
    st.table(summary)
    audited_download(
        "Download this table (CSV)",
        csv_bytes(["Group", *summary.columns], summary.reset_index().to_numpy().tolist()),
        kind="time_use_csv",
        organisation_id=organisation_id,
        target=f"diary:{period.id}",
        count=len(summary),
        file_name=f"time-use-{period.id}.csv",
        mime="text/csv",
        key="download_time_use",
        icon=":material/download:",
    )

    st.subheader("By role")
    st.table(report.summary_frame(report.by_role))
    by_role = report.share_table(report.by_role)
    if not by_role.empty:
        st.table(by_role)

    st.subheader("Spread across workers")
    st.caption(
        "Lower quartile, median and upper quartile of each worker's figures: half of the "
        "workers fall between the quartiles."
    )
    st.table(report.spread_frame())

st.subheader("Change between diary periods")
trend = period_trend(context.db, actor, organisation_id, k)
if len(trend) < 2:
    st.info("Launch another diary period later to see how time use changes.")
else:
    hidden_label = f"fewer than {k}"
    st.table(
        pd.DataFrame.from_records(
            [
                {
                    "Period": f"{p.title} ({p.starts_on:%b %Y})",
                    "Workers": str(p.overall.workers) if p.overall.shown else hidden_label,
                    "Direct work %": as_shown(
                        p.overall.direct_share, unit="%", missing=hidden_label
                    ),
                    "Change (points)": as_shown(p.direct_change, signed=True),
                    "Hours per FTE week": as_shown(
                        p.overall.hours_per_fte_week, missing=hidden_label
                    ),
                }
                for p in trend
            ]
        ).set_index("Period")
    )
    others = [p for p in periods if p.id != period.id]
    earlier = st.selectbox(
        "Compare this period by team with", others, format_func=_label, key="time_use_compare"
    )
    first, second = sorted([earlier, period], key=lambda p: (p.starts_on, p.id))
    comparison = compare_periods(context.db, actor, first.id, second.id, k)
    st.table(
        pd.DataFrame.from_records(
            [
                {
                    "Group": row.group,
                    f"Direct % ({first.title})": as_shown(
                        row.before.direct_share, unit="%", missing=hidden_label
                    ),
                    f"Direct % ({second.title})": as_shown(
                        row.after.direct_share, unit="%", missing=hidden_label
                    ),
                    "Change (points)": as_shown(row.direct_change, signed=True),
                    "Change in hours per FTE week": as_shown(row.hours_change, signed=True),
                    "Why no change is shown": row.note or "",
                }
                for row in comparison.rows
            ]
        ).set_index("Group")
    )
    st.caption(
        f"A change is shown only when both periods have at least {k} workers in the group "
        f"and the number of workers moved by 0 or at least {k}."
    )

st.subheader("Direct time and confidence by team")
waves = matching_waves(context.db, actor, period.id)
if not waves:
    st.info(
        "No survey wave covers these teams yet. When a confidence survey includes the same "
        "teams, each team's direct-work share appears here beside its confidence."
    )
else:
    wave = st.selectbox(
        "Survey wave",
        waves,
        format_func=lambda w: f"{w.title} ({w.opens_on:%b %Y}, {w.shared_teams} teams shared)",
        key="time_use_wave",
    )
    link = confidence_beside_time(context.db, actor, period.id, wave.wave_id, k)
    if not link.rows:
        st.info("No team has figures in both the diary period and this wave.")
    else:
        item = st.selectbox("Statement", link.items, key="time_use_item")
        scatter = confidence_scatter(link.points(item), item, link.top_band)
        if scatter is not None:
            st.altair_chart(scatter, width="stretch")
        st.table(link.frame(k))
        st.caption(
            "Team figures only: the diary shows each team's share of recorded time in direct "
            "work, the survey the share of the team's respondents in the top band. Survey "
            "answers are anonymous and never matched to a person's diary."
        )

st.subheader("How we compare")
comparison_rows = compare_with_others(context.db, actor, period.id, k, own=report)
if comparison_rows[0].others.median is None:
    st.info(
        "No comparison yet: other authorities' time use is shown only when at least five "
        f"of them have closed a diary period with at least {k} people recording."
    )
else:
    chart = benchmark_chart(comparison_rows, "% of recorded time")
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    st.table(benchmark_frame(comparison_rows, "Work", "Us"))
    st.caption(
        "Each other authority's latest closed diary period, as a median and middle half "
        "(quartiles), never by name."
    )

with st.expander("How the figures are worked out"):
    for line in DEFINITIONS:
        st.markdown(f"- {line}")
    st.markdown(f"- {disclosure_note(k)}")
