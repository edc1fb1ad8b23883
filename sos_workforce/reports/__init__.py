"""Charts (Vega-Lite specs) and the scrutiny report.

Pages and other domains import from here, never from the modules inside."""

from sos_workforce.reports import charts
from sos_workforce.reports.charts import (
    benchmark_chart,
    benchmark_frame,
    confidence_scatter,
    domain_timeline_chart,
    hours_chart,
    latest_vs_previous_chart,
    measure_trend_chart,
    time_share_chart,
    trend_frame,
)
from sos_workforce.reports.scrutiny import dashboard_workbook, scrutiny_report

__all__ = [
    "benchmark_chart",
    "benchmark_frame",
    "charts",
    "confidence_scatter",
    "dashboard_workbook",
    "domain_timeline_chart",
    "hours_chart",
    "latest_vs_previous_chart",
    "measure_trend_chart",
    "scrutiny_report",
    "time_share_chart",
    "trend_frame",
]
