"""Every results page renders for every shipped instrument, with answers, for every role
that sees it (issue 19, point 2), and opens on something worth showing (point 3).

The instruments come from the catalogue (every version in ``surveys/``), never from a
list written here. One database is built for the module: the test authority runs two
closed waves of each version collected in waves (so the trend and greatest progress have
something to show), five other authorities one wave each (so the comparison shows), and a
newest wave nobody has answered yet; each version collected all year (conference
feedback) gets paper forms over past months; two self-profiling rounds in which no
domain rose. Each test works on its own copy of that database."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from navigation import PAGES, pages_for
from sos_workforce import feedback, surveys
from sos_workforce.core import security
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.models import Wave
from sos_workforce.profiling import rounds as profiling
from sos_workforce.surveys import ChoiceItem, InstrumentDefinition, ScaleItem, TextItem
from tests.support.apptest import APP, DemoApp, sign_in, sign_in_as, vega_lite_specs
from tests.support.environment import make_settings
from tests.support.factories import PASSWORD, World, build_world, token_of, with_links

TODAY = dt.date.today()
K = 5  # the default minimum group size (and release step)
UNANSWERED = "Nobody has answered yet"
TEAMS = {"Alpha": 6, "Beta": 6}


def roles_seeing(page: str) -> list[Role]:
    """The roles whose menu holds ``page`` (navigation decides, not this test)."""
    return [role for role in Role if any(spec.path == page for spec in pages_for(role))]


@dataclass(frozen=True)
class WaveCase:
    label: str  # the catalogue's label of the instrument version
    later: str  # the title of its later wave (the one the test picks)
    definition: InstrumentDefinition

    def band_schemes(self) -> dict[tuple[str, ...], int]:
        """Band scheme → how many scale items use it (one band table each)."""
        schemes: dict[tuple[str, ...], int] = {}
        for item in self.definition.items:
            if isinstance(item, ScaleItem):
                scheme = tuple(band.label for band in item.bands)
                schemes[scheme] = schemes.get(scheme, 0) + 1
        return schemes


@dataclass(frozen=True)
class Built:
    path: Path
    waves: list[WaveCase]
    forms: list[str]  # labels of the versions collected all year


def _answers(
    definition: InstrumentDefinition, index: int, level: float
) -> dict[str, surveys.AnswerValue]:
    """Every question answered: scales around ``level`` (0–1 of the range), each option
    in turn, a comment on every text question (items hidden by a condition are dropped
    by the service)."""
    answers: dict[str, surveys.AnswerValue] = {}
    for item in definition.items:
        if isinstance(item, ScaleItem):
            centre = item.min + int((item.max - item.min) * level)
            answers[item.code] = min(item.max, max(item.min, centre + index % 3 - 1))
        elif isinstance(item, ChoiceItem):
            value = item.options[index % len(item.options)].value
            answers[item.code] = value if item.kind == "single_choice" else [value]
        elif isinstance(item, TextItem):
            answers[item.code] = f"Comment number {index + 1}."
    return answers


def _closed_wave(
    db: Database,
    world: World,
    version_id: int,
    title: str,
    opened: dt.date,
    headcounts: dict[str, int],
    level: float,
) -> None:
    """A wave whose every link is answered, then closed (results at the close only)."""
    launched = surveys.launch_wave(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=version_id,
        title=title,
        opens_on=opened,
        closes_on=opened + dt.timedelta(days=21),
        headcounts={world.teams[name]: n for name, n in headcounts.items()},
        base_url="http://testserver",
        live_results=False,
        today=opened,
    )
    definition = surveys.instrument_definition(db, world.lead, version_id)
    for index, link in enumerate(with_links(db, world, launched).links):
        surveys.submit_response(
            db, token_of(link), _answers(definition, index, level), today=opened
        )
    surveys.close_wave(db, world.lead, launched.wave_id)


def _paper_forms(db: Database, world: World, version_id: int) -> None:
    """Eight paper forms a month for the six months before last."""
    form_id = feedback.start_feedback_form(
        db, world.lead, world.organisation_id, version_id, release_step=K
    )
    definition = surveys.instrument_definition(db, world.lead, version_id)
    first_of_month = TODAY.replace(day=1)
    for back in range(2, 8):
        month = (first_of_month - dt.timedelta(days=31 * back - 15)).replace(day=1)
        for day in range(3, 11):
            held_on = month.replace(day=day)
            answers = _answers(definition, day, 0.7)
            feedback.enter_paper_forms(
                db, world.lead, form_id, [feedback.PaperForm(held_on, answers)], today=held_on
            )


def _closed_round(db: Database, world: World, title: str, held_on: dt.date, score: int) -> None:
    """A self-profiling round with every item agreed at ``score``, closed."""
    version = profiling.list_profile_versions(db, world.lead)[0].id
    opened = profiling.open_round(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=version,
        title=title,
        held_on=held_on,
        raters={},
        today=held_on,
    )
    items = profiling.round_consolidation(db, world.lead, opened.round_id, min_group_size=K)
    profiling.record_agreed_scores(
        db,
        world.lead,
        opened.round_id,
        {i.item_code: profiling.AgreedInput(score, "Agreed at the workshop") for i in items.items},
    )
    profiling.close_round(db, world.lead, opened.round_id)


def _build(db: Database, settings: Settings, path: Path) -> Built:
    world = build_world(db, settings)
    others = [build_world(db, settings, code=f"compare{n}") for n in range(1, 6)]
    catalogue = surveys.list_instrument_versions(db, world.lead)
    waves = []
    for version in (v for v in catalogue if v.collection == "wave"):
        earlier, later = f"{version.label}: earlier", f"{version.label}: later"
        _closed_wave(db, world, version.id, earlier, TODAY - dt.timedelta(days=300), TEAMS, 0.3)
        _closed_wave(db, world, version.id, later, TODAY - dt.timedelta(days=150), TEAMS, 0.8)
        for other in others:
            opened = TODAY - dt.timedelta(days=100)
            _closed_wave(db, other, version.id, version.label, opened, {"Alpha": 6}, 0.6)
        definition = surveys.instrument_definition(db, world.lead, version.id)
        waves.append(WaveCase(version.label, later, definition))
    forms = []
    for version in (v for v in catalogue if v.collection == "continuous"):
        _paper_forms(db, world, version.id)
        forms.append(version.label)
    # The newest wave: open, nobody has answered yet.
    surveys.launch_wave(
        db,
        world.lead,
        organisation_id=world.organisation_id,
        instrument_version_id=world.instrument_version_id,
        title=UNANSWERED,
        opens_on=TODAY,
        closes_on=TODAY + dt.timedelta(days=21),
        headcounts={world.teams["Alpha"]: 10},
        base_url="http://testserver",
    )
    _closed_round(db, world, "First round", TODAY - dt.timedelta(days=400), 6)
    _closed_round(db, world, "Second round", TODAY - dt.timedelta(days=200), 5)
    assert waves and forms, "the catalogue lists no instruments"
    return Built(path, waves, forms)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Built:
    folder = tmp_path_factory.mktemp("every_instrument")
    path = folder / "every_instrument.db"
    shutil.copyfile(sqlite_template, path)
    settings = make_settings(f"sqlite:///{path}", folder)
    db = Database.from_settings(settings)
    with pytest.MonkeyPatch.context() as patch:
        # Passwords at minimum cost, as tests/conftest.py does for each test (this fixture
        # is built before that one applies); signing in checks at the cost stored.
        patch.setattr(
            security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        try:
            return _build(db, settings, path)
        finally:
            db.dispose()  # the last connection closes: the write-ahead log is folded in


@pytest.fixture
def new_app(
    built: Built, tmp_path: Path, app_env: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], AppTest]]:
    path = tmp_path / "app.db"
    shutil.copyfile(built.path, path)
    monkeypatch.setenv("SOS_DATABASE_URL", f"sqlite:///{path}")
    yield lambda: AppTest.from_file(APP, default_timeout=60)


def _signed_in(at: AppTest, role: Role) -> AppTest:
    """Signed in as the test authority's user of ``role``, on the test authority."""
    at = sign_in_as(at, f"{role.value}@testshire.example", PASSWORD)
    picker = at.selectbox(key="organisation_picker")
    if picker.value != "Testshire Council":  # an administrator sees every authority
        at = picker.select("Testshire Council").run()
    return at


def _choose(at: AppTest, key: str, starts_with: str) -> AppTest:
    box = at.selectbox(key=key)
    return box.select(next(o for o in box.options if o.startswith(starts_with))).run()


def _table(at: AppTest, column: str) -> list[dict[str, str]]:
    """The rows of the first table on the page with ``column``, or none."""
    for table in at.table:
        frame = table.value
        if column in frame.columns or frame.index.name == column:
            records = frame.reset_index().astype(str).to_dict("records")
            return [{str(name): str(value) for name, value in row.items()} for row in records]
    return []


@pytest.mark.parametrize("role", roles_seeing("pages/dashboard.py"))
def test_the_dashboard_shows_every_instrument(
    new_app: Callable[[], AppTest], built: Built, role: Role
) -> None:
    at = _signed_in(new_app(), role)
    at.switch_page("pages/dashboard.py").run()
    for case in built.waves:
        at = _choose(at, "dashboard_wave", case.later)
        assert not at.exception, (case.label, at.exception)
        schemes = case.band_schemes()
        band_tables = [t.value for t in at.table if "n answering" in t.value.columns]
        assert [len(t) for t in band_tables] == list(schemes.values()), case.label
        for table, scheme in zip(band_tables, schemes, strict=True):
            assert [c.removesuffix(" %") for c in table.columns[:-1]] == list(scheme)
            assert all(n == "12" for n in table["n answering"]), case.label  # everyone
        specs = vega_lite_specs(at)
        # A band chart per table, the heat map by team, the trend and the comparison.
        assert len(specs) == len(schemes) + 3, case.label
        assert any("Share in the top band by team" in spec for spec in specs), case.label
        heat = _table(at, "team")
        assert {row["team"].strip() for row in heat} >= {"Alpha", "Beta"}, case.label
        assert not any("suppressed" in value for row in heat for value in row.values())
        trend = {row["Wave"] for row in _table(at, "Wave")}  # every wave of the survey
        assert {w for w in trend if w.startswith(f"{case.label}: ")} == {
            f"{case.label}: earlier (v{case.definition.version})",
            f"{case.label}: later (v{case.definition.version})",
        }, case.label
        rises = _table(at, "Change (points)")
        assert rises and all(r["Change (points)"].startswith("+") for r in rises), case.label
        comparison = _table(at, "Authorities compared")
        assert comparison and {r["Authorities compared"] for r in comparison} == {"5"}
        comments = [e for e in at.expander if "comments)" in e.label]
        texts = [i for i in case.definition.items if isinstance(i, TextItem)]
        assert len(comments) == len(texts), case.label


@pytest.mark.parametrize("role", roles_seeing("pages/progress.py"))
def test_readiness_by_team_shows_every_instrument(
    new_app: Callable[[], AppTest], built: Built, role: Role
) -> None:
    at = _signed_in(new_app(), role)
    at.switch_page("pages/progress.py").run()
    assert not at.exception, at.exception
    # Two closed rounds in which no domain rose: greatest progress says so.
    assert any("No domain has risen since the first round" in i.value for i in at.info)
    for case in built.waves:
        at = _choose(at, "readiness_wave", case.later)
        assert not at.exception, (case.label, at.exception)
        teams = next(d.value for d in at.dataframe if "Respondents" in d.value.columns)
        assert set(teams["Team"]) == {"Alpha", "Beta"}, case.label
        assert set(teams["Respondents"]) == {"6"}, case.label
        shown = [c for c in teams.columns if c not in ("Team", "Respondents")]
        assert len(shown) == sum(case.band_schemes().values()), case.label


@pytest.mark.parametrize("role", roles_seeing("pages/workforce.py"))
def test_intention_to_stay_shows_from_the_survey_that_asks_it(
    new_app: Callable[[], AppTest], built: Built, role: Role
) -> None:
    asking = [
        c for c in built.waves if any(i.code == "intention_to_stay" for i in c.definition.items)
    ]
    at = _signed_in(new_app(), role)
    at.switch_page("pages/workforce.py").run()
    assert not at.exception, at.exception
    assert any(h.value == "Intention to stay" for h in at.subheader)
    if asking:
        assert any(m.value.endswith("n = 12") for m in at.markdown if "—" in m.value)
        assert any(c.endswith("%") for t in at.table for c in t.value.iloc[0].astype(str))


@pytest.mark.parametrize("role", roles_seeing("pages/conference_feedback.py"))
def test_conference_feedback_shows_every_form(
    new_app: Callable[[], AppTest], built: Built, role: Role
) -> None:
    at = _signed_in(new_app(), role)
    at.switch_page("pages/conference_feedback.py").run()
    for label in built.forms:
        at = _choose(at, "feedback_form", label)
        assert not at.exception, (label, at.exception)
        at = at.radio(key="feedback_period_kind").set_value("Months from … to …").run()
        box = at.selectbox(key="feedback_from")
        at = box.select(box.options[-1]).run()  # from the first month with forms
        assert not at.exception, (label, at.exception)
        assert vega_lite_specs(at), label
        quarters = _table(at, "Quarter")
        assert any(row[c] not in ("–", "") for row in quarters for c in row if c != "Quarter")


# --- defaults that serve (point 3) ---------------------------------------------------------


def test_results_open_on_the_latest_wave_with_results(
    new_app: Callable[[], AppTest], built: Built
) -> None:
    at = _signed_in(new_app(), Role.EXECUTIVE)
    at.switch_page("pages/dashboard.py").run()
    box = at.selectbox(key="dashboard_wave")
    assert box.options[0].startswith(UNANSWERED)  # the newest wave has no answers
    assert box.index == 1 and "(closed, " in box.options[1]  # the newest with results
    assert not any("too few responses" in w.value for w in at.warning)
    assert [t for t in at.table if "n answering" in t.value.columns]

    at.switch_page("pages/progress.py").run()
    box = at.selectbox(key="readiness_wave")
    assert box.options[0].startswith(UNANSWERED) and box.index == 1


def test_every_team_view_says_whose_figures_they_are(
    new_app: Callable[[], AppTest], built: Built
) -> None:
    at = _signed_in(new_app(), Role.EXECUTIVE)
    at.switch_page("pages/dashboard.py").run()
    at = _choose(at, "dashboard_wave", built.waves[0].later)
    headings = [h.value for h in at.subheader]
    assert headings[0] == "Whole authority (all teams)"
    at = _choose(at, "dashboard_team", "Alpha")
    assert not at.exception
    headings = [h.value for h in at.subheader]
    assert headings[0] == "Team Alpha"  # the band tables: the team's
    # Everything else on the page is the authority's, and says so.
    for section in ("Over time", "How we compare"):
        heading = next(h for h in headings if h.startswith(section))
        assert heading.endswith("whole authority (all teams)"), heading
    rankings = [m.value for m in at.markdown if m.value.startswith("**")]
    assert any(r.startswith("**Greatest progress, whole authority**") for r in rankings)
    assert any(r.startswith("**Weakest areas, whole authority**") for r in rankings)
    assert any("whichever team is chosen above" in c.value for c in at.caption)


def _waves(url: str) -> int:
    database = Database.from_settings(make_settings(url, Path(url).parent))
    with database.read() as session:
        count = int(session.scalar(select(func.count()).select_from(Wave)) or 0)
    database.dispose()
    return count


def test_the_launch_form_chooses_no_survey_and_says_what_is_missing(
    new_app: Callable[[], AppTest], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    before = _waves(url)
    at = _signed_in(new_app(), Role.LEAD)
    at.switch_page("pages/waves.py").run()
    assert at.selectbox(key="wave_instrument").value is None
    at = at.button(key="launch_wave").click().run()  # every default accepted
    assert [e.value for e in at.error] == [
        "Not launched yet. Still missing: a title, the survey to send and at least one team."
    ]
    at.text_input(key="wave_title").input("Spring survey")
    teams = at.multiselect(key="wave_teams")
    at = teams.select(teams.options[0]).run()
    at = at.button(key="launch_wave").click().run()
    assert [e.value for e in at.error] == ["Not launched yet. Still missing: the survey to send."]
    assert _waves(url) == before
    box = at.selectbox(key="wave_instrument")
    at = box.select(box.options[0]).run()
    at = at.button(key="launch_wave").click().run()
    assert not at.error and at.success[0].value.startswith("Wave launched.")
    assert _waves(url) == before + 1


def test_closing_and_discarding_a_wave_ask_for_confirmation(
    new_app: Callable[[], AppTest], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    at = _signed_in(new_app(), Role.LEAD)
    at.switch_page("pages/waves.py").run()
    at = _choose(at, "rates_wave", UNANSWERED)
    # Not until the person confirms (AppTest, like a browser, cannot press it).
    assert at.button(key="close_wave").disabled
    tick = next(c for c in at.checkbox if (c.key or "").startswith("confirm_close_wave_"))
    assert "nobody can answer" in tick.label
    at = tick.check().run()
    at = at.button(key="close_wave").click().run()
    assert not at.exception
    assert "(closed," in at.selectbox(key="rates_wave").options[0]

    at.text_input(key="wave_title").input("A draft to throw away")
    box = at.selectbox(key="wave_instrument")
    at = box.select(box.options[0]).run()
    teams = at.multiselect(key="wave_teams")
    at = teams.select(teams.options[0]).run()
    at.checkbox(key="wave_draft").check()
    at = at.button(key="launch_wave").click().run()
    before = _waves(url)
    at = _choose(at, "rates_wave", "A draft to throw away")
    assert at.button(key="discard_wave").disabled
    tick = next(c for c in at.checkbox if (c.key or "").startswith("confirm_discard_wave_"))
    at = tick.check().run()
    at = at.button(key="discard_wave").click().run()
    assert not at.exception
    assert _waves(url) == before - 1


# --- the other results pages, with the demo data, for each role ---------------------------

OTHER_RESULTS = [
    spec.path for spec in PAGES if spec.section == "Results" and spec.path != "pages/dashboard.py"
]


@pytest.mark.parametrize("role", [r for r in Role if pages_for(r)])
def test_the_other_results_pages_render_with_figures_for_each_role(
    demo_app: DemoApp, role: Role
) -> None:
    new_demo, _ = demo_app
    at = sign_in(new_demo(), role)
    seen = {spec.path for spec in pages_for(role)}
    for page in OTHER_RESULTS:
        if page not in seen:
            continue
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        figures = len(at.table) + len(at.dataframe) + len(vega_lite_specs(at))
        assert figures > 0, page
