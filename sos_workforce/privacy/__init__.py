"""The disclosure gate every shown figure passes through, and retention settings.

Pages and other domains import from here, never from the modules inside."""

from sos_workforce.privacy import retention
from sos_workforce.privacy.disclosure import (
    MAX_FILTERS,
    MIN_COMPARATORS,
    GroupCount,
    breakdown_groups,
    cells_safe,
    change_safe,
    gated_counts,
    join_groupings,
    period_blocks,
    suppress_filtered,
    suppress_tree,
)
from sos_workforce.privacy.retention import get_retention, set_retention

__all__ = [
    "GroupCount",
    "MAX_FILTERS",
    "MIN_COMPARATORS",
    "breakdown_groups",
    "cells_safe",
    "change_safe",
    "gated_counts",
    "get_retention",
    "join_groupings",
    "period_blocks",
    "retention",
    "set_retention",
    "suppress_filtered",
    "suppress_tree",
]
