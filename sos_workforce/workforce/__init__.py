"""Workforce and retention: rosters, establishment, summary figures and the DfE measures.

Pages and other domains import from here, never from the modules inside."""

from sos_workforce.workforce.measures import (
    ENGLAND,
    NOT_AVAILABLE,
    list_snapshots,
    measure_trend,
    snapshot_report,
)
from sos_workforce.workforce.rosters import (
    ROSTER_COLUMNS,
    delete_roster,
    import_roster,
    preview_roster,
    roster_template,
    save_summary,
    set_establishment,
)

__all__ = [
    "ENGLAND",
    "NOT_AVAILABLE",
    "ROSTER_COLUMNS",
    "delete_roster",
    "import_roster",
    "list_snapshots",
    "measure_trend",
    "preview_roster",
    "roster_template",
    "save_summary",
    "set_establishment",
    "snapshot_report",
]
