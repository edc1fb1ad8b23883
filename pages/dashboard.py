"""Executive dashboard: staff confidence (as in Brent's scrutiny report) by team, over
time and against other authorities, with every figure under disclosure control."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sos_workforce.access import team_tree
from sos_workforce.core.enums import Role, WaveStatus
from sos_workforce.core.errors import SosError
from sos_workforce.core.exports import csv_bytes
from sos_workforce.core.figures import as_shown
from sos_workforce.privacy import MAX_FILTERS
from sos_workforce.profiling import get_timeline
from sos_workforce.reports import benchmark_frame, dashboard_workbook, scrutiny_report, trend_frame
from sos_workforce.surveys import (
    FILTER_LABELS,
    TOO_FEW,
    WHOLE_WAVE,
    WaveCounts,
    WaveSummary,
    all_organisations,
    benchmark_wave,
    free_text,
    instrument_trend,
    latest_with_results,
    list_neighbours,
    list_waves,
    set_neighbours,
    team_heatmap,
)
from ui import (
    audited_download,
    draw_chart,
    guarded_fragment,
    require_actor,
    require_organisation,
    runtime,
    wave_counts,
)

context = runtime()
actor = require_actor(Role.LEAD, Role.EXECUTIVE)
organisation_id = require_organisation()
k = context.settings.min_group_size
WHOLE_AUTHORITY = "Whole authority (all teams)"

st.title("Staff confidence")
waves = list_waves(context.db, actor, organisation_id)
if not waves:
    st.info(
        "No survey results yet. When an implementation lead launches a wave and staff "
        "respond, the results appear here."
    )
    st.stop()

picker, report_column = st.columns([4, 1], vertical_alignment="bottom")
wave: WaveSummary = picker.selectbox(
    "Survey wave",
    waves,
    index=latest_with_results(waves, k),  # not a newer wave with nothing to show yet
    format_func=lambda w: w.label,
    key="dashboard_wave",
)
with report_column:
    audited_download(
        "Scrutiny report",
        lambda: scrutiny_report(context.db, actor, organisation_id, wave.id, k).encode("utf-8"),
        kind="scrutiny_report_html",
        organisation_id=organisation_id,
        target=f"wave:{wave.id}",
        file_name=f"scrutiny-report-wave-{wave.id}.html",
        mime="text/html",
        key="download_report",
        icon=":material/description:",
        help="An accessible HTML report of this wave: tables, charts with alt text, trends, "
        "benchmarks and what was withheld.",
    )


def _filters(counts: WaveCounts) -> dict[str, str]:
    """Role / employment type / tenure pickers, for the grouping questions this survey asked."""
    if counts.filters_withheld is not None:
        st.info(counts.filters_withheld, icon=":material/filter_alt_off:")
        return {}
    options = counts.filter_options()
    if not options:
        st.caption(
            "This survey did not ask about role, employment type or time with the authority, "
            "so its results cannot be filtered by them."
        )
        return {}
    chosen: dict[str, str] = {}
    columns = st.columns(len(options))
    for column, (name, values) in zip(columns, options.items(), strict=True):
        value = column.selectbox(
            FILTER_LABELS[name], ["Everyone", *values], key=f"dashboard_filter_{name}"
        )
        if value != "Everyone":
            chosen[name] = value
    st.caption(
        f"Filters use respondents' own answers. Combine at most {MAX_FILTERS}; a filtered "
        f"group is shown only when every group it splits into has at least {k} people."
    )
    return chosen


@guarded_fragment
def confidence_block(wave: WaveSummary) -> None:
    """Team picker, band table and chart: changing the team reruns only this block."""
    counts: WaveCounts = wave_counts(wave.id)
    teams = team_tree([(t, counts.names[t], p or None) for t, p in counts.parents.items()])
    group_names = {WHOLE_WAVE: "All teams"} | {t.id: t.indented_name for t in teams}
    team_picker, refresh = st.columns([4, 1], vertical_alignment="bottom")
    group = team_picker.selectbox(
        "Team (with its sub-teams)",
        list(group_names),
        format_func=group_names.__getitem__,
        key="dashboard_team",
    )
    # Every rerun checks for new responses; the button lets people watch a live wave.
    refresh.button("Refresh results", icon=":material/refresh:", key="refresh_results")
    if counts.status is WaveStatus.OPEN:
        st.info(
            f"Results update after every {counts.release_step} new answers in a team, so "
            "nobody's answers can be picked out by comparing this page from one moment to "
            "the next. Answers that arrived since the last update wait until then.",
            icon=":material/schedule:",
        )
    elif counts.held_back:
        st.info(
            "A few answers that arrived after the last update are held back: adding fewer "
            f"than {counts.release_step} to a team's figures would show what those people "
            "said.",
            icon=":material/lock:",
        )
    filters = _filters(counts)
    if len(filters) > MAX_FILTERS:
        st.error(f"Combine at most {MAX_FILTERS} filters at a time, so no small group is exposed.")
        return
    tables = counts.tables_for(group, k, filters)
    scope = WHOLE_AUTHORITY if group == WHOLE_WAVE else f"Team {group_names[group].strip()}"
    scope += " (filtered)" if filters else ""
    st.subheader(scope, anchor=False)
    if tables and tables[0].respondents is None:
        st.warning(
            f"{scope} has {TOO_FEW} to show: fewer than {k} people, or few enough that the "
            "figures could be worked out from other groups'. Choose a larger group"
            + (" or fewer filters." if filters else ".")
        )
        return
    target = f"wave:{wave.id}" + ("" if group == WHOLE_WAVE else f" team:{group}")
    for index, table in enumerate(tables):
        if index == 0:
            st.markdown(
                f"**{table.respondents} respondents.** Percentages are of those who answered "
                f"each statement; rows with fewer than {k} answers show “{TOO_FEW}”."
            )
            st.caption(
                f"Answered by {counts.definition.audience_words}; each statement "
                f"{counts.definition.range_words()}."
            )
        if len(tables) > 1:
            st.markdown(f"**Statements banded {' / '.join(table.band_labels)}**")
        frame = table.to_frame()
        table_column, chart_column = st.columns([3, 2])
        with table_column:
            # A real HTML table: readable by screen readers (and browser tests).
            st.table(table.display_frame())
            audited_download(
                "Download table (CSV)",
                csv_bytes(list(frame.columns), frame.itertuples(index=False)),
                kind="band_table_csv",
                organisation_id=organisation_id,
                target=target,
                count=len(frame),
                file_name=f"confidence-wave-{wave.id}"
                + (f"-{index + 1}" if len(tables) > 1 else "")
                + ".csv",
                mime="text/csv",
                # One button per band scheme: a key each (two scales, two tables).
                key=f"download_band_table_{index}",
                icon=":material/download:",
            )
        with chart_column:
            if draw_chart("diverging_band_chart", table):
                st.caption(
                    "Bars diverge from the middle band: low ratings to the left, high "
                    "to the right. Hover for counts and 95% intervals."
                )
    if tables:
        audited_download(
            "Download tables (Excel)",
            lambda: dashboard_workbook(
                context.db, actor, organisation_id, wave.id, group, k, filters
            ),
            kind="wave_workbook_xlsx",
            organisation_id=organisation_id,
            target=target,
            count=sum(len(table.rows) for table in tables),
            file_name=f"confidence-wave-{wave.id}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="download_workbook",
            icon=":material/table_view:",
        )


confidence_block(wave)

if any(item.kind == "text" for item in wave_counts(wave.id).definition.items):
    st.subheader(f"Comments: {WHOLE_AUTHORITY.lower()}")
    for comments in free_text(context.db, actor, wave.id, min_group_size=k):
        with st.expander(f"{comments.question} ({len(comments.comments)} comments)"):
            if comments.respondents is None:
                st.info(
                    f"Comments are shown only for groups of at least {2 * k} respondents, "
                    "because the way people write can identify them."
                )
            elif not comments.comments:
                st.write("Nobody has commented on this question.")
            else:
                # A dataframe shows text exactly as typed; nothing is rendered as HTML.
                st.dataframe(
                    pd.DataFrame({"Comment": comments.comments}),
                    hide_index=True,
                    width="stretch",
                    placeholder="—",
                )

st.subheader("Team by team")
st.caption(
    "Every team of the authority side by side, whichever team is chosen above: the share "
    "of each team's respondents in the top band."
)
heatmap = team_heatmap(wave_counts(wave.id), k)
if heatmap.empty:
    st.info("This organisation has no teams yet.")
else:
    draw_chart("team_heatmap_chart", heatmap)
    with st.expander("The numbers behind this chart"):
        shown = heatmap.assign(
            value=[
                f"{as_shown(share, unit='%')} (n={int(n)})" if status == "shown" else status
                for share, n, status in zip(
                    heatmap["top_share"], heatmap["n"], heatmap["status"], strict=True
                )
            ]
        ).pivot_table(index="team", columns="item", values="value", aggfunc="first", sort=False)
        st.table(shown)
    st.caption(
        f"Cells marked “hidden” have fewer than {k} answers, or could be worked out by "
        "subtracting other teams from a larger group, so they are withheld."
    )

st.subheader(f"Over time: {WHOLE_AUTHORITY.lower()}")
st.caption(
    "The trend, greatest progress and weakest areas are the whole authority's (every team "
    "together), whichever team is chosen above."
)
trend = instrument_trend(
    context.db, actor, organisation_id, wave_counts(wave.id).definition.code, k
)
timeline = get_timeline(context.db, actor, organisation_id)
trend_column, ranking_column = st.columns([3, 2])
with trend_column:
    has_trend = draw_chart("trend_chart", trend, timeline)
if not has_trend:
    trend_column.info(
        "A trend appears once there are two waves of this survey with enough answers."
    )
else:
    with ranking_column:
        st.markdown("**Greatest progress, whole authority** (rise since the first wave)")
        if trend.greatest_progress:
            st.table(
                {
                    "Statement": [p.label for p in trend.greatest_progress],
                    "Change (points)": [
                        as_shown(p.change, signed=True) for p in trend.greatest_progress
                    ],
                }
            )
            st.caption("Only statements whose top-band share rose are listed.")
        else:
            st.info(
                "No statement's share in the top band has risen since the first wave, so "
                "there is no progress to show."
            )
        st.markdown("**Weakest areas, whole authority** (current share in the top band)")
        st.table(
            {
                "Statement": [p.label for p in trend.weakest],
                "Now": [as_shown(p.latest_share, unit="%") for p in trend.weakest],
            }
        )
st.table(trend_frame(trend))
for note in trend.notes:
    st.warning(note)
st.caption(
    f"Changes are shown in brackets only where both waves had at least {k} answers and the "
    f"number answering moved by none or by {k} or more."
)


@guarded_fragment
def comparison_block(wave: WaveSummary) -> None:
    st.subheader(f"How we compare: {WHOLE_AUTHORITY.lower()}")
    comparison = benchmark_wave(context.db, actor, wave.id, k)
    if not draw_chart("benchmark_chart", comparison):
        st.info(
            "No comparison yet: other authorities' figures are shown only when at least "
            "five of them have used the same version of this survey."
        )
    st.table(benchmark_frame(comparison))
    st.caption(
        "Other authorities appear only as a median and middle half (quartiles), never by "
        "name, and only where at least five contribute; each uses its latest wave of the "
        "same survey version. Statistical neighbours are DfE's (its statistical-neighbour "
        "model, once the authority's LA code is recorded and the model imported); until "
        "then an administrator sets them."
    )
    if actor.is_admin:  # a group a lead could choose could isolate one authority
        with st.expander("Statistical neighbours"):
            st.caption(
                "Used only while this authority has no DfE LA code or DfE's model is not "
                "imported: then DfE's neighbours are the comparator group."
            )
            names = {o.id: o.name for o in all_organisations(context.db, actor)}
            names.pop(organisation_id, None)
            current = [n for n in list_neighbours(context.db, actor, organisation_id) if n in names]
            chosen = st.multiselect(
                "Our statistical neighbours",
                list(names),
                default=current,
                format_func=names.__getitem__,
                key="neighbours",
            )
            if st.button("Save neighbours", key="save_neighbours"):
                try:
                    set_neighbours(context.db, actor, organisation_id, chosen)
                except SosError as error:
                    st.error(str(error))
                else:
                    st.rerun(scope="fragment")


comparison_block(wave)
