"""Every download goes through the audited, formula-safe path (issue 18, point 6): for each
role, every download button on every page it sees is pressed, and each press leaves one
"exported" row in the audit log, of that button's kind and by that account. Streamlit's
own table toolbar export is switched off (``client.disableDataExport``), so there is no
other way to download.

The buttons to find come from the pages' source: every ``audited_download(...)`` call with
its key (an f-string key is matched by what comes before its first ``{``) and its kind;
a page that calls ``st.download_button`` directly fails the test."""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from navigation import pages_for
from sos_workforce.access.audit_log import EXPORT_KINDS
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import AuditEvent, UserAccount
from sos_workforce.devdata.demo import DEMO_CREDENTIALS
from tests.support.apptest import ROOT, DemoApp, sign_in
from tests.support.environment import make_settings

# Widgets that choose what a page shows (a wave, a period, a round): each option is tried
# until the page's downloads have all been found.
CHOOSERS = (
    "dashboard_wave",
    "rates_wave",
    "diary_manage_period",
    "rater_links_round",
    "profile_round",
    "time_use_period",
)
# Boxes to tick before a maker may be pressed (replacing a standing link needs a tick).
TICKS = ("feedback_replace_link",)
# Buttons that make a file before it can be downloaded.
MAKERS = ("make_links_file", "make_diary_links_file", "make_rater_links", "feedback_issue_link")
# Radios that reveal a download when set.
REVEAL = {"wave_audience_mode": "roster"}
# Downloads of a page that a role sees without being offered them, and why.
NOT_OFFERED = {
    (Role.EXECUTIVE, "roster_template"): "executives read workforce figures; leads import",
}


@dataclass(frozen=True)
class Download:
    page: str
    key: str  # the key, or its prefix before an f-string's first {
    kind: str

    def matches(self, key: str | None) -> bool:
        return key is not None and (key == self.key or key.startswith(self.key))


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return ""


def _literal_prefix(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        head = node.values[0] if node.values else None
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            return head.value
    raise AssertionError(f"a download key that is neither a string nor an f-string: {node}")


def downloads_in_pages() -> list[Download]:
    found: list[Download] = []
    for path in sorted((ROOT / "pages").glob("*.py")):
        page = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            assert name != "st.download_button", f"{page}: use ui.audited_download"
            if name != "audited_download":
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            kind = keywords["kind"]
            assert isinstance(kind, ast.Constant) and isinstance(kind.value, str), page
            found.append(Download(page, _literal_prefix(keywords["key"]), kind.value))
    return found


DOWNLOADS = downloads_in_pages()


def test_the_inventory_names_every_kind_the_audit_log_knows() -> None:
    kinds = {download.kind for download in DOWNLOADS}
    assert kinds <= set(EXPORT_KINDS)
    # The audit log's own CSV is downloaded on the audit page, so every kind is a page's.
    assert kinds == set(EXPORT_KINDS)


def test_streamlit_table_export_is_switched_off() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
    from serve import HARDENED_OPTIONS

    assert HARDENED_OPTIONS["client.disableDataExport"] == "true"


def _exports(url: str) -> list[tuple[int | None, str | None]]:
    """Every "exported" audit row: (account, kind), oldest first."""
    database = Database.from_settings(make_settings(url, ROOT))
    with database.read() as session:
        rows = session.execute(
            select(AuditEvent.actor_user_id, AuditEvent.detail)
            .where(AuditEvent.action == "exported")
            .order_by(AuditEvent.id)
        ).all()
    database.dispose()
    return [(user, detail) for user, detail in rows]


def _user_id(url: str, email: str) -> int:
    database = Database.from_settings(make_settings(url, ROOT))
    with database.read() as session:
        user_id = session.scalar(select(UserAccount.id).where(UserAccount.email == email))
    database.dispose()
    assert user_id is not None
    return user_id


class Presser:
    """Presses the download buttons of one page for one role and checks each audit row."""

    def __init__(self, at: AppTest, url: str, user_id: int, page: str, role: Role) -> None:
        self.at = at
        self.url = url
        self.user_id = user_id
        self.expected = [
            d for d in DOWNLOADS if d.page == page and (role, d.key) not in NOT_OFFERED
        ]
        self.pressed: set[Download] = set()

    def press_all(self) -> None:
        for key in TICKS:
            if any(c.key == key for c in self.at.checkbox):
                self.at = self.at.checkbox(key=key).check().run()
        for key in MAKERS:
            if any(b.key == key for b in self.at.button):
                self.at = self.at.button(key=key).click().run()
                assert not self.at.exception, self.at.exception
        for button_key in [b.key for b in self.at.download_button]:
            assert button_key is not None, "every download button has a key"
            (download,) = [d for d in self.expected if d.matches(button_key)]
            before = _exports(self.url)
            self.at = self.at.download_button(key=button_key).click().run()
            assert not self.at.exception, (button_key, self.at.exception)
            after = _exports(self.url)
            assert after[: len(before)] == before
            assert after[len(before) :] == [(self.user_id, download.kind)], button_key
            self.pressed.add(download)

    def done(self) -> bool:
        return self.pressed == set(self.expected)


@pytest.mark.parametrize("role", list(Role))
def test_every_download_button_a_role_sees_is_audited(demo_app: DemoApp, role: Role) -> None:
    new_app, demo = demo_app
    user_id = _user_id(demo.url, DEMO_CREDENTIALS[role][0])
    at = sign_in(new_app(), role)
    missing: dict[str, set[str]] = {}
    for spec in pages_for(role):
        at.switch_page(spec.path).run()
        assert not at.exception, (spec.path, at.exception)
        for key, value in REVEAL.items():
            if any(r.key == key for r in at.radio):
                at = at.radio(key=key).set_value(value).run()
        presser = Presser(at, demo.url, user_id, spec.path, role)
        presser.press_all()
        for chooser in CHOOSERS:
            if presser.done() or not any(s.key == chooser for s in presser.at.selectbox):
                continue
            for option in presser.at.selectbox(key=chooser).options:
                presser.at = presser.at.selectbox(key=chooser).select(option).run()
                assert not presser.at.exception, (chooser, option, presser.at.exception)
                presser.press_all()
                if presser.done():
                    break
        at = presser.at
        if not presser.done():
            missing[spec.path] = {d.key for d in set(presser.expected) - presser.pressed}
    assert not missing, f"downloads never shown to {role.value}: {missing}"
