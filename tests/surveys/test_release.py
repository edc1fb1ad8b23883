"""Results released in steps (surveys.release), on SQLite and PostgreSQL: figures move only
by whole teams of at least k, skipped questions count, the close holds back what would
show a few people, and nothing in the database ties a result row to the link it spent."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from sos_workforce import surveys
from sos_workforce.core.db import Database
from sos_workforce.core.models import (
    Answer,
    Invitation,
    PendingResponse,
    TextAnswer,
)
from sos_workforce.surveys import release
from sos_workforce.surveys.results import WHOLE_WAVE, load_wave_counts
from tests.support.factories import World, launch, stored_responses, token_of

K = 5


def _links(launched: surveys.LaunchedWave, team: str) -> list[str]:
    return [token_of(link) for link in launched.links if link.team == team]


def _shown(db: Database, world: World, wave_id: int) -> tuple[int | None, int | None]:
    """(respondents in the whole-wave table, the overall response count) as pages see them."""
    counts = load_wave_counts(db, world.executive, wave_id)
    [table] = counts.tables_for(WHOLE_WAVE, K)
    rates = surveys.response_rates(db, world.lead, wave_id, min_group_size=K)
    if rates.overall.responses == 0:
        assert table.respondents is None  # an empty table says "too few", never "0"
        return None, None
    return table.respondents, rates.overall.responses


def _three_columns(
    db: Database, world: World, headcount: int, release_step: int | None = None
) -> list[str]:
    """A wave of the open-question survey (comments) for Alpha; its tokens."""
    launched = launch(
        db, world, {"Alpha": headcount}, instrument="three_columns", release_step=release_step
    )
    return _links(launched, "Alpha")


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_teams_figures_move_only_in_steps_of_k(db: Database, world: World) -> None:
    launched = launch(db, world, {"Alpha": 12})
    tokens = _links(launched, "Alpha")
    seen = []
    for token in tokens[:11]:
        surveys.submit_response(db, token, {"understanding": 7})
        respondents, responses = _shown(db, world, launched.wave_id)
        assert respondents == responses  # the table and the count move together
        seen.append(responses or 0)  # None: nothing released yet
    # Four wait, the fifth releases all five; the same again; the eleventh waits.
    assert seen == [0, 0, 0, 0, 5, 5, 5, 5, 5, 10, 10]
    assert stored_responses(db) == 11


def test_a_skipped_question_holds_the_step_until_its_n_moves_by_k(
    db: Database, world: World
) -> None:
    launched = launch(db, world, {"Alpha": 12})
    tokens = _links(launched, "Alpha")
    for token in tokens[:3]:
        surveys.submit_response(db, token, {"understanding": 7, "integration": 4})
    for token in tokens[3:5]:
        surveys.submit_response(db, token, {"understanding": 7})  # integration skipped
    # Five people, but only three answered "integration": its n would move by 3.
    assert _shown(db, world, launched.wave_id) == (None, None)
    for token in tokens[5:7]:
        surveys.submit_response(db, token, {"understanding": 2, "integration": 9})
    [table] = load_wave_counts(db, world.executive, launched.wave_id).tables_for(WHOLE_WAVE, K)
    rows = {row.item_code: row for row in table.rows}
    assert table.respondents == 7
    assert (rows["understanding"].n, rows["integration"].n) == (7, 5)


def test_each_team_steps_on_its_own_and_every_group_gains_k(db: Database, world: World) -> None:
    launched = launch(db, world, {"Alpha": 10, "Beta": 10})
    alpha, beta = _links(launched, "Alpha"), _links(launched, "Beta")
    for token in alpha[:5] + beta[:4]:
        surveys.submit_response(db, token, {"understanding": 8})
    assert _shown(db, world, launched.wave_id) == (5, 5)  # Alpha's five; Beta's four wait
    surveys.submit_response(db, beta[4], {"understanding": 3})
    assert _shown(db, world, launched.wave_id) == (10, 10)


def test_at_close_the_last_few_are_held_back_and_reopening_adds_them(
    db: Database, world: World
) -> None:
    launched = launch(db, world, {"Alpha": 12})
    tokens = _links(launched, "Alpha")
    for token in tokens[:7]:
        surveys.submit_response(db, token, {"understanding": 7})
    assert _shown(db, world, launched.wave_id) == (5, 5)
    surveys.close_wave(db, world.lead, launched.wave_id)
    # Adding the last two would show what two people said (5 → 7): they are held back.
    assert _shown(db, world, launched.wave_id) == (5, 5)
    counts = load_wave_counts(db, world.executive, launched.wave_id)
    assert counts.held_back and stored_responses(db) == 7
    surveys.reopen_wave(
        db,
        world.lead,
        launched.wave_id,
        reason="Two colleagues were on leave for the whole fortnight",
        closes_on=dt.date.today() + dt.timedelta(days=3),
    )
    for token in tokens[7:10]:
        surveys.submit_response(db, token, {"understanding": 7})
    assert _shown(db, world, launched.wave_id) == (10, 10)  # the held-back two and three more
    surveys.close_wave(db, world.lead, launched.wave_id)
    assert not load_wave_counts(db, world.executive, launched.wave_id).held_back


def test_at_close_the_last_few_join_where_every_group_gains_k(db: Database, world: World) -> None:
    """Alpha was shown at 5; at close Alpha gains 0 and Beta 5 or more: all released. A
    team that gained 1..k-1 at close would stay out (previous test)."""
    launched = launch(db, world, {"Alpha": 10, "Beta": 10})
    alpha, beta = _links(launched, "Alpha"), _links(launched, "Beta")
    for token in alpha[:5]:
        surveys.submit_response(db, token, {"understanding": 8})
    for token in beta[:3]:
        surveys.submit_response(db, token, {"understanding": 8, "integration": 2})
    for token in beta[3:6]:
        surveys.submit_response(db, token, {"understanding": 8})  # integration: 3 of 6
    assert _shown(db, world, launched.wave_id) == (5, 5)  # Beta waits on "integration"
    surveys.close_wave(db, world.lead, launched.wave_id)
    assert _shown(db, world, launched.wave_id) == (5, 5)  # integration's n would move by 3
    assert load_wave_counts(db, world.executive, launched.wave_id).held_back


def test_results_at_close_only_count_every_answer(db: Database, world: World) -> None:
    launched = launch(db, world, {"Alpha": 12, "Beta": 3}, live_results=False)
    for token in _links(launched, "Alpha")[:7] + _links(launched, "Beta")[:2]:
        surveys.submit_response(db, token, {"understanding": 7})
    assert _shown(db, world, launched.wave_id) == (None, None)  # nothing while open
    surveys.close_wave(db, world.lead, launched.wave_id)
    # Nothing was shown before, so nothing to compare with: all nine are in.
    assert _shown(db, world, launched.wave_id) == (9, 9)
    assert not load_wave_counts(db, world.executive, launched.wave_id).held_back
    assert _count(db, PendingResponse) == 0


def test_comments_arrive_with_their_step(db: Database, world: World) -> None:
    tokens = _three_columns(db, world, 12)
    for index, token in enumerate(tokens[:4]):
        surveys.submit_response(db, token, {"working_well": f"note {index}"})
    assert _count(db, TextAnswer) == 0
    surveys.submit_response(db, tokens[4], {"needs_to_happen": "more time"})
    assert _count(db, TextAnswer) == 5


def test_results_rows_are_written_in_shuffled_order_in_a_transaction_of_their_own(
    db: Database, world: World
) -> None:
    """Twenty people in one step: the ids of their responses and comments do not follow
    the order they answered in (a false alarm here has odds of 2 in 20!)."""
    tokens = _three_columns(db, world, 20, release_step=20)
    for index, token in enumerate(tokens):
        surveys.submit_response(
            db, token, {"implementation_scaling": index % 11, "working_well": f"note {index:02d}"}
        )
    with db.read() as session:
        bodies = list(session.scalars(select(TextAnswer.body).order_by(TextAnswer.id)))
        values = list(session.scalars(select(Answer.value).order_by(Answer.response_id)))
    assert len(bodies) == 20 and bodies != sorted(bodies)
    assert len(values) == 20 and values != [index % 11 for index in range(20)]


def test_pooled_rows_have_random_ids_and_say_nothing_of_their_link(
    db: Database, world: World
) -> None:
    launched = launch(db, world, {"Alpha": 6})
    for token in _links(launched, "Alpha")[:2]:
        surveys.submit_response(db, token, {"understanding": 5})
    with db.read() as session:
        ids = list(session.scalars(select(PendingResponse.id)))
        columns = set(PendingResponse.__table__.columns.keys())
    assert len(ids) == 2 and all(len(i) == 32 for i in ids) and ids[0] != ids[1]
    assert not {"invitation_id", "token_hash", "roster_ref", "submitted_at"} & columns


def test_a_failed_release_loses_nothing_and_the_next_submission_retries(
    db: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    launched = launch(db, world, {"Alpha": 8})
    tokens = _links(launched, "Alpha")
    for token in tokens[:4]:
        surveys.submit_response(db, token, {"understanding": 6})

    def broken(*_args: object, **_kwargs: object) -> release.Released:
        raise RuntimeError("disk full")

    monkeypatch.setattr(release, "release_due", broken)
    surveys.submit_response(db, tokens[4], {"understanding": 6})  # acknowledged regardless
    assert stored_responses(db) == 5 and _shown(db, world, launched.wave_id) == (None, None)
    monkeypatch.undo()
    surveys.submit_response(db, tokens[5], {"understanding": 6})
    assert _shown(db, world, launched.wave_id) == (6, 6)


def test_erasure_reaches_answers_still_waiting(db: Database, world: World) -> None:
    launched = launch(db, world, {"Alpha": 6}, allow_identified=True)
    surveys.submit_response(
        db,
        _links(launched, "Alpha")[0],
        {"understanding": 9},
        identity=surveys.Identity("Pat Example", "pat@x.gov.uk"),
    )
    assert surveys.erase_respondent(db, world.admin, world.organisation_id, "PAT@x.gov.uk") == 1
    assert stored_responses(db) == 0


def test_no_result_row_shares_a_postgresql_transaction_id_with_a_link(
    db: Database, world: World
) -> None:
    """Spending a link and pooling its answers share one transaction (xmin); the results
    rows are written by a release, and held-back rows are rewritten at close."""
    if db.is_sqlite:
        pytest.skip("xmin is PostgreSQL's transaction id; SQLite has none")
    launched = launch(db, world, {"Alpha": 10, "Beta": 4})
    for token in _links(launched, "Alpha")[:7] + _links(launched, "Beta")[:3]:
        surveys.submit_response(db, token, {"understanding": 4})

    def xmins(table: str) -> set[str]:
        with db.read() as session:
            return set(session.scalars(text(f"SELECT xmin::text FROM {table}")))  # noqa: S608

    spent = xmins(f"{Invitation.__tablename__} WHERE spent")
    assert xmins("pending_response") <= spent  # waiting rows: the documented residual risk
    surveys.close_wave(db, world.lead, launched.wave_id)
    for table in ("response", "answer", "text_answer", "pending_response"):
        assert not xmins(table) & spent, table
    assert _count(db, PendingResponse) == 5  # Alpha's last two and Beta's three held back
