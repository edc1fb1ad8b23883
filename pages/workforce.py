"""Workforce and retention: DfE census measures by snapshot, team and role beside DfE's own
figures (from the census an administrator imported); establishment, roster imports and
summary figures for leads."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sos_workforce.core.dates import as_date
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import SosError
from sos_workforce.core.figures import as_shown
from sos_workforce.dfe import SYMBOLS
from sos_workforce.surveys import latest_item_result
from sos_workforce.workforce import (
    BOTH,
    NOT_AVAILABLE,
    PRECEDENCE,
    RATE_COLUMNS,
    ROSTER,
    ROSTER_COLUMNS,
    SUMMARY,
    SUMMARY_FIELDS,
    CensusReport,
    Measure,
    census_date,
    census_report,
    establishment_sheet,
    import_roster,
    list_snapshots,
    measure_trend,
    preview_roster,
    roster_template,
    save_summary,
    set_establishment,
    snapshot_report,
    summary_figures,
    teams_in,
)
from ui import (
    audited_download,
    column_mapping,
    draw_chart,
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
today = dt.date.today()

FICTIONAL_CENSUS = (
    "Fictional figures: the DfE census rows for the demo authority, its region and England "
    "are invented for the demonstration. They are not DfE's statistics."
)


def long_date(day: dt.date) -> str:
    return as_date(day, long=True)


def codes_legend(codes: list[str]) -> str:
    return "; ".join(f"**{code}**: {SYMBOLS[code]}" for code in codes)


def census_notes(census: CensusReport) -> None:
    if census.fictional:
        st.warning(FICTIONAL_CENSUS, icon=":material/theater_comedy:")
    if census.missing:
        st.info(census.missing)


def draw_measures(census: CensusReport) -> None:
    snapshots = list_snapshots(context.db, actor, organisation_id)
    if not snapshots:
        st.info(
            "No workforce figures yet. An implementation lead can import an HR roster "
            "or enter summary figures."
        )
        return
    chosen = st.selectbox(
        "Snapshot", snapshots, key="workforce_snapshot", format_func=lambda s: s.label
    )
    report = snapshot_report(context.db, actor, organisation_id, chosen.as_of, k)
    if report.combined is not None:
        used = [label for name, label, _ in SUMMARY_FIELDS if name in report.combined.from_summary]
        aside = [label for name, label, _ in SUMMARY_FIELDS if name in report.combined.set_aside]
        st.info(
            "A roster and summary figures share this date. "
            f"{PRECEDENCE[report.combined.precedence]}."
            + (f" From the summary: {'; '.join(used)}." if used else "")
            + (f" Not used (the roster's figures count): {'; '.join(aside)}." if aside else "")
        )
    if not report.measures:
        st.warning(f"Fewer than {k} staff in this snapshot: figures are withheld.")
        return
    if report.headcount is not None:
        st.markdown(f"**{report.headcount} staff in post** on {long_date(report.as_of)}.")
    year = census.year_for(report.as_of)
    beside = census.areas() if year is not None else []
    codes: set[str] = set()
    records = []
    for m in report.measures:
        record = {
            "Measure": m.label,
            "Value": m.display,
            "Numerator": m.numerator_shown,
            "Denominator": m.denominator_shown,
        }
        for area in beside:
            assert year is not None
            figure = area.rate(m.key, year) if m.key in RATE_COLUMNS else None
            record[f"{area.name} (DfE, 30 Sep {year})"] = "–" if figure is None else figure.display
            if figure is not None and figure.symbol in SYMBOLS:
                codes.add(figure.symbol)
        record["How it is calculated"] = m.definition
        records.append(record)
    st.table(pd.DataFrame.from_records(records).set_index("Measure"))
    st.caption(
        f"“{NOT_AVAILABLE}” means the figures needed were not recorded or the denominator "
        "is zero; a recorded 0 counts as zero. DfE columns: the children's social work "
        "workforce census on 30 September, as DfE publishes it (DfE's own rates)."
        + (f" DfE's codes: {codes_legend(sorted(codes))}." if codes else "")
    )
    if census.file_name is not None and year is None:
        st.caption("DfE's census file has no count on or before this date to compare with.")
    if census.missing:
        st.caption(f"DfE's figures: {census.missing}")
    if report.figures:
        with st.expander("The figures these measures are worked from"):
            st.table(
                pd.DataFrame(list(report.figures), columns=["Figure", "Value"]).set_index("Figure")
            )
    draw_trend(census, [m for m in report.measures if m.unit == "%"])
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
                + (
                    " A team's permanent share and vacancy rate need its establishment "
                    "(the Establishment tab)."
                    if title == "By team"
                    else ""
                )
            )
    if report.leavers_by_reason:
        st.subheader("Leavers in the year by reason")
        st.table(
            pd.DataFrame(
                list(report.leavers_by_reason.items()), columns=["Reason", "Leavers"]
            ).set_index("Reason")
        )


def draw_trend(census: CensusReport, percent_measures: list[Measure]) -> None:
    history = measure_trend(context.db, actor, organisation_id, k)
    labels = {m.key: m.label for m in percent_measures}
    if len(history) < 2 or not labels:
        return
    key = st.selectbox(
        "Trend of", list(labels), key="workforce_trend", format_func=labels.__getitem__
    )
    points = [
        (r.as_of.isoformat(), m.value)
        for r in history
        for m in r.measures
        if m.key == key and m.value is not None
    ]
    references = []
    if census.england is not None and key in RATE_COLUMNS:
        references.append(
            (
                "England (DfE)",
                tuple(
                    (census_date(y.year).isoformat(), y.rates[key].value)
                    for y in census.england.years
                    if y.rates[key].value is not None
                ),
            )
        )
    if draw_chart("measure_trend_chart", tuple(points), labels[key], tuple(references)):
        table: dict[str, dict[str, str]] = {}
        for day, value in points:
            table.setdefault(day, {})[labels[key]] = as_shown(value, unit="%")
        for name, series in references:
            for day, reference in series:
                table.setdefault(day, {})[name] = as_shown(reference, unit="%")
        st.table(
            pd.DataFrame.from_dict(table, orient="index")
            .sort_index()
            .rename(index=lambda day: as_date(dt.date.fromisoformat(day)))
            .rename_axis("Date")
            .fillna("–")
        )


def draw_census(census: CensusReport) -> None:
    census_notes(census)
    if census.file_name is None:
        return
    st.markdown(
        "DfE's children's social work workforce census counts on **30 September** each "
        "year (the 2025 census is 30 September 2025). Rates are DfE's as published."
    )
    labels = {
        "turnover": "Turnover rate",
        "agency": "Agency rate",
        "vacancy": "Vacancy rate",
        "caseload": "Average caseload",
        "absence": "Sickness absence rate",
    }
    for area in census.areas():
        st.subheader(f"{area.name}: DfE's rates")
        st.table(
            pd.DataFrame.from_records(
                [
                    {
                        "Census": year.label,
                        **{labels[key]: year.rates[key].display for key in RATE_COLUMNS},
                    }
                    for year in reversed(area.years)
                ]
            ).set_index("Census")
        )
    authority = census.authority
    if authority is not None:
        key = st.selectbox(
            "Compare DfE's rate with the app's calculation from DfE's counts",
            list(RATE_COLUMNS),
            key="census_compare",
            format_func=labels.__getitem__,
        )
        st.table(
            pd.DataFrame.from_records(
                [
                    {
                        "Census": year.label,
                        "DfE's rate": year.rates[key].display,
                        "Worked out from DfE's counts": year.worked[key].display,
                        "Numerator": year.worked[key].numerator_shown,
                        "Denominator": year.worked[key].denominator_shown,
                    }
                    for year in reversed(authority.years)
                ]
            ).set_index("Census")
        )
        st.caption(
            "DfE works its rates from unrounded counts and publishes the counts rounded to "
            "one decimal, so a rate worked out from the published counts can differ "
            "slightly. The app always shows DfE's rate."
        )
    codes = census.codes_used()
    if codes:
        st.caption(f"“{NOT_AVAILABLE} (code)”: DfE's codes are {codes_legend(codes)}.")


def draw_establishment() -> None:
    st.markdown(
        "Funded posts and vacancies (FTE) for each team on a date. They give the permanent "
        "share of establishment and the vacancy rate, for the whole authority and per "
        "team, for the roster or summary figures of the same date. Leave a team's posts "
        "blank to leave it out; leave vacancies blank if they are not recorded."
    )
    dates = [s.as_of for s in list_snapshots(context.db, actor, organisation_id)]
    as_of = st.date_input(
        "Establishment on",
        dates[0] if dates else today,
        key="establishment_as_of",
        format="DD/MM/YYYY",
        max_value=today,
    )
    sheet = establishment_sheet(context.db, actor, organisation_id, as_of)
    stamp = as_of.isoformat()
    with st.form(f"establishment_{stamp}"):
        if not sheet.rows:
            st.info("No teams yet: add one below, or import a roster first.")
        elif sheet.roster_date is not None and not sheet.entered:
            st.caption(f"Teams from the roster of {long_date(sheet.roster_date)}.")
        entries: list[tuple[str, float | None, float | None]] = []
        for index, row in enumerate(sheet.rows):
            left, middle, right = st.columns([2, 1, 1])
            left.markdown(f"**{row.team}**")
            posts = middle.number_input(
                f"Posts (FTE), {row.team}",
                min_value=0.0,
                value=row.posts_fte,
                step=1.0,
                key=f"est_posts_{stamp}_{index}",
            )
            vacancies = right.number_input(
                f"Vacancies (FTE), {row.team}",
                min_value=0.0,
                value=row.vacancies_fte,
                step=1.0,
                key=f"est_vac_{stamp}_{index}",
            )
            entries.append((row.team, posts, vacancies))
        st.markdown("**Add a team**")
        left, middle, right = st.columns([2, 1, 1])
        new_team = left.text_input("Team name", key=f"est_new_team_{stamp}")
        new_posts = middle.number_input(
            "Posts (FTE)", min_value=0.0, value=None, step=1.0, key=f"est_new_posts_{stamp}"
        )
        new_vacancies = right.number_input(
            "Vacancies (FTE)", min_value=0.0, value=None, step=1.0, key=f"est_new_vac_{stamp}"
        )
        if new_team.strip():
            entries.append((new_team, new_posts, new_vacancies))
        if st.form_submit_button("Save establishment"):
            missing_posts = [team for team, posts, vac in entries if posts is None and vac]
            if missing_posts:
                st.error("Enter the posts of: " + ", ".join(missing_posts) + ".")
                return
            rows = [(team, posts, vac) for team, posts, vac in entries if posts is not None]
            try:
                set_establishment(context.db, actor, organisation_id, as_of, rows)
            except SosError as error:
                st.error(str(error))
            else:
                total = sum(posts for _, posts, _ in rows)
                st.success(
                    f"Saved the establishment for {long_date(as_of)}: {len(rows)} team(s), "
                    f"{as_shown(total)} posts (FTE)."
                )
    if any(s.as_of == as_of for s in list_snapshots(context.db, actor, organisation_id)):
        report = snapshot_report(context.db, actor, organisation_id, as_of, k)
        shown = [m for m in report.measures if m.key in {"permanent_share", "vacancy"}]
        if shown:
            st.markdown(f"**With the workforce figures of {long_date(as_of)}:**")
            st.table(
                pd.DataFrame.from_records(
                    [
                        {
                            "Measure": m.label,
                            "Value": m.display,
                            "Numerator": m.numerator_shown,
                            "Denominator": m.denominator_shown,
                        }
                        for m in shown
                    ]
                ).set_index("Measure")
            )


def precedence_choice(key: str, what: str) -> str | None:
    return st.radio(
        f"{what} Whose figures count where both have one?",
        list(PRECEDENCE),
        index=None,
        format_func=PRECEDENCE.__getitem__,
        key=key,
    )


def draw_import() -> None:
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
        "Snapshot date", today, key="roster_as_of", format="DD/MM/YYYY", max_value=today
    )
    if upload is None:
        return
    data = upload.getvalue()
    try:
        table, proposed = preview_roster(data, upload.name)
    except SosError as error:
        st.error(str(error))
        return
    mapping = column_mapping(len(table.rows), table.headers, ROSTER_COLUMNS, proposed, "map_")
    teams = teams_in(table, mapping)
    establishment: list[tuple[str, float, float | None]] = []
    with st.expander(f"Establishment of these {len(teams)} team(s) on this date (optional)"):
        st.caption(
            "Posts entered here replace the whole establishment of this date (teams left "
            "blank are left out of it); leave every team blank to keep what is already "
            "entered. Leave vacancies blank if they are not recorded."
        )
        for index, team in enumerate(teams):
            left, right = st.columns(2)
            posts = left.number_input(
                f"Posts (FTE), {team}", min_value=0.0, value=None, key=f"imp_posts_{index}"
            )
            vacancies = right.number_input(
                f"Vacancies (FTE), {team}", min_value=0.0, value=None, key=f"imp_vac_{index}"
            )
            if posts is not None:
                establishment.append((team, posts, vacancies))
    precedence = None
    same_day = [s for s in list_snapshots(context.db, actor, organisation_id) if s.as_of == as_of]
    if same_day and same_day[0].kind == SUMMARY:
        precedence = precedence_choice(
            "roster_precedence", f"Summary figures were entered for {long_date(as_of)}."
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
                establishment=establishment or None,
                precedence=precedence,
            )
        except SosError as error:
            bar.empty()
            st.error(str(error))
        else:
            bar.progress(1.0, text="Done")
            if result.created:
                st.success(
                    f"Imported {result.rows} staff as at {long_date(as_of)}"
                    + (
                        f", with the establishment of {len(establishment)} team(s)"
                        if establishment
                        else ""
                    )
                    + "."
                )
            else:
                st.info("This file was already imported; nothing changed.")


def draw_summary() -> None:
    st.markdown(
        "For authorities without row-level HR data: the figures of DfE's workforce census "
        "(counted on 30 September) or any other date. **Leave a figure blank if it is not "
        "recorded; enter 0 only when it is zero** (for example no agency workers)."
    )
    as_of = st.date_input("As at", today, key="summary_as_of", format="DD/MM/YYYY", max_value=today)
    stamp = as_of.isoformat()
    saved = summary_figures(context.db, actor, organisation_id, as_of) or {}
    same_day = [s for s in list_snapshots(context.db, actor, organisation_id) if s.as_of == as_of]
    has_roster = bool(same_day) and same_day[0].kind in {ROSTER, BOTH}
    with st.form(f"workforce_summary_{stamp}"):
        if saved:
            st.caption(f"Figures saved for {long_date(as_of)}: change them and save again.")
        columns = st.columns(2)
        values: dict[str, float | int | None] = {}
        for index, (name, label, is_fte) in enumerate(SUMMARY_FIELDS):
            current = saved.get(name)
            if is_fte:
                values[name] = columns[index % 2].number_input(
                    label,
                    min_value=0.0,
                    value=None if current is None else float(current),
                    step=0.1,
                    key=f"s_{name}_{stamp}",
                )
            else:
                values[name] = columns[index % 2].number_input(
                    label,
                    min_value=0,
                    value=None if current is None else int(current),
                    step=1,
                    key=f"s_{name}_{stamp}",
                )
        precedence = (
            precedence_choice(
                f"summary_precedence_{stamp}",
                f"A roster was imported for {long_date(as_of)}.",
            )
            if has_roster
            else None
        )
        if st.form_submit_button("Save figures"):
            try:
                result = save_summary(
                    context.db,
                    actor,
                    organisation_id,
                    as_of,
                    values,
                    precedence=precedence,
                )
            except SosError as error:
                st.error(str(error))
            else:
                st.success(result.message)


def draw_intention_to_stay() -> None:
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


st.title("Workforce and retention")
census = census_report(context.db, actor, organisation_id)
names = ["Measures", "DfE's census"]
if can_edit:
    names += ["Establishment", "Import a roster", "Enter summary figures"]
tabs = st.tabs(names)
with tabs[0]:
    if census.fictional:
        st.warning(FICTIONAL_CENSUS, icon=":material/theater_comedy:")
    draw_measures(census)
    draw_intention_to_stay()
with tabs[1]:
    draw_census(census)
if can_edit:
    with tabs[2]:
        draw_establishment()
    with tabs[3]:
        draw_import()
    with tabs[4]:
        draw_summary()
