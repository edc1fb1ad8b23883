"""A survey draft keeps the section the person was on (sealed with the answers), so the
form resumes there; a draft saved before sections were kept resumes at the first."""

from __future__ import annotations

from sos_workforce import surveys
from sos_workforce.core.db import Database
from sos_workforce.core.models import ResponseDraft
from sos_workforce.core.sealing import seal
from sos_workforce.core.security import hash_token
from sos_workforce.surveys.responses import DRAFT_PURPOSE
from tests.support.factories import World, launch, token_of


def test_a_draft_resumes_in_the_section_it_was_saved_on(db: Database, world: World) -> None:
    links = launch(db, world).links
    token, other = token_of(links[0]), token_of(links[1])
    surveys.save_draft(db, token, {"understanding": 6}, section=1)
    form = surveys.open_survey(db, token)
    assert form.draft == {"understanding": 6} and form.draft_section == 1
    surveys.save_draft(db, token, {"understanding": 6})  # back to the first section
    assert surveys.open_survey(db, token).draft_section == 0
    # A draft sealed before sections were kept (answers only) opens at the first section.
    with db.write() as session:
        session.add(
            ResponseDraft(
                token_hash=hash_token(other),
                wave_id=session.get_one(ResponseDraft, hash_token(token)).wave_id,
                sealed_answers=seal(other, DRAFT_PURPOSE, {"understanding": 3}),
            )
        )
    old = surveys.open_survey(db, other)
    assert old.draft == {"understanding": 3} and old.draft_section == 0
