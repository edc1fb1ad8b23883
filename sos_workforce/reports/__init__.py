"""Charts (Vega-Lite specs) and the scrutiny report.

Pages and other domains import from here, never from the modules inside."""

from sos_workforce.reports.charts import (
    benchmark_chart,
    benchmark_frame,
    confidence_scatter,
    diverging_band_chart,
    domain_timeline_chart,
    feedback_quarter_chart,
    hours_chart,
    latest_vs_previous_chart,
    measure_trend_chart,
    outcome_chart,
    score_distribution_chart,
    team_heatmap_chart,
    time_share_chart,
    trend_chart,
    trend_frame,
)
from sos_workforce.reports.scrutiny import dashboard_workbook, scrutiny_report

__all__ = [
    "diverging_band_chart",
    "team_heatmap_chart",
    "trend_chart",
    "benchmark_chart",
    "benchmark_frame",
    "confidence_scatter",
    "dashboard_workbook",
    "domain_timeline_chart",
    "feedback_quarter_chart",
    "hours_chart",
    "latest_vs_previous_chart",
    "measure_trend_chart",
    "outcome_chart",
    "scrutiny_report",
    "score_distribution_chart",
    "time_share_chart",
    "trend_frame",
]
