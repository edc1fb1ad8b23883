"""AppTest of every page for every role, and the skeleton flow through the UI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from navigation import (
    DIARY_PAGE,
    FEEDBACK_PAGE,
    PAGES,
    RATING_PAGE,
    SIGN_IN_PAGE,
    SURVEY_PAGE,
    pages_for,
)
from sos_workforce.core.db import Database, make_engine
from sos_workforce.core.enums import Role
from sos_workforce.core.models import DiaryParticipant, DiaryPeriod, PendingResponse, Response
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from tests.support.apptest import (
    ROOT,
    DemoApp,
    finish_survey,
    registered,
    sign_in,
    vega_lite_specs,
)
from tests.support.environment import make_settings
from ui import read_reruns

ANONYMOUS_PAGES = {SIGN_IN_PAGE, SURVEY_PAGE, RATING_PAGE, DIARY_PAGE, FEEDBACK_PAGE}


def choose_survey(at: AppTest, title: str) -> None:
    """Pick the newest version of a survey in the launch form (nothing is preselected)."""
    box = at.selectbox(key="wave_instrument")
    box.select([option for option in box.options if option.startswith(title)][-1])


def test_anonymous_visitor_sees_only_sign_in(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = new_app().run()
    assert not at.exception
    assert at.title[0].value == "sos-workforce"
    assert registered(at) == ANONYMOUS_PAGES
    with pytest.raises(ValueError):
        at.switch_page("pages/dashboard.py")


def test_no_password_is_typed_into_the_app_itself(demo_app: DemoApp) -> None:
    """Passwords go to the HTML form at /auth/sign-in (asgi.py), which can set the session
    cookie; a wrong one is refused there (tests/access/test_session_routes.py)."""
    new_app, _ = demo_app
    at = new_app().run()
    assert not at.exception
    assert not at.text_input
    assert any("/auth/sign-in" in str(html.proto) for html in at.get("html"))
    assert registered(at) == ANONYMOUS_PAGES


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_its_menu_and_every_page_renders(demo_app: DemoApp, role: Role) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), role)
    allowed = {page.path for page in pages_for(role)}
    assert registered(at) == allowed
    for page in PAGES:
        if page.path in allowed:
            at.switch_page(page.path).run()
            assert not at.exception, (page.path, at.exception)
            assert (
                at.title[0].value
                == {
                    "pages/dashboard.py": "Staff confidence",
                    "pages/waves.py": "Survey waves",
                    "pages/instruments.py": "Survey instruments",
                    "pages/users.py": "Users and organisations",
                    "pages/workforce.py": "Workforce and retention",
                    "pages/progress.py": "Implementation progress",
                    "pages/profiling.py": "Self-profiling rounds",
                    "pages/timeline.py": "Implementation timeline",
                    "pages/audit.py": "Audit log",
                    "pages/time_use.py": "Time use",
                    "pages/diaries.py": "Time diaries",
                    "pages/outcomes.py": "Outcomes beside the implementation",
                    "pages/conference_feedback.py": "Conference feedback",
                    "pages/feedback_forms.py": "Conference feedback forms",
                    "pages/training.py": "Training",
                    "pages/training_coverage.py": "Training coverage",
                }[page.path]
            )
        else:
            with pytest.raises(ValueError):
                at.switch_page(page.path)


def test_menus_match_the_product_roles() -> None:
    results = {
        "pages/dashboard.py",
        "pages/workforce.py",
        "pages/progress.py",
        "pages/time_use.py",
        "pages/outcomes.py",
        "pages/conference_feedback.py",
        "pages/training_coverage.py",
    }
    assert {p.path for p in pages_for(Role.EXECUTIVE)} == results
    assert {p.path for p in pages_for(Role.LEAD)} == results | {
        "pages/waves.py",
        "pages/instruments.py",
        "pages/diaries.py",
        "pages/profiling.py",
        "pages/timeline.py",
        "pages/audit.py",
        "pages/feedback_forms.py",
        "pages/training.py",
    }
    assert {p.path for p in pages_for(Role.ADMIN)} == {p.path for p in PAGES}


def test_executive_sees_the_band_table_for_the_closed_wave(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    at = sign_in(new_app(), Role.EXECUTIVE)
    wave_box = at.selectbox(key="dashboard_wave")
    closed = next(w for w in wave_box.options if "last year" in w)
    wave_box.select(closed).run()
    frame = at.table[0].value
    assert frame.index.name == "Statement"
    assert list(frame.columns) == ["1–3 %", "4–6 %", "7–10 %", "n answering"]
    assert len(frame) == 4
    for _, row in frame.iterrows():
        shares = [float(row[c].rstrip("%")) for c in ("1–3 %", "4–6 %", "7–10 %")]
        assert sum(shares) == pytest.approx(100, abs=0.2)
        assert int(row["n answering"]) >= 120  # the closed demo wave has 126 respondents
    # The band chart, the team heat map, the trend and the comparison, drawn from cached
    # specs: a second run draws the same charts (from the cache) with the same data.
    specs = vega_lite_specs(at)
    assert len(specs) == 4
    assert any("Share in the top band by team" in spec for spec in specs)
    assert vega_lite_specs(at.run()) == specs


def test_lead_launches_a_wave_and_is_given_no_links(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/waves.py").run()
    at.text_input(key="wave_title").input("Spring survey")
    choose_survey(at, "Signs of Safety staff confidence")
    teams = at.multiselect(key="wave_teams")
    at = teams.select(teams.options[1]).run()
    at.button(key="launch_wave").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Wave launched. Staff answer through the open link")
    assert not at.download_button or not any(
        (b.key or "").startswith("download_links_") for b in at.download_button
    )
    rates_box = at.selectbox(key="rates_wave")
    assert any(option.startswith("Spring survey") for option in rates_box.options)


def test_lead_sees_launch_errors_in_plain_words(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/waves.py").run()
    at.text_input(key="wave_title").input("No teams chosen")
    choose_survey(at, "Signs of Safety staff confidence")
    at.button(key="launch_wave").click().run()
    assert at.error[0].value == "Not launched yet. Still missing: at least one team."


def _responses(url: str) -> int:
    database = Database.from_settings(make_settings(url, ROOT))
    with database.read() as session:
        # Stored: in the results, or waiting in the pool for its team's next step.
        count = sum(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Response, PendingResponse)
        )
    database.dispose()
    return count


def test_staff_answer_through_their_link_once(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    token = demo.summary.open_wave_links[0].rsplit("t=", 1)[1]
    before = _responses(demo.url)
    at = new_app()
    at.query_params["t"] = token
    at.switch_page(SURVEY_PAGE)  # as /survey?t=… from the link
    at.run()
    assert not at.exception
    assert at.title[0].value == "Signs of Safety staff confidence"
    at = finish_survey(at, {"understanding": 8, "train_colleagues": 2})  # two skipped
    assert not at.exception
    assert at.title[0].value == "Thank you"
    assert _responses(demo.url) == before + 1

    again = new_app()
    again.query_params["t"] = token
    again.run()  # registers the anonymous pages
    again.switch_page(SURVEY_PAGE).run()
    assert "already been used" in again.warning[0].value
    assert _responses(demo.url) == before + 1


def test_unknown_link_gets_a_clear_message(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = new_app()
    at.query_params["t"] = "AAAAAAAAAAAAAAAAAAAAAA"
    at.run()
    at.switch_page(SURVEY_PAGE).run()
    assert "This link is not valid" in at.warning[0].value


def test_admin_adds_a_user(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.ADMIN)
    at.switch_page("pages/users.py").run()
    at.text_input(key="new_user_email").input("new.lead@northbridge.example")
    at.text_input(key="new_user_name").input("New Lead")
    at.selectbox(key="new_user_role").select(Role.LEAD)
    at.text_input(key="new_user_password").input("password")
    at.button(key="FormSubmitter:add_user-Add user").click().run()
    assert at.error[0].value == "That password is too common; choose another."
    at.text_input(key="new_user_email").input("new.lead@northbridge.example")
    at.text_input(key="new_user_name").input("New Lead")
    at.text_input(key="new_user_password").input("a long unusual phrase")
    at.button(key="FormSubmitter:add_user-Add user").click().run()
    assert at.success[0].value == "Added new.lead@northbridge.example."


def test_admin_erases_a_workers_diaries(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    database = Database(make_engine(demo.url))
    with database.read() as session:
        staff_id = session.scalars(
            select(DiaryParticipant.worker_ref)
            .join(DiaryPeriod, DiaryPeriod.id == DiaryParticipant.period_id)
            .where(DiaryPeriod.organisation_id == demo.summary.organisation_id)
            .limit(1)
        ).one()
        kept = session.scalar(
            select(func.count())
            .select_from(DiaryParticipant)
            .where(DiaryParticipant.worker_ref == staff_id)
        )
    at = sign_in(new_app(), Role.ADMIN)
    at.switch_page("pages/users.py").run()
    at.text_input(key="erase_staff_id").input(f" {staff_id.lower()} ")
    at.button(key="FormSubmitter:erase_diaries-Erase their diaries").click().run()
    assert not at.exception
    assert at.success[0].value == f"Erased {kept} diar{'y' if kept == 1 else 'ies'}."
    with database.read() as session:
        assert not session.scalars(
            select(DiaryParticipant).where(DiaryParticipant.worker_ref == staff_id)
        ).all()
    database.dispose()


def test_sign_out_returns_to_sign_in(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.EXECUTIVE)
    at.button(key="sign_out").click().run()
    assert not at.exception
    assert [info.value for info in at.info] == ["You are signed out."]
    assert not at.sidebar.button  # no menu, no sign-out: the session has ended
    at.run()  # and stays ended
    assert not at.sidebar.button


@pytest.mark.parametrize("page", [spec.path for spec in PAGES])
def test_pages_run_without_the_router_refuse_anonymous_visitors(
    demo_app: DemoApp, page: str
) -> None:
    # A fresh server process runs the first request in Streamlit's legacy pages/ mode,
    # where a page can run without app.py. Every page must still refuse on its own.
    at = AppTest.from_file(str(ROOT / page), default_timeout=30).run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["Please sign in to see this page."]
    assert not at.dataframe and not at.table and not at.title


def test_executive_picks_a_team_and_small_teams_are_withheld(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.EXECUTIVE)
    wave_box = at.selectbox(key="dashboard_wave")
    wave_box.select(next(w for w in wave_box.options if "last year" in w)).run()
    team_box = at.selectbox(key="dashboard_team")
    assert team_box.options[0] == "All teams"
    qa = next(option for option in team_box.options if "Quality Assurance" in option)
    team_box.select(qa).run()
    assert not at.exception
    assert "too few responses to show" in at.warning[0].value
    assert not any("n answering" in t.value.columns for t in at.table)
    team_box = at.selectbox(key="dashboard_team")
    care = next(option for option in team_box.options if "Children's Social Care" in option)
    team_box.select(care).run()
    frame = at.table[0].value
    assert frame.index.name == "Statement" and len(frame) == 4
    # The heatmap's numbers are in a table too, with the small team marked, not blank.
    numbers = next(t.value for t in at.table if t.value.index.name == "team")
    qa_row = next(index for index in numbers.index if "Quality Assurance" in index)
    assert set(numbers.loc[qa_row]) == {"suppressed"}


def test_executive_compares_with_other_authorities(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.EXECUTIVE)
    comparison = next(t.value for t in at.table if "Authorities compared" in t.value.columns)
    assert len(comparison) == 4
    # The demo has seven comparator authorities, five of them Northbridge's neighbours.
    assert set(comparison["Authorities compared"]) == {"7"}
    assert all(value.endswith("%") for value in comparison["Other authorities: median"])
    assert all(value.endswith("%") for value in comparison["Statistical neighbours: median"])
    assert "Statistical neighbours" not in [e.label for e in at.expander]  # administrators


def test_executive_sees_the_trend_across_waves(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.EXECUTIVE)
    trend = next(t.value for t in at.table if t.value.index.name == "Wave")
    assert len(trend) == 2  # last year's wave and this year's
    assert trend.columns.tolist()[0] == "Understanding of principles"
    ranking = next(t.value for t in at.table if "Change (points)" in t.value.columns)
    # Greatest progress lists rises only (the demo's other two statements fell) ...
    assert 0 < len(ranking) < 4
    assert all(change.startswith("+") for change in ranking["Change (points)"])
    # ... and weakest areas rank every statement compared.
    weakest = next(t.value for t in at.table if "Now" in t.value.columns)
    assert len(weakest) == 4


def test_executive_sees_workforce_measures_without_import_tabs(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.EXECUTIVE)
    at.switch_page("pages/workforce.py").run()
    assert not at.exception
    assert [tab.label for tab in at.tabs] == ["Measures", "DfE's census"]
    measures = at.table[0].value
    assert measures.index.name == "Measure"
    assert "Turnover rate" in measures.index and "Stability" in measures.index
    # England beside the snapshot comes from the (fictional) census the demo imported, the
    # latest counted on or before the snapshot's 30 September.
    england = [c for c in measures.columns if c.startswith("England (DfE, 30 Sep ")]
    assert len(england) == 1
    assert str(measures.loc["Turnover rate", england[0]]).endswith("%")
    assert measures.loc["Stability", england[0]] == "–"  # DfE publishes no such rate
    assert any("Fictional figures" in w.value for w in at.warning)
    assert any(t.value.index.name == "Group" for t in at.table)  # by team / by role


def test_lead_sees_the_workforce_tabs_and_saves_summary_figures(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/workforce.py").run()
    assert [tab.label for tab in at.tabs] == [
        "Measures",
        "DfE's census",
        "Establishment",
        "Import a roster",
        "Enter summary figures",
    ]
    # The upload and mapping step is exercised in the browser (AppTest has no uploader).
    day = at.date_input(key="summary_as_of").value
    assert isinstance(day, dt.date)
    stamp = day.isoformat()
    at.number_input(key=f"s_establishment_posts_{stamp}").set_value(124.0)
    at.number_input(key=f"s_permanent_headcount_{stamp}").set_value(97)
    at.button(key=f"FormSubmitter:workforce_summary_{stamp}-Save figures").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Saved 2 figure(s) for")


def _exports(url: str) -> list[tuple[str | None, str | None, int | None]]:
    from sos_workforce.core.models import AuditEvent

    database = Database.from_settings(make_settings(url, ROOT))
    with database.read() as session:
        rows = session.execute(
            select(AuditEvent.detail, AuditEvent.target, AuditEvent.count)
            .where(AuditEvent.action == "exported")
            .order_by(AuditEvent.id)
        ).all()
    database.dispose()
    return [(detail, target, count) for detail, target, count in rows]


def _query_actions(url: str, wave_id: str) -> list[str]:
    from sos_workforce.core.models import AuditEvent

    database = Database.from_settings(make_settings(url, ROOT))
    with database.read() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target == f"wave:{wave_id}", AuditEvent.action != "exported")
            .order_by(AuditEvent.id)
        ).all()
    database.dispose()
    return list(actions)


def test_downloads_are_audited_with_counts_and_shown_in_the_audit_log(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    at = sign_in(new_app(), Role.EXECUTIVE)
    assert _exports(demo.url) == []
    at.download_button(key="download_band_table_0").click().run()
    assert not at.exception
    ((kind, target, count),) = _exports(demo.url)
    assert kind == "band_table_csv" and target and target.startswith("wave:") and count == 4
    at.download_button(key="download_report").click().run()
    assert [e[0] for e in _exports(demo.url)] == ["band_table_csv", "scrutiny_report_html"]

    lead = sign_in(new_app(), Role.LEAD)
    lead.switch_page("pages/audit.py").run()
    assert not lead.exception
    assert not lead.radio  # leads see only their own organisation
    lead.selectbox(key="audit_action").select("exported").run()
    shown = lead.dataframe[0].value
    assert list(shown["What happened"]) == [  # newest first, in words
        "Downloaded: Scrutiny report (HTML)",
        "Downloaded: Confidence band table (CSV)",
    ]
    assert set(shown["Who"]) == {DEMO_CREDENTIALS[Role.EXECUTIVE][0]}
    lead.download_button(key="download_audit").click().run()
    kind, target, count = _exports(demo.url)[-1]
    assert (kind, count) == ("audit_log_csv", 2)
    assert target and target.startswith("audit:exported ")


def test_the_audit_log_is_per_organisation_for_leads_and_whole_for_admins(
    demo_app: DemoApp,
) -> None:
    new_app, _ = demo_app
    lead = sign_in(new_app(), Role.LEAD)
    lead.switch_page("pages/audit.py").run()
    organisations = set(lead.dataframe[0].value["Organisation"])
    assert organisations == {"Northbridge Borough Council"}, organisations

    admin = sign_in(new_app(), Role.ADMIN)
    admin.switch_page("pages/audit.py").run()
    assert set(admin.dataframe[0].value["Organisation"]) == organisations
    admin.radio(key="audit_scope").set_value(
        "All organisations (including accounts and sign-ins)"
    ).run()
    assert not admin.exception
    everything = admin.dataframe[0].value
    assert len(set(everything["Organisation"]) - {"—"}) > 1  # the comparator authorities too
    assert "Created a user" in set(admin.selectbox(key="audit_action").options)


def test_the_links_file_needs_an_administrator_and_its_download_is_audited(
    demo_app: DemoApp,
) -> None:
    new_app, demo = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/waves.py").run()
    at.text_input(key="wave_title").input("Audited links")
    choose_survey(at, "Signs of Safety staff confidence")
    teams = at.multiselect(key="wave_teams")
    at = teams.select(teams.options[1]).run()
    at = at.button(key="launch_wave").click().run()
    assert not [b for b in at.download_button if b.key and b.key.startswith("download_links_")]
    box = at.selectbox(key="rates_wave")
    at = box.select(next(o for o in box.options if o.startswith("Audited links"))).run()
    assert not [b for b in at.button if b.key == "make_links_file"]
    assert not [t for t in at.toggle if t.key == "allow_links_file"]  # an administrator's

    admin = sign_in(new_app(), Role.ADMIN)
    admin.switch_page("pages/waves.py").run()
    box = admin.selectbox(key="rates_wave")
    admin = box.select(next(o for o in box.options if o.startswith("Audited links"))).run()
    admin = admin.toggle(key="allow_links_file").set_value(True).run()
    assert not admin.exception

    at = at.run()
    assert any("Whoever holds this file can answer as anyone on it." in w.value for w in at.warning)
    at = at.button(key="make_links_file").click().run()
    (button,) = [b for b in at.download_button if b.key and b.key.startswith("download_links_")]
    assert button.key
    wave_id = button.key.removeprefix("download_links_")
    button.click().run()
    assert not at.exception
    assert _exports(demo.url) == [("survey_links_csv", f"wave:{wave_id}", 10)]
    actions = _query_actions(demo.url, wave_id)
    assert actions == ["wave_launched", "links_file_enabled", "survey_links_issued"]


def test_rerun_timing_log_records_pages_and_never_links(
    demo_app: DemoApp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The load benchmark's server times come from this log: page title and milliseconds."""
    log = tmp_path / "reruns.tsv"
    monkeypatch.setenv("SOS_RERUN_TIMING_LOG", str(log))
    new_app, demo = demo_app
    sign_in(new_app(), Role.EXECUTIVE)
    token = demo.summary.open_wave_links[0].rsplit("t=", 1)[1]
    staff = new_app()
    staff.query_params["t"] = token
    staff.switch_page(SURVEY_PAGE).run()
    assert staff.title[0].value == "Signs of Safety staff confidence"
    reruns = read_reruns(log)
    pages = [page for _, page, _ in reruns]
    # Signed in before the first run (the form is outside the app: asgi.py).
    assert pages == ["Confidence dashboard", "Staff survey"]
    assert all(milliseconds > 0 for _, _, milliseconds in reruns)
    assert token not in log.read_text(encoding="utf-8")
