"""Implementation progress: domain scores across self-profiling rounds against the phase
timeline, greatest progress and weakest areas, sustainment, readiness by team, and the
comparison with other authorities by experience."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from sos_workforce.core.dates import as_date
from sos_workforce.core.enums import Role
from sos_workforce.core.figures import as_shown
from sos_workforce.profiling import (
    HIGH_LEVEL,
    MIN_ORGANISATIONS,
    SUSTAINMENT_DROP,
    experience_comparison,
    get_timeline,
    progress_report,
    readiness,
)
from sos_workforce.reports import domain_timeline_chart, latest_vs_previous_chart
from sos_workforce.surveys import latest_with_results, list_waves
from ui import require_actor, require_organisation, runtime


def one_decimal(frame: pd.DataFrame) -> Styler:
    """Scores as people read them: one decimal place (half up); other cells as they are."""
    return frame.style.format(
        lambda value: as_shown(value) if isinstance(value, float) else str(value), na_rep="–"
    )


context = runtime()
actor = require_actor(Role.LEAD, Role.EXECUTIVE)
organisation_id = require_organisation()
k = context.settings.min_group_size

st.title("Implementation progress")
progress_tab, readiness_tab, comparison_tab = st.tabs(
    ["Progress across rounds", "Readiness by team", "Compared with other authorities"]
)
report = progress_report(context.db, actor, organisation_id)

with progress_tab:
    if report is None:
        st.info(
            "No self-profiling round has closed yet. When the implementation lead closes a "
            "round with agreed scores, progress appears here."
        )
    else:
        timeline = get_timeline(context.db, actor, organisation_id)
        st.caption(
            f"{report.instrument}. Each domain's score is the mean of its items' agreed "
            "scores (0–10) in a closed round."
            + (
                f" {report.other_version_rounds} earlier round(s) used another version "
                "of the instrument and are not compared."
                if report.other_version_rounds
                else ""
            )
        )
        st.table(
            pd.DataFrame(
                [
                    {
                        "Round": r.title,
                        "Date": as_date(r.held_on),
                        "Phase": r.phase or "not recorded",
                        "Experience": r.band.label if r.band else "not recorded",
                    }
                    for r in report.rounds
                ]
            ).set_index("Round")
        )

        flags = report.sustainment_flags()
        st.subheader("Sustainment")
        for flag in flags:
            st.warning(f"Fallen back: {flag.message}", icon=":material/trending_down:")
        if not flags:
            st.success("No domain has fallen back after reaching a high level.")
        st.caption(
            f"A domain is flagged when, after reaching {HIGH_LEVEL:g} or more in an earlier "
            f"round, its latest score is {SUSTAINMENT_DROP:g} point or more below that peak."
        )

        st.subheader("Domain scores over time")
        titles = [title for _, title in report.domains]
        chosen = st.multiselect("Domains", titles, default=titles, key="progress_domains")
        chart_column, table_column = st.columns([3, 2])
        with chart_column:
            chart = domain_timeline_chart(report, timeline, chosen, dt.date.today())
            if chart is None:
                st.info("Choose at least one domain.")
            else:
                st.altair_chart(chart, width="stretch")
                st.caption(
                    "Shaded bands are the implementation phases; dashed lines are milestones."
                )
        with table_column:
            st.dataframe(
                one_decimal(report.wide().loc[chosen]), key="domain_scores_table", placeholder="—"
            )

        progress_column, weakest_column = st.columns(2)
        with progress_column:
            st.subheader("Greatest progress")
            if len(report.rounds) < 2:
                st.info("Progress needs at least two closed rounds.")
            else:
                gains = report.greatest_progress()
                if gains.empty:
                    st.info(
                        "No domain has risen since the first round, so there is no progress "
                        "to show yet."
                    )
                else:
                    st.caption(
                        "Domains that rose since the first round, largest rise first. "
                        "Domains that stayed level or fell are not listed."
                    )
                    st.table(one_decimal(gains.set_index("Rank")))
        with weakest_column:
            st.subheader("Weakest areas")
            st.caption("Latest score, lowest first.")
            st.table(one_decimal(report.weakest_areas().set_index("Rank")))

        st.subheader("Latest round against the previous one")
        dots = report.latest_vs_previous()
        if dots.empty:
            st.info("This needs at least two closed rounds.")
        else:
            dot_column, dot_table = st.columns([3, 2])
            with dot_column:
                dot_chart = latest_vs_previous_chart(dots)
                if dot_chart is not None:
                    st.altair_chart(dot_chart, width="stretch")
            with dot_table:
                st.dataframe(
                    one_decimal(dots),
                    hide_index=True,
                    key="latest_vs_previous_table",
                    placeholder="—",
                )

with readiness_tab:
    st.write(
        "Staff confidence for each team beside the organisation's self-profile, to help "
        "target support. The parts are shown side by side; there is no combined score."
    )
    waves = list_waves(context.db, actor, organisation_id)
    if not waves:
        st.info("No staff confidence survey yet. Launch a wave to see teams here.")
    else:
        wave = st.selectbox(
            "Confidence survey wave",
            waves,
            index=latest_with_results(waves, k),  # not a newer wave with nothing to show yet
            format_func=lambda w: w.label,
            key="readiness_wave",
        )
        result = readiness(context.db, actor, organisation_id, wave.id, min_group_size=k)
        teams_column, profile_column = st.columns([3, 2])
        with teams_column:
            st.markdown("**Staff confidence by team** (% of those answering in each band)")
            st.dataframe(result.teams, hide_index=True, key="readiness_teams", placeholder="—")
            st.caption(
                f"Teams with fewer than {k} respondents, and statements answered by fewer "
                f"than {k}, show “too few responses”."
            )
        with profile_column:
            if result.profile is None:
                st.info("No closed self-profiling round yet.")
            else:
                st.markdown(f"**Organisation profile** ({result.profile_round})")
                st.dataframe(
                    one_decimal(result.profile),
                    hide_index=True,
                    key="readiness_profile",
                    placeholder="—",
                )

with comparison_tab:
    comparison = experience_comparison(context.db, actor, organisation_id)
    if comparison is None:
        st.info("The comparison needs a closed self-profiling round for this organisation.")
    else:
        counts = ", ".join(
            f"{band.label}: {n}" for band, n in comparison.organisations_by_band.items()
        )
        st.write(
            f"Median domain scores of each authority's latest closed round on "
            f"{comparison.instrument}, grouped by how long the authority had used Signs of "
            f"Safety at the time. Authorities per group: {counts}."
        )
        hidden = f"fewer than {MIN_ORGANISATIONS} authorities"
        table = comparison.table.set_index("Domain").astype(object)
        for band, n in comparison.organisations_by_band.items():
            if n < MIN_ORGANISATIONS:
                table[band.label] = hidden
        st.table(one_decimal(table))
        st.caption(
            f"A group's medians show only when at least {MIN_ORGANISATIONS} authorities "
            "contribute."
            + (
                f" This organisation was “{comparison.own_band.label}” at its latest round."
                if comparison.own_band
                else " Set this organisation's SoS start date to place it in a group."
            )
            + (
                f" {comparison.without_start_date} authority(ies) without a start date are "
                "left out."
                if comparison.without_start_date
                else ""
            )
        )
