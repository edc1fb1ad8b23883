"""Training (leads and administrators): coverage with staff ids, sessions entered or
imported from a learning-system export, targets, and requests from the staff survey for
support or to become an in-house trainer (leads of the authority only)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sos_workforce.core.dates import as_date
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import SosError
from sos_workforce.core.figures import as_shown
from sos_workforce.training import (
    COVERAGE_LEVELS,
    LEVELS,
    STEPS,
    TRAINERS,
    TRAINING_COLUMNS,
    all_courses,
    course_names_in,
    coverage_report,
    delete_session,
    erase_optin,
    import_training,
    list_optins,
    list_sessions,
    preview_training,
    propose_courses,
    record_session,
    record_step,
    set_target,
    training_targets,
    training_template,
)
from ui import (
    audited_download,
    column_mapping,
    require_actor,
    require_organisation,
    runtime,
    upload_megabytes,
)

context = runtime()
actor = require_actor(Role.LEAD)
organisation_id = require_organisation()
k = context.settings.min_group_size
today = dt.date.today()
NOT_SOS = "Not Signs of Safety training (leave out)"
FLASH_KEY = "training_flash"


def share_of(share: float | None, people: int | None, who: str) -> str:
    if people == 0:
        return f"no {who} on the roster"
    return f"{as_shown(share, unit='%')} of {people}"


def draw_coverage() -> None:
    report = coverage_report(context.db, actor, organisation_id, k)
    if report.roster_date is None:
        st.info(
            "No roster yet. Coverage counts the staff in post on the latest roster: import "
            "one on the Workforce and retention page."
        )
        return
    st.caption(
        f"{report.staff} staff in post on the roster of {as_date(report.roster_date)} "
        "(leavers no longer count). Refreshers due are counted apart from those trained."
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Level": level.label,
                    "Trained": level.trained,
                    "Trained %": as_shown(level.share, unit="%"),
                    "Refresher due": level.refresher_due,
                    "Target": as_shown(level.target, unit="%"),
                    "Target met": {True: "Yes", False: "No", None: "–"}[level.target_met],
                }
                for level in report.levels
            ]
        ),
        hide_index=True,
        placeholder="—",
    )
    st.markdown(
        "**Managers with the advanced course:** "
        + share_of(report.managers_advanced, report.managers, "managers")
        + " · **Practice leaders at a session in the last year:** "
        + share_of(report.practice_leaders_attending, report.practice_leaders, "practice leaders")
    )
    if report.practice_sessions:
        with st.expander(
            f"Practice leaders' sessions in the last year ({len(report.practice_sessions)})"
        ):
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Date": as_date(s.held_on),
                            "Session": s.title,
                            "Attended": s.attended,
                        }
                        for s in report.practice_sessions
                    ]
                ),
                hide_index=True,
                placeholder="—",
            )
    for title, groups in (("By team", report.teams), ("By role", report.roles)):
        st.subheader(title)
        st.dataframe(
            pd.DataFrame(
                [
                    {"Group": g.name, "Staff": g.staff}
                    | {
                        f"{LEVELS[level]} %": as_shown(g.shares[level], unit="%")
                        for level in COVERAGE_LEVELS
                    }
                    for g in groups
                ]
            ),
            hide_index=True,
            placeholder="—",
        )
    if report.people:
        with st.expander(f"Staff ({len(report.people)}) and their training"):
            st.dataframe(
                pd.DataFrame(
                    [
                        {"Staff id": p.staff_ref, "Team": p.team, "Role": p.role}
                        | {LEVELS[level]: p.levels[level] for level in LEVELS}
                        for p in report.people
                    ]
                ),
                hide_index=True,
                placeholder="—",
            )


def draw_entry() -> None:
    titles = {course.id: course.title for course in all_courses()}
    with st.form("training_entry", clear_on_submit=True):
        course_id = st.selectbox(
            "Course", list(titles), format_func=titles.__getitem__, key="training_course"
        )
        held_on = st.date_input(
            "Date of the session", today, max_value=today, format="DD/MM/YYYY", key="training_date"
        )
        refs = st.text_area(
            "Staff ids of attendees (one per line or separated by commas)", key="training_refs"
        )
        names = st.text_area(
            "Names of attendees on no roster, such as agency staff (one per line)",
            key="training_names",
        )
        saved = st.form_submit_button("Record the session", type="primary")
    if saved:
        try:
            added = record_session(
                context.db,
                actor,
                organisation_id,
                course_id=str(course_id),
                held_on=held_on,
                staff_refs=refs.replace(",", "\n").splitlines(),
                names=names.splitlines(),
            )
        except SosError as error:
            st.error(str(error))
        else:
            # Rerun so the coverage tab counts the new session; the message survives it.
            st.session_state[FLASH_KEY] = f"Recorded {added} attendance(s)."
            st.rerun()
    sessions = list_sessions(context.db, actor, organisation_id)
    if not sessions:
        st.info("No sessions recorded yet.")
        return
    st.subheader("Sessions recorded")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Date": as_date(s.held_on),
                    "Course": s.course_title,
                    "Level": s.level,
                    "Attendees": s.attendees,
                    "Staff ids": ", ".join(s.staff_refs),
                    "Named attendees": ", ".join(s.names),
                }
                for s in sessions
            ]
        ),
        hide_index=True,
        placeholder="—",
    )
    labels = {s.id: f"{as_date(s.held_on)} · {s.course_title}" for s in sessions}
    chosen = st.selectbox(
        "Delete a session recorded by mistake",
        list(labels),
        format_func=labels.__getitem__,
        index=None,
        key="training_delete_choice",
        placeholder="Choose a session",
    )
    if chosen is not None:
        confirm = st.checkbox(
            "I understand the session and its attendance will be deleted",
            key="training_delete_confirm",
        )
        if st.button("Delete the session", disabled=not confirm, key="training_delete"):
            try:
                delete_session(context.db, actor, organisation_id, int(chosen))
            except SosError as error:
                st.error(str(error))
            else:
                st.success("Deleted.")


def draw_import() -> None:
    audited_download(
        "Download the template (CSV)",
        training_template(),
        kind="training_template_csv",
        organisation_id=organisation_id,
        file_name="training-template.csv",
        mime="text/csv",
        key="training_template",
        icon=":material/download:",
    )
    st.caption(
        "One row per attendee and course: a staff id from your rosters or, for someone on "
        "no roster, a name; the course as your learning system names it; the date (day/"
        "month/year). The whole file is imported or nothing is; the same file twice changes "
        "nothing."
    )
    upload = st.file_uploader(
        "Learning-system export (CSV or Excel)",
        type=["csv", "xlsx"],
        key="training_file",
        max_upload_size=upload_megabytes(context.settings),
    )
    if upload is None:
        return
    data = upload.getvalue()
    try:
        preview = preview_training(data, upload.name)
    except SosError as error:
        st.error(str(error))
        return
    mapping = column_mapping(
        len(preview.table.rows), preview.table.headers, TRAINING_COLUMNS, preview.mapping, "tmap_"
    )
    try:
        names = course_names_in(preview.table, mapping)
    except SosError as error:
        st.error(str(error))
        return
    st.markdown("**Match each course in your file to one of ours:**")
    proposed = propose_courses(names)
    titles = {course.id: course.title for course in all_courses()}
    options: list[str | None] = [None, *titles]
    course_map: dict[str, str | None] = {}
    for index, name in enumerate(names):
        chosen = st.selectbox(
            f"“{name}” is",
            options,
            index=options.index(proposed.get(name)),
            format_func=lambda option: NOT_SOS if option is None else titles[option],
            key=f"tcourse_{index}",
        )
        course_map[name] = chosen
    if st.button("Import", type="primary", key="training_import"):
        try:
            result = import_training(
                context.db,
                actor,
                organisation_id,
                data=data,
                filename=upload.name,
                mapping=mapping,
                course_map=course_map,
            )
        except SosError as error:
            st.error(str(error))
        else:
            if result.created:
                st.success(
                    f"Imported {result.rows} rows: {result.added} new attendance(s) recorded."
                )
            else:
                st.info("This file was already imported; nothing changed.")


def draw_targets() -> None:
    targets = training_targets(context.db, actor, organisation_id)
    st.caption("Leave a target at 0 to clear it.")
    with st.form("training_targets"):
        values: dict[str, float] = {}
        for level in COVERAGE_LEVELS:
            values[level] = st.number_input(
                f"{LEVELS[level]}: target share of staff trained (%)",
                min_value=0.0,
                max_value=100.0,
                value=float(targets.get(level, 0.0)),
                step=5.0,
                key=f"target_{level}",
            )
        values[TRAINERS] = st.number_input(
            "Number of in-house trainers the authority aims for",
            min_value=0,
            max_value=10_000,
            value=int(targets.get(TRAINERS, 0)),
            key="target_trainers",
        )
        saved = st.form_submit_button("Save the targets", type="primary")
    if saved:
        try:
            for measure, value in values.items():
                set_target(context.db, actor, organisation_id, measure, value or None)
        except SosError as error:
            st.error(str(error))
        else:
            st.success("Targets saved.")


def draw_requests() -> None:
    if actor.role is not Role.LEAD:
        st.info(
            "Only the authority's implementation leads see requests for support or to "
            "become a trainer: they carry people's names."
        )
        return
    requests = list_optins(context.db, actor, organisation_id)
    if not requests:
        st.info(
            "No requests yet. In a survey wave that allows it, respondents can ask for "
            "support or to become an in-house trainer; only those who ask appear here."
        )
        return
    st.caption(
        "Only people who asked appear here. What you record is audited without names or answers."
    )
    for request in requests:
        with st.container(border=True):
            st.markdown(
                f"**{request.name}** ({request.email}) · {request.team} · "
                f"{request.asked_for} on {as_date(request.made_on)} ({request.wave})"
            )
            for question, answer in request.shared:
                st.text(f"{question}: {answer}")
            if not request.shared:
                st.caption("No answers shared.")
            st.caption(
                "So far: "
                + (
                    "; ".join(f"{s.label} ({as_date(s.recorded_on)})" for s in request.steps)
                    or "nothing recorded"
                )
            )
            step, record, erase = st.columns([3, 1, 1])
            chosen = step.selectbox(
                f"What followed for {request.name}",
                list(STEPS),
                format_func=STEPS.__getitem__,
                key=f"optin_step_{request.id}",
            )
            if record.button("Record", key=f"optin_record_{request.id}"):
                try:
                    record_step(context.db, actor, organisation_id, request.id, chosen)
                except SosError as error:
                    st.error(str(error))
                else:
                    st.rerun()
            if erase.button("Delete", key=f"optin_erase_{request.id}"):
                st.session_state["optin_confirm"] = request.id
            if st.session_state.get("optin_confirm") == request.id:
                st.warning(f"Delete {request.name}'s request and everything recorded after it?")
                if st.button("Yes, delete it", key=f"optin_erase_yes_{request.id}"):
                    erase_optin(context.db, actor, organisation_id, request.id)
                    st.session_state.pop("optin_confirm", None)
                    st.rerun()


st.title("Training")
if flash := st.session_state.pop(FLASH_KEY, None):
    st.success(str(flash))
tabs = st.tabs(["Coverage", "Record a session", "Import", "Targets", "Requests from the survey"])
with tabs[0]:
    draw_coverage()
with tabs[1]:
    draw_entry()
with tabs[2]:
    draw_import()
with tabs[3]:
    draw_targets()
with tabs[4]:
    draw_requests()
