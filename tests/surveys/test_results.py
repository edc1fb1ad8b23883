"""The band table reproduces Brent's published confidence table (seed 004, section 3.35)."""

from pathlib import Path

import pandas as pd
import pytest

from sos_workforce.reports.charts import diverging_band_chart, diverging_positions
from sos_workforce.surveys.instruments import load_instrument_file
from sos_workforce.surveys.results import TOO_FEW, build_band_tables

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = load_instrument_file(ROOT / "surveys" / "sos_confidence.yaml")

# Band counts that give Brent's shares: 65 respondents, 63 answered the third statement.
BRENT_COUNTS = {
    "understanding": (4, 14, 47),
    "integration": (8, 17, 40),
    "advise_colleagues": (8, 20, 35),
    "train_colleagues": (19, 26, 20),
}
BRENT_PUBLISHED = {
    "understanding": (6.2, 21.5, 72.3),
    "integration": (12.3, 26.2, 61.5),
    "advise_colleagues": (12.7, 31.7, 55.6),
    "train_colleagues": (29.2, 40.0, 30.8),
}


def _histograms(counts: dict[str, tuple[int, int, int]]) -> dict[str, dict[int, int]]:
    # Spread each band's count over its values (1–3, 4–6, 7–10) to exercise banding.
    values = ((1, 2, 3), (4, 5, 6), (7, 8, 9, 10))
    histograms: dict[str, dict[int, int]] = {}
    for code, bands in counts.items():
        histogram: dict[int, int] = {}
        for band_values, count in zip(values, bands, strict=True):
            for index in range(count):
                value = band_values[index % len(band_values)]
                histogram[value] = histogram.get(value, 0) + 1
        histograms[code] = histogram
    return histograms


def test_band_table_reproduces_brent_2017_to_one_decimal() -> None:
    [table] = build_band_tables(DEFINITION, _histograms(BRENT_COUNTS), 65, min_group_size=5)
    assert table.band_labels == ("1–3", "4–6", "7–10")
    assert table.respondents == 65
    for row in table.rows:
        assert row.percents == BRENT_PUBLISHED[row.item_code]
        assert row.counts == BRENT_COUNTS[row.item_code]
    assert [row.n for row in table.rows] == [65, 65, 63, 65]
    frame = table.to_frame()
    assert list(frame.columns) == ["Statement", "1–3 %", "4–6 %", "7–10 %", "n answering"]
    assert frame.iloc[3].tolist()[1:] == [29.2, 40.0, 30.8, 65]


def test_percentages_equal_band_counts_over_n_answering_rounded() -> None:
    counts = {
        "understanding": (1, 2, 4),
        "integration": (0, 0, 5),
        "advise_colleagues": (3, 3, 3),
        "train_colleagues": (2, 0, 0),
    }
    [table] = build_band_tables(DEFINITION, _histograms(counts), 9, min_group_size=5)
    by_code = {row.item_code: row for row in table.rows}
    assert by_code["understanding"].percents == (14.3, 28.6, 57.1)  # 1/7, 2/7, 4/7
    assert by_code["integration"].percents == (0.0, 0.0, 100.0)
    assert by_code["advise_colleagues"].percents == (33.3, 33.3, 33.3)
    # Only 2 answered the last item: suppressed, with no numbers at all.
    last = by_code["train_colleagues"]
    assert last.suppressed and last.counts is None and last.percents is None
    assert table.to_frame().iloc[3].tolist()[1:] == [TOO_FEW] * 4


@pytest.mark.parametrize(("respondents", "shown"), [(4, False), (5, True), (6, True)])
def test_whole_group_under_minimum_shows_nothing(respondents: int, shown: bool) -> None:
    counts = {"understanding": (0, 0, respondents)}
    [table] = build_band_tables(DEFINITION, _histograms(counts), respondents, min_group_size=5)
    assert (table.respondents is not None) == shown
    assert (table.rows[0].percents is not None) == shown
    if not shown:
        assert all(row.suppressed for row in table.rows)
        assert table.long_frame().empty


def test_chart_data_matches_table_and_diverges_around_middle_band() -> None:
    [table] = build_band_tables(DEFINITION, _histograms(BRENT_COUNTS), 65, min_group_size=5)
    assert diverging_band_chart(table) is not None
    frame = diverging_positions(table.long_frame(), 3)
    first = frame[frame["item"] == "Understanding of principles"].sort_values("band_index")
    # left edge = -(low + half of middle); bars are contiguous and span 100%.
    assert first["start"].iloc[0] == pytest.approx(-(6.2 + 21.5 / 2))
    assert first["end"].iloc[-1] - first["start"].iloc[0] == pytest.approx(100.0)
    assert (first["end"].iloc[:-1].to_numpy() == first["start"].iloc[1:].to_numpy()).all()
    assert isinstance(frame, pd.DataFrame)


def test_display_frame_reads_like_the_scrutiny_report() -> None:
    counts = dict(BRENT_COUNTS, train_colleagues=(1, 1, 1))
    [table] = build_band_tables(DEFINITION, _histograms(counts), 65, min_group_size=5)
    shown = table.display_frame()
    assert shown.index.name == "Statement"
    assert shown.iloc[0].tolist() == ["6.2%", "21.5%", "72.3%", "65"]
    assert shown.iloc[3].tolist() == [TOO_FEW] * 4
