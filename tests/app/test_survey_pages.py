"""AppTest of the survey-engine pages: instruments (preview every shipped instrument,
publish), waves (draft → open → close → reopen, roster audience, open link, emailed
invitations: send, reminders with counts only) and the staff form reached through the open
link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, func, select

from navigation import SURVEY_PAGE
from sos_workforce import access, surveys
from sos_workforce.access import auth
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Channel, Role
from sos_workforce.core.models import AuditEvent, PendingResponse, Response, Wave
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from sos_workforce.mail import SURVEY_INVITATION
from sos_workforce.surveys.instruments import instrument_files, load_instrument_file
from tests.support.apptest import ROOT, DemoApp, finish_survey, sign_in
from tests.support.environment import make_settings


def _query(url: str, statement: Executable) -> Sequence[Sequence[Any]]:
    database = Database.from_settings(make_settings(url, ROOT))
    with database.read() as session:
        result = session.execute(statement).all()
    database.dispose()
    return result


def test_every_shipped_instrument_previews_as_staff_see_it(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/instruments.py").run()
    assert not at.exception
    box = at.selectbox(key="preview_instrument")
    shipped = {
        (d.title, d.version): d
        for d in (load_instrument_file(p) for p in instrument_files(ROOT / "surveys"))
    }
    assert len(box.options) == len(shipped)
    for option in box.options:
        at = at.selectbox(key="preview_instrument").select(option).run()
        assert not at.exception, option
        title, version = option.rsplit(" (v", 1)
        definition = shipped[(title, int(version.rstrip(")")))]
        assert any(h.value == definition.title for h in at.header)
        first_section = definition.sections[0]
        shown = {w.key for w in [*at.button_group, *at.multiselect, *at.text_area]}
        expected = {f"q_{i.code}" for i in first_section.items if i.show_if is None}
        assert expected <= shown, (option, expected - shown)
        assert at.get("download_button")


def test_preview_walks_to_the_review_and_sends_nothing(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    before = _query(demo.url, select(func.count()).select_from(Response))[0][0]
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/instruments.py").run()
    box = at.selectbox(key="preview_instrument")
    at = box.select(next(o for o in box.options if o.startswith("Confidence with"))).run()
    # Show-if: the follow-up question appears only after "Yes".
    at = finish_survey(at, {"tool_mapping": 7, "wants_more_training": 1})
    assert any("Preview only" in s.value for s in at.success)
    assert _query(demo.url, select(func.count()).select_from(Response))[0][0] == before


def test_lead_drafts_opens_closes_and_reopens_a_wave(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/waves.py").run()
    at.text_input(key="wave_title").input("Draft wave")
    box = at.selectbox(key="wave_instrument")
    box.select([o for o in box.options if o.startswith("Signs of Safety staff confidence")][-1])
    teams = at.multiselect(key="wave_teams")
    at = teams.select(teams.options[1]).run()
    at.checkbox(key="wave_draft").check()
    at = at.button(key="launch_wave").click().run()
    assert at.success[0].value.startswith("Wave saved as a draft. Staff answer through the open")
    assert not at.download_button or not any(
        b.key and b.key.startswith("download_links_") for b in at.download_button
    )  # no links for the lead to hold
    box = at.selectbox(key="rates_wave")
    at = box.select(next(o for o in box.options if o.startswith("Draft wave"))).run()
    assert any("draft" in i.value for i in at.info)
    at = at.button(key="open_wave").click().run()
    assert not at.exception
    at = at.button(key="issue_open_link").click().run()
    assert "survey?o=" in at.code[0].value
    assert not [b for b in at.button if b.key == "send_reminders"]  # not an emailed wave
    assert at.button(key="close_wave").disabled  # not until the person confirms
    at = (
        next(c for c in at.checkbox if (c.key or "").startswith("confirm_close_wave_"))
        .check()
        .run()
    )
    at = at.button(key="close_wave").click().run()
    at.text_input(key="reopen_reason").input("short")
    at = at.button(key="FormSubmitter:reopen_wave-Reopen").click().run()
    assert "Say why" in at.error[0].value
    at.text_input(key="reopen_reason").input("The fostering team was at a conference")
    at = at.button(key="FormSubmitter:reopen_wave-Reopen").click().run()
    assert not at.exception
    statuses = _query(demo.url, select(Wave.status).where(Wave.title == "Draft wave"))
    assert [s for (s,) in statuses] == ["open"]
    actions = {a for (a,) in _query(demo.url, select(AuditEvent.action))}
    assert {"wave_opened", "wave_closed", "wave_reopened", "open_link_issued"} <= actions


def test_the_open_link_picks_a_team_then_runs_the_survey(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    lead = sign_in(new_app(), Role.LEAD)
    lead.switch_page("pages/waves.py").run()
    box = lead.selectbox(key="rates_wave")
    lead = box.select(next(o for o in box.options if "this year" in o)).run()
    lead = lead.button(key="issue_open_link").click().run()
    open_token = lead.code[0].value.rsplit("o=", 1)[1]

    kiosk = new_app()
    kiosk.query_params["o"] = open_token
    kiosk.run()
    kiosk.switch_page(SURVEY_PAGE).run()
    assert not kiosk.exception
    assert kiosk.title[0].value == "Signs of Safety staff confidence"
    kiosk = kiosk.button(key="FormSubmitter:choose_team-Start the survey").click().run()
    assert kiosk.error[0].value == "Please choose your team."
    team = kiosk.selectbox(key="open_link_team")
    team.select(team.options[0])  # a form's widgets are sent with its submit button
    kiosk = kiosk.button(key="FormSubmitter:choose_team-Start the survey").click().run()
    assert not kiosk.exception
    kiosk = finish_survey(kiosk, {"staff_role": 1, "understanding": 9})
    assert kiosk.title[0].value == "Thank you"
    assert kiosk.button(key="another_response")
    # The answer waits in the pool until its team has enough for a step (surveys.release).
    channels = _query(
        demo.url, select(PendingResponse.channel).where(PendingResponse.staff_role.is_not(None))
    )
    assert Channel.OPEN_LINK in {c for (c,) in channels}


def test_a_bad_open_link_is_refused_plainly(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = new_app()
    at.query_params["o"] = "not-a-real-link"
    at.run()
    at.switch_page(SURVEY_PAGE).run()
    assert "This link is not valid" in at.warning[0].value


REQUIRED = """\
code: required_demo
version: 1
title: Required question demo
sections:
  - code: one
    title: One
    items:
      - code: must
        kind: scaling
        required: true
        text: Where are we from 0 to 10?
        min: 0
        max: 10
        bands: [{label: low, min: 0, max: 5}, {label: high, min: 6, max: 10}]
"""


def test_a_required_question_must_be_answered_before_continuing(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    database = Database.from_settings(make_settings(demo.url, ROOT))
    lead = auth.sign_in(database, *DEMO_CREDENTIALS[Role.LEAD])
    surveys.publish_instrument(
        database, lead, REQUIRED, organisation_id=demo.summary.organisation_id
    )
    database.dispose()
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/instruments.py").run()
    box = at.selectbox(key="preview_instrument")
    at = box.select("Required question demo (v1)").run()
    at = at.button(key="survey_next").click().run()
    assert at.error[0].value == "Please answer: Where are we from 0 to 10?"
    at.button_group(key="q_must").set_value(6)
    at = at.button(key="survey_next").click().run()
    assert not at.error
    assert any(b.key == "survey_send" for b in at.button)


def test_lead_sends_an_emailed_waves_invitations_and_reminders_seeing_counts_only(
    demo_app: DemoApp,
) -> None:
    new_app, demo = demo_app
    database = Database.from_settings(make_settings(demo.url, ROOT))
    lead = auth.sign_in(database, *DEMO_CREDENTIALS[Role.LEAD])
    teams = {t.name: t.id for t in access.list_teams(database, lead, demo.summary.organisation_id)}
    version = max(surveys.list_instrument_versions(database, lead), key=lambda v: v.id).id
    today = dt.date.today()
    surveys.launch_wave(
        database,
        lead,
        organisation_id=demo.summary.organisation_id,
        instrument_version_id=version,
        title="Emailed wave",
        opens_on=today,
        closes_on=today + dt.timedelta(days=7),
        audience=[
            surveys.AudienceMember(f"E{n}", list(teams.values())[n % 2], f"e{n}@x.example")
            for n in range(12)
        ],
        base_url="http://testserver",
        email=SURVEY_INVITATION,
    )
    database.dispose()
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/waves.py").run()
    box = at.selectbox(key="rates_wave")
    at = box.select(next(o for o in box.options if o.startswith("Emailed wave"))).run()
    assert not at.exception
    assert at.button(key="send_mail").label == "Send the 12 queued emails now"
    at = at.button(key="send_mail").click().run()
    assert any("Email is not set up" in e.value for e in at.error)  # no SOS_SMTP_HOST here
    at = at.button(key="send_reminders").click().run()
    assert any("Send a reminder to everyone" in w.value for w in at.warning)
    at = at.button(key="confirm_reminders").click().run()
    assert not at.exception
    assert any(s.value == "Reminders queued: 12." for s in at.success)
    table = at.dataframe[-1].value
    assert list(table.columns) == ["Team", "Reminders queued"]  # counts per team, never who
    assert all(v.isdigit() or v == "fewer than 5" for v in table["Reminders queued"])
    actions = {a for (a,) in _query(demo.url, select(AuditEvent.action))}
    assert "reminders_queued" in actions and "non_responders_listed" not in actions
