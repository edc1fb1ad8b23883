"""The team heat map is legible: every cell's label fits its cell whole ("100%", never a
clipped "00%"), and the statements beneath never run into each other."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import vl_convert

from sos_workforce.reports.charts import heatmap_label, team_heatmap_chart, wrapped

# Arial/Helvetica's widest digits and letters are about 0.6 of the font size (bold): a
# generous estimate of how wide a label is drawn.
_EM = 0.6
_CELL_TEXT = re.compile(
    r'<text aria-label="[^"]*"[^>]*translate\(([\d.]+),([\d.]+)\)[^>]*font-size="(\d+)px"'
    r"[^>]*>([^<]+)</text>"
)
_AXIS_LABEL = re.compile(
    r'<text text-anchor="middle" transform="translate\(([\d.]+),[\d.]+\)"[^>]*'
    r'font-size="(\d+)px" fill="#000" opacity="1">(.*?)</text>'
)
_LINE = re.compile(r"<tspan[^>]*>([^<]*)</tspan>")


def _lines(content: str) -> list[str]:
    return _LINE.findall(content) or [content]


# The longest short labels of a shipped instrument (the tool-confidence survey's nine).
ITEMS = [
    "Mapping (three columns)",
    "Scaling questions",
    "Danger statements",
    "Safety goals",
    "Safety networks",
    "Safety plans",
    "Three Houses",
    "Fairy / Wizard",
    "Understanding of principles",
]


def _frame() -> pd.DataFrame:
    rows = []
    for t, team in enumerate(["Children's Social Care", "↳ Quality Assurance and Conferencing"]):
        for i, item in enumerate(ITEMS):
            status = "suppressed" if (t, i) == (1, 3) else "shown"
            share = [100.0, 0.0, 99.5, 5.0][i % 4] if status == "shown" else None
            rows.append({"team": team, "item": item, "top_share": share, "n": 12, "status": status})
    rows.append(
        {
            "team": "Early Help",
            "item": ITEMS[0],
            "top_share": None,
            "n": None,
            "status": "no responses",
        }
    )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    ("share", "status", "label"),
    [
        (100.0, "shown", "100%"),
        (99.5, "shown", "100%"),  # half up, as every figure
        (0.0, "shown", "0%"),
        (62.5, "shown", "63%"),
        (None, "suppressed", "hidden"),
        (None, "no responses", "—"),
    ],
)
def test_cell_labels(share: float | None, status: str, label: str) -> None:
    assert heatmap_label(share, status) == label


def test_statements_wrap_between_words() -> None:
    assert wrapped("Understanding of principles") == ["Understanding", "of", "principles"]
    assert wrapped("Can train colleagues") == ["Can train", "colleagues"]
    assert wrapped("Supercalifragilistic word") == ["Supercalifragilistic", "word"]
    assert all(len(line) <= 12 for item in ITEMS for line in wrapped(item) if " " in line)


def test_every_label_fits_its_cell_in_the_rendered_chart() -> None:
    frame = _frame()
    chart = team_heatmap_chart(frame)
    assert chart is not None
    svg = str(vl_convert.vegalite_to_svg(chart.to_json()))
    cells = [(float(x), float(y), int(size), text) for x, y, size, text in _CELL_TEXT.findall(svg)]
    texts = [text for *_, text in cells]
    assert texts.count("100%") == int((frame["top_share"] >= 99.5).sum()) > 0
    assert "00%" not in texts and "hidden" in texts and "—" in texts
    columns = sorted({x for x, *_ in cells})
    rows = sorted({y for _, y, *_ in cells})
    assert len(columns) == len(ITEMS) and len(rows) == 3
    column_step = min(b - a for a, b in zip(columns, columns[1:], strict=False))
    row_step = min(b - a for a, b in zip(rows, rows[1:], strict=False))
    for *_, size, text in cells:
        assert len(text) * size * _EM < column_step, text
        assert size * 1.2 < row_step
    # The statements beneath: each line narrower than a column, so neighbours never touch.
    labels = [
        (size, _lines(content))
        for _, size, content in _AXIS_LABEL.findall(svg)
        if not content.isdigit()  # the legend's 20, 40…
    ]
    assert [" ".join(lines) for _, lines in labels if " ".join(lines) in ITEMS] == ITEMS
    for size, lines in labels:
        for line in lines:
            assert len(line) * int(size) * 0.55 < column_step, line


def test_squeezed_to_a_phone_the_statements_stand_upright() -> None:
    """Stretched to a phone's width (as the dashboard draws it), the columns are too narrow
    for lines across, so the statements turn upright rather than run together."""
    chart = team_heatmap_chart(_frame())
    assert chart is not None
    svg = str(vl_convert.vegalite_to_svg(chart.properties(width=9 * 40).to_json()))
    upright = re.findall(
        r'<text text-anchor="end" transform="translate\([^)]*\) rotate\(-90\)', svg
    )
    assert len(upright) == len(ITEMS)
    wide = str(vl_convert.vegalite_to_svg(team_heatmap_chart(_frame()).to_json()))  # type: ignore[union-attr]
    assert "rotate(-90)" not in wide
