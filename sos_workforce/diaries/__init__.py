"""Time diaries: activity codes, periods and personal links, a day's entries and their rules,
imports, sealed totals and time use.

Pages and other domains import from here, never from the modules inside."""

from sos_workforce.diaries import days, erasure, imports, periods, tallies
from sos_workforce.diaries.codes import diary_codes
from sos_workforce.diaries.days import (
    MINUTES_PER_DAY,
    STANDARD_WEEKLY_HOURS,
    Entry,
    EntryInput,
    check_day,
    hours_and_minutes,
    period_days,
    provisional_total,
)
from sos_workforce.diaries.entries import (
    DiaryView,
    copy_previous_day,
    day_entries,
    open_diary,
    save_day,
)
from sos_workforce.diaries.erasure import erase_diary_worker, purge_expired_periods
from sos_workforce.diaries.imports import (
    DiaryImportResult,
    diary_columns,
    diary_template,
    import_diaries,
    preview_diaries,
)
from sos_workforce.diaries.periods import (
    DiaryLink,
    ParticipantInput,
    PeriodSummary,
    close_period,
    launch_period,
    links_csv,
    list_periods,
    participation,
    reissue_links,
    reopen_period,
    roster_participants,
)
from sos_workforce.diaries.tallies import seal_period
from sos_workforce.diaries.time_use import (
    BENCHMARKS,
    DEFINITIONS,
    compare_periods,
    compare_with_others,
    confidence_beside_time,
    disclosure_note,
    matching_waves,
    period_trend,
    time_use_report,
)

__all__ = [
    "seal_period",
    "BENCHMARKS",
    "DEFINITIONS",
    "DiaryImportResult",
    "DiaryLink",
    "DiaryView",
    "Entry",
    "EntryInput",
    "MINUTES_PER_DAY",
    "ParticipantInput",
    "PeriodSummary",
    "STANDARD_WEEKLY_HOURS",
    "check_day",
    "close_period",
    "compare_periods",
    "compare_with_others",
    "confidence_beside_time",
    "copy_previous_day",
    "day_entries",
    "days",
    "diary_codes",
    "diary_columns",
    "diary_template",
    "disclosure_note",
    "erase_diary_worker",
    "erasure",
    "hours_and_minutes",
    "import_diaries",
    "imports",
    "launch_period",
    "links_csv",
    "list_periods",
    "matching_waves",
    "open_diary",
    "participation",
    "period_days",
    "period_trend",
    "periods",
    "preview_diaries",
    "provisional_total",
    "purge_expired_periods",
    "reissue_links",
    "reopen_period",
    "roster_participants",
    "save_day",
    "tallies",
    "time_use_report",
]
