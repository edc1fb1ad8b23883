"""Helpers for AppTest tests (the fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from sos_workforce.access import sign_in as access_sign_in
from sos_workforce.access import start_session
from sos_workforce.core.config import get_settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.devdata import DEMO_CREDENTIALS
from sos_workforce.devdata.demo import DemoSummary
from ui import SESSION_TOKEN_KEY

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


@dataclass
class DemoDatabase:
    url: str
    summary: DemoSummary


# The ``demo_app`` fixture: a factory of AppTests of app.py on a copy of the demo database,
# and that copy.
DemoApp = tuple[Callable[[], AppTest], DemoDatabase]


def registered(at: AppTest) -> set[str]:
    # AppTest keeps the pages st.navigation registered on the last run (private API,
    # also what AppTest.switch_page resolves against).
    return {
        str(Path(str(info["script_path"])).resolve().relative_to(ROOT))
        for info in at._registered_pages.values()
        if info.get("script_path")
    }


def sign_in(at: AppTest, role: Role) -> AppTest:
    """Sign an AppTest in as the demo account of ``role`` (see ``sign_in_as``)."""
    email, password = DEMO_CREDENTIALS[role]
    return sign_in_as(at, email, password)


def start_test_session(email: str, password: str) -> str:
    """Check the password and start a real session in the app's database (the one
    ``get_settings()`` names, as the app under test sees it); return its token."""
    database = Database.from_settings(get_settings())
    try:
        return start_session(database, access_sign_in(database, email, password))
    finally:
        database.dispose()


def sign_in_as(at: AppTest, email: str, password: str) -> AppTest:
    """Sign an AppTest in the way the browser is, as far as AppTest can: AppTest cannot send
    the session cookie, so the token of a real session goes into the session state key only
    server code sets (``ui.SESSION_TOKEN_KEY``). The browser path (the form, the cookie) is
    covered by tests/browser/test_sessions.py."""
    at.session_state[SESSION_TOKEN_KEY] = start_test_session(email, password)
    at.run()
    assert not at.exception, at.exception
    return at


def vega_lite_specs(at: AppTest) -> list[str]:
    """The Vega-Lite specs of the charts on the page, in order (AppTest has no chart
    element of its own: they are read from the element tree's protos)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if getattr(node, "type", "") == "vega_lite_chart":
            found.append(node.proto.spec)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def finish_survey(at: AppTest, answers: dict[str, int]) -> AppTest:
    """Answer the given scale/choice items section by section, then send from the review."""
    for _ in range(20):
        assert not at.exception, at.exception
        if any(b.key == "survey_send" for b in at.button):
            return at.button(key="survey_send").click().run()
        # Scales are segmented controls and single choices pills (both clearable); radios
        # are kept for any other choice.
        radios = {r.key for r in at.radio}
        groups = {g.key for g in at.button_group}
        for code, value in answers.items():
            if f"q_{code}" in groups:
                at.button_group(key=f"q_{code}").set_value(value)
            elif f"q_{code}" in radios:
                at.radio(key=f"q_{code}").set_value(value)
        at = at.button(key="survey_next").click().run()
    raise AssertionError("the survey never reached its review step")
