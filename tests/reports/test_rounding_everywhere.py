"""One rounding rule everywhere (issue 16, item 4): figures that fall exactly on a half
round up, as published tables round, in the services, the pages' tables and the scrutiny
report alike: 6.25 is shown as 6.3, never 6.2 (Python's round() and ``:.1f`` give 6.2)."""

from __future__ import annotations

import datetime as dt
import re

from sos_workforce import surveys
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.diaries import time_use_report
from sos_workforce.reports import benchmark_frame, scrutiny_report
from sos_workforce.surveys import benchmark_wave
from sos_workforce.workforce import import_roster, snapshot_report
from tests.support.diary_factories import MONDAY, fill
from tests.support.diary_factories import launch as launch_diary
from tests.support.factories import World, build_world, launch, release_all, token_of

K = 3
AS_OF = dt.date(2024, 9, 30)
_HALF_DOWN = re.compile(r"(?<![\d.])6\.2(?!\d)")  # "6.2" as a figure, not in 16.25 or 6.21


def _roster() -> bytes:
    """16 permanent staff at 0.8 FTE in post, and one more at 0.8 FTE who left in the year.

    Turnover = leavers' FTE / FTE in post = 0.8 / (16 × 0.8) = 0.8 / 12.8 = 6.25%, so 6.3%.
    (Added as floats, 16 × 0.8 is 12.800000000000002 and the rate 6.2499…%: 6.2.)
    """
    header = "Employee ID,Service,Job title,Contract type,WTE,Date started,Date left\n"
    staff = [f"S{n:02},North,Social worker,Permanent,0.8,01/01/2020," for n in range(16)]
    leaver = "L01,North,Social worker,Permanent,0.8,01/01/2020,31/05/2024"
    return (header + "\n".join([*staff, leaver]) + "\n").encode()


def _wave(db: Database, world: World, in_top: int, answering: int) -> int:
    """A wave where ``in_top`` of ``answering`` rate "understanding" in the top band (7–10)."""
    launched = launch(db, world, {"Alpha": answering})
    for index, link in enumerate(launched.links):
        surveys.submit_response(db, token_of(link), {"understanding": 9 if index < in_top else 2})
    release_all(db, launched.wave_id)  # every answer counts here; steps: test_release.py
    return launched.wave_id


def _figures_text(html: str) -> str:
    """The report without its inline SVG (chart coordinates are not figures)."""
    return re.sub(r"<svg.*?</svg>", "", html, flags=re.S)


def test_exact_halves_round_up_in_every_service_page_table_and_the_report(
    db: Database, settings: Settings
) -> None:
    world = build_world(db, settings)

    # --- workforce: 0.8 / 12.8 FTE = 6.25% turnover -------------------------------------
    import_roster(
        db, world.lead, world.organisation_id, data=_roster(), filename="hr.csv", as_of=AS_OF
    )
    report = snapshot_report(db, world.executive, world.organisation_id, AS_OF, K)
    turnover = next(m for m in report.measures if m.key == "turnover")
    assert (turnover.value, turnover.display) == (6.3, "6.3%")
    [north] = report.by_team  # the same 17 people: the team's own measures
    assert next(m for m in north.measures if m.key == "turnover").display == "6.3%"

    # --- benchmarks: our share 1 in 16 = 6.25%; the others' median lands on 6.25 --------
    wave_id = _wave(db, world, 1, 16)
    # Five other authorities, 16 answering each: 0, 0, 1, 2 and 2 in the top band, so
    # shares 0, 0, 6.25, 12.5, 12.5. Inclusive quartiles of five values (positions 1, 2,
    # 3): lower 0.0, median 6.25 → 6.3, upper 12.5.
    for code, in_top in (("aa", 0), ("bb", 0), ("cc", 1), ("dd", 2), ("ee", 2)):
        _wave(db, build_world(db, settings, code), in_top, 16)
    rows = benchmark_wave(db, world.executive, wave_id, K)
    [understanding] = [r for r in rows if r.item_code == "understanding"]
    assert understanding.own_share == 6.3
    others = understanding.others
    assert (others.contributors, others.lower_quartile, others.median, others.upper_quartile) == (
        5,
        0.0,
        6.3,
        12.5,
    )
    table = benchmark_frame(rows).loc[understanding.label]  # the dashboard's table
    assert table["Us (% 7–10)"] == "6.3%" and table["Other authorities: median"] == "6.3%"
    assert table["Other authorities: middle half"] == "0.0–12.5%"

    # --- time use: 375 minutes each in a one-week period = 6.25 hours a week ------------
    period = launch_diary(db, world, [(f"W{n}", "Alpha", "Social worker", 1.0) for n in range(3)])
    for token in period.tokens.values():
        # 25 + 350 = 375 minutes on Monday; the week has 5 weekdays, so 1 week.
        fill(db, token, [MONDAY], [("direct_child", 25), ("recording", 350)])
    use = time_use_report(db, world.executive, period.period_id, K)
    overall = use.overall
    # Hours a week: 375 / 60 / 1 = 6.25 for each worker, mean 6.25 → 6.3. Hours per FTE
    # week: 3 × 375 / 60 = 18.75 hours / (3 × 1.0 FTE × 1 week) = 6.25 → 6.3. Quartiles of
    # 6.25, 6.25, 6.25: all 6.25 → 6.3. Recorded: 18.75 hours → 18.8.
    assert (overall.hours_per_week, overall.hours_per_fte_week, overall.recorded_hours) == (
        6.3,
        6.3,
        18.8,
    )
    assert overall.weekly_hours_spread is not None
    assert overall.weekly_hours_spread.median == 6.3
    summary = use.summary_frame().loc["All teams"]  # the time-use page's table
    assert summary["Hours worked a week"] == "6.3" and summary["Hours per FTE week"] == "6.3"
    assert summary["Hours a week: quartiles"] == "6.3 / 6.3 / 6.3"
    assert use.spread_frame().loc["All teams", "Hours a week: median"] == "6.3"

    # --- the scrutiny report -------------------------------------------------------------
    html = scrutiny_report(db, world.executive, world.organisation_id, wave_id, K)
    text = _figures_text(html)
    sections = {
        title: text.split(f">{title}</h2>", 1)[1].split("</section>", 1)[0]
        for title in (
            "Staff confidence in Signs of Safety",
            "Benchmarks against other authorities",
            "Workforce and retention",
            "Time use",
        )
    }
    # 1 of 16 in the top band: 6.25% → 6.3% (and 15 of 16 in the lowest: 93.75% → 93.8%).
    confidence = sections["Staff confidence in Signs of Safety"]
    assert '<td class="num">6.3%</td>' in confidence and "93.8%" in confidence
    # Us 6.3, the others' median 6.3, their quartiles 0.0–12.5, five authorities.
    row = "".join(f'<td class="num">{cell}</td>' for cell in ("6.3", "6.3", "0.0–12.5", "5"))
    assert row in sections["Benchmarks against other authorities"]
    assert '<td class="num">6.3%</td>' in sections["Workforce and retention"]  # turnover
    time = sections["Time use"]
    assert "Staff worked 6.3 hours a week on average" in time
    assert "6.3 hours per full-time-equivalent week" in time
    assert not _HALF_DOWN.search(text), _HALF_DOWN.findall(text)
