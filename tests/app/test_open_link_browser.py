"""AppTest of the open link's per-browser limit (issue 18, point 5): after an answer was
sent from this browser session, the next start asks "Someone else answering on this
device?" (a kiosk still works: a confirmation, not a block), and only a few unfinished
starts are allowed per browser session."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from navigation import SURVEY_PAGE
from sos_workforce.core.enums import Role
from tests.support.apptest import DemoApp, finish_survey, sign_in

START = "FormSubmitter:choose_team-Start the survey"
CONFIRM = "confirm_someone_else"


def _open_token(demo_app: DemoApp) -> str:
    new_app, _ = demo_app
    lead = sign_in(new_app(), Role.LEAD)
    lead.switch_page("pages/waves.py").run()
    box = lead.selectbox(key="rates_wave")
    lead = box.select(next(o for o in box.options if "this year" in o)).run()
    # The lead sees the answers by link beside the response rates.
    assert "Answers by link" in _subheaders(lead)
    assert not lead.exception
    lead = lead.button(key="issue_open_link").click().run()
    return str(lead.code[0].value).rsplit("o=", 1)[1]


def _back_to_the_open_link(kiosk: AppTest, open_token: str) -> AppTest:
    kiosk.query_params.clear()
    kiosk.query_params["o"] = open_token
    return kiosk.run()


def _start(kiosk: AppTest, team_index: int) -> AppTest:
    team = kiosk.selectbox(key="open_link_team")
    team.select(team.options[team_index])
    kiosk = kiosk.button(key=START).click().run()
    assert not kiosk.exception
    return kiosk


def _subheaders(kiosk: AppTest) -> list[str]:
    return [str(s.value) for s in kiosk.subheader]


def test_a_second_answer_from_one_browser_is_confirmed_first(demo_app: DemoApp) -> None:
    open_token = _open_token(demo_app)
    new_app, _ = demo_app
    kiosk = new_app()
    kiosk.query_params["o"] = open_token
    kiosk.run()
    kiosk.switch_page(SURVEY_PAGE).run()
    # The first person is not asked anything.
    assert "Someone else answering on this device?" not in _subheaders(kiosk)
    kiosk = _start(kiosk, 0)
    kiosk = finish_survey(kiosk, {"staff_role": 1, "understanding": 9})
    assert kiosk.title[0].value == "Thank you"
    kiosk = kiosk.button(key="another_response").click().run()
    # The next one is asked first, and no team can be chosen until they confirm.
    assert "Someone else answering on this device?" in _subheaders(kiosk)
    assert not [s for s in kiosk.selectbox if s.key == "open_link_team"]
    kiosk = kiosk.button(key=CONFIRM).click().run()
    assert "Someone else answering on this device?" not in _subheaders(kiosk)
    kiosk = _start(kiosk, 1)
    assert kiosk.query_params.get("t")  # on the survey with a link of its own
    # And asked again before the start after that (the confirmation is for one start).
    kiosk = _back_to_the_open_link(kiosk, open_token)
    assert "Someone else answering on this device?" in _subheaders(kiosk)


def test_only_a_few_unfinished_starts_per_browser(demo_app: DemoApp) -> None:
    open_token = _open_token(demo_app)
    new_app, _ = demo_app
    kiosk = new_app()
    kiosk.query_params["o"] = open_token
    kiosk.run()
    kiosk.switch_page(SURVEY_PAGE).run()
    started = []
    for index in range(3):  # SOS_OPEN_LINK_UNFINISHED_PER_BROWSER, default 3
        kiosk = _start(kiosk, index)
        started.append(kiosk.query_params.get("t"))
        kiosk = _back_to_the_open_link(kiosk, open_token)
    assert len(set(started)) == 3
    assert any("3 surveys were started on this device" in str(w.value) for w in kiosk.warning)
    assert not [s for s in kiosk.selectbox if s.key == "open_link_team"]
    kiosk = kiosk.button(key="continue_unfinished").click().run()
    assert kiosk.query_params.get("t") == started[-1]
    assert not kiosk.exception
