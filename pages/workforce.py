"""Workforce and retention: DfE census measures by snapshot, team and role; imports."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sos_workforce.core.enums import Role
from sos_workforce.core.errors import SosError
from sos_workforce.core.figures import as_shown
from sos_workforce.reports import measure_trend_chart
from sos_workforce.surveys import latest_item_result
from sos_workforce.workforce import (
    ENGLAND,
    NOT_AVAILABLE,
    ROSTER_COLUMNS,
    import_roster,
    list_snapshots,
    measure_trend,
    preview_roster,
    roster_template,
    save_summary,
    snapshot_report,
)
from ui import (
    audited_download,
    column_mapping,
    progress_callback,
    require_actor,
    require_organisation,
    runtime,
    upload_megabytes,
)

context = runtime()
actor = require_actor(Role.LEAD, Role.EXECUTIVE)
organisation_id = require_organisation()
k = context.settings.min_group_size
can_edit = actor.is_admin or actor.role is Role.LEAD


def _reference(key: str, year: int) -> str:
    return as_shown(ENGLAND[year].get(key), unit="" if key == "caseload" else "%")


st.title("Workforce and retention")
tabs = st.tabs(
    ["Measures", "Import a roster", "Enter summary figures"] if can_edit else ["Measures"]
)

with tabs[0]:
    snapshots = list_snapshots(context.db, actor, organisation_id)
    if not snapshots:
        st.info(
            "No workforce figures yet. An implementation lead can import an HR roster "
            "or enter summary figures."
        )
    else:
        chosen = st.selectbox(
            "Snapshot",
            snapshots,
            key="workforce_snapshot",
            format_func=lambda s: (
                f"{s.as_of:%d %B %Y} ({'roster' if s.kind == 'roster' else 'summary figures'})"
            ),
        )
        report = snapshot_report(context.db, actor, organisation_id, chosen.as_of, k)
        if not report.measures:
            st.warning(f"Fewer than {k} staff in this snapshot: figures are withheld.")
        else:
            if report.headcount is not None:
                st.markdown(f"**{report.headcount} staff in post** on {report.as_of:%d %B %Y}.")
            st.table(
                pd.DataFrame.from_records(
                    [
                        {
                            "Measure": m.label,
                            "Value": m.display,
                            "Numerator": "–" if m.numerator is None else f"{m.numerator:g}",
                            "Denominator": "–" if m.denominator is None else f"{m.denominator:g}",
                            **{f"England {year}": _reference(m.key, year) for year in ENGLAND},
                            "How it is calculated": m.definition,
                        }
                        for m in report.measures
                    ]
                ).set_index("Measure")
            )
            st.caption(
                f"“{NOT_AVAILABLE}” means the figures needed were not recorded or the "
                "denominator is zero. England values: DfE children's social work "
                "workforce census."
            )
        history = measure_trend(context.db, actor, organisation_id, k)
        percent_measures = {m.key: m.label for m in report.measures if m.unit == "%"}
        if len(history) > 1 and percent_measures:
            key = st.selectbox(
                "Trend of",
                list(percent_measures),
                key="workforce_trend",
                format_func=percent_measures.__getitem__,
            )
            points = [
                (r.as_of.isoformat(), m.value)
                for r in history
                for m in r.measures
                if m.key == key and m.value is not None
            ]
            chart = measure_trend_chart(
                points,
                percent_measures[key],
                {
                    f"England {year}": values[key]
                    for year, values in ENGLAND.items()
                    if key in values
                },
            )
            if chart is not None:
                st.altair_chart(chart, width="stretch")
                st.table(
                    pd.DataFrame(points, columns=["Snapshot", percent_measures[key]]).set_index(
                        "Snapshot"
                    )
                )
        for title, groups in (("By team", report.by_team), ("By role", report.by_role)):
            if groups:
                st.subheader(title)
                st.table(
                    pd.DataFrame.from_records(
                        [
                            {
                                "Group": g.group,
                                "Staff": str(g.people) if g.people is not None else "withheld",
                                **{m.label: m.display for m in g.measures if m.unit == "%"},
                            }
                            for g in groups
                        ]
                    )
                    .set_index("Group")
                    .fillna("withheld")
                )
                st.caption(
                    f"Groups with fewer than {k} staff (or derivable by subtraction) are withheld."
                )
        if report.leavers_by_reason:
            st.subheader("Leavers in the year by reason")
            st.table(
                pd.DataFrame(
                    list(report.leavers_by_reason.items()), columns=["Reason", "Leavers"]
                ).set_index("Reason")
            )
        st.subheader("Intention to stay")
        stay = latest_item_result(context.db, actor, organisation_id, "intention_to_stay", k)
        if stay is None:
            st.info(
                "None of this organisation's surveys asks about intention to stay yet; when "
                "one does (item code intention_to_stay), its answers appear here."
            )
        elif stay.row.percents is None:
            st.warning(f"{stay.wave_title}: too few answers to show (fewer than {k}).")
        else:
            st.markdown(f"“{stay.row.text}” — {stay.wave_title}, n = {stay.row.n}")
            st.table(
                {
                    band: [as_shown(share, unit="%")]
                    for band, share in zip(stay.band_labels, stay.row.percents, strict=True)
                }
            )

if can_edit:
    with tabs[1]:
        audited_download(
            "Download the template (CSV)",
            roster_template(),
            kind="roster_template_csv",
            organisation_id=organisation_id,
            file_name="roster-template.csv",
            mime="text/csv",
            key="roster_template",
            icon=":material/download:",
        )
        st.caption(
            "One row per member of staff in post or who left in the 12 months before "
            "the snapshot date. Dates are day/month/year. Staff ids must be "
            "pseudonymous (no names)."
        )
        upload = st.file_uploader(
            "Roster file (CSV or Excel)",
            type=["csv", "xlsx"],
            key="roster_file",
            max_upload_size=upload_megabytes(context.settings),
        )
        as_of = st.date_input(
            "Snapshot date",
            dt.date.today(),
            key="roster_as_of",
            format="DD/MM/YYYY",
            max_value=dt.date.today(),
        )
        if upload is not None:
            data = upload.getvalue()
            try:
                table, proposed = preview_roster(data, upload.name)
            except SosError as error:
                st.error(str(error))
            else:
                mapping = column_mapping(
                    len(table.rows), table.headers, ROSTER_COLUMNS, proposed, "map_"
                )
                if st.button("Import", type="primary", key="roster_import"):
                    bar = st.progress(0.0, text="Checking rows…")
                    try:
                        result = import_roster(
                            context.db,
                            actor,
                            organisation_id,
                            data=data,
                            filename=upload.name,
                            as_of=as_of,
                            mapping=mapping,
                            progress=progress_callback(bar, "Checking rows…"),
                        )
                    except SosError as error:
                        bar.empty()
                        st.error(str(error))
                    else:
                        bar.progress(1.0, text="Done")
                        if result.created:
                            st.success(f"Imported {result.rows} staff as at {as_of:%d %B %Y}.")
                        else:
                            st.info("This file was already imported; nothing changed.")

    with tabs[2], st.form("workforce_summary"):
        st.markdown(
            "For authorities without row-level HR data. Leave unknown figures "
            "at 0 and they are treated as not recorded."
        )
        summary_date = st.date_input(
            "As at", dt.date.today(), key="summary_as_of", format="DD/MM/YYYY"
        )
        left, right = st.columns(2)
        posts = left.number_input("Establishment posts", 0.0, step=1.0, key="s_posts")
        permanent = right.number_input(
            "Permanent social workers (headcount)", 0, step=1, key="s_permanent"
        )
        employed = left.number_input("Employed FTE", 0.0, key="s_employed")
        agency = right.number_input("Agency FTE", 0.0, key="s_agency")
        vacancies = left.number_input("Vacancy FTE", 0.0, key="s_vacancy")
        leavers = right.number_input("Leavers in the year (FTE)", 0.0, key="s_leavers")
        if st.form_submit_button("Save figures"):
            try:
                save_summary(
                    context.db,
                    actor,
                    organisation_id,
                    summary_date,
                    establishment_posts=posts or None,
                    permanent_headcount=permanent or None,
                    employed_fte=employed or None,
                    agency_fte=agency or None,
                    vacancy_fte=vacancies or None,
                    leavers_fte=leavers or None,
                )
            except SosError as error:
                st.error(str(error))
            else:
                st.success(f"Saved the figures for {summary_date:%d %B %Y}.")
