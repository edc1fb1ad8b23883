"""Conference feedback collected all year: figures worked by hand from Brent's scrutiny
report (seed 004 §3.17: 216 professionals, average 8.8/10; §3.26: 163 parents and carers,
average 8.4), periods of the financial year, the disclosure gate over time and across
agencies, the standing link and its pool, and paper forms typed in by a lead."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections import Counter

import numpy as np
import openpyxl
import pytest
from sqlalchemy import DateTime, func, select, text

from sos_workforce import feedback, surveys
from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput, LinkRefused
from sos_workforce.core.models import (
    AuditEvent,
    FeedbackComment,
    FeedbackEntry,
    FeedbackPending,
)
from sos_workforce.feedback import (
    FeedbackReport,
    financial_year_period,
    month_period,
    months_period,
    quarter_of,
    quarter_period,
)
from tests.support.factories import World, instrument_version, launch
from tests.support.feedback_factories import (
    FAMILY,
    PROFESSIONAL,
    brent_parents,
    brent_professionals,
    enter,
    start_form,
)

K = 5
APRIL_TO_DECEMBER = months_period(dt.date(2017, 4, 1), dt.date(2017, 12, 1))
AFTER = dt.date(2018, 2, 1)  # December 2017 is final from 15 January 2018


def _csv(report: FeedbackReport) -> list[list[str]]:
    return list(csv.reader(io.StringIO(feedback.feedback_csv(report).decode("utf-8-sig"))))


def _sheet(data: bytes, name: str) -> list[tuple[object, ...]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [tuple(row) for row in workbook[name].iter_rows(values_only=True)]


# --- Brent's figures ----------------------------------------------------------------------


def test_216_professionals_average_8_8_on_every_output(db: Database, world: World) -> None:
    form_id = start_form(db, world, PROFESSIONAL)
    forms = brent_professionals()
    assert len(forms) == 216 and sum(a["overall"] for _, a in forms) == 1901
    enter(db, world, form_id, forms)
    report = feedback.feedback_report(
        db, world.executive, form_id, APRIL_TO_DECEMBER, K, today=AFTER
    )

    assert report.shown and report.n == 216 and report.mean == 8.8
    assert report.sentence() == (
        "Feedback from child protection conferences between April and December 2017: "
        "216 professionals, average score 8.8/10."
    )
    # The distribution over the whole 0–10 scale: 63/216 = 29.17%, 133/216 = 61.57%.
    shares = {row.score: (row.forms, row.percent) for row in report.distribution}
    assert list(shares) == list(range(11))
    assert shares[8] == (63, 29.2) and shares[9] == (133, 61.6) and shares[10] == (20, 9.3)
    assert shares[0] == (0, 0.0)

    rows = _csv(report)
    assert rows[0] == [
        "Table",
        "Row",
        "Number of professionals",
        "Average score (0 to 10)",
        "% of forms",
        "Note",
    ]
    assert rows[1][:4] == ["Overall", "April to December 2017", "216", "8.8"]
    assert "216 professionals, average score 8.8/10" in rows[1][5]

    summary = _sheet(feedback.feedback_workbook(report), "Summary")
    header, values = summary[0], summary[1]
    record = dict(zip(header, values, strict=True))
    assert record["Number of professionals"] == 216
    assert record["Average score (0 to 10)"] == 8.8
    assert record["Who answered"] == "professionals"

    text = feedback.feedback_csv(report).decode("utf-8-sig") + report.sentence()
    assert "staff" not in text.lower() and "1 to 10" not in text


def test_163_parents_and_carers_average_8_4(db: Database, world: World) -> None:
    form_id = start_form(db, world, FAMILY)
    forms = brent_parents()
    assert len(forms) == 163 and sum(a["overall"] for _, a in forms) == 1369
    enter(db, world, form_id, forms)
    report = feedback.feedback_report(db, world.lead, form_id, APRIL_TO_DECEMBER, K, today=AFTER)
    assert (report.n, report.mean) == (163, 8.4)
    assert "163 parents and carers, average score 8.4/10" in report.sentence()
    assert report.breakdown_label is None  # parents are not asked for an agency
    rows = _csv(report)
    assert rows[0][2] == "Number of parents and carers"
    assert "staff" not in feedback.feedback_csv(report).decode("utf-8-sig").lower()


def test_the_mean_rounds_half_up(db: Database, world: World) -> None:
    """20 forms summing 177: 8.85 exactly, shown 8.9 (round(8.85, 1) gives 8.8)."""
    form_id = start_form(db, world, FAMILY)
    scores = [9] * 17 + [8] * 3  # 153 + 24 = 177
    assert sum(scores) == 177 and round(177 / 20, 1) == 8.8
    enter(db, world, form_id, [(dt.date(2017, 5, 10), {"overall": s}) for s in scores])
    report = feedback.feedback_report(
        db, world.lead, form_id, month_period(2017, 5), K, today=AFTER
    )
    assert report.mean == 8.9
    assert "average score 8.9/10" in report.sentence()


# --- periods -----------------------------------------------------------------------------


def test_quarters_follow_the_financial_year() -> None:
    assert quarter_of(dt.date(2018, 3, 31)) == quarter_period(2017, 4)
    assert quarter_of(dt.date(2018, 4, 1)) == quarter_period(2018, 1)
    assert quarter_period(2017, 4).first == dt.date(2018, 1, 1)
    assert quarter_period(2017, 4).ends_on == dt.date(2018, 3, 31)
    assert quarter_period(2017, 4).label == "Q4 2017-18 (January to March 2018)"
    assert quarter_of(dt.date(2017, 12, 31)).label == "Q3 2017-18 (October to December 2017)"
    year = financial_year_period(2017)
    assert (year.first, year.ends_on) == (dt.date(2017, 4, 1), dt.date(2018, 3, 31))


def test_report_groups_forms_by_financial_quarter(db: Database, world: World) -> None:
    form_id = start_form(db, world, FAMILY)
    enter(
        db,
        world,
        form_id,
        [(dt.date(2018, 3, 31), {"overall": 6})] * 5 + [(dt.date(2018, 4, 1), {"overall": 9})] * 6,
    )
    report = feedback.feedback_report(
        db, world.lead, form_id, quarter_period(2018, 1), K, today=dt.date(2018, 8, 1)
    )
    assert (report.n, report.mean) == (6, 9.0)
    quarters = {row.period.label: (row.n, row.mean) for row in report.quarters}
    assert quarters["Q4 2017-18 (January to March 2018)"] == (5, 6.0)
    assert quarters["Q1 2018-19 (April to June 2018)"] == (6, 9.0)
    year = feedback.feedback_report(
        db, world.lead, form_id, financial_year_period(2017), K, today=dt.date(2018, 8, 1)
    )
    assert (year.n, year.mean) == (5, 6.0)  # 1 April 2018 is in the next financial year


# --- the gate ----------------------------------------------------------------------------


def test_a_period_not_ended_shows_only_a_plain_explanation(db: Database, world: World) -> None:
    form_id = start_form(db, world, PROFESSIONAL)
    enter(db, world, form_id, brent_professionals())
    running = feedback.feedback_report(
        db, world.lead, form_id, APRIL_TO_DECEMBER, K, today=dt.date(2017, 12, 28)
    )
    waiting = feedback.feedback_report(
        db, world.lead, form_id, APRIL_TO_DECEMBER, K, today=dt.date(2018, 1, 14)
    )
    final = feedback.feedback_report(
        db, world.lead, form_id, APRIL_TO_DECEMBER, K, today=dt.date(2018, 1, 15)
    )
    for report in (running, waiting):
        assert not report.shown and report.n is None and report.mean is None
        assert not report.distribution and not report.by_breakdown and report.comments is None
        assert "appear from 15 January 2018" in report.explanation
        assert report.sentence() == report.explanation
        assert "216" not in feedback.feedback_csv(report).decode("utf-8-sig")
    assert "has not ended yet" in running.explanation
    assert "ended on 31 December 2017" in waiting.explanation
    assert final.shown and final.n == 216


def test_months_under_k_are_shown_only_with_their_neighbours(db: Database, world: World) -> None:
    """April 6 forms, May 3, June 6, July 2 (k = 5): the blocks are April, then May with
    June; July waits for more."""
    form_id = start_form(db, world, FAMILY)
    counts = {4: 6, 5: 3, 6: 6, 7: 2}
    enter(
        db,
        world,
        form_id,
        [
            (dt.date(2017, month, 10), {"overall": 7})
            for month, count in counts.items()
            for _ in range(count)
        ],
    )

    def report(first: int, last: int) -> FeedbackReport:
        period = months_period(dt.date(2017, first, 1), dt.date(2017, last, 1))
        return feedback.feedback_report(db, world.lead, form_id, period, K, today=AFTER)

    assert report(4, 4).n == 6
    assert report(5, 6).n == 9
    assert report(4, 6).n == 15
    for first, last in [(5, 5), (6, 6), (4, 5)]:
        refused = report(first, last)
        assert not refused.shown and refused.n is None
        assert "cannot be shown on its own" in refused.explanation
        assert "May 2017 to June 2017" in refused.explanation
    for first, last in [(7, 7), (6, 7), (4, 7)]:
        refused = report(first, last)
        assert not refused.shown
        assert "too few forms to show so far" in refused.explanation
    assert "No forms were received" in report(8, 8).explanation
    # Two more forms in August complete July's block: July and August are shown together,
    # and the figures shown before never change.
    enter(db, world, form_id, [(dt.date(2017, 8, 10), {"overall": 3})] * 3)
    assert report(7, 8).n == 5 and report(7, 8).mean == 4.6  # (2×7 + 3×3) / 5 = 4.6
    assert report(4, 6).n == 15 and report(5, 6).n == 9


def _all_periods(first: dt.date, last: dt.date) -> list[feedback.Period]:
    months = feedback.months_between(first, last)
    return [months_period(a, b) for a, b in itertools.combinations_with_replacement(months, 2)]


def _determinable(shown: list[frozenset[int]], members: frozenset[int], forms: int) -> bool:
    """Whether the count (or any sum) over ``members`` follows from the shown counts by
    adding and subtracting them: its indicator lies in the span of the shown sets'."""
    matrix = np.array([[i in s for i in range(forms)] for s in shown], dtype=float)
    target = np.array([[i in members for i in range(forms)]], dtype=float)
    rank = np.linalg.matrix_rank(matrix)
    return bool(np.linalg.matrix_rank(np.vstack([matrix, target])) == rank)


def test_by_agency_suppression_cannot_be_undone_by_subtraction(db: Database, world: World) -> None:
    """An attacker holds every period's total and every agency row the reports show, over
    every run of months. No set of fewer than k forms — a small agency in a month or a
    quarter, or any union of such cells — may follow from them by adding and subtracting
    (sums of scores follow from the same sets, so neither do its scores)."""
    per_month = {  # month → agency → forms (1 social care, 2 health, 3 education, 4 police)
        4: {1: 6, 2: 5, 3: 0, 4: 1},
        5: {1: 7, 2: 2, 3: 5, 4: 0},
        6: {1: 5, 2: 6, 3: 1, 4: 2},
        7: {1: 2, 2: 1, 3: 1, 4: 0},
        8: {1: 6, 2: 5, 3: 5, 4: 1},
        9: {1: 8, 2: 0, 3: 6, 4: 3},
    }
    forms = []
    for month, agencies in per_month.items():
        for agency, count in agencies.items():
            forms += [(dt.date(2017, month, 12), {"overall": 6 + agency, "agency": agency})] * count
    form_id = start_form(db, world, PROFESSIONAL)
    enter(db, world, form_id, forms)
    names = {"Children's social care": 1, "Health": 2, "Education": 3, "Police": 4}
    identities = [(day.month, answers["agency"]) for day, answers in forms]

    shown: list[frozenset[int]] = []
    merged = by_agency = 0
    for period in _all_periods(dt.date(2017, 4, 1), dt.date(2017, 9, 1)):
        report = feedback.feedback_report(db, world.lead, form_id, period, K, today=AFTER)
        if not report.shown:
            continue
        in_period = {
            i for i, (month, _) in enumerate(identities) if period.holds(dt.date(2017, month, 1))
        }
        assert report.n == len(in_period)
        shown.append(frozenset(in_period))
        if report.by_breakdown:
            by_agency += 1
            assert sum(row.n or 0 for row in report.by_breakdown) == report.n
        for row in report.by_breakdown:
            codes = {code for name, code in names.items() if name in row.label}
            members = frozenset(i for i in in_period if identities[i][1] in codes)
            assert row.n == len(members) and row.n >= K, row
            merged += len(codes) > 1
            shown.append(members)
    assert by_agency >= 3 and merged > 0  # Q1, Q2, Q1 and Q2; small agencies were merged

    # Every small cell: an agency in a month, in a quarter, and any union of up to three.
    cells: list[frozenset[int]] = []
    for months in ([4], [5], [6], [7], [8], [9], [4, 5, 6], [7, 8, 9]):
        for agency in names.values():
            members = frozenset(
                i for i, (m, a) in enumerate(identities) if m in months and a == agency
            )
            if 0 < len(members) < K:
                cells.append(members)
    assert len(cells) >= 8
    for size in (1, 2, 3):
        for combination in itertools.combinations(cells, size):
            union = frozenset().union(*combination)
            if 0 < len(union) < K:
                assert not _determinable(shown, union, len(identities)), sorted(union)


def test_every_period_is_counted_the_same_way_by_agency(db: Database, world: World) -> None:
    """Brent's 216: each agency has 43 or 44 forms (9 months, in turn): all shown apart."""
    form_id = start_form(db, world, PROFESSIONAL)
    enter(db, world, form_id, brent_professionals())
    report = feedback.feedback_report(db, world.lead, form_id, APRIL_TO_DECEMBER, K, today=AFTER)
    rows = {row.label: row.n for row in report.by_breakdown}
    assert rows == {
        "Children's social care": 44,
        "Health": 43,
        "Education": 43,
        "Police": 43,
        "Other": 43,
    }
    assert report.breakdown_label == "Agency"


# --- the standing link, the pool and the database file -------------------------------------


def _token(url: str) -> str:
    return url.rsplit("f=", 1)[1]


def test_standing_link_poster_and_pool(db: Database, world: World) -> None:
    form_id = start_form(db, world, FAMILY)
    link = feedback.issue_feedback_link(db, world.lead, form_id, base_url="https://sos.example")
    assert link.url.startswith("https://sos.example/feedback?f=")
    assert "<svg" in link.qr_svg and "<svg" in link.poster_html
    assert link.url in link.poster_html and "parents and carers" in link.poster_html
    token = _token(link.url)
    opened = feedback.open_feedback_link(db, token)
    assert opened.definition.audience_words == "parents and carers"

    day = dt.date(2018, 5, 3)
    for score in (7, 8, 9, 10):
        feedback.submit_feedback(
            db, token, {"overall": score, "family_comment": f"Comment {score}"}, today=day
        )
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(FeedbackPending)) == 4
        assert session.scalar(select(func.count()).select_from(FeedbackEntry)) == 0
    before = feedback.feedback_report(
        db, world.lead, form_id, month_period(2018, 5), K, today=dt.date(2018, 7, 1)
    )
    assert not before.shown  # 4 forms: under k
    feedback.submit_feedback(db, token, {"overall": 6, "conference_type": 2}, today=day)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(FeedbackPending)) == 0
        assert session.scalar(select(func.count()).select_from(FeedbackEntry)) == 5
        assert session.scalar(select(func.count()).select_from(FeedbackComment)) == 4
        stored = session.execute(select(FeedbackEntry.received_on, FeedbackEntry.answers)).all()
    assert {received for received, _ in stored} == {day}
    assert all("family_comment" not in answers for _, answers in stored)  # comments apart
    report = feedback.feedback_report(
        db, world.lead, form_id, month_period(2018, 5), K, today=dt.date(2018, 7, 1)
    )
    assert (report.n, report.mean) == (5, 8.0)
    assert report.comments is None  # fewer than 2k forms

    # A new link replaces the old one: old posters stop working.
    feedback.issue_feedback_link(db, world.lead, form_id, base_url="https://sos.example")
    with pytest.raises(LinkRefused):
        feedback.submit_feedback(db, token, {"overall": 5}, today=day)
    with pytest.raises(LinkRefused):
        feedback.open_feedback_link(db, "not-a-token")


def test_forms_keep_the_date_only(db: Database) -> None:
    for model in (FeedbackPending, FeedbackEntry, FeedbackComment):
        columns = model.__table__.columns
        assert not [c.name for c in columns if isinstance(c.type, DateTime)], model
        assert not {"ip", "ip_address", "user_agent", "created_at"} & set(columns.keys())
        assert columns["id"].type.python_type is str  # random, not in arrival order


def test_a_form_without_its_score_is_refused_and_stores_nothing(db: Database, world: World) -> None:
    form_id = start_form(db, world, PROFESSIONAL)
    token = _token(feedback.issue_feedback_link(db, world.lead, form_id, base_url="http://t").url)
    with pytest.raises(InvalidInput, match="Please answer"):
        feedback.submit_feedback(db, token, {"agency": 2})
    with pytest.raises(InvalidInput, match="outside the scale"):
        feedback.submit_feedback(db, token, {"overall": 11})
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(FeedbackPending)) == 0


def test_comments_only_for_2k_forms_and_in_alphabetical_order(db: Database, world: World) -> None:
    form_id = start_form(db, world, FAMILY)
    words = ["Zebra crossing", "apple", "Mango", "banana", "cherry"] * 2
    enter(
        db,
        world,
        form_id,
        [(dt.date(2017, 6, 5), {"overall": 8, "family_comment": w}) for w in words],  # type: ignore[dict-item]
    )
    report = feedback.feedback_report(
        db, world.lead, form_id, month_period(2017, 6), K, today=AFTER
    )
    assert report.comments == sorted(words, key=str.casefold)


# --- paper forms ---------------------------------------------------------------------------


def test_paper_forms_are_all_or_nothing_within_the_entry_window(db: Database, world: World) -> None:
    form_id = start_form(db, world, PROFESSIONAL)
    today = dt.date(2018, 3, 20)
    good = feedback.PaperForm(dt.date(2018, 3, 6), {"overall": 8, "agency": 2})
    with pytest.raises(InvalidInput) as refused:
        feedback.enter_paper_forms(
            db,
            world.lead,
            form_id,
            [
                good,
                feedback.PaperForm(dt.date(2018, 3, 5), {"overall": 8}),  # 15 days ago
                feedback.PaperForm(dt.date(2018, 3, 21), {"overall": 8}),  # tomorrow
                feedback.PaperForm(dt.date(2018, 3, 19), {"agency": 2}),  # no score
            ],
            today=today,
        )
    assert refused.value.problems[0].startswith("Form 2: the conference was on 5 March 2018")
    assert refused.value.problems[1] == "Form 3: the conference date is in the future."
    assert refused.value.problems[2].startswith("Form 4: Please answer")
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(FeedbackPending)) == 0
    assert feedback.enter_paper_forms(db, world.lead, form_id, [good] * 3, today=today) == 3
    with db.read() as session:
        event = session.execute(
            select(AuditEvent.count, AuditEvent.target).where(
                AuditEvent.action == "feedback_paper_forms_entered"
            )
        ).one()
    assert tuple(event) == (3, f"feedback_form:{form_id}")


def test_the_latest_financial_year_to_date_for_the_scrutiny_report(
    db: Database, world: World
) -> None:
    form_id = start_form(db, world, PROFESSIONAL)
    enter(db, world, form_id, brent_professionals())
    latest = feedback.latest_feedback(db, world.lead, form_id, K, today=AFTER)
    assert latest is not None and latest.period.label == "April to December 2017"
    assert latest.n == 216


# --- instruments ---------------------------------------------------------------------------


def test_continuous_forms_are_not_launched_as_waves(db: Database, world: World) -> None:
    with pytest.raises(InvalidInput, match="collected all year"):
        launch(db, world, instrument=instrument_version(db, FAMILY))
    with pytest.raises(InvalidInput, match="run in waves"):
        feedback.start_feedback_form(
            db,
            world.lead,
            world.organisation_id,
            world.instrument_version_id,
            release_step=K,
        )


_CONTINUOUS = """\
code: check
version: 1
title: Check
audience: {audience}
collection: continuous
reporting: {{summary: mean, headline: score, breakdown: {breakdown}}}
sections:
  - code: main
    title: Main
    items:
      - {{code: score, kind: scaling, min: 0, max: 10, required: {required},
          bands: [{{label: all, min: 0, max: 10}}]}}
      - {{code: agency, kind: single_choice, text: Agency,
          options: [{{value: 1, label: A}}, {{value: 2, label: B}}]}}
      - {{code: note, kind: text, text: Note}}
"""


def _continuous(**fields: str) -> str:
    values = {"audience": "professional", "breakdown": "agency", "required": "true"} | fields
    return _CONTINUOUS.format(**values).replace("kind: scaling,", "kind: scaling, text: Score,")


def test_instruments_declare_audience_and_reporting() -> None:
    definition = surveys.parse_yaml_model(_continuous(), "check.yaml", surveys.InstrumentDefinition)
    assert definition.audience_words == "professionals"
    assert definition.range_words() == "rated from 0 to 10"
    family = surveys.parse_yaml_model(
        _continuous(audience="family"), "check.yaml", surveys.InstrumentDefinition
    )
    assert family.audience_words == "parents and carers"
    with pytest.raises(InvalidInput, match="must be required"):
        surveys.parse_yaml_model(
            _continuous(required="false"), "check.yaml", surveys.InstrumentDefinition
        )
    with pytest.raises(InvalidInput, match="not a single-choice item"):
        surveys.parse_yaml_model(
            _continuous(breakdown="note"), "check.yaml", surveys.InstrumentDefinition
        )
    with pytest.raises(InvalidInput, match="audience"):
        surveys.parse_yaml_model(
            _continuous(audience="everyone"), "check.yaml", surveys.InstrumentDefinition
        )


def test_versions_registered_before_the_new_fields_keep_their_checksum() -> None:
    """A stored definition without ``collection`` and ``reporting`` (every version made
    before them) reads with the defaults and keeps the checksum it was stored with."""
    import hashlib
    import json

    text = _continuous().replace("collection: continuous\n", "")
    text = text.replace(
        "reporting: {summary: mean, headline: score, breakdown: agency}\n", ""
    ).replace("required: true", "required: false")
    definition = surveys.parse_yaml_model(text, "old.yaml", surveys.InstrumentDefinition)
    stored = definition.model_dump(mode="json")
    del stored["collection"], stored["reporting"]
    old = hashlib.sha256(
        json.dumps(stored, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    assert definition.checksum() == old
    assert surveys.InstrumentDefinition.model_validate(stored) == definition


def test_stored_forms_share_their_postgresql_transaction_with_a_batch_of_k(
    db: Database, world: World
) -> None:
    """A waiting form has its own transaction id (the documented residual, the order of a
    day's forms); once moved, each form's xmin is shared with at least k others."""
    if db.is_sqlite:
        pytest.skip("xmin is PostgreSQL's transaction id; SQLite has none")
    form_id = start_form(db, world, FAMILY)
    token = _token(feedback.issue_feedback_link(db, world.lead, form_id, base_url="http://t").url)
    for score in range(7):
        feedback.submit_feedback(db, token, {"overall": score, "family_comment": f"c{score}"})

    def xmins(table: str) -> Counter[str]:
        with db.read() as session:
            return Counter(session.scalars(text(f"SELECT xmin::text FROM {table}")))  # noqa: S608

    entries, comments, waiting = (
        xmins(t) for t in ("feedback_entry", "feedback_comment", "feedback_pending")
    )
    assert sum(entries.values()) == 5 and list(entries.values()) == [5]
    assert list(comments.values()) == [5] and set(comments) == set(entries)
    assert sum(waiting.values()) == 2 and not set(waiting) & set(entries)
