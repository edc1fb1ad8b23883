"""AppTest of the conference feedback pages: results in the words of Brent's report (seed
004 §3.17: 216 professionals, average 8.8/10; §3.26: 163 parents and carers, 8.4), a
period not yet ended, the lead's link, poster and paper entry, and the standing link."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from navigation import FEEDBACK_PAGE
from sos_workforce import feedback
from sos_workforce.access import sign_in as sign_in_service
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import FeedbackEntry, FeedbackPending
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from tests.support.apptest import ROOT, DemoApp, sign_in
from tests.support.environment import make_settings
from tests.support.feedback_factories import (
    FAMILY,
    PROFESSIONAL,
    Form,
    brent_parents,
    brent_professionals,
)


def _add_forms(url: str, code: str, forms: list[Form]) -> None:
    """Type Brent's forms into the demo's form for ``code``, each on its conference's day."""
    database = Database.from_settings(make_settings(url, ROOT))
    lead = sign_in_service(database, *DEMO_CREDENTIALS[Role.LEAD])
    organisation_id = next(iter(lead.organisation_ids))
    form = next(
        f
        for f in feedback.list_feedback_forms(database, lead, organisation_id)
        if f.code == code and f.form_id is not None
    )
    assert form.form_id is not None
    for day, answers in forms:
        feedback.enter_paper_forms(
            database, lead, form.form_id, [feedback.PaperForm(day, answers)], today=day
        )
    database.dispose()


def _stored_forms(url: str) -> int:
    database = Database.from_settings(make_settings(url, ROOT))
    with database.read() as session:
        total = sum(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (FeedbackEntry, FeedbackPending)
        )
    database.dispose()
    return total


def _results_for(at: AppTest, title_part: str, first: str, last: str) -> AppTest:
    at.switch_page("pages/conference_feedback.py").run()
    assert not at.exception, at.exception
    box = at.selectbox(key="feedback_form")
    at = box.select_index(next(i for i, o in enumerate(box.options) if title_part in o)).run()
    at = at.radio(key="feedback_period_kind").set_value("Months from … to …").run()
    start = at.selectbox(key="feedback_from")
    at = start.select_index(start.options.index(first)).run()
    end = at.selectbox(key="feedback_to")
    return end.select_index(end.options.index(last)).run()


def test_216_professionals_show_8_8_worded_for_professionals(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    _add_forms(demo.url, PROFESSIONAL, brent_professionals())
    at = _results_for(
        sign_in(new_app(), Role.EXECUTIVE), "professionals", "April 2017", "December 2017"
    )
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Number of professionals": "216", "Average score/10": "8.8"}
    assert any(
        "216 professionals, average score 8.8/10" in m.value
        and "between April and December 2017" in m.value
        for m in at.markdown
    )
    assert at.get("download_button")  # CSV and Excel (their contents: tests/feedback)
    page_text = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info])
    assert "staff" not in page_text.lower()


def test_163_parents_and_carers_are_worded_for_parents_and_carers(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    _add_forms(demo.url, FAMILY, brent_parents())
    at = _results_for(
        sign_in(new_app(), Role.LEAD), "parents and carers", "April 2017", "December 2017"
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Number of parents and carers": "163", "Average score/10": "8.4"}
    assert any("163 parents and carers, average score 8.4/10" in m.value for m in at.markdown)


def test_a_period_not_yet_ended_shows_only_an_explanation(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    this_month = f"{dt.date.today():%B %Y}"
    at = _results_for(sign_in(new_app(), Role.EXECUTIVE), "professionals", this_month, this_month)
    assert not at.exception
    assert not at.metric
    assert any("has not ended yet" in i.value for i in at.info)


def test_lead_makes_the_poster_and_types_in_a_paper_form(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/feedback_forms.py").run()
    assert not at.exception, at.exception
    # The demo's form has a link already: replacing it needs a tick first.
    assert at.button(key="feedback_issue_link").disabled
    at = at.checkbox(key="feedback_replace_link").check().run()
    at = at.button(key="feedback_issue_link").click().run()
    url = at.code[0].value
    assert "/feedback?f=" in url
    assert at.get("download_button")

    before = _stored_forms(demo.url)
    at = at.button(key="FormSubmitter:paper_form-Add this form").click().run()
    assert "Please answer" in at.error[0].value  # the score is needed
    at.button_group(key="paper_overall").set_value(9)
    at = at.button(key="FormSubmitter:paper_form-Add this form").click().run()
    assert any("Form 1 added" in s.value for s in at.success)
    assert _stored_forms(demo.url) == before  # not saved yet
    at = at.button(key="paper_save").click().run()
    assert any("1 form(s) saved" in s.value for s in at.success)
    assert _stored_forms(demo.url) == before + 1

    # The standing link: anyone, no account.
    kiosk = new_app()
    kiosk.query_params["f"] = url.rsplit("f=", 1)[1]
    kiosk.run()
    kiosk.switch_page(FEEDBACK_PAGE).run()
    assert not kiosk.exception, kiosk.exception
    assert kiosk.title[0].value == "Child protection conference - feedback from professionals"
    kiosk.button_group(key="f0_overall").set_value(8)
    kiosk = kiosk.button(key="FormSubmitter:feedback_form-Send my feedback").click().run()
    assert kiosk.title[0].value == "Thank you"
    assert _stored_forms(demo.url) == before + 2
    kiosk = kiosk.button(key="feedback_another").click().run()
    assert kiosk.button_group(key="f1_overall").value is None  # a fresh form for the next person


def test_a_bad_standing_link_is_refused_plainly(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = new_app()
    at.query_params["f"] = "not-a-real-link"
    at.run()
    at.switch_page(FEEDBACK_PAGE).run()
    assert "This link is not valid" in at.warning[0].value
