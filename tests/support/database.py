"""Reading a test database whole: every row (to show a refused input changed nothing) and
the tallies recounted from raw answers."""

from __future__ import annotations

from sqlalchemy import func, select

from sos_workforce.core.db import Database
from sos_workforce.core.models import Answer, AnswerTally, Base, RespondentTally, Response


def dump(db: Database) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as sorted text tuples."""
    with db.read() as session:
        return {
            table.name: sorted(
                tuple(str(value) for value in row) for row in session.execute(select(table))
            )
            for table in Base.metadata.sorted_tables
        }


def recount(
    db: Database,
) -> tuple[dict[tuple[int, int, int, int], int], dict[tuple[int, int], int]]:
    with db.read() as session:
        raw_answers = {
            (w, t, i, v): int(n)
            for w, t, i, v, n in session.execute(
                select(
                    Response.wave_id, Response.team_id, Answer.item_id, Answer.value, func.count()
                )
                .join(Response, Response.id == Answer.response_id)
                .group_by(Response.wave_id, Response.team_id, Answer.item_id, Answer.value)
            ).all()
        }
        tallied_answers = {
            (w, t, i, v): int(n)
            for w, t, i, v, n in session.execute(
                select(
                    AnswerTally.wave_id,
                    AnswerTally.team_id,
                    AnswerTally.item_id,
                    AnswerTally.value,
                    func.sum(AnswerTally.n),
                ).group_by(
                    AnswerTally.wave_id, AnswerTally.team_id, AnswerTally.item_id, AnswerTally.value
                )
            ).all()
        }
        raw_people = {
            (w, t): int(n)
            for w, t, n in session.execute(
                select(Response.wave_id, Response.team_id, func.count()).group_by(
                    Response.wave_id, Response.team_id
                )
            ).all()
        }
        tallied_people = {
            (w, t): int(n)
            for w, t, n in session.execute(
                select(
                    RespondentTally.wave_id, RespondentTally.team_id, func.sum(RespondentTally.n)
                ).group_by(RespondentTally.wave_id, RespondentTally.team_id)
            ).all()
        }
    assert raw_answers == tallied_answers
    assert raw_people == tallied_people
    return tallied_answers, tallied_people
