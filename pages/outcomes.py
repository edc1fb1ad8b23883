"""Outcomes beside the implementation: DfE's indicators for the authority, its statistical
neighbours, its region and England over the years, with the Signs of Safety phases shaded,
the numbers beside each chart, and the change since the start beside the neighbours'
change. Association, not effect. Administrators import DfE's files here."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sos_workforce.core.dates import as_moment
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import SosError
from sos_workforce.dfe import MAX_FILE_BYTES, import_dfe_file, list_dfe_files
from sos_workforce.outcomes import (
    CAUTION,
    CAUTION_HEADING,
    DIRECTIONS,
    FICTIONAL,
    IndicatorSeries,
    OutcomeReport,
    outcome_report,
    set_outcome_direction,
)
from ui import draw_chart, progress_callback, require_actor, runtime, selected_organisation

NO_DIRECTION = "No direction (no judgement)"
JUDGEMENT_WORDS = {
    "better": ":green[Better than the neighbours' change]",
    "worse": ":red[Worse than the neighbours' change]",
    "same": "The same as the neighbours' change",
}

context = runtime()
actor = require_actor(Role.LEAD, Role.EXECUTIVE)
st.title("Outcomes beside the implementation")


def summary(report: OutcomeReport) -> pd.DataFrame:
    """One row per indicator: the latest year beside the neighbours and England, and the
    change since the start beside the neighbours' change over the same years."""
    records = []
    for series in report.indicators:
        latest = series.latest
        comparison = series.comparison
        since = comparison.since_start if comparison else None
        records.append(
            {
                "Indicator": series.definition.label,
                "Latest year": latest.label if latest else "–",
                report.authority_name: series.shown(latest.authority.value) if latest else "–",
                "Statistical neighbours": (
                    series.shown(latest.neighbours.value) if latest else "–"
                ),
                "England": series.shown(latest.england.value) if latest else "–",
                "Change since the start": series.shown_change(since.authority) if since else "–",
                "Neighbours' change, same years": (
                    series.shown_change(since.neighbours) if since else "–"
                ),
            }
        )
    return pd.DataFrame.from_records(records).set_index("Indicator")


def draw_indicator(series: IndicatorSeries, report: OutcomeReport) -> None:
    definition = series.definition
    st.subheader(definition.label)
    st.caption(definition.description)
    chart_column, table_column = st.columns([3, 2])
    with chart_column:
        if not draw_chart("outcome_chart", series, report.timeline):
            st.info("No figures to draw yet.")
    with table_column:
        st.dataframe(series.table(), key=f"outcome_table_{definition.id}", placeholder="—")
    st.markdown(series.sentence())
    for sentence in series.comparison_sentences():
        st.markdown(sentence)
    comparison = series.comparison
    if comparison is not None and comparison.judgement is not None:
        st.markdown(JUDGEMENT_WORDS[comparison.judgement] + " (association, not effect).")
    notes = [series.population_note, *series.not_available_notes()]
    for note in filter(None, notes):
        st.caption(note)
    if series.neighbour_names:
        with st.expander("Each statistical neighbour's figures"):
            st.dataframe(
                series.neighbour_table(), key=f"outcome_neighbours_{definition.id}", placeholder="—"
            )


def draw_directions(report: OutcomeReport, organisation_id: int) -> None:
    """Leads say which way each indicator should move; only then is a change judged."""
    with st.expander("Which way is better? (sets a judgement beside each change)"):
        st.caption(
            "Without a direction the page judges nothing: it shows the change since the start "
            "beside the neighbours' change and leaves the reading to you."
        )
        options = [NO_DIRECTION, *DIRECTIONS.values()]
        by_label = {label: key for key, label in DIRECTIONS.items()}
        with st.form("outcome_directions"):
            chosen = {}
            for series in report.indicators:
                current = DIRECTIONS.get(series.direction or "", NO_DIRECTION)
                chosen[series.definition.id] = (
                    st.selectbox(
                        series.definition.label,
                        options,
                        index=options.index(current),
                        key=f"direction_{series.definition.id}",
                    ),
                    series.direction,
                )
            if st.form_submit_button("Save directions"):
                try:
                    for indicator_id, (label, before) in chosen.items():
                        direction = by_label.get(label)
                        if direction != before:
                            set_outcome_direction(
                                context.db, actor, organisation_id, indicator_id, direction
                            )
                except SosError as error:
                    st.error(str(error))
                else:
                    st.success("Saved.")
                    st.rerun()


def draw_import() -> None:
    st.markdown(
        "Download the files from Explore Education Statistics and import them as they are "
        "(CSV): children in need (B1), referrals and re-referrals (C1), child protection "
        "plans (D3), children looked after, the ONS mid-year population estimates, DfE's "
        "statistical neighbour model, and the children's social work workforce census (its "
        "England, regional and authority rates appear on the workforce page). They are "
        "shared by every organisation. Each file is "
        "checked whole and imported all or nothing; the same file again changes nothing; a "
        "newer release of a file replaces the older one."
    )
    files = list_dfe_files(context.db, actor)
    if files:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "File": f.title,
                        "Name": f.file_name,
                        "Rows": f.rows,
                        "Figures": f.figures,
                        "Imported (UTC)": as_moment(f.imported_at),
                        "Fictional": "yes (demo)" if f.fictional else "",
                    }
                    for f in files
                ]
            ),
            hide_index=True,
            key="dfe_files_table",
            placeholder="—",
        )
    uploads = st.file_uploader(
        "DfE files (CSV)",
        type=["csv"],
        accept_multiple_files=True,
        key="dfe_uploads",
        max_upload_size=MAX_FILE_BYTES // 1_000_000,
    )
    if uploads and st.button("Import", type="primary", key="dfe_import"):
        for upload in uploads:
            bar = st.progress(0.0, text=f"Checking {upload.name}…")
            try:
                result = import_dfe_file(
                    context.db,
                    actor,
                    upload.name,
                    upload,
                    progress=progress_callback(bar, f"Importing {upload.name}…"),
                )
            except SosError as error:
                bar.empty()
                st.error(f"{upload.name}: {error}")
                continue
            bar.progress(1.0, text="Done")
            if not result.created:
                st.info(f"{upload.name} was already imported; nothing changed.")
            else:
                st.success(
                    f"Imported {upload.name} as {result.title}: {result.rows:,} rows, "
                    f"{result.figures:,} figures"
                    + (f", replacing {result.replaced}" if result.replaced else "")
                    + (
                        f" ({result.skipped_rows:,} rows at other geographic levels left out)"
                        if result.skipped_rows
                        else ""
                    )
                    + "."
                )


def draw_outcomes(organisation_id: int) -> None:
    report = outcome_report(context.db, actor, organisation_id)
    st.info(f"**{CAUTION_HEADING}.** {CAUTION}", icon=":material/info:")
    if report.fictional:
        st.warning(FICTIONAL, icon=":material/theater_comedy:")
    if report.missing:
        st.info(report.missing)
    if not report.indicators:
        return
    codes = ", ".join(
        f"{what} {code}"
        for what, code in (("old LA code", report.old_la_code), ("ONS code", report.new_la_code))
        if code
    )
    st.caption(
        f"{report.authority_name} ({codes}). "
        + (
            "Statistical neighbours (DfE's model): "
            + ", ".join(f"{n.name} ({n.closeness.lower()})" for n in report.neighbours)
            + ". Their figure is the mean of the neighbours with a figure that year, as "
            "DfE's LAIT tool shows it."
            if report.neighbours
            else ""
        )
    )
    st.dataframe(summary(report), key="outcome_summary", placeholder="—")
    if actor.role is not Role.EXECUTIVE:
        draw_directions(report, organisation_id)
    for series in report.indicators:
        draw_indicator(series, report)
    if report.files:
        st.caption(
            "Source: Department for Education, Explore Education Statistics ("
            + ", ".join(report.files)
            + "). Contains public sector information licensed under the Open Government "
            "Licence v3.0."
        )


def outcomes_for_selected() -> None:
    chosen = selected_organisation()
    if chosen is None:
        st.info("Choose an organisation in the sidebar first.")
    else:
        draw_outcomes(chosen)


if actor.is_admin:
    outcomes_tab, import_tab = st.tabs(["Outcomes", "Import DfE files"])
    with import_tab:
        draw_import()
    with outcomes_tab:
        outcomes_for_selected()
else:
    outcomes_for_selected()
