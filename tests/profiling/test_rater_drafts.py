"""Rater drafts, on both databases: a rater saves unfinished scores and the section they
are on, resumes from the same link, and nothing in the stored draft tells who scored what
(sealed with the link's token, one size, no time kept); the draft goes when the scores are
sent, when the link is replaced and when the round closes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update

from sos_workforce.core.db import Database
from sos_workforce.core.enums import RaterRole
from sos_workforce.core.errors import InvalidInput, LinkRefused
from sos_workforce.core.models import RaterDraft, RaterLink, RaterScore
from sos_workforce.core.sealing import UnreadableDraft, unseal
from sos_workforce.profiling import rounds as profiling
from sos_workforce.profiling.rounds import DRAFT_PURPOSE
from tests.support.factories import World


def _open(db: Database, world: World, raters: int = 3) -> tuple[int, list[str]]:
    opened = profiling.open_round(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=profiling.list_profile_versions(db, world.lead)[0].id,
        title="Draft round",
        held_on=dt.date.today(),
        raters={RaterRole.FRONT_LINE: raters},
    )
    profiling.enable_rater_links_file(db, world.admin, opened.round_id)
    invites = profiling.issue_rater_links(db, world.lead, opened.round_id, base_url="http://t")
    return opened.round_id, [invite.url.rsplit("t=", 1)[1] for invite in invites]


def _drafts(db: Database) -> list[dict[str, Any]]:
    with db.read() as session:
        return [row._asdict() for row in session.execute(select(RaterDraft.__table__))]


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_draft_resumes_in_its_section_and_the_database_alone_cannot_read_it(
    db: Database, world: World
) -> None:
    _, (token, other, _third) = _open(db, world)
    assert profiling.open_rating_form(db, token).draft == {}
    profiling.save_rater_draft(
        db, token, {"principles_used": 0, "tools_used": None, "leaders_model": 9}, section=5
    )
    form = profiling.open_rating_form(db, token)
    assert form.draft == {"principles_used": 0, "leaders_model": 9}  # a blank is no score
    assert form.draft_section == 5
    assert profiling.open_rating_form(db, other).draft == {}  # another link sees nothing
    assert _count(db, RaterScore) == 0  # nothing is sent by saving

    (row,) = _drafts(db)
    # No time, no score, no code: the link it belongs to and the sealed bytes only.
    assert set(row) == {"rater_link_id", "round_id", "sealed_scores"}
    assert isinstance(row["sealed_scores"], bytes)
    assert b"principles_used" not in row["sealed_scores"]
    with db.read() as session:
        token_hash = session.scalar(
            select(RaterLink.token_hash).where(RaterLink.id == row["rater_link_id"])
        )
    assert token_hash is not None
    for wrong in (token_hash, other):  # neither the stored hash nor another link opens it
        with pytest.raises(UnreadableDraft):
            unseal(wrong, DRAFT_PURPOSE, row["sealed_scores"])
    assert unseal(token, DRAFT_PURPOSE, row["sealed_scores"])["section"] == 5

    # One size whatever it holds: an empty draft and a full one are sealed alike.
    profiling.save_rater_draft(db, other, {})
    full = {item.code: 10 for item in form.definition.items}
    profiling.save_rater_draft(db, token, full, section=11)
    assert len({len(d["sealed_scores"]) for d in _drafts(db)}) == 1
    assert profiling.open_rating_form(db, token).draft == full

    # A draft changed in the database is not shown: the form opens empty, at section 1.
    with db.write() as session:
        session.execute(
            update(RaterDraft)
            .where(RaterDraft.rater_link_id == row["rater_link_id"])
            .values(sealed_scores=row["sealed_scores"][:-1] + b"\0")
        )
    tampered = profiling.open_rating_form(db, token)
    assert tampered.draft == {} and tampered.draft_section == 0


def test_sending_deletes_that_links_draft_only_and_spends_the_link_once(
    db: Database, world: World
) -> None:
    _, (first, second, _third) = _open(db, world)
    profiling.save_rater_draft(db, first, {"principles_used": 4}, section=1)
    profiling.save_rater_draft(db, second, {"principles_used": 8}, section=2)
    profiling.submit_scores(db, first, {"principles_used": 4, "tools_used": 5})
    assert _count(db, RaterScore) == 2
    with db.read() as session:
        kept = set(session.scalars(select(RaterDraft.rater_link_id)))
        second_id = session.scalar(select(RaterLink.id).where(RaterLink.spent.is_(False)))
    assert len(kept) == 1 and second_id in kept
    with pytest.raises(LinkRefused, match="already been used"):
        profiling.save_rater_draft(db, first, {"principles_used": 1})
    with pytest.raises(LinkRefused, match="already been used"):
        profiling.submit_scores(db, first, {"principles_used": 1})
    assert _count(db, RaterScore) == 2 and _count(db, RaterDraft) == 1


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"principles_used": 11}, "outside the scale"),
        ({"principles_used": -1}, "outside the scale"),
        ({"principles_used": 3.5}, "whole number"),
        ({"principles_used": "three"}, "whole number"),
        ({"principles_used": True}, "whole number"),
    ],
)
def test_a_bad_draft_is_refused_and_changes_nothing(
    db: Database, world: World, scores: dict[str, Any], message: str
) -> None:
    _, (token, *_rest) = _open(db, world)
    profiling.save_rater_draft(db, token, {"principles_used": 2}, section=3)
    with pytest.raises(InvalidInput, match=message):
        profiling.save_rater_draft(db, token, scores, section=4)
    form = profiling.open_rating_form(db, token)
    assert form.draft == {"principles_used": 2} and form.draft_section == 3
    with pytest.raises(LinkRefused, match="not valid"):
        profiling.save_rater_draft(db, "not-a-real-token", {"principles_used": 2})


def test_drafts_go_when_links_are_replaced_and_when_the_round_closes(
    db: Database, world: World
) -> None:
    round_id, (first, second, _third) = _open(db, world)
    profiling.save_rater_draft(db, first, {"principles_used": 2})
    # A new links file replaces every unspent link: a draft sealed with an old token
    # could never open again, so it is deleted.
    fresh = profiling.issue_rater_links(db, world.lead, round_id, base_url="http://t")
    assert _count(db, RaterDraft) == 0
    token = fresh[0].url.rsplit("t=", 1)[1]
    profiling.save_rater_draft(db, token, {"principles_used": 2})
    definition = profiling.open_rating_form(db, token).definition
    profiling.record_agreed_scores(
        db,
        world.lead,
        round_id,
        {item.code: profiling.AgreedInput(5, "Agreed") for item in definition.items},
    )
    profiling.close_round(db, world.lead, round_id)
    assert _count(db, RaterDraft) == 0
    with pytest.raises(LinkRefused, match="closed"):
        profiling.save_rater_draft(db, token, {"principles_used": 2})
