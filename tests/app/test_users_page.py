"""AppTest of account administration on the demo: an administrator deactivates an account
after confirming (it can no longer sign in) and reactivates it; the last administrator's
own deactivation is refused plainly; anyone changes their own password from the sidebar."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from sos_workforce.access import auth
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import SignInFailed
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from tests.support.apptest import ROOT, DemoApp, sign_in
from tests.support.environment import make_settings

USERS = "pages/users.py"


def _database(url: str) -> Database:
    return Database.from_settings(make_settings(url, ROOT))


def _choose(at: AppTest, email: str) -> AppTest:
    picker = at.selectbox(key="account_to_change")
    return picker.select(next(o for o in picker.options if email in o)).run()


def _press(at: AppTest, key_start: str) -> AppTest:
    """Press the one button whose key starts with ``key_start`` (keys end in the id)."""
    (button,) = [b for b in at.button if (b.key or "").startswith(key_start)]
    return button.click().run()


def test_an_administrator_deactivates_after_confirming_and_reactivates(
    demo_app: DemoApp,
) -> None:
    new_app, demo = demo_app
    lead_email, lead_password = DEMO_CREDENTIALS[Role.LEAD]
    at = sign_in(new_app(), Role.ADMIN)
    at.switch_page(USERS).run()
    at = _choose(at, lead_email)
    at = _press(at, "deactivate_")
    assert any(f"Deactivate {lead_email}?" in w.value for w in at.warning)
    database = _database(demo.url)
    assert auth.sign_in(database, lead_email, lead_password).role is Role.LEAD  # not yet
    at = _press(at, "confirm_deactivate_")
    assert not at.exception
    assert any(f"{lead_email} is deactivated." in s.value for s in at.success)
    try:
        auth.sign_in(database, lead_email, lead_password)
    except SignInFailed:
        pass
    else:
        raise AssertionError("a deactivated account signed in")
    at = _choose(at, lead_email)
    _press(at, "reactivate_")
    assert auth.sign_in(database, lead_email, lead_password).role is Role.LEAD
    database.dispose()


def test_the_last_administrator_cannot_deactivate_themselves(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    admin_email, _ = DEMO_CREDENTIALS[Role.ADMIN]
    at = sign_in(new_app(), Role.ADMIN)
    at.switch_page(USERS).run()
    at = _choose(at, admin_email)
    at = _press(at, "deactivate_")
    at = _press(at, "confirm_deactivate_")
    assert any("last active administrator" in e.value for e in at.error)


def test_anyone_changes_their_own_password_from_the_sidebar(demo_app: DemoApp) -> None:
    new_app, demo = demo_app
    email, password = DEMO_CREDENTIALS[Role.EXECUTIVE]
    at = sign_in(new_app(), Role.EXECUTIVE)
    at.text_input(key="own_current_password").input(password)
    at.text_input(key="own_new_password").input("a lighthouse in the fog")
    at.text_input(key="own_new_password_again").input("a lighthouse in the fog")
    at = at.button(key="FormSubmitter:own_password-Change password").click().run()
    assert any("Your password is changed." in s.value for s in at.success)
    database = _database(demo.url)
    assert auth.sign_in(database, email, "a lighthouse in the fog").role is Role.EXECUTIVE
    database.dispose()
