"""AppTest of the Survey instruments page with instrument ownership: a lead uploads an
instrument for their organisation (offered to it only; another authority's lead does not
see it), an administrator publishes it to the shared library after confirming, and the
publication is audited."""

from __future__ import annotations

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import AuditEvent, Instrument
from sos_workforce.devdata.demo import DEMO_ORG_NAME
from tests.support.apptest import ROOT, DemoApp, sign_in, sign_in_as
from tests.support.environment import make_settings

CLIMATE = b"""\
code: team_climate
version: 1
title: Team climate
sections:
  - code: main
    title: Main
    items:
      - code: feel_safe
        kind: scale
        text: I feel safe to speak up in my team
        min: 1
        max: 5
        bands:
          - {label: "1-2", min: 1, max: 2}
          - {label: "3-5", min: 3, max: 5}
"""
NORTHBRIDGE = DEMO_ORG_NAME
OTHER_LEAD = ("lead@southmoor.example", "demo-southmoor-pass")  # a comparator authority


def _sign_in_as(at: AppTest, email: str, password: str) -> AppTest:
    return sign_in_as(at, email, password)


def _offered(at: AppTest) -> dict[str, str]:
    table = at.dataframe[0].value
    return dict(zip(table["Instrument"], table["Offered to"], strict=True))


def _owner(url: str) -> tuple[int | None, list[str]]:
    database = Database.from_settings(make_settings(url, ROOT))
    with database.read() as session:
        owner = session.scalar(
            select(Instrument.organisation_id).where(Instrument.code == "team_climate")
        )
        actions = list(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.target.like("instrument:team_climate%"))
            )
        )
    database.dispose()
    return owner, actions


def test_a_leads_upload_is_its_organisations_until_an_administrator_shares_it(
    demo_app: DemoApp,
) -> None:
    new_app, demo = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/instruments.py").run()
    assert not at.exception
    assert not [r for r in at.radio if r.key == "instrument_publish_to"]  # leads: no choice
    assert all(offer.startswith("Every organisation") for offer in _offered(at).values())
    at.file_uploader(key="instrument_upload").set_value(
        ("climate.yaml", CLIMATE, "application/yaml")
    ).run()
    at = at.button(key="publish_instrument").click().run()
    assert not at.exception and not at.error
    assert f"Offered to: {NORTHBRIDGE} only" in at.success[0].value
    at = at.run()
    assert _offered(at)["Team climate"] == f"{NORTHBRIDGE} only"
    assert _owner(demo.url) == (demo.summary.organisation_id, ["instrument_published"])

    # Another authority's lead is not offered it, in the catalogue or the preview.
    other = _sign_in_as(new_app(), *OTHER_LEAD)
    other.switch_page("pages/instruments.py").run()
    assert not other.exception
    assert "Team climate" not in _offered(other)
    assert "Team climate (v1)" not in other.selectbox(key="preview_instrument").options
    # Nor is a lead offered the administrators' library tab.
    assert not [b for b in other.button if b.key == "share_instrument"]

    # The administrator publishes it to the shared library, after confirming.
    admin = sign_in(new_app(), Role.ADMIN)
    admin.switch_page("pages/instruments.py").run()
    assert not admin.exception
    assert _offered(admin)["Team climate"] == f"{NORTHBRIDGE} only"
    choice = admin.selectbox(key="share_instrument_choice")
    assert choice.options == [f"Team climate (team_climate), from {NORTHBRIDGE}"]
    assert admin.button(key="share_instrument").disabled
    admin.checkbox(key="share_instrument_confirm").check().run()
    admin = admin.button(key="share_instrument").click().run()
    assert not admin.exception and not admin.error
    assert "now in the shared library" in admin.success[0].value
    assert _offered(admin)["Team climate"] == "Every organisation (shared library)"
    assert _owner(demo.url) == (None, ["instrument_published", "instrument_shared"])

    other.run()
    assert _offered(other)["Team climate"] == "Every organisation (shared library)"


def test_a_lead_cannot_publish_over_a_shared_library_instrument(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.LEAD)
    at.switch_page("pages/instruments.py").run()
    shipped = (ROOT / "surveys" / "sos_confidence_v2.yaml").read_bytes()
    at.file_uploader(key="instrument_upload").set_value(
        ("mine.yaml", shipped.replace(b"version: 2", b"version: 7"), "application/yaml")
    ).run()
    at = at.button(key="publish_instrument").click().run()
    assert not at.exception and not at.success
    assert at.error[0].value.startswith("The file was not published")
    assert "shared library" in at.code[0].value
