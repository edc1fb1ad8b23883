"""A hypothesis state machine over the wave lifecycle and submissions, on both databases.

The model: each wave is draft, open, closed or discarded, with some links of which some are
spent. Every operation is tried in every state; allowed ones must succeed and change exactly
what the model says, refused ones must raise a plain error and change nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from sos_workforce import surveys
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import WaveStatus
from sos_workforce.core.errors import LinkRefused, SosError
from sos_workforce.core.models import (
    ClosedWaveTally,
    Invitation,
    PendingResponse,
    RespondentTally,
    Response,
    Wave,
)
from tests.support.factories import build_world, launch, token_of

TODAY = dt.date.today()
_worlds = itertools.count()


@dataclass
class ModelWave:
    id: int
    status: str  # draft | open | closed | discarded
    tokens: list[str]
    spent: set[int] = field(default_factory=set)


def _machine(db: Database, settings_: Settings) -> type[RuleBasedStateMachine]:
    class WaveLifecycle(RuleBasedStateMachine):
        wave_refs = Bundle("waves")

        def __init__(self) -> None:
            super().__init__()
            self.world = build_world(db, settings_, f"sm{next(_worlds)}")
            self.waves: dict[int, ModelWave] = {}

        @rule(target=wave_refs, draft=st.booleans())
        def launch_wave(self, draft: bool) -> int:
            launched = launch(db, self.world, {"Alpha": 3}, draft=draft)
            self.waves[launched.wave_id] = ModelWave(
                launched.wave_id,
                "draft" if draft else "open",
                [token_of(link) for link in launched.links],
            )
            return launched.wave_id

        def _expect(
            self, allowed: bool, action: Callable[[], object], error: type[Exception]
        ) -> bool:
            if allowed:
                action()
                return True
            with pytest.raises(error):
                action()
            return False

        @rule(wave_id=wave_refs)
        def open_wave(self, wave_id: int) -> None:
            wave = self.waves[wave_id]
            if self._expect(
                wave.status == "draft",
                lambda: surveys.open_wave(db, self.world.lead, wave_id),
                SosError,
            ):
                wave.status = "open"

        @rule(wave_id=wave_refs)
        def close_wave(self, wave_id: int) -> None:
            wave = self.waves[wave_id]
            if self._expect(
                wave.status == "open",
                lambda: surveys.close_wave(db, self.world.lead, wave_id),
                SosError,
            ):
                wave.status = "closed"

        @rule(wave_id=wave_refs)
        def reopen_wave(self, wave_id: int) -> None:
            wave = self.waves[wave_id]
            if self._expect(
                wave.status == "closed",
                lambda: surveys.reopen_wave(
                    db,
                    self.world.lead,
                    wave_id,
                    reason="More time for the night team",
                    closes_on=TODAY + dt.timedelta(days=2),
                ),
                SosError,
            ):
                wave.status = "open"

        @rule(wave_id=wave_refs)
        def discard_wave(self, wave_id: int) -> None:
            wave = self.waves[wave_id]
            if self._expect(
                wave.status == "draft",
                lambda: surveys.discard_draft_wave(db, self.world.lead, wave_id),
                SosError,
            ):
                wave.status = "discarded"

        @rule(wave_id=wave_refs, which=st.integers(0, 2), value=st.integers(1, 10))
        def submit(self, wave_id: int, which: int, value: int) -> None:
            wave = self.waves[wave_id]
            allowed = wave.status == "open" and which not in wave.spent
            if self._expect(
                allowed,
                lambda: surveys.submit_response(db, wave.tokens[which], {"understanding": value}),
                LinkRefused,
            ):
                wave.spent.add(which)

        @rule(wave_id=wave_refs, which=st.integers(0, 2))
        def save_draft(self, wave_id: int, which: int) -> None:
            wave = self.waves[wave_id]
            self._expect(
                wave.status == "open" and which not in wave.spent,
                lambda: surveys.save_draft(db, wave.tokens[which], {"understanding": 4}),
                LinkRefused,
            )

        @invariant()
        def database_matches_the_model(self) -> None:
            if not self.waves:
                return
            ids = list(self.waves)
            with db.read() as session:
                statuses = dict(
                    session.execute(select(Wave.id, Wave.status).where(Wave.id.in_(ids))).all()
                )
                responses = dict(
                    session.execute(
                        select(Response.wave_id, func.count())
                        .where(Response.wave_id.in_(ids))
                        .group_by(Response.wave_id)
                    ).all()
                )
                pooled = dict(
                    session.execute(
                        select(PendingResponse.wave_id, func.count())
                        .where(PendingResponse.wave_id.in_(ids))
                        .group_by(PendingResponse.wave_id)
                    ).all()
                )
                tallied = dict(
                    session.execute(
                        select(RespondentTally.wave_id, func.sum(RespondentTally.n))
                        .where(RespondentTally.wave_id.in_(ids))
                        .group_by(RespondentTally.wave_id)
                    ).all()
                )
                sealed = dict(
                    session.execute(
                        select(ClosedWaveTally.wave_id, func.sum(ClosedWaveTally.n))
                        .where(ClosedWaveTally.wave_id.in_(ids))
                        .group_by(ClosedWaveTally.wave_id)
                    ).all()
                )
                spent = dict(
                    session.execute(
                        select(Invitation.wave_id, func.count())
                        .where(Invitation.wave_id.in_(ids), Invitation.spent.is_(True))
                        .group_by(Invitation.wave_id)
                    ).all()
                )
            for wave in self.waves.values():
                if wave.status == "discarded":
                    assert wave.id not in statuses
                    continue
                assert statuses[wave.id] is WaveStatus(wave.status)
                released = responses.get(wave.id, 0)
                # Every spent link's answers are stored once: released or waiting.
                assert released + pooled.get(wave.id, 0) == len(wave.spent)
                assert tallied.get(wave.id, 0) == released
                assert spent.get(wave.id, 0) == len(wave.spent)
                expected_sealed = released if wave.status == "closed" else 0
                assert sealed.get(wave.id, 0) == expected_sealed

    return WaveLifecycle


def test_the_wave_lifecycle_state_machine_holds(db: Database, settings: Settings) -> None:
    run_state_machine_as_test(
        _machine(db, settings),
        settings=settings_for_machine,
    )


# A budget for CI (about 30 s on PostgreSQL here): 20 runs of up to 20 steps each.
settings_for_machine = settings(
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
