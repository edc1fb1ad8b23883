"""Diary periods, personal links and a day's entries, on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select

from sos_workforce import diaries, workforce
from sos_workforce.core.db import Database
from sos_workforce.core.enums import DiaryStatus
from sos_workforce.core.errors import InvalidInput, LinkRefused, PermissionDenied
from sos_workforce.core.models import AuditEvent, DiaryEntry, DiaryParticipant, DiaryWorkerTotal
from sos_workforce.diaries.days import Entry, EntryInput
from sos_workforce.diaries.periods import ParticipantInput
from tests.support.diary_factories import AFTER, MONDAY, SUNDAY, Period, launch, token_of
from tests.support.factories import World

T = dt.time


@pytest.fixture
def period(db: Database, world: World) -> Period:
    return launch(
        db,
        world,
        [("SW1", "Alpha", "Social worker", 1.0), ("SW2", "Alpha", "Team manager", 0.6)],
    )


def _entries_in_db(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(DiaryEntry)) or 0)


def test_launch_stores_only_hashes_and_derives_contracted_hours(
    db: Database, world: World, period: Period
) -> None:
    assert set(period.tokens) == {"SW1", "SW2"}
    with db.read() as session:
        rows = session.execute(
            select(
                DiaryParticipant.worker_ref,
                DiaryParticipant.fte,
                DiaryParticipant.contracted_hours,
                DiaryParticipant.token_hash,
            ).order_by(DiaryParticipant.worker_ref)
        ).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [("SW1", 1.0, 37.0), ("SW2", 0.6, 22.2)]
    assert all(r[3] not in period.tokens.values() and len(r[3]) == 64 for r in rows)
    [summary] = diaries.list_periods(db, world.executive, world.organisation_id, min_group_size=5)
    assert (summary.participants, summary.recording, summary.status) == (2, 0, DiaryStatus.OPEN)
    assert summary.teams == ("Alpha",)


def test_participants_come_from_the_latest_roster(db: Database, world: World) -> None:
    roster = (
        "Staff id,Team,Role,Employment type,FTE,Start date,Leave date\n"
        "r1,alpha ,Social worker,permanent,0.8,01/01/2020,\n"
        "R2,Beta,Senior practitioner,agency,1.0,01/01/2021,\n"
        "R3,Alpha,Social worker,permanent,1.0,01/01/2020,01/02/2026\n"  # left before
    )
    workforce.import_roster(
        db,
        world.lead,
        world.organisation_id,
        data=roster.encode(),
        filename="hr.csv",
        as_of=dt.date(2026, 2, 28),
        today=AFTER,
    )
    found = diaries.roster_participants(
        db, world.lead, world.organisation_id, [world.teams["Alpha"]], MONDAY
    )
    assert found.as_of == dt.date(2026, 2, 28)
    assert found.participants == [  # pytest.approx stands in for the hours, 0.8 × 37
        ParticipantInput("R1", world.teams["Alpha"], "Social worker", 0.8, pytest.approx(29.6))  # type: ignore[arg-type]
    ]
    launched = diaries.launch_period(
        db,
        world.lead,
        world.organisation_id,
        title="From the roster",
        starts_on=MONDAY,
        ends_on=SUNDAY,
        team_ids=[world.teams["Alpha"], world.teams["Beta"]],
        base_url="http://x",
        today=AFTER,
    )
    assert launched.links == [] and launched.queued == 0  # nothing for the lead to hold
    diaries.enable_links_file(db, world.admin, launched.period_id)
    links = diaries.reissue_links(db, world.lead, launched.period_id, base_url="http://x")
    assert [(link.worker_ref, link.team) for link in links] == [
        ("R1", "Alpha"),
        ("R2", "Beta"),
    ]
    assert all(link.url.startswith("http://x/diary?d=") for link in links)
    csv_text = diaries.links_csv(links).decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "staff_id,team,role,link"
    with db.read() as session:
        event = session.execute(
            select(AuditEvent.count, AuditEvent.detail).where(
                AuditEvent.action == "diary_period_launched"
            )
        ).one()
    assert tuple(event) == (2, "teams=2 participants=roster 2026-02-28")


def test_launch_errors_are_plain(db: Database, world: World) -> None:
    alpha = world.teams["Alpha"]

    def attempt(**changes: object) -> str:
        arguments: dict[str, object] = {
            "title": "Week",
            "starts_on": MONDAY,
            "ends_on": SUNDAY,
            "team_ids": [alpha],
            "base_url": "http://x",
            "participants": [ParticipantInput("A", alpha, "Social worker", 1.0)],
            "today": AFTER,
        }
        arguments.update(changes)
        with pytest.raises(InvalidInput) as refused:
            diaries.launch_period(db, world.lead, world.organisation_id, **arguments)  # type: ignore[arg-type]
        return str(refused.value)

    assert "title" in attempt(title="  ")
    assert "end date" in attempt(ends_on=MONDAY - dt.timedelta(days=1))
    assert "at most 42 days" in attempt(ends_on=MONDAY + dt.timedelta(days=60))
    assert "weekday" in attempt(starts_on=SUNDAY, ends_on=SUNDAY)
    assert "at least one team" in attempt(team_ids=[])
    assert "no staff roster" in attempt(participants=None)
    assert "FTE or the contracted hours" in attempt(participants=[ParticipantInput("A", alpha)])
    assert "also appears as person 1" in attempt(
        participants=[ParticipantInput("a ", alpha, fte=1), ParticipantInput("A", alpha, fte=1)]
    )
    assert "at most 80" in attempt(participants=[ParticipantInput("A", alpha, contracted_hours=90)])
    assert "Nobody is taking part from Beta" in attempt(team_ids=[alpha, world.teams["Beta"]])
    with pytest.raises(PermissionDenied):
        diaries.launch_period(
            db,
            world.executive,
            world.organisation_id,
            title="x",
            starts_on=MONDAY,
            ends_on=SUNDAY,
            team_ids=[alpha],
            base_url="http://x",
            participants=[ParticipantInput("A", alpha, fte=1)],
        )


def test_a_worker_saves_replaces_and_copies_days(db: Database, period: Period) -> None:
    token = period.tokens["SW1"]
    view = diaries.open_diary(db, token, today=MONDAY + dt.timedelta(days=1))
    assert (view.team, view.worker_ref) == ("Alpha", "SW1")
    assert [d.day for d in view.days] == [MONDAY, MONDAY + dt.timedelta(days=1)]  # not future
    day = diaries.save_day(
        db,
        token,
        MONDAY,
        [
            EntryInput("direct_child", None, T(9, 0), T(10, 0), "three_houses"),
            EntryInput("recording", 90),
        ],
        today=AFTER,
    )
    assert (day.minutes, day.entries) == (150, 2)
    # Saving again replaces the day; the link is not single-use.
    diaries.save_day(db, token, MONDAY, [EntryInput("travel", 30)], today=AFTER)
    assert diaries.day_entries(db, token, MONDAY, today=AFTER) == [Entry("travel", 30)]
    tuesday = MONDAY + dt.timedelta(days=1)
    thursday = MONDAY + dt.timedelta(days=3)
    copied_from, copied = diaries.copy_previous_day(db, token, thursday, today=AFTER)
    assert copied_from == MONDAY and copied == [Entry("travel", 30)]  # nearest earlier day
    assert diaries.copy_previous_day(db, token, MONDAY, today=AFTER) == (None, [])
    assert diaries.day_entries(db, token, tuesday, today=AFTER) == []  # nothing saved by copying
    totals = {d.day: d.minutes for d in diaries.open_diary(db, token, today=AFTER).days}
    assert totals[MONDAY] == 30 and totals[tuesday] == 0 and len(totals) == 7
    # An empty day clears it.
    diaries.save_day(db, token, MONDAY, [], today=AFTER)
    assert _entries_in_db(db) == 0


def test_a_bad_day_saves_nothing_and_keeps_what_was_there(db: Database, period: Period) -> None:
    token = period.tokens["SW1"]
    diaries.save_day(db, token, MONDAY, [EntryInput("travel", 30)], today=AFTER)
    bad_days = [
        [EntryInput("recording", 900), EntryInput("admin_other", 600)],  # 25 h
        [EntryInput("travel", 30), EntryInput("recording", -10)],
        [
            EntryInput("travel", None, T(9, 0), T(10, 0)),
            EntryInput("liaison", None, T(9, 30), T(10, 30)),
        ],
        [EntryInput("astrology", 30)],
        [EntryInput("recording", 30, sos_tool="mapping")],
    ]
    for entries in bad_days:
        with pytest.raises(InvalidInput):
            diaries.save_day(db, token, MONDAY, entries, today=AFTER)
        assert diaries.day_entries(db, token, MONDAY, today=AFTER) == [Entry("travel", 30)]
    with pytest.raises(InvalidInput, match="outside this diary period"):
        diaries.save_day(db, token, SUNDAY + dt.timedelta(days=1), [], today=AFTER)
    with pytest.raises(InvalidInput, match="has not happened yet"):
        diaries.save_day(db, token, SUNDAY, [EntryInput("travel", 5)], today=MONDAY)


def test_links_are_refused_plainly(db: Database, world: World, period: Period) -> None:
    token = period.tokens["SW1"]
    cases = {
        "not valid": "AAAAAAAAAAAAAAAAAAAAAA",  # unknown
        "copied the whole link": token[:-1] + ("B" if token[-1] != "B" else "C"),  # tampered
    }
    for message, bad in cases.items():
        with pytest.raises(LinkRefused, match=message):
            diaries.open_diary(db, bad, today=AFTER)
    with pytest.raises(LinkRefused, match="not valid"):
        diaries.open_diary(db, token * 10, today=AFTER)  # overlong
    with pytest.raises(LinkRefused, match="starts on Monday 2 March 2026"):
        diaries.open_diary(db, token, today=MONDAY - dt.timedelta(days=1))
    with pytest.raises(LinkRefused, match="ended on 8 March 2026"):
        diaries.open_diary(db, token, today=SUNDAY + dt.timedelta(days=15))
    # Late entries are allowed for two weeks after the end date.
    assert diaries.open_diary(db, token, today=SUNDAY + dt.timedelta(days=14)).days
    diaries.save_day(db, token, MONDAY, [EntryInput("travel", 30)], today=AFTER)
    diaries.close_period(db, world.lead, period.period_id)
    with pytest.raises(LinkRefused, match="has closed"):
        diaries.open_diary(db, token, today=AFTER)
    with pytest.raises(LinkRefused, match="has closed"):
        diaries.save_day(db, token, MONDAY, [EntryInput("travel", 60)], today=AFTER)
    with db.read() as session:  # the entries stay as they were
        assert session.scalar(select(DiaryEntry.minutes)) == 30
    with pytest.raises(InvalidInput, match="already closed"):
        diaries.close_period(db, world.lead, period.period_id)
    with pytest.raises(InvalidInput, match="closed"):
        diaries.reissue_links(db, world.lead, period.period_id, base_url="http://x")
    with db.read() as session:
        closed = session.execute(
            select(AuditEvent.count, AuditEvent.target).where(
                AuditEvent.action == "diary_period_closed"
            )
        ).one()
    assert tuple(closed) == (1, f"diary:{period.period_id}")


def test_reissued_links_replace_the_old_ones_and_keep_entries(
    db: Database, world: World, period: Period
) -> None:
    old = period.tokens["SW1"]
    diaries.save_day(db, old, MONDAY, [EntryInput("travel", 30)], today=AFTER)
    [link] = diaries.reissue_links(
        db, world.lead, period.period_id, base_url="http://x", worker_refs=["sw1"]
    )
    with pytest.raises(LinkRefused):
        diaries.open_diary(db, old, today=AFTER)
    assert diaries.day_entries(db, token_of(link), MONDAY, today=AFTER) == [Entry("travel", 30)]
    with pytest.raises(InvalidInput, match="Not taking part in this period: NOBODY"):
        diaries.reissue_links(
            db, world.lead, period.period_id, base_url="http://x", worker_refs=["nobody"]
        )


def test_participation_counts_under_k_are_banded(db: Database, world: World) -> None:
    people = [(f"A{n}", "Alpha", "Social worker", 1.0) for n in range(4)]
    people += [(f"B{n}", "Beta", "Social worker", 1.0) for n in range(2)]
    period = launch(db, world, people)
    for ref in ("A0", "A1", "A2", "B0"):
        diaries.save_day(db, period.tokens[ref], MONDAY, [EntryInput("travel", 30)], today=AFTER)
    rows = diaries.participation(db, world.lead, period.period_id, min_group_size=3)
    # Beta's 1 is withheld, and Alpha's 3 with it: the period's 4 minus 3 would give Beta.
    assert [(r.team, r.participants, r.recording_label) for r in rows] == [
        ("Alpha", 4, "fewer than the minimum"),
        ("Beta", 2, "fewer than the minimum"),
    ]
    [summary] = diaries.list_periods(db, world.lead, world.organisation_id, min_group_size=3)
    assert summary.recording == 4
    diaries.save_day(db, period.tokens["B1"], MONDAY, [EntryInput("travel", 30)], today=AFTER)
    diaries.save_day(db, period.tokens["A3"], MONDAY, [EntryInput("travel", 30)], today=AFTER)
    rows = diaries.participation(db, world.lead, period.period_id, min_group_size=3)
    assert [r.recording for r in rows] == [None, None]  # 4 and 2: Beta's 2 is under 3
    [summary] = diaries.list_periods(db, world.lead, world.organisation_id, min_group_size=5)
    assert summary.recording == 6


def test_a_closed_period_reopens_with_a_reason_and_seals_again_on_close(
    db: Database, world: World, period: Period
) -> None:
    token = period.tokens["SW1"]
    diaries.save_day(db, token, MONDAY, [EntryInput("travel", 30)], today=AFTER)
    diaries.close_period(db, world.lead, period.period_id)
    with pytest.raises(InvalidInput, match="Say why"):
        diaries.reopen_period(db, world.lead, period.period_id, reason="  oops ")
    with pytest.raises(PermissionDenied):
        diaries.reopen_period(db, world.executive, period.period_id, reason="Closed too early")
    assert _count(db, DiaryWorkerTotal) == 2  # sealed: both people, one with entries

    diaries.reopen_period(
        db, world.lead, period.period_id, reason="Closed before the paper diaries came in"
    )
    assert _count(db, DiaryWorkerTotal) == 0  # the totals describe a closed period only
    with pytest.raises(InvalidInput, match="Only a closed"):
        diaries.reopen_period(db, world.lead, period.period_id, reason="Reopened twice by me")
    # The link works again and the day can change; closing seals the new figures.
    diaries.save_day(db, token, MONDAY, [EntryInput("travel", 45)], today=AFTER)
    diaries.close_period(db, world.lead, period.period_id)
    with db.read() as session:
        sealed = session.scalar(select(func.sum(DiaryWorkerTotal.minutes)))
        reopened = session.execute(
            select(AuditEvent.detail, AuditEvent.target).where(
                AuditEvent.action == "diary_period_reopened"
            )
        ).one()
    assert sealed == 45
    assert tuple(reopened) == (
        "Closed before the paper diaries came in",
        f"diary:{period.period_id}",
    )
    # After the retention purge only totals remain: nothing to reopen.
    with db.write() as session:
        session.execute(delete(DiaryEntry))
        session.execute(delete(DiaryParticipant))
    with pytest.raises(InvalidInput, match="retention period"):
        diaries.reopen_period(db, world.lead, period.period_id, reason="Want to add more days")


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
