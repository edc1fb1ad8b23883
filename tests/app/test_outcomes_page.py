"""AppTest of the Outcomes page on the demo (fictional series, labelled so): executives read
it, leads also set directions, administrators also import DfE's files."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from streamlit.testing.v1 import AppTest

from sos_workforce.core.enums import Role
from sos_workforce.dfe import year_label
from sos_workforce.outcomes import CAUTION_HEADING, FICTIONAL, indicator_definitions
from tests.support.apptest import sign_in, vega_lite_specs

PAGE = "pages/outcomes.py"
# The demo's fictional series end with the reporting year ending 31 March last year.
LATEST = year_label(dt.date.today().year - 1)


def _open(new_app, role: Role) -> AppTest:  # type: ignore[no-untyped-def]
    at = sign_in(new_app(), role)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Outcomes beside the implementation"
    return at


def _frames(at: AppTest) -> list[pd.DataFrame]:
    return [element.value for element in at.dataframe]


def _markdown(at: AppTest) -> list[str]:
    return [element.value for element in at.markdown]


def test_executive_reads_each_indicator_with_its_numbers_and_sentences(demo_app) -> None:  # type: ignore[no-untyped-def]
    new_app, _ = demo_app
    at = _open(new_app, Role.EXECUTIVE)
    assert any(CAUTION_HEADING in info.value for info in at.info)
    assert [w.value for w in at.warning] == [FICTIONAL]
    labels = [d.label for d in indicator_definitions().indicators]
    frames = _frames(at)
    summary = next(f for f in frames if f.index.name == "Indicator")
    assert list(summary.index) == labels
    assert set(summary["Latest year"]) == {LATEST}
    # One table of numbers per indicator, beside its chart, every year with a figure.
    tables = [f for f in frames if f.index.name == "Year" and "England" in f.columns]
    assert len(tables) == len(labels)
    assert all(t.columns.name in labels for t in tables)
    assert all("Northbridge Borough Council" in t.columns for t in tables)
    assert len(vega_lite_specs(at)) == len(labels)
    sentences = [m for m in _markdown(at) if " (statistical neighbours " in m]
    assert len(sentences) == len(labels)
    assert all("Northbridge Borough Council " in s and f" in {LATEST} (" in s for s in sentences)
    assert any(
        m.startswith("From ") and "the last year before Signs of Safety" in m for m in _markdown(at)
    )
    # No direction set in the demo: no judgement anywhere, and executives cannot set one.
    assert not any("neighbours' change]" in m for m in _markdown(at))
    assert "Which way is better? (sets a judgement beside each change)" not in [
        e.label for e in at.expander
    ]


def test_a_suppressed_neighbour_cell_shows_not_available(demo_app) -> None:  # type: ignore[no-untyped-def]
    new_app, _ = demo_app
    at = _open(new_app, Role.EXECUTIVE)
    neighbours = [f for f in _frames(at) if f.index.name == "Year" and "Greyhaven" in f.columns]
    # The demo suppresses Greyhaven's second or subsequent plans in its fourth year ("c"),
    # and Stonecross (after a merger) has no figures in the first seven of the 13 years
    # (the looked-after file holds only the last five).
    assert any("not available" in set(f["Greyhaven"]) for f in neighbours)
    long_series = [f for f in neighbours if len(f) == 13]
    assert len(long_series) == 5
    assert all(list(f["Stonecross"][:7]) == ["not available"] * 7 for f in long_series)
    assert all("not available" not in set(f["Stonecross"][7:]) for f in long_series)


def test_lead_sets_a_direction_and_only_that_indicator_is_judged(demo_app) -> None:  # type: ignore[no-untyped-def]
    new_app, _ = demo_app
    at = _open(new_app, Role.LEAD)
    assert "Which way is better? (sets a judgement beside each change)" in [
        e.label for e in at.expander
    ]
    at.selectbox(key="direction_children_in_need_rate").select("Lower is better")
    at.button(key="FormSubmitter:outcome_directions-Save directions").click().run()
    assert not at.exception, at.exception
    judged = [m for m in _markdown(at) if "neighbours' change]" in m]
    assert len(judged) == 1
    assert judged[0].startswith((":green[Better", ":red[Worse", "The same"))
    assert any(
        "Lower is better (as Northbridge Borough Council has set)" in m for m in _markdown(at)
    )


def test_admin_sees_the_import_and_the_files_imported(demo_app) -> None:  # type: ignore[no-untyped-def]
    new_app, _ = demo_app
    at = _open(new_app, Role.ADMIN)
    assert [tab.label for tab in at.tabs] == ["Outcomes", "Import DfE files"]
    files = next(f for f in _frames(at) if "Fictional" in f.columns)
    assert len(files) == 7 and set(files["Fictional"]) == {"yes (demo)"}
    # The upload itself is exercised through the service (AppTest has no file uploader).
