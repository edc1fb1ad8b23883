"""The support and trainer pipeline: opt-ins from the survey, kept apart from responses,
seen only by the authority's leads, counted as known by the gate, erased with the person."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, inspect, select

from sos_workforce import surveys
from sos_workforce.core.db import Database
from sos_workforce.core.errors import InvalidInput, PermissionDenied
from sos_workforce.core.models import (
    AuditEvent,
    InvitationIdentity,
    PendingResponse,
    Response,
    TrainingOptIn,
    TrainingOptInStep,
)
from sos_workforce.privacy import GroupCount, gated_counts, suppress_tree
from sos_workforce.training import (
    TRAINERS,
    erase_optin,
    list_optins,
    record_step,
    set_target,
    trainer_count,
)
from tests.support.factories import World, build_world, release_all, token_of, with_links

TODAY = dt.date.today()
PEOPLE = [(f"SW{n:03}", f"Person {n}", f"person{n}@testshire.example") for n in range(1, 7)]
ANSWERS: dict[str, surveys.AnswerValue] = {
    "understanding": 6,
    "integration": 5,
    "advise_colleagues": 7,
    "train_colleagues": 9,
}


def _wave(
    db: Database, world: World, *, allow_optin: bool = True, title: str = "Opt-in wave"
) -> dict[str, str]:
    """An audience wave (everyone in Alpha), its tokens by staff id."""
    audience = [
        surveys.AudienceMember(ref, world.teams["Alpha"], email, name)
        for ref, name, email in PEOPLE
    ]
    launched = surveys.launch_wave(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=world.instrument_version_id,
        title=title,
        opens_on=TODAY,
        closes_on=TODAY + dt.timedelta(days=14),
        audience=audience,
        base_url="http://testserver",
        allow_optin=allow_optin,
        release_step=3,
        today=TODAY,
    )
    links = with_links(db, world, launched).links
    tokens = {link.staff_ref or "": token_of(link) for link in links}
    tokens["wave"] = str(launched.wave_id)
    return tokens


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_an_opt_in_is_named_from_the_invitation_and_shares_only_what_was_chosen(
    db: Database, world: World
) -> None:
    tokens = _wave(db, world)
    form = surveys.open_survey(db, tokens["SW001"])
    assert form.allow_optin
    surveys.submit_response(
        db,
        tokens["SW001"],
        ANSWERS,
        opt_in=surveys.OptIn(trainer=True, share=("train_colleagues",)),
    )
    for ref in ("SW002", "SW003", "SW004"):
        surveys.submit_response(db, tokens[ref], ANSWERS)
    # A request without ticking either box is no request.
    surveys.submit_response(
        db, tokens["SW005"], ANSWERS, opt_in=surveys.OptIn(share=("integration",))
    )
    [optin] = list_optins(db, world.lead, world.organisation_id)
    assert (optin.name, optin.email, optin.team) == (
        "Person 1",
        "person1@testshire.example",
        "Alpha",
    )
    assert optin.wants_trainer and not optin.wants_support
    assert optin.shared == (
        (
            "I would be able to offer training on Signs of Safety to colleagues",
            "9 (on a scale of 1 to 10)",
        ),
    )
    # The names kept for opt-ins go with each spent link; one remains (SW006).
    with db.read() as session:
        kept = session.scalars(select(InvitationIdentity.email)).all()
    assert kept == ["person6@testshire.example"]
    # Nothing in the opt-in names a response, and nothing in a response names a person.
    with db.read() as session:
        columns = {c["name"] for c in inspect(session.connection()).get_columns("training_optin")}
        assert not {c for c in columns if "response" in c or "invitation" in c or "token" in c}
        assert (
            session.scalar(
                select(func.count())
                .select_from(Response)
                .where(Response.respondent_email.is_not(None))
            )
            == 0
        )
        assert (
            session.scalar(
                select(func.count())
                .select_from(PendingResponse)
                .where(PendingResponse.respondent_email.is_not(None))
            )
            == 0
        )
    surveys.close_wave(db, world.lead, int(tokens["wave"]))
    assert _count(db, InvitationIdentity) == 0


def test_only_the_authoritys_leads_see_requests_and_steps_are_audited_without_names(
    db: Database, world: World, settings: object
) -> None:
    tokens = _wave(db, world)
    surveys.submit_response(
        db, tokens["SW002"], ANSWERS, opt_in=surveys.OptIn(trainer=True, support=True)
    )
    surveys.submit_response(db, tokens["SW003"], ANSWERS)  # did not opt in
    other = build_world(db, settings, code="otherby")  # type: ignore[arg-type]
    for outsider in (world.executive, world.admin, other.lead):
        with pytest.raises(PermissionDenied):
            list_optins(db, outsider, world.organisation_id)
    assert list_optins(db, other.lead, other.organisation_id) == []
    [optin] = list_optins(db, world.lead, world.organisation_id)
    assert optin.asked_for == "asked for more support and to become an in-house trainer"
    set_target(db, world.lead, world.organisation_id, TRAINERS, 4)
    before = trainer_count(db, world.executive, world.organisation_id)
    assert (before.trainers, before.target) == (0, 4)
    record_step(db, world.lead, world.organisation_id, optin.id, "offered_coaching")
    assert trainer_count(db, world.executive, world.organisation_id).trainers == 0
    record_step(db, world.lead, world.organisation_id, optin.id, "booked_trainer")
    after = trainer_count(db, world.executive, world.organisation_id)
    assert (after.trainers, after.licensed, after.series[-1].trainers) == (1, 0, 1)
    with pytest.raises(PermissionDenied):
        record_step(db, world.executive, world.organisation_id, optin.id, "left")
    with pytest.raises(InvalidInput):
        record_step(db, world.lead, world.organisation_id, optin.id, "promoted")
    # No audit entry holds a name, an address or an answer; nobody's who did not opt in.
    with db.read() as session:
        events = session.execute(
            select(AuditEvent.action, AuditEvent.target, AuditEvent.detail)
        ).all()
    text = " ".join(str(value) for event in events for value in event)
    for _, name, email in PEOPLE:
        assert name not in text and email not in text
    assert ("training_optin_step", "step:booked_trainer", None) in [tuple(e) for e in events]
    erase_optin(db, world.lead, world.organisation_id, optin.id)
    assert _count(db, TrainingOptIn) == 0 and _count(db, TrainingOptInStep) == 0


def test_erasure_of_the_person_removes_their_request(db: Database, world: World) -> None:
    tokens = _wave(db, world)
    surveys.submit_response(db, tokens["SW004"], ANSWERS, opt_in=surveys.OptIn(trainer=True))
    [optin] = list_optins(db, world.lead, world.organisation_id)
    record_step(db, world.lead, world.organisation_id, optin.id, "licensed_trainer")
    assert trainer_count(db, world.lead, world.organisation_id).licensed == 1
    erased = surveys.erase_respondent(
        db, world.admin, world.organisation_id, "PERSON4@testshire.example"
    )
    assert erased == 1
    assert _count(db, TrainingOptIn) == 0 and _count(db, TrainingOptInStep) == 0
    assert trainer_count(db, world.lead, world.organisation_id).trainers == 0


def test_a_wave_without_opt_ins_refuses_a_request_and_stores_nothing(
    db: Database, world: World
) -> None:
    tokens = _wave(db, world, allow_optin=False)
    assert not surveys.open_survey(db, tokens["SW001"]).allow_optin
    with pytest.raises(InvalidInput, match="does not take requests"):
        surveys.submit_response(db, tokens["SW001"], ANSWERS, opt_in=surveys.OptIn(support=True))
    assert _count(db, PendingResponse) == 0 and _count(db, InvitationIdentity) == 0
    surveys.submit_response(db, tokens["SW001"], ANSWERS)  # the link was not spent
    with pytest.raises(InvalidInput, match="roster audience with email"):
        surveys.launch_wave(
            db,
            world.lead,
            organisation_id=world.organisation_id,
            instrument_version_id=world.instrument_version_id,
            title="Headcount wave",
            opens_on=TODAY,
            closes_on=TODAY,
            headcounts={world.teams["Alpha"]: 3},
            base_url="http://testserver",
            allow_optin=True,
        )


def test_the_gate_counts_only_people_who_shared_nothing_by_name() -> None:
    # The authority (0) with Alpha (5 answers, 3 shared some by name) and Beta (4).
    groups = {0: GroupCount(None, 0), 1: GroupCount(0, 5), 2: GroupCount(0, 4)}
    assert suppress_tree(groups, 3) == {0, 1, 2}
    # Alpha holds 2 unnamed: hidden; then Beta too (the total minus Beta gives Alpha).
    assert suppress_tree(groups, 3, {1: 3}) == {0}
    assert gated_counts(groups, 3, {1: 3}) == {0: 9, 1: None, 2: None}
    # Everyone in a group named: never shown, though its unnamed count is 0.
    assert suppress_tree({0: GroupCount(None, 3)}, 3, {0: 3}) == set()
    assert suppress_tree({0: GroupCount(None, 6)}, 3, {0: 3}) == {0}


def test_band_tables_hide_a_team_whose_unnamed_respondents_are_fewer_than_k(
    db: Database, world: World
) -> None:
    tokens = _wave(db, world)
    for ref in ("SW001", "SW002", "SW003", "SW004"):
        share = ("understanding",) if ref in ("SW001", "SW002") else ()
        surveys.submit_response(
            db, tokens[ref], ANSWERS, opt_in=surveys.OptIn(support=True, share=share)
        )
    release_all(db, int(tokens["wave"]))
    alpha = world.teams["Alpha"]
    wave_id = int(tokens["wave"])
    # 4 answered, 2 shared answers by name: 2 unnamed < k = 3.
    tables = surveys.load_wave_counts(db, world.lead, wave_id).tables_for(alpha, 3)
    assert all(table.respondents is None for table in tables)
    surveys.submit_response(db, tokens["SW005"], ANSWERS)
    release_all(db, wave_id)
    counts = surveys.load_wave_counts(db, world.lead, wave_id)
    assert counts.known == {alpha: 2}
    assert all(table.respondents == 5 for table in counts.tables_for(alpha, 3))  # 3 unnamed


def test_a_release_waits_for_k_people_who_shared_nothing_by_name(
    db: Database, world: World
) -> None:
    tokens = _wave(db, world)  # release_step 3, everyone in Alpha
    share = surveys.OptIn(support=True, share=("understanding",))
    surveys.submit_response(db, tokens["SW001"], ANSWERS, opt_in=share)
    surveys.submit_response(db, tokens["SW002"], ANSWERS, opt_in=share)
    surveys.submit_response(db, tokens["SW003"], ANSWERS)
    # Three waiting, two of them known by name: a release now would tell the lead what the
    # third said about understanding (the change minus the two shared answers).
    assert _count(db, Response) == 0 and _count(db, PendingResponse) == 3
    surveys.submit_response(db, tokens["SW004"], ANSWERS)
    assert _count(db, Response) == 0
    surveys.submit_response(db, tokens["SW005"], ANSWERS)  # 3 unnamed with 2 named
    assert _count(db, Response) == 5 and _count(db, PendingResponse) == 0
    with db.read() as session:
        assert session.scalars(select(TrainingOptIn.released)).all() == [True, True]
    # A request without shared answers does not hold a release back.
    surveys.submit_response(db, tokens["SW006"], ANSWERS, opt_in=surveys.OptIn(trainer=True))
    assert _count(db, PendingResponse) == 1  # one alone is never released


def test_trends_count_answers_shared_by_name_as_known(db: Database, world: World) -> None:
    tokens = _wave(db, world)
    share = surveys.OptIn(support=True, share=("understanding",))
    for ref in ("SW001", "SW002"):
        surveys.submit_response(db, tokens[ref], ANSWERS, opt_in=share)
    for ref in ("SW003", "SW004"):
        surveys.submit_response(db, tokens[ref], ANSWERS)
    wave_id = int(tokens["wave"])
    surveys.close_wave(db, world.lead, wave_id)  # nothing shown before: all in at the close
    trend = surveys.instrument_trend(db, world.lead, world.organisation_id, "sos_confidence", 3)
    point = next(p for p in trend.points if p.wave_id == wave_id and p.item_code == "understanding")
    assert point.n is None and point.top_share is None  # 4 answered, only 2 shared nothing
    # The same answers with nothing shared by name are shown.
    control = _wave(db, world, title="Control wave")
    for ref in ("SW001", "SW002", "SW003", "SW004"):
        surveys.submit_response(db, control[ref], ANSWERS)
    surveys.close_wave(db, world.lead, int(control["wave"]))
    trend = surveys.instrument_trend(db, world.lead, world.organisation_id, "sos_confidence", 3)
    shown = next(
        p
        for p in trend.points
        if p.wave_id == int(control["wave"]) and p.item_code == "understanding"
    )
    assert shown.n == 3  # released at the third; the fourth is held back at the close
