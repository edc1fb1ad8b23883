"""Free-text answers (comments) of a wave, shown only for groups of at least twice the
minimum group size, with nothing linking a comment to its response.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from sos_workforce.access import Actor
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import InstrumentItem, RespondentTally, TextAnswer
from sos_workforce.privacy import GroupCount, gated_counts
from sos_workforce.surveys.instruments import TextItem, definition_of
from sos_workforce.surveys.waves import _wave

# --- free text ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Comments:
    item_code: str
    question: str
    respondents: int | None  # None when withheld
    comments: list[str]  # empty when withheld


_WHOLE_WAVE = 0  # the root of the comment-count tree (team ids start at 1)


def free_text(
    db: Database, actor: Actor, wave_id: int, *, min_group_size: int, team_id: int | None = None
) -> list[Comments]:
    """Comments per text question, for the whole wave or one team (its own respondents).
    Shown only when that group has at least twice the minimum group size of respondents
    and passes complementary suppression at that size across the wave's teams, so the
    comments (and their count) of a small team cannot be had by taking one team's comments
    away from the whole wave's. Comments are sorted alphabetically, so their order cannot
    be matched to who answered when."""
    threshold = 2 * min_group_size
    with db.read() as session:
        wave = _wave(session, actor, wave_id, Role.LEAD, Role.EXECUTIVE)
        definition = definition_of(wave.instrument_version)
        own_counts = dict(
            session.execute(
                select(RespondentTally.team_id, func.sum(RespondentTally.n))
                .where(RespondentTally.wave_id == wave.id)
                .group_by(RespondentTally.team_id)
            ).all()
        )
        groups = {_WHOLE_WAVE: GroupCount(None, 0)}
        groups.update(
            {team: GroupCount(_WHOLE_WAVE, int(n or 0)) for team, n in own_counts.items()}
        )
        if team_id is not None and team_id not in groups:
            groups[team_id] = GroupCount(_WHOLE_WAVE, 0)
        gated = gated_counts(groups, threshold)
        group = _WHOLE_WAVE if team_id is None else team_id
        respondents = gated[group]
        shown = respondents is not None and respondents >= threshold
        bodies: dict[str, list[str]] = {}
        if shown:
            texts_query = (
                select(InstrumentItem.code, TextAnswer.body)
                .join(InstrumentItem, InstrumentItem.id == TextAnswer.item_id)
                .where(TextAnswer.wave_id == wave.id)
            )
            if team_id is not None:
                texts_query = texts_query.where(TextAnswer.team_id == team_id)
            for code, body in session.execute(texts_query):
                bodies.setdefault(code, []).append(body)
    result = []
    for item in definition.items:
        if not isinstance(item, TextItem):
            continue
        comments = sorted(bodies.get(item.code, []), key=str.casefold)
        result.append(
            Comments(
                item.code, item.text, respondents if shown else None, comments if shown else []
            )
        )
    return result
