"""The skeleton's survey flow on both databases: launch, submit once, refuse the rest."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any, TypedDict

import pytest
from sqlalchemy import func, inspect, select, update

from sos_workforce import surveys
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import WaveStatus
from sos_workforce.core.errors import InvalidInput, LinkRefused, NotFound, PermissionDenied
from sos_workforce.core.models import Answer, AuditEvent, Invitation, Response, ResponseDraft, Wave
from sos_workforce.core.sealing import UnreadableDraft, unseal
from sos_workforce.core.security import hash_token
from sos_workforce.surveys.responses import DRAFT_PURPOSE
from sos_workforce.surveys.results import wave_band_tables
from tests.support.factories import (
    World,
    build_world,
    launch,
    release_all,
    stored_responses,
    token_of,
)


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_launch_issues_one_hashed_link_per_person(db: Database, world: World) -> None:
    launched = launch(db, world)
    assert len(launched.links) == 9
    tokens = [token_of(link) for link in launched.links]
    assert len(set(tokens)) == 9 and all(len(t) == 22 for t in tokens)
    with db.read() as session:
        stored = set(session.scalars(select(Invitation.token_hash)))
    assert stored == {hash_token(t) for t in tokens}
    assert not any(t in stored for t in tokens)  # only hashes are kept
    with db.read() as session:
        logged = session.scalars(
            select(AuditEvent.count).where(AuditEvent.action == "wave_launched")
        ).one()
    assert logged == 9


def test_staff_answer_once_and_the_link_is_spent(db: Database, world: World) -> None:
    launched = launch(db, world)
    token = token_of(launched.links[0])
    form = surveys.open_survey(db, token)
    assert form.team == "Alpha"
    assert {"understanding", "integration", "advise_colleagues", "train_colleagues"} <= {
        item.code for item in form.definition.items
    }
    surveys.submit_response(
        db, token, {"understanding": 8, "integration": None, "advise_colleagues": 3}
    )
    with pytest.raises(LinkRefused, match="already been used"):
        surveys.submit_response(db, token, {"understanding": 1})
    with pytest.raises(LinkRefused, match="already been used"):
        surveys.open_survey(db, token)
    assert stored_responses(db) == 1
    release_all(db, launched.wave_id)
    with db.read() as session:
        values = sorted(session.scalars(select(Answer.value)))
    assert values == [3, 8]  # the skipped item stores nothing


def test_submitting_deletes_the_links_draft_and_only_that(db: Database, world: World) -> None:
    links = launch(db, world).links
    first, second = token_of(links[0]), token_of(links[1])
    surveys.save_draft(db, first, {"understanding": 6})
    surveys.save_draft(db, second, {"understanding": 2})
    with pytest.raises(InvalidInput):
        surveys.submit_response(db, first, {"understanding": 11})
    assert _count(db, ResponseDraft) == 2  # a refused submission keeps the draft
    surveys.submit_response(db, first, {"understanding": 6})
    with db.read() as session:
        kept = set(session.scalars(select(ResponseDraft.token_hash)))
    assert kept == {hash_token(second)}  # the answers under the spent link are gone
    surveys.submit_response(db, token_of(links[2]), {"understanding": 5})  # no draft
    assert _count(db, ResponseDraft) == 1 and stored_responses(db) == 2


def test_a_saved_draft_cannot_be_read_from_the_database_alone(db: Database, world: World) -> None:
    links = launch(db, world).links
    token = token_of(links[0])
    surveys.save_draft(db, token, {"understanding": 7, "train_colleagues": 2})
    with db.read() as session:
        row = session.execute(select(ResponseDraft.__table__)).one()._asdict()
    stored = " ".join(str(value) for value in row.values())
    assert "understanding" not in stored and "train_colleagues" not in stored
    assert isinstance(row["sealed_answers"], bytes)
    # The link's holder gets the draft back; the stored hash does not open it.
    assert surveys.open_survey(db, token).draft == {"understanding": 7, "train_colleagues": 2}
    with pytest.raises(UnreadableDraft):
        unseal(row["token_hash"], DRAFT_PURPOSE, row["sealed_answers"])
    # A draft changed in the database is not shown (the form opens empty).
    with db.write() as session:
        session.execute(
            update(ResponseDraft).values(sealed_answers=row["sealed_answers"][:-1] + b"\0")
        )
    assert surveys.open_survey(db, token).draft == {}


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"understanding": 0}, "outside the scale"),
        ({"understanding": 11}, "outside the scale"),
        ({"understanding": 3.5}, "whole number"),
        ({"understanding": "three"}, "whole number"),
        ({"understanding": True}, "whole number"),
        ({"bogus": 3}, "Unknown question"),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(
    db: Database, world: World, answers: dict[str, Any], message: str
) -> None:
    token = token_of(launch(db, world).links[0])
    with pytest.raises(InvalidInput, match=message):
        surveys.submit_response(db, token, answers)
    assert stored_responses(db) == 0 and _count(db, Answer) == 0
    surveys.submit_response(db, token, {"understanding": 5})  # link still usable
    assert stored_responses(db) == 1


@pytest.mark.parametrize("token", ["", "x" * 500, "not a token!", "A" * 22, "../../etc/passwd"])
def test_tampered_or_unknown_links_are_refused(db: Database, world: World, token: str) -> None:
    launch(db, world)
    with pytest.raises(LinkRefused, match="not valid"):
        surveys.open_survey(db, token)
    with pytest.raises(LinkRefused, match="not valid"):
        surveys.submit_response(db, token, {"understanding": 5})
    assert stored_responses(db) == 0


def test_closed_and_future_waves_refuse_responses(db: Database, world: World) -> None:
    launched = launch(db, world)
    surveys.close_wave(db, world.lead, launched.wave_id)
    with pytest.raises(LinkRefused, match="closed"):
        surveys.submit_response(db, token_of(launched.links[0]), {"understanding": 5})
    future = launch(db, world, today=dt.date.today() + dt.timedelta(days=3))
    with pytest.raises(LinkRefused, match="opens on"):
        surveys.open_survey(db, token_of(future.links[0]))
    expired = launch(db, world)
    later = dt.date.today() + dt.timedelta(days=15)
    with pytest.raises(LinkRefused, match="closed"):
        surveys.submit_response(db, token_of(expired.links[0]), {"understanding": 5}, today=later)
    assert stored_responses(db) == 0


def test_twenty_concurrent_submissions_of_one_link_store_exactly_one(
    db: Database, world: World
) -> None:
    launched = launch(db, world)
    token = token_of(launched.links[0])
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit() -> None:
        barrier.wait()
        try:
            surveys.submit_response(db, token, {"understanding": 7, "integration": 6})
            result = "stored"
        except LinkRefused:
            result = "refused"
        except Exception as error:  # noqa: BLE001 - any other outcome is a failure below
            result = f"error: {error!r}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 19 + ["stored"]
    assert stored_responses(db) == 1
    release_all(db, launched.wave_id)
    assert _count(db, Response) == 1 and _count(db, Answer) == 2


def test_nothing_ties_a_response_to_its_link(db: Database, world: World) -> None:
    columns = {c["name"] for c in inspect(db.engine).get_columns("response")}
    forbidden = {
        "invitation_id",
        "token",
        "token_hash",
        "roster_ref",
        "ip",
        "ip_address",
        "user_agent",
        "submitted_at",
    }
    assert not columns & forbidden
    assert "submitted_on" in columns
    for table in inspect(db.engine).get_table_names():
        for fk in inspect(db.engine).get_foreign_keys(table):
            pair = {table, fk["referred_table"]}
            assert pair != {"response", "invitation"}, f"{table} links responses and links"
    invitation_columns = {c["name"] for c in inspect(db.engine).get_columns("invitation")}
    assert not any(
        "time" in c or c.endswith("_at") or c.endswith("_on") for c in invitation_columns
    )


@pytest.mark.parametrize(
    ("alpha", "beta", "shown_alpha", "shown_beta"),
    [
        (5, 2, None, None),  # 7 - 5 would give Beta's 2: Alpha is withheld too
        (5, 0, 5, 0),  # nobody from Beta: nothing to protect
        (5, 5, 5, 5),
        (6, 4, None, None),
    ],
)
def test_response_counts_band_small_counts_and_their_complements(
    db: Database, world: World, alpha: int, beta: int, shown_alpha: int, shown_beta: int
) -> None:
    launched = launch(db, world, {"Alpha": 6, "Beta": 6})
    alpha_links = [link for link in launched.links if link.team == "Alpha"]
    beta_links = [link for link in launched.links if link.team == "Beta"]
    for link in alpha_links[:alpha] + beta_links[:beta]:
        surveys.submit_response(db, token_of(link), {"understanding": 5})
    release_all(db, launched.wave_id)
    rates = surveys.response_rates(db, world.lead, launched.wave_id, min_group_size=5)
    by_team = {rate.team: rate for rate in rates.teams}
    assert (by_team["Alpha"].responses, by_team["Beta"].responses) == (shown_alpha, shown_beta)
    if shown_alpha is not None:
        assert by_team["Alpha"].rate == pytest.approx(shown_alpha / 6)
    else:
        assert by_team["Alpha"].rate is None
    assert rates.overall.responses == alpha + beta and rates.overall.expected == 12


def test_band_table_from_stored_answers(db: Database, world: World) -> None:
    launched = launch(db, world, {"Alpha": 7})
    values = [2, 5, 5, 8, 9, 10, 10]
    for link, value in zip(launched.links, values, strict=True):
        surveys.submit_response(db, token_of(link), {"understanding": value, "integration": 9})
    release_all(db, launched.wave_id)
    [table] = wave_band_tables(db, world.executive, launched.wave_id, min_group_size=5)
    understanding = table.rows[0]
    assert understanding.n == 7
    assert understanding.counts == (1, 2, 4)
    assert understanding.percents == (14.3, 28.6, 57.1)
    assert table.rows[2].suppressed  # nobody answered "advise colleagues"


def test_other_organisations_cannot_see_or_act(
    db: Database, world: World, settings: Settings
) -> None:
    other = build_world(db, settings, code="elsewhere")
    launched = launch(db, world)
    with pytest.raises(PermissionDenied):
        surveys.list_waves(db, other.lead, world.organisation_id)
    with pytest.raises(PermissionDenied):
        surveys.close_wave(db, other.lead, launched.wave_id)
    with pytest.raises(PermissionDenied):
        surveys.response_rates(db, other.executive, launched.wave_id, min_group_size=5)
    with pytest.raises(PermissionDenied):
        wave_band_tables(db, other.executive, launched.wave_id, min_group_size=5)
    with pytest.raises(PermissionDenied):
        launch(
            db,
            World(
                world.organisation_id,
                world.teams,
                other.lead,
                other.executive,
                other.admin,
                world.instrument_version_id,
            ),
        )
    with pytest.raises(PermissionDenied):  # executives cannot launch or close
        surveys.close_wave(db, world.executive, launched.wave_id)
    with pytest.raises(NotFound):
        surveys.close_wave(db, world.lead, 999_999)
    assert world.admin.may_access(world.organisation_id)


class _LaunchBase(TypedDict):
    organisation_id: int
    instrument_version_id: int
    title: str
    base_url: str
    today: dt.date


def test_launch_validation(db: Database, world: World) -> None:
    today = dt.date.today()
    base: _LaunchBase = {
        "organisation_id": world.organisation_id,
        "instrument_version_id": world.instrument_version_id,
        "title": "W",
        "base_url": "http://x",
        "today": today,
    }
    with pytest.raises(InvalidInput, match="on or after"):
        surveys.launch_wave(
            db,
            world.lead,
            opens_on=today,
            closes_on=today - dt.timedelta(1),
            headcounts={world.teams["Alpha"]: 3},
            **base,
        )
    with pytest.raises(InvalidInput, match="at least one team"):
        surveys.launch_wave(db, world.lead, opens_on=today, closes_on=today, headcounts={}, **base)
    with pytest.raises(InvalidInput, match="between 1 and"):
        surveys.launch_wave(
            db,
            world.lead,
            opens_on=today,
            closes_on=today,
            headcounts={world.teams["Alpha"]: 0},
            **base,
        )
    first = launch(db, world)
    with db.read() as session:
        title = session.scalars(select(Wave.title).where(Wave.id == first.wave_id)).one()
    with pytest.raises(InvalidInput, match="already exists"):  # e.g. a double-clicked launch
        surveys.launch_wave(
            db,
            world.lead,
            opens_on=today,
            closes_on=today,
            headcounts={world.teams["Alpha"]: 3},
            **(base | {"title": title}),
        )
    with pytest.raises(InvalidInput, match="belong"):
        surveys.launch_wave(
            db, world.lead, opens_on=today, closes_on=today, headcounts={999_999: 3}, **base
        )
    assert _count(db, Invitation) == 9  # only the one good launch


def test_waves_list_and_close(db: Database, world: World) -> None:
    launched = launch(db, world)
    alpha = [link for link in launched.links if link.team == "Alpha"]
    for link in alpha[:4]:
        surveys.submit_response(db, token_of(link), {"understanding": 5})
    [wave] = surveys.list_waves(db, world.executive, world.organisation_id)
    assert (wave.status, wave.responses, wave.expected) == (WaveStatus.OPEN, 0, 9)  # pooled
    surveys.submit_response(db, token_of(alpha[4]), {"understanding": 5})
    [wave] = surveys.list_waves(db, world.executive, world.organisation_id)
    assert wave.responses == 5  # released together, the fifth with the first four
    surveys.close_wave(db, world.lead, launched.wave_id)
    with pytest.raises(InvalidInput, match="already closed"):
        surveys.close_wave(db, world.lead, launched.wave_id)
    assert surveys.list_waves(db, world.lead, world.organisation_id)[0].status is WaveStatus.CLOSED


def test_team_tables_hide_groups_derivable_by_subtraction(db: Database, world: World) -> None:
    from sos_workforce.surveys.results import load_wave_counts, team_heatmap

    launched = launch(db, world, {"Alpha": 6, "Beta": 3})
    for link in launched.links:  # everyone answers: Alpha 6, Beta 3
        surveys.submit_response(db, token_of(link), {"understanding": 9})
    release_all(db, launched.wave_id)
    whole = wave_band_tables(db, world.executive, launched.wave_id, min_group_size=5)[0]
    assert whole.respondents == 9 and whole.rows[0].n == 9
    # Beta (3) is under 5; Alpha (6) would reveal Beta as 9 - 6: both withheld.
    for team in ("Alpha", "Beta"):
        [table] = wave_band_tables(
            db,
            world.executive,
            launched.wave_id,
            min_group_size=5,
            team_ids=[world.teams[team]],
        )
        assert table.respondents is None and all(row.suppressed for row in table.rows)
    heatmap = team_heatmap(load_wave_counts(db, world.lead, launched.wave_id), 5)
    understanding = heatmap[heatmap["item"] == "Understanding of principles"]
    assert set(understanding["status"]) == {"suppressed"}
    assert understanding["top_share"].isna().all()
    with pytest.raises(InvalidInput, match="Choose one team"):
        wave_band_tables(
            db,
            world.executive,
            launched.wave_id,
            min_group_size=5,
            team_ids=[world.teams["Alpha"], world.teams["Beta"]],
        )


def test_team_tables_show_groups_that_are_safe(db: Database, world: World) -> None:
    from sos_workforce.surveys.results import load_wave_counts, team_heatmap

    launched = launch(db, world, {"Alpha": 6, "Beta": 5})
    for index, link in enumerate(launched.links):
        surveys.submit_response(db, token_of(link), {"understanding": 9 if index % 2 else 2})
    release_all(db, launched.wave_id)
    [alpha] = wave_band_tables(
        db, world.executive, launched.wave_id, min_group_size=5, team_ids=[world.teams["Alpha"]]
    )
    assert alpha.respondents == 6 and alpha.rows[0].counts == (3, 0, 3)
    heatmap = team_heatmap(load_wave_counts(db, world.lead, launched.wave_id), 5)
    shown = heatmap[(heatmap["item"] == "Understanding of principles")]
    assert set(shown["status"]) == {"shown"}
    assert shown.set_index("team")["n"].to_dict() == {"Alpha": 6, "Beta": 5}


def test_workbook_export_applies_the_same_suppression(db: Database, world: World) -> None:
    import io

    import openpyxl

    from sos_workforce.surveys.results import WHOLE_WAVE, load_wave_counts, wave_workbook

    launched = launch(db, world, {"Alpha": 6, "Beta": 3})
    for link in launched.links:
        surveys.submit_response(db, token_of(link), {"understanding": 9})
    release_all(db, launched.wave_id)
    data = wave_workbook(load_wave_counts(db, world.lead, launched.wave_id), WHOLE_WAVE, 5)
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    by_team = list(workbook["By team"].iter_rows(values_only=True))
    header = by_team[0]
    status, share, item = (header.index(c) for c in ("Status", "% in top band", "Short label"))
    answered = [row for row in by_team[1:] if row[item] == "Understanding of principles"]
    assert {row[status] for row in answered} == {"withheld"}
    assert all(row[share] == "withheld" for row in answered)
    assert {row[status] for row in by_team[1:] if row not in answered} == {"no responses"}
    bands = list(workbook["Bands 1"].iter_rows(values_only=True))
    assert bands[1][-1] == 9  # the whole wave (9) is shown
    assert "Codebook" in workbook.sheetnames


def test_a_draft_saved_while_the_link_is_spent_never_outlives_it(
    db: Database, world: World
) -> None:
    """Save and Send pressed at once (two tabs): either the draft is saved first and the
    submission deletes it, or the link is spent first and the save is refused. A draft
    left under a spent link would keep answers the respondent believes were sent."""
    launched = launch(db, world, {"Alpha": 30})
    tokens = [token_of(link) for link in launched.links]
    refused: list[str] = []

    def race(token: str) -> None:
        barrier = threading.Barrier(2)

        def submit() -> None:
            barrier.wait()
            surveys.submit_response(db, token, {"understanding": 7})

        def save() -> None:
            barrier.wait()
            try:
                surveys.save_draft(db, token, {"understanding": 3})
            except LinkRefused:
                refused.append(token)

        threads = [threading.Thread(target=submit), threading.Thread(target=save)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    for token in tokens:
        race(token)
    assert _count(db, Response) == len(tokens)
    assert _count(db, ResponseDraft) == 0
