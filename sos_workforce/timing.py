"""Server time per Streamlit rerun, for the load benchmark (``bench/load.py``).

Off unless ``SOS_RERUN_TIMING_LOG`` is set. Each line holds the wall-clock time, the page
title and the milliseconds the script run took; never query strings (survey links carry
their token there), never answers.
"""

from __future__ import annotations

import time
from pathlib import Path


def record_rerun(log: Path, page: str, seconds: float) -> None:
    """Append one rerun's timing (one short line; appends of a line are atomic in practice)."""
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"{time.time():.3f}\t{page}\t{seconds * 1000:.2f}\n")


def read_reruns(log: Path) -> list[tuple[float, str, float]]:
    """(time, page, milliseconds) for every recorded rerun."""
    rows = []
    for line in log.read_text(encoding="utf-8").splitlines():
        stamp, page, milliseconds = line.split("\t")
        rows.append((float(stamp), page, float(milliseconds)))
    return rows
