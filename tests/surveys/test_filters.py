"""Dashboard filters (role, employment type, tenure) from respondents' own grouping
answers, under disclosure control; the dashboard workbook with trends and benchmarks."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from sos_workforce import surveys
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import InvalidInput
from sos_workforce.reports.scrutiny import dashboard_workbook
from sos_workforce.surveys.results import WHOLE_WAVE, load_wave_counts
from tests.support.apptest import DemoApp, sign_in
from tests.support.factories import World, launch, release_all, token_of

# Option values of the grouping questions in sos_confidence v2.
SOCIAL_WORKER, TEAM_MANAGER = 1, 3
PERMANENT, AGENCY = 1, 2


def _answer(db: Database, links: list[surveys.IssuedLink], people: list[dict[str, int]]) -> None:
    for link, answers in zip(links, people, strict=False):
        surveys.submit_response(db, token_of(link), dict(answers))


def _closed(db: Database, world: World, wave_id: int) -> None:
    """Filters are offered on a closed wave only; every answer is in its results here."""
    release_all(db, wave_id)
    surveys.close_wave(db, world.lead, wave_id)


def test_filters_split_by_the_respondents_own_answers(db: Database, world: World) -> None:
    launched = launch(db, world, {"Alpha": 12, "Beta": 12})
    alpha = [link for link in launched.links if link.team == "Alpha"]
    beta = [link for link in launched.links if link.team == "Beta"]
    # Alpha: 6 permanent (all 8), 6 agency (all 3). Beta: 6 permanent (all 9), 5 agency (2).
    _answer(db, alpha, [{"employment_type": PERMANENT, "understanding": 8}] * 6)
    _answer(db, alpha[6:], [{"employment_type": AGENCY, "understanding": 3}] * 6)
    _answer(db, beta, [{"employment_type": PERMANENT, "understanding": 9}] * 6)
    _answer(db, beta[6:], [{"employment_type": AGENCY, "understanding": 2}] * 5)
    _closed(db, world, launched.wave_id)
    counts = load_wave_counts(db, world.executive, launched.wave_id)
    assert counts.filter_options() == {"employment_type": ["Agency", "Permanent"]}

    agency = counts.tables_for(WHOLE_WAVE, 5, {"employment_type": "Agency"})[0]
    assert agency.respondents == 11
    understanding = agency.rows[0]
    assert understanding.item_code == "understanding" and understanding.counts == (11, 0, 0)
    permanent_alpha = counts.tables_for(world.teams["Alpha"], 5, {"employment_type": "Permanent"})[
        0
    ]
    assert permanent_alpha.respondents == 6 and permanent_alpha.rows[0].counts == (0, 0, 6)
    with pytest.raises(InvalidInput, match="at most 2"):
        counts.tables_for(
            WHOLE_WAVE, 5, {"employment_type": "Agency", "staff_role": "x", "tenure_band": "y"}
        )
    with pytest.raises(InvalidInput, match="Unknown filter"):
        counts.tables_for(WHOLE_WAVE, 5, {"favourite_colour": "red"})


def test_filters_are_offered_only_on_a_closed_wave_never_reopened(
    db: Database, world: World
) -> None:
    """Filtered groups cut across teams, so whole-team releases do not protect them from
    differencing: they are shown once, at close, and not again after a reopen."""
    launched = launch(db, world, {"Alpha": 12})
    _answer(db, launched.links, [{"employment_type": PERMANENT, "understanding": 8}] * 10)
    counts = load_wave_counts(db, world.executive, launched.wave_id)
    assert counts.tables_for(WHOLE_WAVE, 5)[0].respondents == 10  # released in two steps
    assert counts.filter_options() == {} and counts.filters_withheld is not None
    with pytest.raises(InvalidInput, match="once the wave has closed"):
        counts.tables_for(WHOLE_WAVE, 5, {"employment_type": "Permanent"})
    surveys.close_wave(db, world.lead, launched.wave_id)
    counts = load_wave_counts(db, world.executive, launched.wave_id)
    assert counts.filter_options() == {"employment_type": ["Permanent"]}
    assert counts.tables_for(WHOLE_WAVE, 5, {"employment_type": "Permanent"})[0].respondents == 10
    surveys.reopen_wave(
        db,
        world.lead,
        launched.wave_id,
        reason="Two colleagues were away all fortnight",
        closes_on=dt.date.today() + dt.timedelta(days=2),
    )
    surveys.close_wave(db, world.lead, launched.wave_id)
    counts = load_wave_counts(db, world.executive, launched.wave_id)
    assert counts.filter_options() == {}
    with pytest.raises(InvalidInput, match="reopened"):
        counts.tables_for(WHOLE_WAVE, 5, {"employment_type": "Permanent"})


def test_a_filter_that_would_expose_a_small_cell_is_withheld(db: Database, world: World) -> None:
    launched = launch(db, world, {"Alpha": 12, "Beta": 12})
    alpha = [link for link in launched.links if link.team == "Alpha"]
    beta = [link for link in launched.links if link.team == "Beta"]
    # Alpha: 8 social workers and 2 team managers. Beta: 10 social workers.
    _answer(db, alpha, [{"staff_role": SOCIAL_WORKER, "understanding": 7}] * 8)
    _answer(db, alpha[8:], [{"staff_role": TEAM_MANAGER, "understanding": 1}] * 2)
    _answer(db, beta, [{"staff_role": SOCIAL_WORKER, "understanding": 5}] * 10)
    _closed(db, world, launched.wave_id)
    counts = load_wave_counts(db, world.executive, launched.wave_id)
    # Unfiltered, both teams show.
    assert counts.tables_for(world.teams["Alpha"], 5)[0].respondents == 10
    # "Social workers in Alpha" (8) would reveal Alpha's two managers by subtraction.
    withheld = counts.tables_for(world.teams["Alpha"], 5, {"staff_role": "Social worker"})[0]
    assert withheld.respondents is None and all(row.suppressed for row in withheld.rows)
    # Whole wave: 18 social workers, 2 managers: also withheld.
    assert counts.tables_for(WHOLE_WAVE, 5, {"staff_role": "Social worker"})[0].respondents is None
    # Beta has only social workers: its other cell is 0, so it may be shown filtered.
    beta_sw = counts.tables_for(world.teams["Beta"], 5, {"staff_role": "Social worker"})[0]
    assert beta_sw.respondents == 10
    # The direct query for the small group itself is always withheld.
    managers = counts.tables_for(WHOLE_WAVE, 5, {"staff_role": "Team manager"})[0]
    assert managers.respondents is None


def test_the_dashboard_workbook_holds_every_table_with_filters_noted(
    db: Database, world: World
) -> None:
    launched = launch(db, world, {"Alpha": 12, "Beta": 12})
    _answer(
        db,
        launched.links,
        [
            {"employment_type": PERMANENT if i % 2 else AGENCY, "understanding": 8}
            for i in range(24)
        ],
    )
    _closed(db, world, launched.wave_id)
    data = dashboard_workbook(
        db,
        world.executive,
        world.organisation_id,
        launched.wave_id,
        WHOLE_WAVE,
        5,
        {"employment_type": "Agency"},
    )
    book = load_workbook(io.BytesIO(data))
    assert {"Bands 1", "By team", "Trend", "Benchmarks"} <= set(book.sheetnames)
    trend = list(book["Trend"].iter_rows(values_only=True))
    assert trend[0][:4] == ("Wave", "Opened", "Version", "Statement")
    # Percentages are numbers in Excel's percent format: 100% is stored as 1.
    assert any(row[3] == "Understanding of principles" and row[5] == 1 for row in trend[1:])
    notes = " ".join(
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
    )
    assert "Employment type = Agency" in notes


def _respondents_shown(at: AppTest) -> int:
    texts = [m.value for m in at.markdown if " respondents.**" in m.value]
    assert texts, "no band table shown"
    shown = re.search(r"\*\*(\d+) respondents", texts[0])
    assert shown, texts[0]
    return int(shown.group(1))


def test_executive_filters_the_dashboard_by_grouping_answers(demo_app: DemoApp) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), Role.EXECUTIVE)
    assert not at.exception
    # The open wave offers no filters (comparing days could show one person's answers).
    assert not [box for box in at.selectbox if box.key == "dashboard_filter_employment_type"]
    assert any("once the wave has closed" in info.value for info in at.info)
    waves = at.selectbox(key="dashboard_wave")
    at = waves.select_index(
        next(i for i, label in enumerate(waves.options) if "last year" in label)
    ).run()
    box = at.selectbox(key="dashboard_filter_employment_type")
    assert box.options == ["Everyone", "Agency", "Permanent"]
    assert _respondents_shown(at) > 0
    at = box.select("Permanent").run()
    assert not at.exception
    # The demo's teams each have a few agency staff (fewer than 5): splitting the whole
    # authority by employment would let "permanent staff" minus whole teams isolate them,
    # so the filtered table is withheld and the page says why.
    assert not [m.value for m in at.markdown if " respondents.**" in m.value]
    assert any("(filtered) has too few responses to show" in w.value for w in at.warning)
    at.selectbox(key="dashboard_filter_staff_role").select("Team manager")
    at = at.selectbox(key="dashboard_filter_tenure_band").select("Less than 1 year").run()
    assert "at most 2 filters" in at.error[0].value
