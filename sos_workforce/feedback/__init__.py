"""Conference feedback collected all year: a standing link per form (with a poster and its
QR code), paper forms typed in by a lead, and reports by month, quarter of the financial
year, year or any run of months, under the disclosure gate.

Pages and other domains import from here, never from the modules inside."""

from sos_workforce.feedback.forms import (
    ENTRY_WINDOW_DAYS,
    FeedbackFormSummary,
    FeedbackLink,
    LinkedForm,
    PaperForm,
    enter_paper_forms,
    entry_window,
    issue_feedback_link,
    list_feedback_forms,
    open_feedback_link,
    poster_html,
    qr_svg,
    start_feedback_form,
    submit_feedback,
)
from sos_workforce.feedback.periods import (
    Period,
    financial_year_of,
    financial_year_period,
    month_period,
    months_between,
    months_period,
    quarter_of,
    quarter_period,
)
from sos_workforce.feedback.report import (
    WITHHELD,
    DistributionRow,
    FeedbackReport,
    QuarterRow,
    ScoreRow,
    feedback_csv,
    feedback_report,
    feedback_workbook,
    latest_feedback,
)

__all__ = [
    "ENTRY_WINDOW_DAYS",
    "WITHHELD",
    "DistributionRow",
    "FeedbackFormSummary",
    "FeedbackLink",
    "FeedbackReport",
    "LinkedForm",
    "PaperForm",
    "Period",
    "QuarterRow",
    "ScoreRow",
    "enter_paper_forms",
    "entry_window",
    "feedback_csv",
    "feedback_report",
    "feedback_workbook",
    "financial_year_of",
    "financial_year_period",
    "issue_feedback_link",
    "latest_feedback",
    "list_feedback_forms",
    "month_period",
    "months_between",
    "months_period",
    "open_feedback_link",
    "poster_html",
    "qr_svg",
    "quarter_of",
    "quarter_period",
    "start_feedback_form",
    "submit_feedback",
]
