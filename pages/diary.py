"""A worker's time diary, opened from their personal link (``/diary?d=<token>``). No
account needed. The link works for the whole period: pick a day, record the activities
(minutes, or start and end times), save; come back and change any day until the period
is closed."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from sos_workforce.core.dates import as_date, as_day
from sos_workforce.core.errors import InvalidInput, LinkRefused
from sos_workforce.core.tabular import parse_time
from sos_workforce.diaries import (
    MINUTES_PER_DAY,
    DiaryView,
    Entry,
    EntryInput,
    check_day,
    copy_previous_day,
    day_entries,
    diary_codes,
    hours_and_minutes,
    open_diary,
    provisional_total,
    save_day,
)
from ui import runtime

context = runtime()
codes = diary_codes(context.settings.surveys_dir)
token = st.query_params.get("d", "")
COLUMNS = ["Activity", "Start", "End", "Minutes", "SoS tool"]
NO_TOOL = "(none)"
FLASH_KEY = "diary_flash"
TIME_TYPE = pd.ArrowDtype(pa.time64("us"))

try:
    view: DiaryView = open_diary(context.db, token)
except LinkRefused as refusal:
    st.title("Time diary")
    st.warning(str(refusal))
    st.stop()

st.title("Time diary")
st.caption(
    f"{view.organisation} · {view.team} · staff id {view.worker_ref} · {view.title}: "
    f"{as_date(view.starts_on, long=True)} to {as_date(view.ends_on, long=True)}"
)
st.write(
    "Record how you spent your working time each day: the activity and either the minutes "
    "or the start and end times. Please include work done in the evening or at the "
    "weekend. No names or case details: only the kind of activity. You can come back to "
    f"this link and change any day until {as_date(view.open_until, long=True)}, unless the diary "
    "period is closed earlier."
)
with st.expander("What the activities mean"):
    st.table(
        pd.DataFrame.from_records(
            [
                {
                    "Activity": code.label,
                    "Direct work?": "direct" if code.direct else "indirect",
                    "Includes": code.help or "",
                }
                for code in codes.codes
            ]
        ).set_index("Activity")
    )
    st.caption(
        "For direct work you can also say which Signs of Safety tool you used, if any "
        "(for example mapping, safety planning or Three Houses)."
    )


def _day_label(day: dt.date) -> str:
    return as_day(day) + (" (today)" if day == dt.date.today() else "")


days = [summary.day for summary in view.days]
day: dt.date = st.selectbox(
    "Day", days, index=len(days) - 1, format_func=_day_label, key="diary_day"
)
saved_day = next(d for d in view.days if d.day == day)
st.caption(
    f"Saved for this day: {hours_and_minutes(saved_day.minutes)} in {saved_day.entries} "
    f"{'entry' if saved_day.entries == 1 else 'entries'}."
    if saved_day.entries
    else "Nothing saved for this day yet."
)

rows_key, version_key = f"diary_rows_{day.isoformat()}", f"diary_version_{day.isoformat()}"


def _rows_of(entries: list[Entry]) -> list[dict[str, Any]]:
    return [
        {
            "Activity": codes.label_of(e.activity),
            "Start": e.starts_at,
            "End": e.ends_at,
            "Minutes": float(e.minutes),
            "SoS tool": codes.tool_label(e.sos_tool) if e.sos_tool else None,
        }
        for e in entries
    ]


def _reset(rows: list[dict[str, Any]]) -> None:
    """Put ``rows`` in the grid (a new widget key, so the grid starts from them)."""
    st.session_state[rows_key] = rows
    st.session_state[version_key] = st.session_state.get(version_key, 0) + 1


if rows_key not in st.session_state:
    st.session_state[rows_key] = _rows_of(day_entries(context.db, token, day))


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return not value.strip()
    return value is pd.NaT or value is pd.NA


def _time(value: object) -> dt.time | None:
    """A grid time cell as a time (the grid may hand back text for a new column)."""
    if _blank(value):
        return None
    if isinstance(value, dt.time):
        return value
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.time()
    try:
        return parse_time(str(value))
    except ValueError:
        return pd.Timestamp(str(value)).time()  # e.g. "10:30:00.000" from the grid


def _inputs(frame: pd.DataFrame) -> tuple[list[EntryInput], list[str]]:
    """Grid rows as entries (entirely empty rows are skipped), with their row labels."""
    entries: list[EntryInput] = []
    labels: list[str] = []
    for number, record in enumerate(frame.to_dict("records"), 1):
        if all(_blank(record.get(column)) for column in COLUMNS):
            continue
        tool = record.get("SoS tool")
        minutes = record.get("Minutes")
        entries.append(
            EntryInput(
                None if _blank(record.get("Activity")) else str(record["Activity"]),
                None if _blank(minutes) else float(minutes),  # type: ignore[arg-type]
                _time(record.get("Start")),
                _time(record.get("End")),
                None if _blank(tool) or tool == NO_TOOL else str(tool),
            )
        )
        labels.append(f"Row {number}")
    return entries, labels


flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    kind, text = flash
    (st.success if kind == "success" else st.info)(text)

grid = pd.DataFrame.from_records(st.session_state[rows_key], columns=COLUMNS)
# Typed columns even when empty: an all-empty column has no type and the grid's time
# and selectbox editors then drop what is typed into it.
for name in ("Start", "End"):
    grid[name] = grid[name].astype(TIME_TYPE)
for name in ("Activity", "SoS tool"):
    grid[name] = grid[name].astype("string")
grid["Minutes"] = grid["Minutes"].astype("float64")
st.markdown(f"**{as_day(day, year=True)}**")
st.caption(
    "Type into the grid, or on a phone use Quick add below: each entry is listed in full "
    "under the grid, where you can also remove one."
)
edited = st.data_editor(
    grid,
    key=f"diary_grid_{day.isoformat()}_{st.session_state.get(version_key, 0)}",
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    column_config={
        "Activity": st.column_config.SelectboxColumn(
            "Activity", options=[c.label for c in codes.codes], required=True, width="large"
        ),
        "Start": st.column_config.TimeColumn("Start", format="HH:mm", step=300),
        "End": st.column_config.TimeColumn("End", format="HH:mm", step=300),
        "Minutes": st.column_config.NumberColumn(
            "Minutes",
            help="Leave empty if you give start and end times.",
            min_value=1,
            max_value=MINUTES_PER_DAY,
            step=5,
            format="%d",
        ),
        "SoS tool": st.column_config.SelectboxColumn(
            "SoS tool",
            options=[t.label for t in codes.tools],
            help="Only for direct work: the Signs of Safety tool you used, if any.",
        ),
    },
    placeholder="",
)
entries, labels = _inputs(edited)
total = provisional_total(entries)
left, right = st.columns(2)
left.metric(
    "Total for the day",
    hours_and_minutes(total),
    help="Of the 24 hours in a day. Rows without minutes or both times count as 0.",
)
if total > MINUTES_PER_DAY:
    st.warning("This day adds up to more than 24 hours; please check the entries.")
clean, problems = check_day(codes, entries)
if problems or clean != day_entries(context.db, token, day):
    right.info("Changes not saved yet.")


def _shown(value: object) -> str:
    return "–" if _blank(value) else str(value)


def _entry_line(number: int, record: dict[str, Any]) -> dict[str, Any]:
    start, end, minutes = (
        _time(record.get("Start")),
        _time(record.get("End")),
        record.get("Minutes"),
    )
    return {
        "Entry": str(number),
        "Activity": _shown(record.get("Activity")),
        "Time": f"{start:%H:%M} to {end:%H:%M}" if start and end else "–",
        "Minutes": "–" if _blank(minutes) else f"{int(float(minutes))}",  # type: ignore[arg-type]
        "SoS tool": _shown(record.get("SoS tool")),
    }


# The entries as a list too, readable on a phone (where the grid shows one column at a
# time) and by a screen reader (the grid is a canvas), with a way to remove one.
current = [
    {column: record.get(column) for column in COLUMNS}
    for record in edited.to_dict("records")
    if not all(_blank(record.get(column)) for column in COLUMNS)
]
if current:
    st.table(
        pd.DataFrame.from_records(
            [_entry_line(number, record) for number, record in enumerate(current, 1)]
        ).set_index("Entry")
    )
    with st.form("diary_remove", enter_to_submit=False):
        removed = st.selectbox(
            "Remove an entry",
            range(len(current)),
            index=None,
            placeholder="Choose an entry to remove",
            format_func=lambda index: f"{index + 1}. {_shown(current[index]['Activity'])}",
            key="remove_entry",
        )
        if st.form_submit_button("Remove it") and removed is not None:
            _reset([row for index, row in enumerate(current) if index != removed])
            st.session_state[FLASH_KEY] = ("info", "Entry removed. Save the day to keep it so.")
            st.rerun()

with st.form("diary_quick_add", clear_on_submit=True, enter_to_submit=False):
    st.markdown("**Quick add** (handy on a phone)")
    first, second, third = st.columns([3, 1, 2])
    quick_activity = first.selectbox(
        "Activity",
        [c.label for c in codes.codes],
        index=None,
        placeholder="Choose an activity",
        key="quick_activity",
    )
    # Empty until the worker types the minutes: a default of 0 would fail the day's check.
    quick_minutes = second.number_input(
        "Minutes",
        min_value=0,
        max_value=MINUTES_PER_DAY,
        value=None,
        step=5,
        placeholder="e.g. 30",
        key="quick_minutes",
    )
    quick_tool = third.selectbox(
        "SoS tool (direct work)", [NO_TOOL, *[t.label for t in codes.tools]], key="quick_tool"
    )
    start_column, end_column, _ = st.columns([1, 1, 2])
    quick_start = start_column.time_input(
        "Start (instead of minutes)", value=None, step=300, key="quick_start"
    )
    quick_end = end_column.time_input("End", value=None, step=300, key="quick_end")
    added = st.form_submit_button("Add to the day")
if added:
    if quick_activity is None:
        st.error("Choose an activity to add.")
    elif quick_minutes is None and (quick_start is None or quick_end is None):
        st.error("Give the minutes spent on it, or its start and end times, to add it.")
    else:
        current.append(
            {
                "Activity": quick_activity,
                "Start": quick_start,
                "End": quick_end,
                "Minutes": None if quick_minutes is None else float(quick_minutes),
                "SoS tool": None if quick_tool == NO_TOOL else quick_tool,
            }
        )
        _reset(current)
        st.rerun()

copy_column, save_column = st.columns(2)
if copy_column.button(
    "Copy the previous day", key="diary_copy", icon=":material/content_copy:", width="stretch"
):
    copied_from, copied = copy_previous_day(context.db, token, day)
    if copied_from is None:
        st.session_state[FLASH_KEY] = ("info", "There is no earlier day with entries to copy.")
    else:
        _reset(_rows_of(copied))
        st.session_state[FLASH_KEY] = (
            "info",
            f"Copied {len(copied)} {'entry' if len(copied) == 1 else 'entries'} from "
            f"{as_day(copied_from)}. Check them and save.",
        )
    st.rerun()
if save_column.button(
    "Save this day", key="diary_save", type="primary", icon=":material/save:", width="stretch"
):
    try:
        saved = save_day(context.db, token, day, entries, labels=labels)
    except (InvalidInput, LinkRefused) as problem:
        message = getattr(problem, "problems", None)
        if isinstance(problem, InvalidInput) and message:
            st.error(
                "Nothing was saved. Please correct:\n\n" + "\n".join(f"- {p}" for p in message)
            )
        else:
            st.error(str(problem))
    else:
        _reset(_rows_of(day_entries(context.db, token, day)))
        st.session_state[FLASH_KEY] = (
            "success",
            f"Saved {saved.entries} {'entry' if saved.entries == 1 else 'entries'} for "
            f"{as_day(day)} "
            f"({hours_and_minutes(saved.minutes)}).",
        )
        st.rerun()

with st.expander("Your days so far", expanded=True):
    st.table(
        pd.DataFrame.from_records(
            [
                {
                    "Day": as_day(d.day, short=True),
                    "Entries": d.entries,
                    "Recorded": hours_and_minutes(d.minutes) if d.entries else "–",
                }
                for d in view.days
            ]
        ).set_index("Day")
    )
    st.caption(f"In total so far: {hours_and_minutes(view.total_minutes)}.")
