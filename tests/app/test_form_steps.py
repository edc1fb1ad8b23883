"""AppTest of the staff survey and the rater form as steps: an answer can be cleared, the
form goes section by section with progress, a saved draft resumes in the section where
the person stopped, and the answers are sent exactly once."""

from __future__ import annotations

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from navigation import RATING_PAGE, SURVEY_PAGE
from sos_workforce.core.db import Database
from sos_workforce.core.models import (
    PendingResponse,
    RaterDraft,
    RaterScore,
    Response,
    ResponseDraft,
)
from tests.support.apptest import ROOT, DemoApp
from tests.support.environment import make_settings


def _count(url: str, model: type) -> int:
    database = Database.from_settings(make_settings(url, ROOT))
    with database.read() as session:
        count = int(session.scalar(select(func.count()).select_from(model)) or 0)
    database.dispose()
    return count


def _open(demo_app: DemoApp, page: str, token: str) -> AppTest:
    new_app, _ = demo_app
    at = new_app()
    at.query_params["t"] = token
    at.run()  # registers the anonymous pages
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _progress(at: AppTest) -> str:
    return str(at.get("progress")[0].proto.text)


def _focus_scripts(at: AppTest) -> list[str]:
    """The bodies of the scripts that move focus to a section's heading on this run."""
    return [str(h.proto.body) for h in at.get("html") if "focus_heading" in str(h.proto.body)]


def _click(at: AppTest, key: str) -> AppTest:
    at = at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def test_a_survey_answer_is_cleared_saved_resumed_in_its_section_and_sent_once(
    demo_app: DemoApp,
) -> None:
    _, demo = demo_app
    token = demo.summary.open_wave_links[2].rsplit("t=", 1)[1]
    sent_before = _count(demo.url, Response) + _count(demo.url, PendingResponse)
    at = _open(demo_app, SURVEY_PAGE, token)
    assert _progress(at) == "Section 1 of 2: About you"
    at = at.button_group(key="q_staff_role").set_value(1).run()  # the first role
    assert at.button_group(key="q_staff_role").value == 1
    at = at.button_group(key="q_staff_role").set_value(None).run()  # cleared: skipped again
    assert at.button_group(key="q_staff_role").value is None
    assert not _focus_scripts(at)  # a first visit: focus is left where it is
    at = _click(at, "survey_next")
    assert _progress(at).startswith("Section 2 of 2")
    (script,) = _focus_scripts(at)  # focus goes to the new section's heading ...
    assert 'data-anchor="form-section"' in script
    assert 'data-title="Your confidence with Signs of Safety"' in script
    at = at.button_group(key="q_understanding").set_value(6).run()
    assert not _focus_scripts(at)  # ... once: answering does not move it
    at = at.button_group(key="q_understanding").set_value(None).run()
    at = at.button_group(key="q_integration").set_value(7).run()
    at = _click(at, "survey_save")
    assert any("Saved." in s.value for s in at.success)

    # A new session (the connection dropped): back in section 2, answers as left.
    again = _open(demo_app, SURVEY_PAGE, token)
    assert any("Welcome back" in i.value for i in again.info)
    assert _progress(again).startswith("Section 2 of 2")
    assert again.button_group(key="q_integration").value == 7
    assert again.button_group(key="q_understanding").value is None
    again = _click(again, "survey_back")
    assert _progress(again) == "Section 1 of 2: About you"
    assert again.button_group(key="q_staff_role").value is None
    again = _click(again, "survey_next")
    again = _click(again, "survey_next")
    assert any(h.value == "Check your answers" for h in again.subheader)
    shown = [t.value for t in again.text]
    assert "7" in shown and "(skipped)" in shown
    again = _click(again, "survey_send")
    assert again.title[0].value == "Thank you"
    assert _count(demo.url, Response) + _count(demo.url, PendingResponse) == sent_before + 1
    assert _count(demo.url, ResponseDraft) == 0

    third = _open(demo_app, SURVEY_PAGE, token)
    assert "already been used" in third.warning[0].value


def test_the_rater_form_goes_by_domain_clears_saves_and_resumes_where_it_stopped(
    demo_app: DemoApp,
) -> None:
    _, demo = demo_app
    token = demo.summary.profile_rater_links[1].rsplit("t=", 1)[1]
    before = _count(demo.url, RaterScore)
    at = _open(demo_app, RATING_PAGE, token)
    assert _progress(at) == "Section 1 of 12: Practice"
    assert {g.key for g in at.button_group} == {"r_principles_used", "r_tools_used"}
    assert not any(b.key == "rating_send" for b in at.button)
    at = at.button_group(key="r_principles_used").set_value(6).run()
    at = at.button_group(key="r_tools_used").set_value(4).run()
    at = at.button_group(key="r_tools_used").set_value(None).run()  # cannot judge after all
    at = _click(at, "rating_next")
    assert _progress(at) == "Section 2 of 12: Supervision"
    at = at.button_group(key="r_supervision_aligned").set_value(0).run()
    at = _click(at, "rating_next")
    assert _progress(at) == "Section 3 of 12: Learning strategy"
    at = _click(at, "rating_save")
    assert any("Saved." in s.value for s in at.success)
    assert _count(demo.url, RaterScore) == before  # nothing sent
    assert _count(demo.url, RaterDraft) == 1

    again = _open(demo_app, RATING_PAGE, token)
    assert any("Welcome back" in i.value for i in again.info)
    assert _progress(again) == "Section 3 of 12: Learning strategy"
    again = _click(again, "rating_back")
    assert again.button_group(key="r_supervision_aligned").value == 0  # 0 is a score
    again = _click(again, "rating_back")
    assert again.button_group(key="r_principles_used").value == 6
    assert again.button_group(key="r_tools_used").value is None
    for _ in range(11):
        again = _click(again, "rating_next")
    assert _progress(again) == "Section 12 of 12: Recruitment and retention"
    assert not any(b.key == "rating_next" for b in again.button)
    assert any("You have scored 2 of 24 statements" in m.value for m in again.markdown)
    again = _click(again, "rating_send")
    assert again.title[0].value == "Thank you"
    assert _count(demo.url, RaterScore) == before + 2
    assert _count(demo.url, RaterDraft) == 0  # the draft went with the send

    third = _open(demo_app, RATING_PAGE, token)
    assert "already been used" in third.warning[0].value


def test_a_rater_cannot_send_nothing(demo_app: DemoApp) -> None:
    _, demo = demo_app
    token = demo.summary.profile_rater_links[2].rsplit("t=", 1)[1]
    before = _count(demo.url, RaterScore)
    at = _open(demo_app, RATING_PAGE, token)
    for _ in range(11):
        at = _click(at, "rating_next")
    at = _click(at, "rating_send")
    assert at.error[0].value == "Score at least one statement before sending."
    assert _count(demo.url, RaterScore) == before
