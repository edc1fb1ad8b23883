"""AppTest of the self-profiling pages on the demo authority, for each role."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from navigation import RATING_PAGE
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import AgreedScore, Milestone, OutboxMessage, RaterScore
from tests.support.apptest import ROOT, DemoApp, sign_in
from tests.support.environment import make_settings

PROFILING = "pages/profiling.py"
PROGRESS = "pages/progress.py"
TIMELINE = "pages/timeline.py"


def _count(url: str, model: type) -> int:
    database = Database.from_settings(make_settings(url, ROOT))
    with database.read() as session:
        count = int(session.scalar(select(func.count()).select_from(model)) or 0)
    database.dispose()
    return count


def _frame_with(at: AppTest, column: str) -> pd.DataFrame:
    frame: pd.DataFrame = next(d.value for d in at.dataframe if column in d.value.columns)
    return frame


def _table_with(at: AppTest, column: str) -> pd.DataFrame:
    table: pd.DataFrame = next(t.value for t in at.table if column in t.value.columns)
    return table


def test_lead_opens_a_round_and_downloads_rater_links(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page(PROFILING).run()
    at.button(key="open_round").click().run()
    assert at.error[0].value.startswith("Give the round a title")
    at.text_input(key="round_title").input("Spring self-profile")
    delivery = at.radio(key="rater_delivery")
    at = delivery.set_value(delivery.options[1]).run()  # a links file, not email
    at.number_input(key="raters_front_line").set_value(8)
    at.button(key="open_round").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Round opened with 23 rater links.")
    assert any(
        o.startswith("Spring self-profile") for o in at.selectbox(key="profile_round").options
    )
    # The lead holds no links until an administrator allows the file for this round.
    rounds = at.selectbox(key="rater_links_round")
    at = rounds.select(next(o for o in rounds.options if o.startswith("Spring"))).run()
    assert any("Ask an administrator" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "make_rater_links"]
    assert not [t for t in at.toggle if (t.key or "").startswith("allow_rater_links_")]

    admin = sign_in(new_app(), Role.ADMIN)
    admin.switch_page(PROFILING).run()
    rounds = admin.selectbox(key="rater_links_round")
    admin = rounds.select(next(o for o in rounds.options if o.startswith("Spring"))).run(timeout=90)
    toggle = next(t for t in admin.toggle if (t.key or "").startswith("allow_rater_links_"))
    admin = toggle.set_value(True).run(timeout=90)
    assert not admin.exception

    at = at.run()
    assert any("Whoever holds this file can score as anyone" in w.value for w in at.warning)
    at = at.button(key="make_rater_links").click().run()
    (button,) = [b for b in at.download_button if (b.key or "").startswith("download_rater_links_")]
    button.click().run()
    assert not at.exception


def test_lead_emails_raters_their_links_and_sees_counts_only(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    before = _count(demo.url, OutboxMessage)
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page(PROFILING).run()
    assert str(at.radio(key="rater_delivery").value).startswith("The app emails each rater")
    at.text_input(key="round_title").input("Emailed self-profile")
    at.text_area(key="rater_emails_leader").input("a@x.example\nnot-an-address")
    at = at.button(key="open_round").click().run()
    assert "not-an-address" in at.error[0].value
    assert _count(demo.url, OutboxMessage) == before
    at.text_area(key="rater_emails_leader").input("a@x.example\nb@x.example")
    at.text_area(key="rater_emails_team_manager").input("c@x.example")
    at = at.button(key="open_round").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Round opened. 3 raters will each get their own link")
    rounds = at.selectbox(key="rater_links_round")
    at = rounds.select(next(o for o in rounds.options if o.startswith("Emailed"))).run()
    # The email section: counts, the send button, reminders; never a link or a file.
    log = _frame_with(at, "Queued")
    assert log.set_index("Email").loc["Invitations", "Queued"] == "3"
    assert [b for b in at.button if b.key == "send_rater_reminders"]
    assert not [b for b in at.button if b.key == "make_rater_links"]
    assert not [b for b in at.download_button if "link" in b.label.lower()]
    assert _count(demo.url, OutboxMessage) == before + 3


def test_lead_sees_spread_and_records_an_agreed_score_with_evidence(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page(PROFILING).run()
    selected = at.selectbox(key="profile_round").value
    assert selected is not None and selected.title == "Year 3 self-profile"
    frame = _frame_with(at, "Median")
    assert len(frame) == 24
    practice = frame.set_index("Item").loc["Principles used in practice"]
    assert isinstance(practice, pd.Series)
    assert int(practice["Raters"]) >= 5 and practice["Median"] != "fewer than 5"
    # Only three front-line representatives and no practice leads have scored.
    assert practice["Front-line representatives median"] == "fewer than 5"
    assert practice["Practice leads median"] == "fewer than 5"
    assert practice["Agreed"] == "not yet"

    at.number_input(key="agree_score_principles_used").set_value(7)
    at.button(key="FormSubmitter:agree_form-Record agreed score").click().run()
    assert "write the evidence" in at.error[0].value
    assert _count(demo.url, AgreedScore) == 24 * 3 + 15 * 24  # closed rounds only
    at.text_area(key="agree_evidence_principles_used").input("Audit of 40 cases: 31 mapped")
    at.button(key="FormSubmitter:agree_form-Record agreed score").click().run()
    assert not at.exception
    assert at.success[0].value == "Agreed score recorded for Principles used in practice."
    assert (
        _frame_with(at, "Median").set_index("Item").loc["Principles used in practice"]["Agreed"]
        == "7"
    )
    at.button(key="close_round").click().run()
    assert at.error[0].value.startswith("23 item(s) still need an agreed score")


def test_rater_scores_a_round_through_their_link_once(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    token = demo.summary.profile_rater_links[0].rsplit("t=", 1)[1]
    before = _count(demo.url, RaterScore)
    at = new_app()
    at.query_params["t"] = token
    at.run()  # registers the anonymous pages
    at.switch_page(RATING_PAGE).run()
    assert not at.exception
    assert at.title[0].value == "Signs of Safety organisational self-profile"
    assert "scoring as: Practice leads" in at.caption[0].value
    assert at.get("progress")[0].proto.text == "Section 1 of 12: Practice"
    at.button_group(key="r_principles_used").set_value(6)
    for _ in range(10):  # one domain per step; admin_support is in the eleventh
        at = at.button(key="rating_next").click().run()
    at.button_group(key="r_admin_support").set_value(2)
    at = at.button(key="rating_next").click().run()
    at.button(key="rating_send").click().run()
    assert at.title[0].value == "Thank you"
    assert _count(demo.url, RaterScore) == before + 2

    again = new_app()
    again.query_params["t"] = token
    again.run()
    again.switch_page(RATING_PAGE).run()
    assert "already been used" in again.warning[0].value


def test_unknown_rater_link_gets_a_clear_message(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = new_app()
    at.query_params["t"] = "not-a-real-token-at-all"
    at.run()
    at.switch_page(RATING_PAGE).run()
    assert "This link is not valid" in at.warning[0].value
    assert not at.radio and not at.button_group


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.LEAD, Role.ADMIN])
def test_progress_shows_rankings_sustainment_readiness_and_comparison(
    demo_app: DemoApp, role: Role
) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), role)
    at.switch_page(PROGRESS).run()
    assert not at.exception
    rounds = _table_with(at, "Phase")
    assert list(rounds.index) == [
        "Baseline self-profile",
        "Year 1 self-profile",
        "Year 2 self-profile",
    ]
    assert list(rounds["Experience"]) == [
        "New (up to 1 year)",
        "About 2 years",
        "More than 2 years",
    ]
    assert [w.value for w in at.warning if w.value.startswith("Fallen back")] == [
        "Fallen back: Learning strategy reached 7.5 in Year 1 self-profile and is now 6.5."
    ]
    progress = _table_with(at, "Change")
    assert list(progress["Domain"])[:3] == [
        "Practice",
        "Supervision",
        "Policy, forms and recording alignment",
    ]
    assert list(progress["Change"])[:3] == [4.0, 4.0, 4.0]
    weakest = next(t.value for t in at.table if list(t.value.columns) == ["Domain", "Latest"])
    assert list(weakest["Domain"])[:2] == ["Administrative support", "Recruitment and retention"]
    scores = _frame_with(at, "Year 2 self-profile")
    learning_strategy = scores.loc["Learning strategy"]
    assert isinstance(learning_strategy, pd.Series)
    assert learning_strategy.tolist() == [4.0, 7.5, 6.5]
    dots = _frame_with(at, "Previous")
    assert dots.set_index("Domain").loc["Learning strategy", "Change"] == -1.0

    teams = _frame_with(at, "Respondents").set_index("Team")
    assert teams.loc["Quality Assurance and Conferencing", "Respondents"] == "fewer than 5"
    assert "Latest score" in _frame_with(at, "Latest score").columns

    comparison = _table_with(at, "About 2 years")
    # Five demo authorities in each band: every band is compared (five at least).
    assert all(isinstance(v, float) for v in comparison["About 2 years"])
    assert all(isinstance(v, float) for v in comparison["More than 2 years"])
    assert all(isinstance(v, float) for v in comparison["New (up to 1 year)"])


def test_lead_keeps_the_timeline(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page(TIMELINE).run()
    assert not at.exception
    assert "More than 2 years" in at.markdown[0].value
    phases = _table_with(at, "Starts")
    assert list(phases.index) == [
        "Preparation",
        "Intensive implementation, year 1",
        "Intensive implementation, year 2",
        "Sustainment",
    ]
    before = _count(demo.url, Milestone)
    at.button(key="FormSubmitter:milestone_form-Add milestone").click().run()
    assert at.error[0].value.startswith("Describe the milestone")
    at.text_input(key="milestone_title").input("Family feedback forms in use")
    at.button(key="FormSubmitter:milestone_form-Add milestone").click().run()
    assert at.success[0].value == "Added 'Family feedback forms in use'."
    assert "Family feedback forms in use" in _table_with(at, "Date").index
    assert _count(demo.url, Milestone) == before + 1

    sustainment = at.date_input(key="phase_sustainment")
    year_1 = at.date_input(key="phase_intensive_year_1").value
    sustainment.set_value(year_1)
    at.button(key="FormSubmitter:timeline_form-Save timeline").click().run()
    assert "must start after" in at.error[0].value
