"""The self-profile instrument file: its schema, its versions and the charts drawn from it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.models import ProfileInstrumentVersion
from sos_workforce.profiling.instrument import (
    parse_profile,
    profile_files,
    register_profile,
    sync_profiles,
)
from sos_workforce.profiling.progress import build_progress
from sos_workforce.profiling.timeline import Timeline, phase_spans, suggested_phase_starts
from sos_workforce.reports.charts import domain_timeline_chart, latest_vs_previous_chart
from sos_workforce.surveys.instruments import instrument_files

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "surveys" / "self_profile.yaml"


def test_the_shipped_profile_covers_the_guide_domains() -> None:
    definition = parse_profile(PROFILE.read_text(encoding="utf-8"), str(PROFILE))
    assert [domain.title for domain in definition.domains] == [
        "Practice",
        "Supervision",
        "Learning strategy",
        "Team organisation",
        "Policy, forms and recording alignment",
        "Leadership",
        "Learning culture",
        "Meaningful measures",
        "Partner alignment",
        "Direct time with families",
        "Administrative support",
        "Recruitment and retention",
    ]
    for item in definition.items:
        assert item.low_anchor and item.high_anchor and item.evidence
    # It is not a survey: the survey loader leaves it alone.
    assert PROFILE not in instrument_files(ROOT / "surveys")
    assert profile_files(ROOT / "surveys") == [PROFILE]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "        high_anchor: Every team has",
            "        high_anchr: Every team has",
            "line 71: domains[3].items[1].high_anchr: Extra inputs are not permitted",
        ),
        ("      - code: tools_used", "      - code: principles_used", "used twice"),
        ("version: 1", "version: 0", "line 7: version: Input should be greater than"),
        ("  - code: supervision\n", "  - code: Supervision!\n", "domains[1].code"),
        ("    title: Leadership\n", "    title: ''\n", "domains[5].title"),
    ],
)
def test_bad_profile_files_are_refused_with_line_field_and_reason(
    old: str, new: str, expected: str
) -> None:
    text = PROFILE.read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(InvalidInput) as caught:
        parse_profile(text.replace(old, new, 1), "surveys/self_profile.yaml")
    assert "surveys/self_profile.yaml" in str(caught.value)
    assert expected in str(caught.value)


def test_a_changed_wording_needs_a_new_version(db: Database) -> None:
    text = PROFILE.read_text(encoding="utf-8")
    with db.write() as session:
        sync_profiles(session, ROOT / "surveys")
        sync_profiles(session, ROOT / "surveys")  # idempotent
    reworded = text.replace("rarely visible in casework", "seldom visible in casework")
    with pytest.raises(InvalidInput, match="publish the change as a new version"), db.write() as s:
        register_profile(s, parse_profile(reworded))
    with db.write() as session:
        register_profile(session, parse_profile(reworded.replace("version: 1", "version: 2")))
    with db.read() as session:
        versions = session.scalar(select(func.count()).select_from(ProfileInstrumentVersion))
    assert versions == 2


def test_charts_carry_the_scores_phases_and_milestones() -> None:
    definition = parse_profile(PROFILE.read_text(encoding="utf-8"))
    codes = {domain.code: [i.code for i in domain.items] for domain in definition.domains}
    rounds = [(1, "First", dt.date(2024, 3, 1)), (2, "Second", dt.date(2025, 3, 1))]
    agreed = {
        1: {code: 3 for items in codes.values() for code in items},
        2: {code: 6 for items in codes.values() for code in items},
    }
    start = dt.date(2024, 1, 1)
    timeline = Timeline(1, start, phase_spans(suggested_phase_starts(start)), [])
    report = build_progress(definition, "Profile (v1)", rounds, agreed, timeline)
    chart = domain_timeline_chart(report, timeline, ["Practice", "Leadership"], dt.date(2026, 1, 1))
    assert chart is not None
    spec = chart.to_dict()
    datasets = list(spec["datasets"].values())
    phases = next(d for d in datasets if "phase" in d[0])
    assert [p["phase"] for p in phases] == [
        "Preparation",
        "Intensive implementation, year 1",
        "Intensive implementation, year 2",
        "Sustainment",
    ]
    scores = next(d for d in datasets if "score" in d[0])
    assert sorted((s["domain"], s["score"]) for s in scores) == [
        ("Leadership", 3.0),
        ("Leadership", 6.0),
        ("Practice", 3.0),
        ("Practice", 6.0),
    ]
    assert domain_timeline_chart(report, timeline, [], dt.date(2026, 1, 1)) is None
    dots = latest_vs_previous_chart(report.latest_vs_previous())
    assert dots is not None
    dot_rows = [row for d in dots.to_dict()["datasets"].values() for row in d if "Round" in row]
    assert len(dot_rows) == 24 and {r["Score"] for r in dot_rows} == {3.0, 6.0}
