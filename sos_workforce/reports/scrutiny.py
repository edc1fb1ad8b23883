"""The scrutiny report: one accessible HTML document in the shape of Brent's report
(seed 004, section 3.35 onwards). Every chart has alt text and its data table; every
suppression is disclosed. Text is autoescaped: nothing anyone typed is rendered as HTML."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import altair as alt
import jinja2
import pandas as pd
import vl_convert

from sos_workforce.access import Actor, list_organisations, require
from sos_workforce.core.dates import as_date
from sos_workforce.core.db import Database
from sos_workforce.core.enums import DiaryStatus, Role, WaveStatus
from sos_workforce.core.errors import NotFound
from sos_workforce.core.figures import as_shown, exact
from sos_workforce.diaries import BENCHMARKS, compare_with_others, list_periods, time_use_report
from sos_workforce.feedback import ENTRY_WINDOW_DAYS, latest_feedback, list_feedback_forms
from sos_workforce.outcomes import CAUTION, CAUTION_HEADING, FICTIONAL, outcome_report
from sos_workforce.profiling import get_timeline, progress_report
from sos_workforce.reports.charts import (
    benchmark_chart,
    benchmark_frame,
    diverging_band_chart,
    outcome_chart,
    team_heatmap_chart,
    time_share_chart,
    trend_chart,
)
from sos_workforce.surveys import (
    SUPPRESSED,
    TOO_FEW,
    WHOLE_WAVE,
    BenchmarkRow,
    benchmark_wave,
    instrument_trend,
    list_waves,
    load_wave_counts,
    team_heatmap,
    wave_workbook,
)
from sos_workforce.training import coverage_beside_confidence, coverage_report, trainer_count
from sos_workforce.workforce import measure_trend

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("sos_workforce.reports", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
# A figure ("74.8%", "123", "55.1–71.9%", "+2.1", "−0.4") sits right-aligned in its column;
# a dash in a figure's place too. Words ("too few responses", a statement) read from the left.
_FIGURE = re.compile(r"^[+\-−]?[\d.,]+%?( ?[–-] ?[\d.,]+%?)?$")


def _is_figure(cell: object) -> bool:
    text = str(cell).strip()
    return isinstance(cell, int | float) or text in {"–", "—"} or bool(_FIGURE.match(text))


_templates.tests["figure"] = _is_figure


@dataclass
class ReportTable:
    caption: str
    headings: list[str]
    rows: list[list[str]]


@dataclass
class ReportFigure:
    svg: str
    alt: str
    caption: str


@dataclass
class ReportSection:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    figures: list[ReportFigure] = field(default_factory=list)
    tables: list[ReportTable] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)


def chart_svg(chart: alt.Chart | alt.LayerChart) -> str:
    """The chart as inline SVG (rendered offline by the Vega project's converter)."""
    return str(vl_convert.vegalite_to_svg(chart.to_json()))


def _fmt(value: object) -> str:
    if value is None:
        return TOO_FEW
    if isinstance(value, float):
        return as_shown(value)
    return str(value)


def _confidence_section(db: Database, actor: Actor, wave_id: int, k: int) -> ReportSection:
    counts = load_wave_counts(db, actor, wave_id)
    definition = counts.definition
    # The instrument's own words: its audience ("members of staff", "parents and carers")
    # and its scale ("rated from 0 to 10"), never the staff survey's for another form.
    heading = (
        "Staff confidence in Signs of Safety"
        if definition.audience == "staff"
        else definition.title
    )
    section = ReportSection(heading)
    if counts.status is WaveStatus.OPEN:
        section.paragraphs.append(
            f"This survey is still open. Its results change only after every "
            f"{counts.release_step} new answers in a team, so the figures here are those of "
            "the latest such step, not of every answer sent so far."
        )
    elif counts.held_back:
        section.withheld.append(
            "A few answers that arrived after a team's last update are held back: adding "
            f"fewer than {counts.release_step} to a team's figures would show what those "
            "people said."
        )
    for table in counts.tables_for(WHOLE_WAVE, k):
        if table.respondents is None:
            section.withheld.append(
                f"The results are withheld: fewer than {k} people answered this survey."
            )
            continue
        section.paragraphs.append(
            f"{table.respondents} {definition.audience_words} answered. Each statement was "
            f"{definition.range_words()}; the table shows the share of those who answered "
            "in each band."
        )
        rows = []
        for row in table.rows:
            if row.percents is None or row.intervals is None or row.n is None:
                rows.append([row.text] + [TOO_FEW] * (len(table.band_labels) + 2))
                section.withheld.append(
                    f"“{row.label}”: withheld because fewer than {k} people answered it."
                )
                continue
            top_low, top_high = row.intervals[-1]
            rows.append(
                [
                    row.text,
                    *(as_shown(p, unit="%") for p in row.percents),
                    str(row.n),
                    f"{as_shown(top_low)}–{as_shown(top_high, unit='%')}",
                ]
            )
        section.tables.append(
            ReportTable(
                f"{heading}: % of those answering in each band",
                [
                    "Statement",
                    *(f"{b}" for b in table.band_labels),
                    "n answering",
                    f"95% interval ({table.band_labels[-1]})",
                ],
                rows,
            )
        )
        chart = diverging_band_chart(table)
        if chart is not None:
            top = table.band_labels[-1]
            summary = "; ".join(
                f"{row.label}: {as_shown(row.percents[-1], unit='%')} rated {top}"
                for row in table.rows
                if row.percents
            )
            section.figures.append(
                ReportFigure(
                    chart_svg(chart),
                    f"Diverging bar chart. {summary}.",
                    "Share of answers in each band, low ratings to the left.",
                )
            )
    heatmap = team_heatmap(counts, k)
    if not heatmap.empty:
        shown = heatmap[heatmap["status"] == "shown"]
        hidden_teams = sorted(set(heatmap.loc[heatmap["status"] == SUPPRESSED, "team"]))
        section.tables.append(
            ReportTable(
                "Share in the top band by team",
                ["Team", "Statement", "% in top band", "n answering"],
                [
                    [str(team).strip(), str(item), as_shown(share, unit="%"), str(int(n))]
                    for team, item, share, n in zip(
                        shown["team"], shown["item"], shown["top_share"], shown["n"], strict=True
                    )
                ],
            )
        )
        chart = team_heatmap_chart(heatmap)
        if chart is not None:
            section.figures.append(
                ReportFigure(
                    chart_svg(chart),
                    f"Heat map of the share in the top band for {shown['team'].nunique()} "
                    "teams by statement.",
                    "Share in the top band by team.",
                )
            )
        if hidden_teams:
            section.withheld.append(
                f"Figures for {len(hidden_teams)} team(s) are withheld, for some or all "
                f"statements, because they had fewer than {k} answers or could be worked out "
                "by subtraction: " + ", ".join(t.strip() for t in hidden_teams) + "."
            )
    return section


def _trend_section(
    db: Database, actor: Actor, organisation_id: int, instrument_code: str, k: int
) -> ReportSection:
    trend = instrument_trend(db, actor, organisation_id, instrument_code, k)
    section = ReportSection("Progress over time")
    if not trend.points:
        section.paragraphs.append("No earlier waves of this survey.")
        return section
    section.tables.append(
        ReportTable(
            "Share in the top band, wave by wave (change since the previous wave)",
            ["Wave", "Statement", "% in top band", "Change (points)", "n answering"],
            [
                [
                    f"{p.wave_title} ({p.opens_on:%b %Y})",
                    p.label,
                    _fmt(p.top_share),
                    as_shown(p.change, signed=True),
                    _fmt(p.n),
                ]
                for p in trend.points
            ],
        )
    )
    if trend.weakest:  # two waves to compare (greatest progress lists only rises)
        section.paragraphs.append(
            "Greatest progress: "
            + "; ".join(
                f"{p.label} ({as_shown(p.change, signed=True)} points)"
                for p in trend.greatest_progress[:3]
            )
            + "."
            if trend.greatest_progress
            else "Greatest progress: no statement's share in the top band has risen since "
            "the first wave."
        )
        section.paragraphs.append(
            "Weakest areas: "
            + "; ".join(
                f"{p.label} ({as_shown(p.latest_share, unit='%')})" for p in trend.weakest[:3]
            )
            + "."
        )
    chart = trend_chart(trend, get_timeline(db, actor, organisation_id))
    if chart is not None:
        section.figures.append(
            ReportFigure(
                chart_svg(chart),
                "Line chart of the share in the top band per statement across waves.",
                "Share in the top band over time.",
            )
        )
    section.withheld.extend(trend.notes)
    return section


def _benchmark_section(db: Database, actor: Actor, wave_id: int, k: int) -> ReportSection:
    rows = benchmark_wave(db, actor, wave_id, k)
    section = ReportSection("Benchmarks against other authorities")
    section.tables.append(
        ReportTable(
            "Share in the top band: us beside other authorities using the same survey",
            [
                "Statement",
                "Us",
                "Others: median",
                "Others: quartiles",
                "Authorities",
                "Statistical neighbours: median",
            ],
            [
                [
                    r.label,
                    _fmt(r.own_share),
                    _fmt(r.others.median),
                    "–"
                    if r.others.lower_quartile is None
                    else f"{as_shown(r.others.lower_quartile)}–{as_shown(r.others.upper_quartile)}",
                    str(r.others.contributors),
                    _fmt(r.neighbours.median),
                ]
                for r in rows
            ],
        )
    )
    if any(r.others.median is None for r in rows):
        section.withheld.append(
            "Comparisons are withheld where fewer than five other authorities contribute."
        )
    chart = benchmark_chart(rows)
    if chart is not None:
        section.figures.append(
            ReportFigure(
                chart_svg(chart),
                "Dot plot of our share in the top band against the "
                "other authorities' median and quartiles.",
                "How we compare.",
            )
        )
    return section


def _conference_feedback_section(
    db: Database, actor: Actor, organisation_id: int, k: int, today: dt.date
) -> ReportSection:
    """Feedback after child protection conferences, in the words of Brent's report (seed
    004 §3.17, §3.26: "216 professionals, average score of 8.8/10"): the financial year to
    date as far as the disclosure gate shows it, by agency and by quarter."""
    section = ReportSection("Feedback after child protection conferences")
    forms = [f for f in list_feedback_forms(db, actor, organisation_id) if f.form_id is not None]
    if not forms:
        section.paragraphs.append(
            "No conference feedback is collected yet. A lead can start a form, print its "
            "poster and type in paper forms on the Conference feedback forms page."
        )
        return section
    for form in forms:
        assert form.form_id is not None
        report = latest_feedback(db, actor, form.form_id, k, today=today)
        if report is None:
            section.paragraphs.append(
                f"{form.title}: no month with forms has ended yet, so there are no figures."
            )
            continue
        if not report.shown:
            section.withheld.append(f"{report.title}: {report.explanation}")
            continue
        section.paragraphs.append(f"{report.title}. {report.sentence()}")
        count, average = report.count_heading, report.mean_heading
        section.tables.append(
            ReportTable(
                f"{report.title}: scores given, {report.period.label}",
                ["Score", count, "% of forms"],
                [
                    [str(row.score), str(row.forms), as_shown(row.percent, unit="%")]
                    for row in report.distribution
                ],
            )
        )
        if report.by_breakdown and report.breakdown_label:
            section.tables.append(
                ReportTable(
                    f"{report.title}: by {report.breakdown_label.lower()}, {report.period.label}",
                    [report.breakdown_label, count, average],
                    [[row.label, str(row.n), as_shown(row.mean)] for row in report.by_breakdown],
                )
            )
        section.tables.append(
            ReportTable(
                f"{report.title}: by quarter of the financial year",
                ["Quarter", count, average],
                [
                    [
                        row.period.label,
                        str(row.n) if row.n is not None else "not shown",
                        as_shown(row.mean, missing="not shown"),
                    ]
                    for row in report.quarters
                ],
            )
        )
        section.withheld.extend(report.notes[1:])
    section.withheld.append(
        f"A period's figures appear once it has ended, {ENTRY_WINDOW_DAYS} days have passed "
        f"for paper forms to be typed in, and it holds at least {k} forms; a quarter shown "
        "as “not shown” has not ended or has too few forms on its own."
    )
    return section


def _retention_section(db: Database, actor: Actor, organisation_id: int, k: int) -> ReportSection:
    """Workforce and retention measures (DfE definitions), latest figures and the change."""
    section = ReportSection("Workforce and retention")
    reports = [r for r in measure_trend(db, actor, organisation_id, k) if r.measures]
    if not reports:
        section.paragraphs.append(
            "No workforce figures yet. Import a roster or enter summary figures on the "
            "workforce page."
        )
        return section
    latest = reports[-1]
    previous = reports[-2] if len(reports) > 1 else None
    before = {m.key: m for m in previous.measures} if previous else {}
    section.paragraphs.append(
        f"Figures as at {as_date(latest.as_of, long=True)}"
        + (f", compared with {as_date(previous.as_of, long=True)}." if previous else ".")
        + " Definitions follow the DfE children's social work workforce census."
    )
    section.tables.append(
        ReportTable(
            "Workforce measures",
            ["Measure", "Now", "Before", "How it is worked out"],
            [
                [
                    m.label,
                    m.display,
                    before[m.key].display if m.key in before else "–",
                    m.definition,
                ]
                for m in latest.measures
            ],
        )
    )
    hidden = [g.group for g in latest.by_team if g.people is None]
    if hidden:
        section.withheld.append(
            f"Team figures for {len(hidden)} team(s) are withheld (fewer than {k} people, or "
            "derivable by subtraction)."
        )
    return section


def _time_use_section(db: Database, actor: Actor, organisation_id: int, k: int) -> ReportSection:
    """Direct and indirect time and hours against contracted hours per team, from the
    latest closed diary period (or the latest period while none is closed)."""
    section = ReportSection("Time use")
    periods = list_periods(db, actor, organisation_id, min_group_size=k)
    if not periods:
        section.paragraphs.append(
            "No time diaries yet. A diary period can be launched on the Time diaries page."
        )
        return section
    closed = [p for p in periods if p.status is DiaryStatus.CLOSED]
    period = (closed or periods)[0]
    report = time_use_report(db, actor, period.id, k)
    overall = report.overall
    section.paragraphs.append(
        f"From the diary period “{report.title}”, {as_date(report.starts_on, long=True)} to "
        f"{as_date(report.ends_on, long=True)}"
        + ("" if report.status is DiaryStatus.CLOSED else " (still open)")
        + f": {report.participants} people took part"
        + (f", {overall.workers} recorded time" if overall.shown else "")
        + (
            f", and {as_shown(report.completion, unit='%')} of their weekdays have entries."
            if report.completion is not None
            else "."
        )
    )
    if not overall.shown:
        section.withheld.append(
            f"The figures are withheld: fewer than {k} people recorded time in this period."
        )
        return section
    section.paragraphs.append(
        f"{as_shown(overall.direct_share, unit='%')} of recorded time was direct work with "
        f"children and families (published benchmark: about {BENCHMARKS['direct_share']:g}% "
        f"face to face) and {as_shown(overall.admin_share, unit='%')} recording and "
        f"administration (about {BENCHMARKS['admin_share']:g}%). Staff worked "
        f"{as_shown(overall.hours_per_week)} hours a week on average against "
        f"{as_shown(overall.contracted_per_week)} contracted (published: "
        f"{BENCHMARKS['hours_worked']:g} against {BENCHMARKS['hours_contracted']:g}); "
        f"{as_shown(overall.hours_per_fte_week)} hours per full-time-equivalent week."
    )
    section.paragraphs.append(
        "Shares are of recorded time. A week is five weekdays; hours worked a week are each "
        "worker's recorded hours divided by the weeks in the period, averaged over those who "
        "recorded anything; contracted hours come from the roster (FTE × 37)."
    )
    chart = time_share_chart(report.activity_frame(by="group"))
    if chart is not None:
        direct_groups = [g for g in [overall, *report.by_team] if g.shown]
        section.figures.append(
            ReportFigure(
                chart_svg(chart),
                "Stacked bar chart of the share of recorded time by activity. "
                + "; ".join(
                    f"{g.name.strip()}: {as_shown(g.direct_share, unit='%')} direct work"
                    for g in direct_groups
                )
                + ".",
                "Share of recorded time by activity, for all teams and each team shown.",
            )
        )
    shares = report.share_table()
    section.tables.append(
        ReportTable(
            "Share of recorded time by activity (%)",
            ["Group", *[str(c) for c in shares.columns]],
            [
                [str(group).strip(), *map(str, row)]
                for group, row in zip(shares.index, shares.to_numpy(), strict=True)
            ],
        )
    )
    shown = [g for g in [overall, *report.by_team] if g.shown]
    section.tables.append(
        ReportTable(
            "Direct and indirect time, hours worked and contracted hours by team",
            [
                "Group",
                "Workers",
                "Direct work %",
                "Indirect %",
                "Recording and admin %",
                "Hours worked a week",
                "Contracted hours a week",
                "Hours per FTE week",
            ],
            [
                [
                    g.name.strip(),
                    str(g.workers),
                    as_shown(g.direct_share),
                    as_shown(100 - exact(g.direct_share or 0)),
                    as_shown(g.admin_share),
                    as_shown(g.hours_per_week),
                    as_shown(g.contracted_per_week),
                    as_shown(g.hours_per_fte_week),
                ]
                for g in shown
            ],
        )
    )
    hidden = [g.name.strip() for g in report.by_team if g.status == "withheld"]
    if hidden:
        section.withheld.append(
            f"Figures for {len(hidden)} team(s) are withheld because fewer than {k} people "
            "recorded time or their figures could be worked out by subtraction: "
            + ", ".join(hidden)
            + "."
        )
    compared = compare_with_others(db, actor, period.id, k, own=report)
    if compared[0].others.median is None:
        section.withheld.append(
            "The comparison with other authorities is withheld: fewer than five of them have "
            f"closed a diary period with at least {k} people recording."
        )
    else:
        frame = benchmark_frame(compared, "Work", "Us")
        section.tables.append(
            ReportTable(
                "Share of recorded time: us beside other authorities' latest diary periods",
                ["Work", *[str(c) for c in frame.columns]],
                [
                    [str(i), *map(str, row)]
                    for i, row in zip(frame.index, frame.to_numpy(), strict=True)
                ],
            )
        )
    return section


def _self_profile_section(db: Database, actor: Actor, organisation_id: int) -> ReportSection:
    """Agreed self-profile scores by domain across rounds, with greatest progress."""
    section = ReportSection("Self-profile of the implementation")
    progress = progress_report(db, actor, organisation_id)
    if progress is None or not progress.rounds:
        section.paragraphs.append("No closed self-profiling round yet.")
        return section
    wide = progress.wide()
    section.tables.append(
        ReportTable(
            f"Agreed scores (0–10) by domain, {progress.instrument}",
            ["Domain", *[str(c) for c in wide.columns]],
            [
                [str(domain), *[as_shown(v) for v in row]]
                for domain, row in zip(wide.index, wide.to_numpy(), strict=True)
            ],
        )
    )
    gains = progress.greatest_progress()
    if not gains.empty:
        section.paragraphs.append(
            "Greatest progress since the first round: "
            + "; ".join(
                f"{d} ({as_shown(c, signed=True)})"
                for d, c in zip(gains["Domain"][:3], gains["Change"][:3], strict=True)
            )
            + "."
        )
    elif len(progress.rounds) >= 2:
        section.paragraphs.append("Greatest progress: no domain has risen since the first round.")
    for flag in progress.sustainment_flags():
        section.paragraphs.append("Sustainment: " + flag.message)
    return section


@dataclass
class OutcomeBlock:
    heading: str
    sentences: list[str]
    figure: ReportFigure | None
    table: ReportTable
    notes: list[str]


@dataclass
class OutcomesSection:
    """Rendered by its own template (``outcomes_section.html.j2``)."""

    heading: str
    caution_heading: str
    caution: str
    fictional: str
    paragraphs: list[str] = field(default_factory=list)
    blocks: list[OutcomeBlock] = field(default_factory=list)
    source: str = ""


def _outcomes_section(db: Database, actor: Actor, organisation_id: int) -> OutcomesSection:
    """DfE's outcome indicators beside the implementation: a sentence in the shape of
    Brent's report, a chart with the SoS phases and its numbers, and the change since the
    start beside the neighbours' change; association, not effect."""
    report = outcome_report(db, actor, organisation_id)
    section = OutcomesSection(
        "Outcomes beside the implementation",
        CAUTION_HEADING,
        CAUTION,
        FICTIONAL if report.fictional else "",
    )
    if report.missing:
        section.paragraphs.append(report.missing)
    if report.neighbours:
        section.paragraphs.append(
            "Statistical neighbours (DfE's model): "
            + ", ".join(f"{n.name} ({n.closeness.lower()})" for n in report.neighbours)
            + ". The neighbours' figure is the mean of those with a figure that year."
        )
    for series in report.indicators:
        frame = series.table()
        if frame.empty:
            continue
        chart = outcome_chart(series, report.timeline)
        latest = series.latest
        figure = None
        if chart is not None and latest is not None:
            figure = ReportFigure(
                chart_svg(chart.properties(width=600)),
                f"Line chart of {series.definition.label.lower()} by year for "
                f"{series.authority_name}, its statistical neighbours"
                + (f", {series.region_name}" if series.region_name else "")
                + " and England. "
                + series.sentence(),
                series.definition.label
                + (", with the implementation phases shaded" if report.timeline.phases else "")
                + (
                    " and the Signs of Safety start marked"
                    if report.timeline.sos_start_date
                    else ""
                )
                + ".",
            )
        section.blocks.append(
            OutcomeBlock(
                series.definition.label,
                [series.definition.description, series.sentence(), *series.comparison_sentences()],
                figure,
                ReportTable(
                    f"{series.definition.label} by year",
                    ["Year", *[str(c) for c in frame.columns]],
                    [
                        [str(year), *map(str, row)]
                        for year, row in zip(frame.index, frame.to_numpy(), strict=True)
                    ],
                ),
                [note for note in [series.population_note, *series.not_available_notes()] if note],
            )
        )
    if report.files:
        section.source = (
            "Source: Department for Education, Explore Education Statistics ("
            + ", ".join(report.files)
            + "); contains public sector information licensed under the Open Government "
            "Licence v3.0."
        )
    return section


def _training_section(
    db: Database, actor: Actor, organisation_id: int, k: int, today: dt.date
) -> ReportSection:
    """Training coverage of current staff (shares only), by team beside confidence, and
    the number of in-house trainers against the target."""
    section = ReportSection("Training and in-house trainers")
    coverage = coverage_report(db, actor, organisation_id, k, today=today, shares_only=True)
    if coverage.roster_date is None:
        section.paragraphs.append(
            "No roster yet: training coverage is worked out from the latest roster of staff."
        )
    else:
        section.paragraphs.append(
            f"Shares of the {coverage.staff} staff in post on the roster of "
            f"{as_date(coverage.roster_date, long=True)} (leavers no longer count), on "
            f"{as_date(today, long=True)}."
        )
        section.tables.append(
            ReportTable(
                "Staff trained to each level",
                ["Level", "Trained", "Refresher due", "Target"],
                [
                    [
                        level.label,
                        as_shown(level.share, unit="%", missing=TOO_FEW),
                        as_shown(level.due_share, unit="%", missing=TOO_FEW),
                        as_shown(level.target, unit="%"),
                    ]
                    for level in coverage.levels
                ],
            )
        )
        beside = coverage_beside_confidence(db, actor, organisation_id, k, today=today)
        if beside.wave_title is not None and beside.teams:
            section.tables.append(
                ReportTable(
                    f"By team: trained beside confidence ({beside.wave_title}, % in the "
                    f"{beside.top_band_label} band)",
                    ["Team", "Introduction", "Advanced", *beside.statements],
                    [
                        [
                            team.team,
                            as_shown(team.trained["introduction"], unit="%", missing=TOO_FEW),
                            as_shown(team.trained["advanced"], unit="%", missing=TOO_FEW),
                            *[
                                as_shown(team.top_band.get(text), unit="%", missing=TOO_FEW)
                                for text in beside.statements
                            ],
                        ]
                        for team in beside.teams
                    ],
                )
            )
        section.withheld.append(
            f"A team's shares are withheld when it has fewer than {k} staff in post (or "
            "respondents), or when they could be worked out by subtraction."
        )
    trainers = trainer_count(db, actor, organisation_id, today=today)
    section.paragraphs.append(
        f"In-house trainers (booked on train-the-trainer or licensed): {trainers.trainers}"
        + (f", against a target of {trainers.target}." if trainers.target is not None else ".")
    )
    return section


def scrutiny_report(
    db: Database,
    actor: Actor,
    organisation_id: int,
    wave_id: int,
    k: int,
    today: dt.date | None = None,
) -> str:
    """The report for one wave as a standalone HTML document."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    organisation = next(
        (o.name for o in list_organisations(db, actor) if o.id == organisation_id), None
    )
    wave = next((w for w in list_waves(db, actor, organisation_id) if w.id == wave_id), None)
    if organisation is None or wave is None:
        raise NotFound("No such survey wave in this organisation.")
    counts = load_wave_counts(db, actor, wave_id)
    sections = [
        _confidence_section(db, actor, wave_id, k),
        _trend_section(db, actor, organisation_id, counts.definition.code, k),
        _benchmark_section(db, actor, wave_id, k),
        _conference_feedback_section(db, actor, organisation_id, k, today or dt.date.today()),
        _retention_section(db, actor, organisation_id, k),
        _time_use_section(db, actor, organisation_id, k),
        _training_section(db, actor, organisation_id, k, today or dt.date.today()),
        _self_profile_section(db, actor, organisation_id),
    ]
    return _templates.get_template("scrutiny_report.html.j2").render(
        title=f"Signs of Safety implementation: {wave.title}",
        organisation=organisation,
        period=f"{as_date(wave.opens_on, long=True)} to {as_date(wave.closes_on, long=True)}",
        produced=f"{as_date(today or dt.date.today(), long=True)}",
        k=k,
        sections=sections,
        outcomes=_outcomes_section(db, actor, organisation_id),
    )


TOO_FEW_AUTHORITIES = "too few authorities"


def benchmark_sheet(rows: list[BenchmarkRow], statements: Mapping[str, str]) -> pd.DataFrame:
    """The benchmarks as a workbook sheet: a row per statement (its short label and its
    words), figures as numbers, and words where a figure is withheld."""

    def figure(value: float | int | None, missing: str) -> object:
        return missing if value is None else value

    return pd.DataFrame.from_records(
        [
            {
                "Short label": row.label,
                "Statement": statements.get(row.item_code, row.label),
                "Top band": row.top_band,
                "Us: % in top band": figure(row.own_share, TOO_FEW),
                "Us: n answering": figure(row.own_n, TOO_FEW),
                "Other authorities: median %": figure(row.others.median, TOO_FEW_AUTHORITIES),
                "Other authorities: lower quartile %": figure(
                    row.others.lower_quartile, TOO_FEW_AUTHORITIES
                ),
                "Other authorities: upper quartile %": figure(
                    row.others.upper_quartile, TOO_FEW_AUTHORITIES
                ),
                "Other authorities compared": figure(row.others.contributors, "none"),
                "Statistical neighbours: median %": figure(
                    row.neighbours.median, TOO_FEW_AUTHORITIES
                ),
                "Statistical neighbours compared": figure(row.neighbours.contributors, "none"),
            }
            for row in rows
        ],
        columns=[
            "Short label",
            "Statement",
            "Top band",
            "Us: % in top band",
            "Us: n answering",
            "Other authorities: median %",
            "Other authorities: lower quartile %",
            "Other authorities: upper quartile %",
            "Other authorities compared",
            "Statistical neighbours: median %",
            "Statistical neighbours compared",
        ],
    )


def dashboard_workbook(
    db: Database,
    actor: Actor,
    organisation_id: int,
    wave_id: int,
    group: int,
    k: int,
    filters: Mapping[str, str] | None = None,
) -> bytes:
    """Every table of the dashboard in one XLSX: band tables (for the chosen team and
    filters), by team, the trend across waves and the benchmarks, each under the same
    disclosure control as on screen."""
    counts = load_wave_counts(db, actor, wave_id)
    trend = instrument_trend(db, actor, organisation_id, counts.definition.code, k)
    extra = {
        "Trend": pd.DataFrame.from_records(
            [
                {
                    "Wave": point.wave_title,
                    "Opened": point.opens_on,
                    "Version": point.version,
                    "Statement": point.label,
                    "n answering": point.n if point.n is not None else TOO_FEW,
                    "% in the top band": point.top_share
                    if point.top_share is not None
                    else TOO_FEW,
                    "Change (points)": point.change,
                }
                for point in trend.points
            ],
            columns=[
                "Wave",
                "Opened",
                "Version",
                "Statement",
                "n answering",
                "% in the top band",
                "Change (points)",
            ],
        ),
        "Benchmarks": benchmark_sheet(
            benchmark_wave(db, actor, wave_id, k),
            {item.code: item.text for item in counts.definition.items},
        ),
    }
    return wave_workbook(counts, group, k, filters, extra)
