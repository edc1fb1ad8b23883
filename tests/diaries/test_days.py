"""Every validation rule of a diary day, without a database, and the codes file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.tabular import parse_time
from sos_workforce.diaries.codes import diary_codes, parse_diary_codes
from sos_workforce.diaries.days import (
    Entry,
    EntryInput,
    check_day,
    hours_and_minutes,
    provisional_total,
    validate_day,
    weekdays_between,
)
from sos_workforce.surveys.instruments import instrument_files

ROOT = Path(__file__).resolve().parents[2]
CODES = diary_codes()
T = dt.time


def problems(*entries: EntryInput) -> list[str]:
    return check_day(CODES, list(entries))[1]


def test_a_good_day_is_accepted_with_minutes_from_times() -> None:
    clean = validate_day(
        CODES,
        [
            EntryInput("direct_family", None, T(9, 0), T(10, 30), "mapping"),
            EntryInput("Travel", 40),  # a label works as well as a code
            EntryInput("recording", 60, T(10, 30), T(11, 30)),  # both, agreeing
        ],
    )
    assert clean == [
        Entry("direct_family", 90, T(9, 0), T(10, 30), "mapping"),
        Entry("travel", 40),
        Entry("recording", 60, T(10, 30), T(11, 30)),
    ]


def test_more_than_24_hours_in_a_day() -> None:
    found = problems(EntryInput("recording", 900), EntryInput("admin_other", 600))
    assert found == ["the entries add up to 25 h, more than the 24 hours in a day."]
    assert problems(EntryInput("recording", 1441)) == [
        "Row 1: 1441 minutes is more than the 24 hours in a day."
    ]
    assert problems(EntryInput("recording", 840), EntryInput("travel", 600)) == []  # 24 h


@pytest.mark.parametrize("minutes", [0, -30])
def test_zero_or_negative_durations(minutes: int) -> None:
    assert problems(EntryInput("travel", 30), EntryInput("recording", minutes)) == [
        f"Row 2: the time spent must be more than zero (it says {minutes} minutes)."
    ]


def test_end_before_start_and_a_zero_length_interval() -> None:
    assert problems(EntryInput("court", None, T(14, 0), T(13, 0))) == [
        "Row 1: it ends at 13:00, before it starts at 14:00. Record work after midnight on "
        "the next day."
    ]
    assert problems(EntryInput("court", None, T(14, 0), T(14, 0))) == [
        "Row 1: it starts and ends at 14:00, so it lasts no time."
    ]


def test_overlapping_intervals_name_both_rows() -> None:
    found = problems(
        EntryInput("direct_child", None, T(9, 0), T(10, 30)),
        EntryInput("travel", None, T(11, 0), T(11, 30)),
        EntryInput("recording", None, T(10, 0), T(11, 0)),
    )
    assert found == ["Row 1 and Row 3 overlap (09:00–10:30 and 10:00–11:00)."]
    # Touching intervals do not overlap.
    assert not problems(
        EntryInput("direct_child", None, T(9, 0), T(10, 0)),
        EntryInput("travel", None, T(10, 0), T(11, 0)),
    )


def test_unknown_or_missing_codes_and_tools() -> None:
    assert problems(EntryInput("gardening", 30)) == [
        "Row 1: 'gardening' is not one of the activities."
    ]
    assert problems(EntryInput(None, 30)) == ["Row 1: choose an activity."]
    assert problems(EntryInput("  ", 30)) == ["Row 1: choose an activity."]
    assert problems(EntryInput("direct_child", 30, sos_tool="crystal ball")) == [
        "Row 1: 'crystal ball' is not one of the Signs of Safety tools."
    ]


def test_a_tool_only_on_direct_work() -> None:
    assert problems(EntryInput("recording", 30, sos_tool="mapping")) == [
        "Row 1: a Signs of Safety tool can be recorded only for direct work with a child or "
        "family, not for 'Case recording and forms'."
    ]
    assert not problems(EntryInput("direct_child", 30, sos_tool="Three Houses"))


def test_incomplete_or_contradictory_durations() -> None:
    assert problems(EntryInput("travel")) == [
        "Row 1: give the minutes, or a start and an end time."
    ]
    assert problems(EntryInput("travel", None, T(9, 0), None)) == [
        "Row 1: give both a start and an end time, or leave both empty and give the minutes."
    ]
    assert problems(EntryInput("travel", 45, T(9, 0), T(10, 0))) == [
        "Row 1: 45 minutes does not match 09:00–10:00 (60 minutes); give one or the other."
    ]
    assert problems(EntryInput("travel", 12.5)) == ["Row 1: give the minutes as a whole number."]


def test_every_problem_is_listed_and_nothing_is_returned_partially() -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_day(
            CODES,
            [EntryInput("travel", 30), EntryInput("nonsense", -5), EntryInput(None, 10)],
        )
    assert refused.value.problems == [
        "Row 2: 'nonsense' is not one of the activities.",
        "Row 2: the time spent must be more than zero (it says -5 minutes).",
        "Row 3: choose an activity.",
    ]
    assert str(refused.value).startswith("Nothing was saved.")


def test_labels_and_day_prefix_for_imports() -> None:
    _, found = check_day(
        CODES,
        [EntryInput("recording", 800), EntryInput("travel", 800)],
        ["Row 7", "Row 9"],
        where="Staff id SW1 on 02/03/2026 (rows 7, 9): ",
    )
    assert found == [
        "Staff id SW1 on 02/03/2026 (rows 7, 9): the entries add up to 26 h 40 min, more "
        "than the 24 hours in a day."
    ]


def test_running_total_counts_what_is_complete() -> None:
    assert (
        provisional_total(
            [
                EntryInput("travel", 30),
                EntryInput("recording", None, T(9, 0), T(10, 15)),
                EntryInput(None, None, T(9, 0), None),
                EntryInput("travel", -20),
            ]
        )
        == 105
    )
    assert hours_and_minutes(105) == "1 h 45 min" and hours_and_minutes(45) == "45 min"
    assert hours_and_minutes(120) == "2 h"


def test_weekdays_and_times() -> None:
    assert weekdays_between(dt.date(2026, 3, 2), dt.date(2026, 3, 8)) == 5
    assert weekdays_between(dt.date(2026, 3, 7), dt.date(2026, 3, 8)) == 0
    assert parse_time("9:30") == T(9, 30) and parse_time("09.05") == T(9, 5)
    assert parse_time(0.5) == T(12, 0) and parse_time(dt.datetime(2026, 1, 1, 8, 15)) == T(8, 15)
    for bad in ("25:00", "9:75", "noon", 1.5):
        with pytest.raises(ValueError):
            parse_time(bad)


def test_codes_file_direct_and_indirect_and_tools_match_the_tool_survey() -> None:
    assert set(CODES.direct_codes) == {"direct_child", "direct_family"}
    assert all(c.allows_tool for c in CODES.codes if c.direct)
    groups = set(CODES.groups)
    for expected in ("Travel", "Statutory meetings", "Supervision", "Court work"):
        assert expected in groups
    survey = yaml.safe_load((ROOT / "surveys" / "sos_tool_confidence.yaml").read_text())
    tool_items = {
        item["code"].removeprefix("tool_"): item["short_label"]
        for section in survey["sections"]
        for item in section["items"]
        if item["code"].startswith("tool_")
    }
    assert {t.code: t.label for t in CODES.tools} == tool_items


def test_the_survey_loader_skips_the_codes_file() -> None:
    names = [p.name for p in instrument_files(ROOT / "surveys")]
    assert "diary_codes.yaml" not in names and "sos_confidence.yaml" in names


def test_a_bad_codes_file_is_refused_with_its_line() -> None:
    text = (ROOT / "surveys" / "diary_codes.yaml").read_text()
    broken = text.replace("    label: Travel\n    group: Travel\n", "    group: Travel\n")
    with pytest.raises(
        InvalidInput, match=r"diary_codes.yaml line \d+: codes\[2\]\.label: Field required"
    ):
        parse_diary_codes(broken, "diary_codes.yaml")
    tool_on_travel = text.replace(
        "    group: Travel\n", "    group: Travel\n    allows_tool: true\n", 1
    )
    with pytest.raises(InvalidInput, match="allows_tool is only for direct-work codes"):
        parse_diary_codes(tool_on_travel)
