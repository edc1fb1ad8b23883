"""Wave lifecycle (draft → open → closed → reopened), roster audiences, the open link, the
"not yet responded" list, free text at 2k, and publishing instrument versions; both databases."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

import pytest
from sqlalchemy import ColumnElement, func, select

from sos_workforce import surveys
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Channel, WaveStatus
from sos_workforce.core.errors import InvalidInput, LinkRefused, PermissionDenied
from sos_workforce.core.models import (
    AuditEvent,
    Base,
    ClosedWaveTally,
    Invitation,
    PendingResponse,
    Response,
    Wave,
)
from sos_workforce.core.security import hash_token
from tests.support.factories import (
    World,
    build_world,
    launch,
    release_all,
    stored_responses,
    token_of,
    with_links,
)

TODAY = dt.date.today()


def _count(db: Database, model: type, *where: ColumnElement[bool]) -> int:
    with db.read() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return int(session.scalar(query) or 0)


def _status(db: Database, wave_id: int) -> WaveStatus:
    with db.read() as session:
        return session.get_one(Wave, wave_id).status


def _actions(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_draft_refuses_responses_until_opened(db: Database, world: World) -> None:
    launched = launch(db, world, draft=True)
    token = token_of(launched.links[0])
    assert _status(db, launched.wave_id) is WaveStatus.DRAFT
    with pytest.raises(LinkRefused, match="opens on"):
        surveys.open_survey(db, token)
    with pytest.raises(LinkRefused):
        surveys.submit_response(db, token, {"understanding": 5})
    with pytest.raises(InvalidInput, match="not been opened"):
        surveys.close_wave(db, world.lead, launched.wave_id)
    with pytest.raises(PermissionDenied):
        surveys.open_wave(db, world.executive, launched.wave_id)
    surveys.open_wave(db, world.lead, launched.wave_id)
    surveys.submit_response(db, token, {"understanding": 5})
    assert stored_responses(db) == 1
    with pytest.raises(InvalidInput, match="Only a draft"):
        surveys.open_wave(db, world.lead, launched.wave_id)
    assert "wave_opened" in _actions(db)


def test_a_draft_can_be_discarded_with_its_links(db: Database, world: World) -> None:
    launched = launch(db, world, draft=True)
    surveys.discard_draft_wave(db, world.lead, launched.wave_id)
    assert _count(db, Wave) == 0 and _count(db, Invitation) == 0
    with pytest.raises(LinkRefused, match="not valid"):
        surveys.open_survey(db, token_of(launched.links[0]))
    opened = launch(db, world)
    with pytest.raises(InvalidInput, match="Only a draft"):
        surveys.discard_draft_wave(db, world.lead, opened.wave_id)
    assert "wave_discarded" in _actions(db)


def test_reopen_needs_a_reason_and_unseals_the_closed_tallies(db: Database, world: World) -> None:
    launched = launch(db, world)
    tokens = [token_of(link) for link in launched.links]
    surveys.submit_response(db, tokens[0], {"understanding": 8})
    release_all(db, launched.wave_id)  # a lone answer would be held back (test_release.py)
    surveys.close_wave(db, world.lead, launched.wave_id)
    assert _count(db, ClosedWaveTally, ClosedWaveTally.wave_id == launched.wave_id) == 1
    with pytest.raises(LinkRefused, match="closed"):
        surveys.submit_response(db, tokens[1], {"understanding": 3})
    with pytest.raises(InvalidInput, match="Say why"):
        surveys.reopen_wave(
            db, world.lead, launched.wave_id, reason="  ", closes_on=TODAY + dt.timedelta(days=3)
        )
    with pytest.raises(InvalidInput, match="today or later"):
        surveys.reopen_wave(
            db,
            world.lead,
            launched.wave_id,
            reason="Two teams were on leave",
            closes_on=TODAY - dt.timedelta(days=1),
        )
    assert _status(db, launched.wave_id) is WaveStatus.CLOSED
    surveys.reopen_wave(
        db,
        world.lead,
        launched.wave_id,
        reason="Two teams were on leave during the first fortnight",
        closes_on=TODAY + dt.timedelta(days=3),
    )
    assert _count(db, ClosedWaveTally, ClosedWaveTally.wave_id == launched.wave_id) == 0
    surveys.submit_response(db, tokens[1], {"understanding": 3})
    release_all(db, launched.wave_id)
    surveys.close_wave(db, world.lead, launched.wave_id)
    with db.read() as session:
        sealed = session.scalar(
            select(func.sum(ClosedWaveTally.n)).where(ClosedWaveTally.wave_id == launched.wave_id)
        )
        detail = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "wave_reopened")
        ).one()
    assert sealed == 2
    assert detail is not None and "on leave" in detail


ROSTER = (
    "Staff ID,Team,Role,Employment type,Email\r\n"
    "sw001,Alpha,Social worker,permanent,a@x.gov.uk\r\n"
    " SW002 ,alpha,Social worker,agency,\r\n"
    "SW003,Beta,Team manager,permanent,c@x.gov.uk\r\n"
)


def test_roster_audience_gives_named_links_in_the_administrators_links_file(
    db: Database, world: World
) -> None:
    preview = surveys.read_audience(
        db, world.lead, world.organisation_id, data=ROSTER.encode(), filename="roster.csv"
    )
    assert preview.per_team == {"Alpha": 2, "Beta": 1}
    assert [m.staff_ref for m in preview.members] == ["SW001", "SW002", "SW003"]
    launched = with_links(
        db,
        world,
        surveys.launch_wave(
            db,
            world.lead,
            organisation_id=world.organisation_id,
            instrument_version_id=world.instrument_version_id,
            title="Roster wave",
            opens_on=TODAY,
            closes_on=TODAY + dt.timedelta(days=7),
            audience=preview.members,
            base_url="http://testserver",
        ),
    )
    by_ref = {link.staff_ref: link for link in launched.links}
    assert set(by_ref) == {"SW001", "SW002", "SW003"}
    assert all(link.email is None for link in launched.links)  # addresses are not handed out
    rates = surveys.response_rates(db, world.lead, launched.wave_id, min_group_size=5)
    assert {r.team: r.expected for r in rates.teams} == {"Alpha": 2, "Beta": 1}

    surveys.submit_response(db, token_of(by_ref["SW002"]), {"understanding": 4})
    release_all(db, launched.wave_id)
    # Nobody is listed as having answered or not: reminders are the app's (tests/mail).
    assert not hasattr(surveys, "not_yet_responded")
    # The roster's role and email are nowhere in the stored response.
    with db.read() as session:
        role, email = session.execute(select(Response.staff_role, Response.respondent_email)).one()
    assert role is None and email is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Staff ID,Team\r\nSW1,Gamma\r\n", "no team called 'Gamma'"),
        ("Staff ID,Team\r\nSW1,Alpha\r\nsw1 ,Beta\r\n", "also appears in row 2"),
        ("Staff ID,Team,Email\r\nSW1,Alpha,not-an-address\r\n", "not an email address"),
        ("Staff ID\r\nSW1\r\n", "no column for 'Team'"),
        ("Staff ID,Team\r\n,Alpha\r\n", "missing"),
        ("", "empty"),
    ],
)
def test_bad_roster_files_are_refused_row_by_row(
    db: Database, world: World, content: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        surveys.read_audience(
            db, world.lead, world.organisation_id, data=content.encode(), filename="r.csv"
        )
    assert _count(db, Wave) == 0


class _LaunchBase(TypedDict):
    organisation_id: int
    instrument_version_id: int
    title: str
    opens_on: dt.date
    closes_on: dt.date
    base_url: str


def test_launch_refuses_both_audiences_or_duplicates(db: Database, world: World) -> None:
    member = surveys.AudienceMember("SW1", world.teams["Alpha"])
    base: _LaunchBase = {
        "organisation_id": world.organisation_id,
        "instrument_version_id": world.instrument_version_id,
        "title": "x",
        "opens_on": TODAY,
        "closes_on": TODAY,
        "base_url": "http://t",
    }
    with pytest.raises(InvalidInput, match="not both"):
        surveys.launch_wave(
            db, world.lead, audience=[member], headcounts={world.teams["Beta"]: 2}, **base
        )
    with pytest.raises(InvalidInput, match="twice"):
        surveys.launch_wave(db, world.lead, audience=[member, member], **base)
    with pytest.raises(InvalidInput, match="nobody"):
        surveys.launch_wave(db, world.lead, audience=[], **base)
    assert _count(db, Wave) == 0 and _count(db, Invitation) == 0


def test_open_link_mints_one_single_use_link_per_respondent(db: Database, world: World) -> None:
    launched = launch(db, world)
    url = surveys.issue_open_link(db, world.lead, launched.wave_id, base_url="http://t")
    open_token = url.rsplit("o=", 1)[1]
    form = surveys.open_link_form(db, open_token)
    assert [name for _, name in form.teams] == ["Alpha", "Beta"]
    first = surveys.start_open_response(db, open_token, world.teams["Beta"])
    second = surveys.start_open_response(db, open_token, world.teams["Beta"])
    assert first != second
    surveys.save_draft(db, first, {"understanding": 6})
    assert surveys.open_survey(db, first).draft == {"understanding": 6}
    surveys.submit_response(db, first, {"understanding": 6})
    with pytest.raises(LinkRefused, match="already been used"):
        surveys.submit_response(db, first, {"understanding": 6})
    release_all(db, launched.wave_id)
    with db.read() as session:
        assert session.scalars(select(Response.channel)).one() is Channel.OPEN_LINK
    with pytest.raises(InvalidInput, match="Choose one of the teams"):
        other = build_world(db, Settings(), "elsewhere")  # a team outside this wave
        surveys.start_open_response(db, open_token, other.teams["Alpha"])
    # A new open link replaces the old one; closing stops it.
    replacement = surveys.issue_open_link(db, world.lead, launched.wave_id, base_url="http://t")
    with pytest.raises(LinkRefused, match="not valid"):
        surveys.open_link_form(db, open_token)
    surveys.close_wave(db, world.lead, launched.wave_id)
    with pytest.raises(LinkRefused, match="closed"):
        surveys.start_open_response(db, replacement.rsplit("o=", 1)[1], world.teams["Alpha"])
    with pytest.raises(LinkRefused, match="closed"):
        surveys.submit_response(db, second, {"understanding": 2})
    with pytest.raises(LinkRefused, match="not valid"):
        surveys.open_link_form(db, "x" * 200)


def test_free_text_only_for_groups_of_twice_the_minimum(
    db: Database, world: World, settings: Settings
) -> None:
    launched = launch(db, world, {"Alpha": 12}, instrument="three_columns")
    tokens = [token_of(link) for link in launched.links]
    comments = ["<b>bold</b>", "=HYPERLINK(x)", "zebra", "Apple"]
    for index, token in enumerate(tokens[:9]):
        answers: dict[str, surveys.AnswerValue] = {"implementation_scaling": 5}
        if index < len(comments):
            answers["working_well"] = comments[index]
        surveys.submit_response(db, token, answers)
    withheld = surveys.free_text(db, world.executive, launched.wave_id, min_group_size=5)
    assert all(c.respondents is None and c.comments == [] for c in withheld)
    surveys.submit_response(db, tokens[9], {"implementation_scaling": 5})
    shown = {
        c.item_code: c
        for c in surveys.free_text(db, world.executive, launched.wave_id, min_group_size=5)
    }
    assert shown["working_well"].respondents == 10
    assert shown["working_well"].comments == ["<b>bold</b>", "=HYPERLINK(x)", "Apple", "zebra"]
    assert shown["worried_about"].comments == []
    team_view = surveys.free_text(
        db, world.executive, launched.wave_id, min_group_size=5, team_id=world.teams["Beta"]
    )
    assert all(c.respondents is None for c in team_view)
    outsider = build_world(db, settings, "away")
    with pytest.raises(PermissionDenied):
        surveys.free_text(db, outsider.executive, launched.wave_id, min_group_size=5)


def test_a_teams_comments_are_withheld_when_the_rest_of_the_wave_would_be_a_small_group(
    db: Database, world: World
) -> None:
    with db.read() as session:
        from sos_workforce.core.models import Instrument, InstrumentVersion

        version = session.scalar(
            select(InstrumentVersion.id).join(Instrument).where(Instrument.code == "three_columns")
        )
    assert version is not None
    launched = with_links(
        db,
        world,
        surveys.launch_wave(
            db,
            world.lead,
            organisation_id=world.organisation_id,
            instrument_version_id=version,
            title="Comments",
            opens_on=TODAY,
            closes_on=TODAY + dt.timedelta(days=7),
            headcounts={world.teams["Alpha"]: 12, world.teams["Beta"]: 3},
            base_url="http://t",
        ),
    )
    alpha = [token_of(link) for link in launched.links if link.team == "Alpha"]
    beta = [token_of(link) for link in launched.links if link.team == "Beta"]
    for index, token in enumerate(alpha[:10]):
        surveys.submit_response(db, token, {"working_well": f"alpha {index}"})
    for index, token in enumerate(beta[:2]):
        surveys.submit_response(db, token, {"working_well": f"beta {index}"})
    release_all(db, launched.wave_id)
    whole = {
        c.item_code: c
        for c in surveys.free_text(db, world.lead, launched.wave_id, min_group_size=5)
    }
    assert whole["working_well"].respondents == 12 and len(whole["working_well"].comments) == 12
    # Alpha alone has 10 (twice the minimum), but the wave's comments minus Alpha's would
    # be Beta's two: Alpha's view is withheld.
    alpha_view = surveys.free_text(
        db, world.lead, launched.wave_id, min_group_size=5, team_id=world.teams["Alpha"]
    )
    assert all(c.respondents is None and c.comments == [] for c in alpha_view)


INSTRUMENT = """\
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
          - {label: "1–2", min: 1, max: 2}
          - {label: "3–5", min: 3, max: 5}
"""


def test_publishing_instruments_versions_them(db: Database, world: World) -> None:
    org = world.organisation_id
    before = len(surveys.list_instrument_versions(db, world.lead))
    published = surveys.publish_instrument(
        db, world.lead, INSTRUMENT, organisation_id=org, source="climate.yaml"
    )
    assert (published.code, published.version, published.item_count) == ("team_climate", 1, 1)
    again = surveys.publish_instrument(db, world.lead, INSTRUMENT, organisation_id=org)
    assert again.id == published.id
    assert len(surveys.list_instrument_versions(db, world.lead)) == before + 1
    reworded = INSTRUMENT.replace("safe to speak up", "able to speak up")
    with pytest.raises(InvalidInput, match="new version"):
        surveys.publish_instrument(db, world.lead, reworded, organisation_id=org)
    v2 = surveys.publish_instrument(
        db, world.lead, reworded.replace("version: 1", "version: 2"), organisation_id=org
    )
    assert v2.version == 2 and v2.id != published.id
    broken = INSTRUMENT.replace("max: 5\n", "max: 0\n", 1)
    with pytest.raises(InvalidInput) as problem:
        surveys.publish_instrument(
            db, world.lead, broken, organisation_id=org, source="climate.yaml"
        )
    assert problem.value.problems[0].startswith("climate.yaml line 12: sections[0].items[0].max:")
    with pytest.raises(PermissionDenied):
        surveys.publish_instrument(db, world.executive, INSTRUMENT, organisation_id=org)
    with pytest.raises(InvalidInput, match="reserved"):
        surveys.publish_instrument(
            db,
            world.lead,
            INSTRUMENT.replace("team_climate", "self_profile_x"),
            organisation_id=org,
        )
    assert _actions(db).count("instrument_published") == 2
    definition = surveys.instrument_definition(db, world.executive, v2.id)
    assert definition.item("feel_safe").text == "I feel able to speak up in my team"


def test_no_stored_value_ties_a_response_to_its_link_or_roster_row(
    db: Database, world: World
) -> None:
    """Data-level check beside the schema check in test_surveys_db: after a roster wave is
    answered, the token, its hash and the staff id occur only in the invitation table, and
    the response carries no time of day."""
    member = surveys.AudienceMember("SW-UNIQUE-4711", world.teams["Alpha"], "p@x.gov.uk")
    launched = with_links(
        db,
        world,
        surveys.launch_wave(
            db,
            world.lead,
            organisation_id=world.organisation_id,
            instrument_version_id=world.instrument_version_id,
            title="Anonymity",
            opens_on=TODAY,
            closes_on=TODAY,
            audience=[member],
            base_url="http://t",
        ),
    )
    token = token_of(launched.links[0])
    surveys.save_draft(db, token, {"understanding": 4})
    surveys.submit_response(db, token, {"understanding": 4, "employment_type": 2})
    needles = {token, hash_token(token), "SW-UNIQUE-4711", "p@x.gov.uk"}
    found: dict[str, set[str]] = {}
    with db.read() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).all():
                text = " ".join(str(value) for value in row)
                for needle in needles:
                    if needle in text:
                        found.setdefault(table.name, set()).add(needle)
    assert found == {"invitation": {hash_token(token), "SW-UNIQUE-4711"}}
    with db.read() as session:
        (submitted,) = session.execute(select(PendingResponse.submitted_on)).one()
    assert type(submitted) is dt.date
