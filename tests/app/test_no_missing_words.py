"""Every page, for every role, with the demo data: nothing shows "None", "nan", "NaN" or
"NaT" (an empty cell says "—" or "not recorded"), no figure shows unrounded ("11.8000"),
and no date is written the machine's way (2026-11-25) where people read it."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from navigation import PAGES, pages_for
from sos_workforce.core.enums import Role
from tests.support.apptest import DemoApp, sign_in

MISSING = re.compile(r"(?<![\w-])(None|nan|NaN|NaT|null|undefined)(?![\w-])")
UNROUNDED = re.compile(r"\d\.\d{4,}")  # "11.8000", "0.33333"
ISO_DATE = re.compile(r"(?<![\w/.-])\d{4}-\d{2}-\d{2}(?![\w/-])")
# Where a machine date is what people need (an identifier or a file name), never prose.
ISO_ALLOWED_IN = ("Download", ".csv", ".xlsx", ".html")


def _cells(frame: pd.DataFrame) -> Iterator[tuple[str, object]]:
    for name in frame.index.names:
        if name is not None:
            yield "index name", name
    yield from (("heading", column) for column in frame.columns)
    yield from (("row label", label) for label in frame.index)
    for column in frame.columns:
        for value in frame[column]:
            yield str(column), value


def shown(at: AppTest) -> Iterator[tuple[str, str]]:
    """(where, text) for everything a person reads on the page."""
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "latex"):
        for element in getattr(at, kind):
            yield kind, str(element.value)
    for kind in ("info", "warning", "error", "success", "exception"):
        for element in getattr(at, kind):
            yield kind, str(element.value)
    for metric in at.metric:
        yield "metric", f"{metric.label}: {metric.value} {metric.delta or ''}"
    for kind in ("selectbox", "radio", "multiselect", "select_slider"):
        for widget in getattr(at, kind):
            yield f"{kind} {widget.label}", str(widget.label)
            for option in widget.options:
                yield f"{kind} {widget.label} option", str(option)
    for kind in ("text_input", "text_area", "number_input", "date_input", "checkbox", "toggle"):
        for widget in getattr(at, kind):
            yield kind, str(widget.label)
            if widget.value is not None and kind in ("text_input", "text_area"):
                yield f"{kind} {widget.label}", str(widget.value)
    for expander in at.expander:
        yield "expander", str(expander.label)
    for tab in at.tabs:
        yield "tab", str(tab.label)
    for kind in ("table", "dataframe"):
        for index, element in enumerate(getattr(at, kind)):
            frame, styled = _frame_shown(element)
            for column, value in _cells(frame):
                where = f"{kind} {index} [{column}]"
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    yield where, "None"  # Streamlit writes an empty cell as "None"
                elif isinstance(value, float) and not styled:
                    # An unformatted float: st.table writes four decimals ("11.8000").
                    yield where, f"{value:.4f}" if kind == "table" else repr(value)
                else:
                    yield where, str(value)


def _frame_shown(element: object) -> tuple[pd.DataFrame, bool]:
    """The table as drawn: a pandas Styler's display values when the page formatted it
    (``frame.style.format``), else the data (AppTest's ``value`` is the data alone)."""
    proto = getattr(element, "proto", None)
    styler = getattr(getattr(proto, "arrow_data", None), "styler", None)
    if styler is not None and styler.display_values:
        return convert_arrow_bytes_to_pandas_df(styler.display_values), True
    value = getattr(element, "value", None)
    return (value if isinstance(value, pd.DataFrame) else pd.DataFrame()), False


def problems(at: AppTest) -> list[str]:
    found = []
    for where, text in shown(at):
        for pattern, what in ((MISSING, "missing value"), (UNROUNDED, "unrounded figure")):
            match = pattern.search(text)
            if match:
                found.append(f"{what} {match.group(0)!r} in {where}: {text[:120]!r}")
        match = ISO_DATE.search(text)
        if match and not any(allowed in text for allowed in ISO_ALLOWED_IN):
            found.append(f"machine date {match.group(0)!r} in {where}: {text[:120]!r}")
    return found


@pytest.mark.parametrize("role", list(Role))
def test_no_page_shows_none_nan_or_unrounded_figures(demo_app: DemoApp, role: Role) -> None:
    new_app, _ = demo_app
    at = sign_in(new_app(), role)
    found: list[str] = []
    for page in PAGES:
        if page in pages_for(role):
            at.switch_page(page.path).run()
            assert not at.exception, (page.path, at.exception)
            found += [f"{page.path}: {problem}" for problem in problems(at)]
    assert not found, "\n".join(found)


def test_the_walk_finds_what_it_looks_for() -> None:
    """The patterns catch what the issue saw, and leave ordinary words alone."""
    for text in ("Team: None", "nan", "NaT", "11.8000", "Launched 2026-11-25"):
        assert MISSING.search(text) or UNROUNDED.search(text) or ISO_DATE.search(text), text
    for text in ("Nonetheless", "Financial", "12.8%", "25 Nov 2026", "audit-log-2026-11-25.csv"):
        assert not (MISSING.search(text) or UNROUNDED.search(text)), text


def test_every_table_and_grid_says_what_a_missing_cell_shows() -> None:
    """Streamlit's grid draws a missing cell as "None" unless told otherwise (its
    ``placeholder``): every table the pages draw names its own ("—", or blank in a grid
    people type into). The walk above reads the data, not the drawn grid, so this looks
    at each call."""
    import ast

    root = Path(__file__).resolve().parents[2]
    missing = []
    for path in [root / "ui.py", *sorted((root / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"dataframe", "data_editor"}
                and not any(keyword.arg == "placeholder" for keyword in node.keywords)
            ):
                missing.append(f"{path.name}:{node.lineno}")
    assert not missing, f"tables without a placeholder for missing cells: {missing}"
