"""AppTest of the time-diary pages: a worker's diary through the link, the lead's
diaries page (launch with emailed links, sending, failed addresses, reminders in counts,
the administrator's links file, import, close) and the time-use page for each role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Executable, func, select
from streamlit.testing.v1 import AppTest

from navigation import DIARY_PAGE, SURVEY_PAGE
from sos_workforce import access, diaries
from sos_workforce.access import auth
from sos_workforce.core.db import Database
from sos_workforce.core.enums import MailStatus, Role
from sos_workforce.core.models import (
    AuditEvent,
    DiaryEntry,
    DiaryParticipant,
    DiaryPeriod,
    MailRecipient,
    OutboxMessage,
)
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from sos_workforce.mail import DIARY_INVITATION
from tests.support.apptest import ROOT, DemoApp, sign_in, sign_in_as
from tests.support.environment import make_settings

TODAY = dt.date.today()


def _query(url: str, statement: Executable) -> Sequence[Sequence[Any]]:
    database = Database.from_settings(make_settings(url, ROOT))
    with database.read() as session:
        result = session.execute(statement).all()
    database.dispose()
    return result


def _open_diary(new_app: Callable[[], AppTest], token: str) -> AppTest:
    at = new_app()
    at.query_params["d"] = token
    at.run()  # registers the anonymous pages
    at.switch_page(DIARY_PAGE).run()
    assert not at.exception, at.exception
    return at


def test_a_worker_adds_and_saves_a_day_through_the_link(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    token = demo.summary.diary_links[0].rsplit("d=", 1)[1]
    at = _open_diary(new_app, token)
    assert at.title[0].value == "Time diary"
    assert "staff id" in at.caption[0].value
    day_box = at.selectbox(key="diary_day")
    assert day_box.value == TODAY  # the latest day that can be filled in
    yesterday = TODAY - dt.timedelta(days=1)
    day_box.select(yesterday).run()
    at.selectbox(key="quick_activity").select("Direct work with the child")
    at.number_input(key="quick_minutes").set_value(90)
    at.selectbox(key="quick_tool").select("Three Houses")
    at.button(key="FormSubmitter:diary_quick_add-Add to the day").click().run()
    at.selectbox(key="quick_activity").select("Case recording and forms")
    at.number_input(key="quick_minutes").set_value(120)
    at.button(key="FormSubmitter:diary_quick_add-Add to the day").click().run()
    assert not at.exception
    assert any(m.value == "3 h 30 min" for m in at.metric)  # the running total
    assert any("not saved yet" in i.value for i in at.info)
    at.button(key="diary_save").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Saved 2 entries for")
    rows = _query(
        demo.url,
        select(DiaryEntry.activity, DiaryEntry.minutes, DiaryEntry.sos_tool)
        .where(DiaryEntry.entry_date == yesterday)
        .order_by(DiaryEntry.id.desc())
        .limit(2),
    )
    assert sorted(tuple(r) for r in rows) == [
        ("direct_child", 90, "three_houses"),
        ("recording", 120, None),
    ]
    # Copy that day into today, then save it.
    at.selectbox(key="diary_day").select(TODAY).run()
    at.button(key="diary_copy").click().run()
    assert any("Copied 2 entries from" in i.value for i in at.info)
    at.button(key="diary_save").click().run()
    assert at.success[0].value.startswith("Saved 2 entries for")


def test_quick_add_minutes_start_empty_and_adding_without_them_says_so(
    demo_app: DemoApp,
) -> None:
    new_app, demo = demo_app
    token = demo.summary.diary_links[1].rsplit("d=", 1)[1]
    at = _open_diary(new_app, token)
    minutes = at.number_input(key="quick_minutes")
    assert minutes.value is None  # never a 0 that the day's check would refuse
    rows_before = len(at.dataframe[0].value) if at.dataframe else 0
    at.selectbox(key="quick_activity").select("Case recording and forms")
    at.button(key="FormSubmitter:diary_quick_add-Add to the day").click().run()
    assert not at.exception
    assert "Give the minutes spent on it" in at.error[0].value
    assert (len(at.dataframe[0].value) if at.dataframe else 0) == rows_before
    # Given minutes, the row is added and the day saves.
    at.selectbox(key="quick_activity").select("Case recording and forms")
    at.number_input(key="quick_minutes").set_value(45)
    at.button(key="FormSubmitter:diary_quick_add-Add to the day").click().run()
    at.button(key="diary_save").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("Saved 1 entry for")


def test_a_bad_day_shows_every_problem_and_saves_nothing(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    token = demo.summary.diary_links[1].rsplit("d=", 1)[1]
    at = _open_diary(new_app, token)
    before = _query(demo.url, select(func.count()).select_from(DiaryEntry))
    at.selectbox(key="quick_activity").select("Case recording and forms")
    at.number_input(key="quick_minutes").set_value(0)
    at.selectbox(key="quick_tool").select("Mapping (three columns)")
    at.button(key="FormSubmitter:diary_quick_add-Add to the day").click().run()
    at.button(key="diary_save").click().run()
    message = at.error[0].value
    assert message.startswith("Nothing was saved. Please correct:")
    assert "Row 1: a Signs of Safety tool can be recorded only for direct work" in message
    assert "Row 1: the time spent must be more than zero (it says 0 minutes)." in message
    assert _query(demo.url, select(func.count()).select_from(DiaryEntry)) == before


def test_unknown_links_and_the_home_address(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    at = _open_diary(new_app, "AAAAAAAAAAAAAAAAAAAAAA")
    assert "This diary link is not valid" in at.warning[0].value
    assert not at.button
    # /?d=<token> (no page in the address) opens the diary, not the sign-in page.
    token = demo.summary.diary_links[2].rsplit("d=", 1)[1]
    home = new_app()
    home.query_params["d"] = token
    home.run()
    assert not home.exception
    assert home.title[0].value == "Time diary"


def test_someone_signed_in_who_opens_a_link_gets_the_links_page(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    at = sign_in(new_app(), Role.LEAD)
    assert at.sidebar.button(key="sign_out")  # the signed-in menu and chrome
    # The same browser session then follows a diary link and a survey link.
    at.query_params["d"] = demo.summary.diary_links[3].rsplit("d=", 1)[1]
    at.run()
    assert not at.exception
    assert at.title[0].value == "Time diary"
    assert not at.sidebar.button  # no menu or sign-out beside someone's personal page
    del at.query_params["d"]
    at.query_params["t"] = demo.summary.open_wave_links[0].rsplit("t=", 1)[1]
    at.switch_page(SURVEY_PAGE).run()
    assert not at.exception
    assert "page not found" not in " ".join(str(e.value) for e in at.error).lower()
    assert at.button(key="survey_next").label == "Continue"
    # Without a link the menu is back.
    at.query_params.clear()
    at.switch_page("pages/dashboard.py").run()
    assert at.sidebar.button(key="sign_out")


def test_lead_launches_a_period_whose_links_are_emailed_never_downloaded(
    demo_app: DemoApp,
) -> None:
    new_app, demo = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/diaries.py").run()
    assert [tab.label for tab in at.tabs] == [
        "Launch a period",
        "Periods and participation",
        "Import diaries",
    ]
    at.text_input(key="diary_title").input("Spring diary week")
    teams = at.multiselect(key="diary_teams")
    leaving_care = next(o for o in teams.options if "Leaving Care" in o)
    at = teams.select(leaving_care).run()
    assert any("people from the roster of" in c.value for c in at.caption)
    assert at.text_area(key="diary_mail_body").value == DIARY_INVITATION.body
    # Emailed (the default): a confirmation first, then every address is checked before
    # anything is stored; the roster has none, so nothing is launched.
    at.button(key="launch_diary").click().run()
    assert any(w.value.startswith("Send ") and "invitations?" in w.value for w in at.warning)
    at.button(key="confirm_diary_launch").click().run()
    assert not at.exception
    assert at.error[0].value.startswith("Nothing was launched:")
    assert "has no email address" in at.error[0].value
    titles = [t for (t,) in _query(demo.url, select(DiaryPeriod.title))]
    assert "Spring diary week" not in titles
    # Without email, the period is launched and nobody gets a link to hold.
    at.radio(key="diary_delivery").set_value("none").run()
    at.button(key="launch_diary").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Diary period launched. Nobody has been sent a link")
    assert not [b for b in at.download_button if (b.key or "").startswith("download_diary")]
    # Errors are plain.
    at.button(key="launch_diary").click().run()
    assert at.error[0].value == "A diary period called 'Spring diary week' already exists."


def _emailed_period(demo: Any, people: int) -> int:
    database = Database.from_settings(make_settings(demo.url, ROOT))
    lead = auth.sign_in(database, *DEMO_CREDENTIALS[Role.LEAD])
    teams = {t.name: t.id for t in access.list_teams(database, lead, demo.summary.organisation_id)}
    chosen = [teams["Assessment Team North"], teams["Children in Need"]]
    launched = diaries.launch_period(
        database,
        lead,
        demo.summary.organisation_id,
        title="Emailed diary",
        starts_on=TODAY - dt.timedelta(days=1),
        ends_on=TODAY + dt.timedelta(days=5),
        team_ids=chosen,
        base_url="http://testserver",
        participants=[
            diaries.ParticipantInput(f"E{n}", chosen[n % 2], fte=1.0, email=f"e{n}@x.example")
            for n in range(people)
        ],
        email=DIARY_INVITATION,
    )
    with database.write() as session:  # the mail server refused one address
        message = session.scalars(
            select(OutboxMessage).where(OutboxMessage.address == "e0@x.example")
        ).one()
        message.status, message.body = MailStatus.FAILED, None
        message.last_error = "550 5.1.1 No such user"
    database.dispose()
    return launched.period_id


def test_lead_sends_an_emailed_periods_invitations_and_reminders_seeing_counts_only(
    demo_app: DemoApp,
) -> None:
    new_app, demo = demo_app
    period_id = _emailed_period(demo, 12)
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/diaries.py").run()
    box = at.selectbox(key="diary_manage_period")
    at = box.select(next(o for o in box.options if o.startswith("Emailed diary"))).run()
    assert not at.exception
    assert at.button(key="send_diary_mail").label == "Send the 11 queued emails now"
    at = at.button(key="send_diary_mail").click().run()
    assert any("Email is not set up" in e.value for e in at.error)  # no SOS_SMTP_HOST here
    # The failed address, corrected: a new invitation is queued to it.
    failed = next(d.value for d in at.dataframe if "Address" in d.value.columns)
    assert list(failed["Address"]) == ["e0@x.example"]
    at.text_input(key="diary_corrected_address").input("e0@right.example")
    at.button(key="FormSubmitter:resend_diary_invitation-Send to the corrected address").click()
    at.run()
    assert not at.exception
    [(address,)] = _query(
        demo.url,
        select(MailRecipient.address)
        .join(DiaryParticipant, DiaryParticipant.id == MailRecipient.participant_id)
        .where(DiaryParticipant.worker_ref == "E0", DiaryParticipant.period_id == period_id),
    )
    assert address == "e0@right.example"
    assert at.button(key="send_diary_mail").label == "Send the 12 queued emails now"
    # Reminders: the app chooses who; the lead sees counts per team under the gate.
    at = at.button(key="send_diary_reminders").click().run()
    assert any("Send a reminder to everyone" in w.value for w in at.warning)
    at = at.button(key="confirm_diary_reminders").click().run()
    assert not at.exception
    assert any(s.value == "Reminders queued: 12." for s in at.success)
    table = at.dataframe[-1].value
    assert list(table.columns) == ["Team", "Reminders queued"]  # counts per team, never who
    assert dict(zip(table["Team"], table["Reminders queued"], strict=True)) == {
        "Assessment Team North": "6",
        "Children in Need": "6",
    }
    # No links file for an emailed period.
    assert [b.key for b in at.download_button] == ["diary_template"]
    assert not [b for b in at.button if b.key == "make_diary_links_file"]


def test_the_links_file_is_an_administrators_audited_fallback(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    # The demo's open period has a links file an administrator allowed (devdata).
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/diaries.py").run()
    box = at.selectbox(key="diary_manage_period")
    at = box.select(next(o for o in box.options if o.startswith("Diary week (now)"))).run()
    assert any("Whoever holds this file can fill in the diary" in w.value for w in at.warning)
    assert not [t for t in at.toggle if t.key == "allow_diary_links_file"]  # admins only
    at.button(key="make_diary_links_file").click().run()
    assert not at.exception
    (button,) = [b for b in at.download_button if (b.key or "").startswith("download_diary_links_")]
    button.click().run()
    [(detail, count)] = _query(
        demo.url,
        select(AuditEvent.detail, AuditEvent.count).where(AuditEvent.action == "exported"),
    )
    [(people,)] = _query(
        demo.url,
        select(func.count())
        .select_from(DiaryParticipant)
        .join(DiaryPeriod, DiaryPeriod.id == DiaryParticipant.period_id)
        .where(DiaryPeriod.title == "Diary week (now)"),
    )
    assert detail == "diary_links_csv" and count == people
    # The administrator takes the permission back: the lead can no longer make the file.
    admin = sign_in(new_app(), Role.ADMIN)
    admin.switch_page("pages/diaries.py").run()
    box = admin.selectbox(key="diary_manage_period")
    admin = box.select(next(o for o in box.options if o.startswith("Diary week (now)"))).run()
    toggle = admin.toggle(key="allow_diary_links_file")
    assert toggle.value is True
    toggle.set_value(False).run()
    assert not admin.exception
    assert ("links_file_disabled",) in _query(demo.url, select(AuditEvent.action))
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/diaries.py").run()
    box = at.selectbox(key="diary_manage_period")
    at = box.select(next(o for o in box.options if o.startswith("Diary week (now)"))).run()
    assert not [b for b in at.button if b.key == "make_diary_links_file"]


def test_lead_imports_a_file_and_closes_the_period(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    [(period_id, starts_on)] = _query(
        demo.url,
        select(DiaryPeriod.id, DiaryPeriod.starts_on).where(DiaryPeriod.status == "open"),
    )
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/diaries.py").run()
    # The demo's open period has three unused links per team; import a day for one of them.
    refs = [
        r[0]
        for r in _query(
            demo.url,
            select(DiaryParticipant.worker_ref)
            .outerjoin(DiaryEntry, DiaryEntry.participant_id == DiaryParticipant.id)
            .where(DiaryParticipant.period_id == period_id, DiaryEntry.id.is_(None)),
        )
    ]
    data = (
        "Staff id,Date,Activity,Minutes\n"
        f"{refs[0]},{starts_on:%d/%m/%Y},recording,120\n"
        f"{refs[0]},{starts_on:%d/%m/%Y},travel,-5\n"
    ).encode()
    at.file_uploader(key="diary_file").set_value(("paper.csv", data, "text/csv")).run()
    assert not at.exception
    assert any(m.value.startswith("**2 rows.**") for m in at.markdown)
    at.button(key="diary_import").click().run()
    assert "Row 3: the time spent must be more than zero" in at.error[0].value
    fixed = data.replace(b"-5", b"35")
    at.file_uploader(key="diary_file").set_value(("paper.csv", fixed, "text/csv")).run()
    at.button(key="diary_import").click().run()
    assert at.success[0].value == "Imported 2 rows (1 days of diaries)."
    at.button(key="diary_import").click().run()
    assert at.info[-1].value == "This file was already imported; nothing changed."
    # Close it (the newest period is chosen first): the button waits for the confirmation.
    assert at.button(key="close_diary").disabled
    at.checkbox(key="confirm_close_diary").check().run()
    at.button(key="close_diary").click().run()
    assert not at.exception
    [(status,)] = _query(demo.url, select(DiaryPeriod.status).where(DiaryPeriod.id == period_id))
    assert status == "closed"
    # Closed too early: reopen it, with a reason (a short one is refused plainly).
    at.text_area(key="reopen_diary_reason").input("oops")
    at.button(key="FormSubmitter:reopen_diary-Reopen the period").click().run()
    assert at.error[0].value.startswith("Say why the period is being reopened")
    at.text_area(key="reopen_diary_reason").input("Closed before the East team's paper came in")
    at.button(key="FormSubmitter:reopen_diary-Reopen the period").click().run()
    assert not at.exception
    [(status,)] = _query(demo.url, select(DiaryPeriod.status).where(DiaryPeriod.id == period_id))
    assert status == "open"
    assert at.button(key="close_diary")  # the open period's controls are back


def test_executive_sees_time_use_with_numbers_beside_the_charts(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.EXECUTIVE)
    at.switch_page("pages/time_use.py").run()
    assert not at.exception
    assert at.title[0].value == "Time use"
    period = at.selectbox(key="time_use_period")
    at = period.select(next(p for p in period.options if "autumn" in p)).run()
    metrics = {m.label: m.value for m in at.metric}
    direct = float(metrics["Direct work with children and families"].rstrip("%"))
    assert 10 <= direct <= 20  # the demo is drawn to look like the published ~15%
    tables = {t.value.index.name: t.value for t in at.table}
    summary = next(t.value for t in at.table if "Hours per FTE week" in t.value.columns)
    assert summary.loc["All teams", "Direct work %"] == f"{direct:.1f}%"
    qa = next(i for i in summary.index if "Quality Assurance" in i)
    assert summary.loc[qa, "Direct work %"] == "fewer than 5"  # 4 staff: withheld
    assert "Group" in tables
    assert any("Not shown (fewer than 5" in c.value for c in at.caption)
    # Direct time beside confidence, by team.
    assert at.selectbox(key="time_use_wave").options
    beside = next(
        t.value
        for t in at.table
        if "Direct work %" in t.value.columns and "Workers (diary)" in t.value.columns
    )
    assert len(beside) >= 5
    assert not at.download_button(key="download_time_use").disabled
    # Against the six comparator authorities with diary weeks, never named.
    compared = next(t.value for t in at.table if t.value.index.name == "Work")
    assert compared.loc["Direct work (with children and families)", "Us"] == f"{direct:.1f}%"
    assert set(compared["Authorities compared"]) == {"6"}
    assert set(compared["Statistical neighbours: median"]) != {"–"}  # five neighbours
    assert not any("Southmoor" in str(t.value) for t in at.table)


def test_time_use_has_a_helpful_empty_state(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in_as(new_app(), "lead@yardley-heath.example", "demo-yardley-heath-pass")
    at.switch_page("pages/time_use.py").run()
    assert not at.exception
    assert "No time diaries yet" in at.info[0].value
    at.switch_page("pages/diaries.py").run()
    at.tabs[1].run()
    assert any("No diary periods yet" in i.value for i in at.info)


def test_lead_compares_periods_by_team(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/time_use.py").run()
    trend = next(t.value for t in at.table if t.value.index.name == "Period")
    assert len(trend) == 2
    comparison = next(t.value for t in at.table if "Why no change is shown" in t.value.columns)
    assert "All teams" in comparison.index
