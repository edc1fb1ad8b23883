"""Conference feedback results: n, the average score, the distribution, each statement, by
agency and by quarter, for any month, quarter of the financial year, year or run of
months, in the words of Brent's scrutiny report, with CSV and Excel downloads."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sos_workforce.core.enums import Role
from sos_workforce.core.figures import as_shown
from sos_workforce.feedback import (
    ENTRY_WINDOW_DAYS,
    FeedbackReport,
    Period,
    feedback_csv,
    feedback_report,
    feedback_workbook,
    financial_year_of,
    financial_year_period,
    list_feedback_forms,
    months_between,
    months_period,
    quarter_of,
)
from ui import audited_download, draw_chart, require_actor, require_organisation, runtime

context = runtime()
actor = require_actor(Role.LEAD, Role.EXECUTIVE)
organisation_id = require_organisation()
k = context.settings.min_group_size
today = dt.date.today()

st.title("Conference feedback")
forms = [
    f for f in list_feedback_forms(context.db, actor, organisation_id) if f.form_id is not None
]
if not forms:
    st.info(
        "No conference feedback is collected yet. An implementation lead can start a form, "
        "print its poster with a QR code for the conference room and type in paper forms "
        "on the Conference feedback forms page."
    )
    st.stop()

form = st.selectbox("Feedback form", forms, format_func=lambda f: f.label, key="feedback_form")
assert form.form_id is not None
if form.first_month is None:
    st.info(
        f"No {form.audience_words} have sent this form yet. Figures appear here once a "
        f"month with at least {k} forms has ended."
    )
    st.stop()

months = list(reversed(months_between(form.first_month, today)))


def _final(period: Period) -> bool:
    """Whether a period's figures can be final (ended, and the paper forms typed in)."""
    return period.ends_on + dt.timedelta(days=ENTRY_WINDOW_DAYS) < today


def _latest_final(periods: list[Period]) -> int:
    """The index of the newest period that can show figures (the first is the newest)."""
    return next((i for i, p in enumerate(periods) if _final(p)), 0)


kind = st.radio(
    "Show figures for",
    ["Quarter", "Month", "Financial year", "Months from … to …"],
    horizontal=True,
    key="feedback_period_kind",
)
period: Period
if kind == "Month":
    month = st.selectbox("Month", months, format_func=lambda m: f"{m:%B %Y}", key="feedback_month")
    period = months_period(month, month)
elif kind == "Quarter":
    quarters = list(dict.fromkeys(quarter_of(m) for m in months))
    period = st.selectbox(
        "Quarter (financial year, April to March)",
        quarters,
        index=_latest_final(quarters),
        format_func=lambda q: q.label,
        key="feedback_quarter",
    )
elif kind == "Financial year":
    years = list(dict.fromkeys(financial_year_of(m) for m in months))
    period = financial_year_period(
        st.selectbox(
            "Financial year",
            years,
            format_func=lambda y: financial_year_period(y).label,
            key="feedback_year",
        )
    )
else:
    start_column, end_column = st.columns(2)
    oldest_first = list(reversed(months))
    first = start_column.selectbox(
        "From the start of", oldest_first, format_func=lambda m: f"{m:%B %Y}", key="feedback_from"
    )
    last = end_column.selectbox(
        "To the end of", months, format_func=lambda m: f"{m:%B %Y}", key="feedback_to"
    )
    if last < first:
        st.error("The last month must not be before the first.")
        st.stop()
    period = months_period(first, last)

report: FeedbackReport = feedback_report(context.db, actor, form.form_id, period, k)
st.subheader(period.label)
if not report.shown:
    st.info(report.explanation, icon=":material/lock_clock:")
else:
    st.markdown(f"**{report.sentence()}**")
    left, right = st.columns(2)
    left.metric(f"Number of {report.audience_words}", str(report.n))
    right.metric(f"Average score{report.out_of}", as_shown(report.mean))

    st.markdown("**Scores given**")
    table_column, chart_column = st.columns([2, 3])
    with table_column:
        st.table(
            pd.DataFrame(
                {
                    "Score": [str(r.score) for r in report.distribution],
                    report.count_heading: [str(r.forms) for r in report.distribution],
                    "% of forms": [as_shown(r.percent, unit="%") for r in report.distribution],
                }
            ).set_index("Score")
        )
    with chart_column:
        draw_chart("score_distribution_chart", report.distribution_frame())
        st.caption("The share of forms giving each score; the numbers are in the table.")

    if report.statements:
        st.markdown("**Each statement**")
        st.table(
            pd.DataFrame(
                {
                    "Statement": [r.label for r in report.statements],
                    report.count_heading: [
                        "withheld" if r.n is None else str(r.n) for r in report.statements
                    ],
                    report.mean_heading: [as_shown(r.mean, missing="–") for r in report.statements],
                    "Note": [r.note for r in report.statements],
                }
            ).set_index("Statement")
        )
    if report.breakdown_label:
        st.markdown(f"**By {report.breakdown_label.lower()}**")
        if report.by_breakdown:
            st.table(
                pd.DataFrame(
                    {
                        report.breakdown_label: [r.label for r in report.by_breakdown],
                        report.count_heading: [str(r.n) for r in report.by_breakdown],
                        report.mean_heading: [as_shown(r.mean) for r in report.by_breakdown],
                    }
                ).set_index(report.breakdown_label)
            )
    for note in report.notes:
        st.caption(note)
    if report.comments is not None:
        with st.expander(f"Comments ({len(report.comments)})"):
            if report.comments:
                # A dataframe shows text exactly as typed; nothing is rendered as HTML.
                st.dataframe(
                    pd.DataFrame({"Comment": report.comments}),
                    hide_index=True,
                    width="stretch",
                    placeholder="—",
                )
            else:
                st.write("Nobody wrote a comment in this period.")

st.subheader("By quarter of the financial year")
quarter_table = pd.DataFrame(
    {
        "Quarter": [q.period.label for q in report.quarters],
        report.count_heading: ["–" if q.n is None else str(q.n) for q in report.quarters],
        report.mean_heading: [as_shown(q.mean) for q in report.quarters],
    }
).set_index("Quarter")
trend_column, numbers_column = st.columns([3, 2])
with trend_column:
    if not draw_chart("feedback_quarter_chart", report.quarter_frame()):
        st.info("A trend appears once two quarters can be shown.")
with numbers_column:
    st.table(quarter_table)
st.caption(
    f"A period's figures appear once it has ended, {ENTRY_WINDOW_DAYS} days have passed for "
    f"paper forms to be typed in, and it holds at least {k} forms (months with fewer are "
    "counted together with the next). Shown figures never change afterwards."
)

slug = f"conference-feedback-{form.code}-v{form.version}-{period.first:%Y-%m}-{period.last:%Y-%m}"
target = f"feedback_form:{form.form_id} {period.first:%Y-%m}..{period.last:%Y-%m}"
csv_column, xlsx_column = st.columns(2)
with csv_column:
    audited_download(
        "Download figures (CSV)",
        feedback_csv(report),
        kind="feedback_csv",
        organisation_id=organisation_id,
        target=target,
        file_name=f"{slug}.csv",
        mime="text/csv",
        key="download_feedback_csv",
        icon=":material/download:",
    )
with xlsx_column:
    audited_download(
        "Download figures (Excel)",
        feedback_workbook(report),
        kind="feedback_xlsx",
        organisation_id=organisation_id,
        target=target,
        file_name=f"{slug}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="download_feedback_xlsx",
        icon=":material/table_view:",
    )
