"""Progress across self-profiling rounds, readiness by team and the comparison between
authorities by experience.

A domain's score in a round is the mean of its items' agreed scores, rounded half-up to
one decimal. Only closed rounds count, and only rounds of one instrument version are
compared (a changed wording is a new version).

Rankings follow seed 002, which reported where pilots made the *greatest progress* and
the *weakest areas*: greatest progress ranks the domains that rose since the first round
(largest rise first; a domain that stayed level or fell is not progress and is left out),
weakest areas by the latest level (lowest first); ties keep the instrument's order.

Sustainment flag (the What Works review asks whether implementation lasts as novelty
wears off): a domain is flagged when, after reaching ``HIGH_LEVEL`` or more in an earlier
round, its latest score is at least ``SUSTAINMENT_DROP`` below that peak.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, list_teams, require
from sos_workforce.core.db import Database
from sos_workforce.core.enums import ExperienceBand, Role, RoundStatus
from sos_workforce.core.errors import NotFound
from sos_workforce.core.figures import as_shown, change, exact, half_up, percent
from sos_workforce.core.models import (
    AgreedScore,
    Organisation,
    ProfileInstrumentVersion,
    ProfileRound,
    Wave,
    WaveTeam,
)
from sos_workforce.privacy import MIN_COMPARATORS
from sos_workforce.profiling.instrument import ProfileDefinition, profile_definition_of
from sos_workforce.profiling.rounds import fewer_than
from sos_workforce.profiling.timeline import Timeline, experience_band, get_timeline
from sos_workforce.surveys import TOO_FEW, load_wave_counts

HIGH_LEVEL = 7.0  # a domain at or above this has been "reached"
SUSTAINMENT_DROP = 1.0  # a fall of at least this much from the peak raises the flag
MIN_ORGANISATIONS = MIN_COMPARATORS  # fewest authorities behind a cross-authority median


def domain_scores(definition: ProfileDefinition, agreed: Mapping[str, int]) -> dict[str, float]:
    """Domain code → mean agreed item score; domains with no agreed item are left out."""
    scores = {}
    for domain in definition.domains:
        values = [agreed[item.code] for item in domain.items if item.code in agreed]
        if values:
            scores[domain.code] = half_up(exact(sum(values)) / len(values))
    return scores


@dataclass(frozen=True)
class RoundPoint:
    id: int
    title: str
    held_on: dt.date
    phase: str | None
    band: ExperienceBand | None


@dataclass(frozen=True)
class SustainmentFlag:
    domain: str
    peak: float
    peak_round: str
    latest: float

    @property
    def message(self) -> str:
        return (
            f"{self.domain} reached {as_shown(self.peak)} in {self.peak_round} and is now "
            f"{as_shown(self.latest)}."
        )


@dataclass(frozen=True)
class ProgressReport:
    instrument: str
    domains: list[tuple[str, str]]  # (code, title) in instrument order
    rounds: list[RoundPoint]  # oldest first
    scores: pd.DataFrame  # one row per (round, domain)
    other_version_rounds: int

    def wide(self) -> pd.DataFrame:
        """Domains down, rounds across: the table beside the timeline chart."""
        table = self.scores.pivot(index="domain", columns="round", values="score")
        titles = [title for _, title in self.domains]
        table = table.reindex(index=titles, columns=[r.title for r in self.rounds])
        return table.rename_axis(index="Domain", columns=None)

    def _series(self) -> dict[str, list[float]]:
        by_domain: dict[str, list[float]] = defaultdict(list)
        ordered = self.scores.sort_values(["held_on", "round_id"])
        for domain, score in zip(ordered["domain"], ordered["score"], strict=True):
            by_domain[str(domain)].append(float(score))
        return by_domain

    def _changes(self) -> list[tuple[str, float, float, float]]:
        """(domain, first, latest, change) in the instrument's order; none with one round."""
        if len(self.rounds) < 2:
            return []
        series = self._series()
        return [
            (
                title,
                series[title][0],
                series[title][-1],
                change(series[title][-1], series[title][0]),
            )
            for _, title in self.domains
            if title in series
        ]

    def changes_since_first(self) -> pd.DataFrame:
        """Every domain's first and latest score and the change between them, in the
        instrument's order (needs two rounds)."""
        return pd.DataFrame(self._changes(), columns=["Domain", "First", "Latest", "Change"])

    def greatest_progress(self) -> pd.DataFrame:
        """The domains that rose since the first round, largest rise first (needs two
        rounds). A domain that stayed level or fell is not progress: it is left out, so
        the table is empty when nothing rose."""
        rows = [row for row in self._changes() if row[3] > 0]
        rows.sort(key=lambda row: -row[3])  # stable: ties keep instrument order
        return pd.DataFrame(
            [
                {"Rank": rank, "Domain": d, "First": f, "Latest": latest, "Change": c}
                for rank, (d, f, latest, c) in enumerate(rows, start=1)
            ],
            columns=["Rank", "Domain", "First", "Latest", "Change"],
        )

    def weakest_areas(self) -> pd.DataFrame:
        """Latest level, lowest first."""
        series = self._series()
        rows = [(title, series[title][-1]) for _, title in self.domains if title in series]
        rows.sort(key=lambda row: row[1])
        return pd.DataFrame(
            [
                {"Rank": rank, "Domain": d, "Latest": latest}
                for rank, (d, latest) in enumerate(rows, start=1)
            ]
        )

    def latest_vs_previous(self) -> pd.DataFrame:
        """Each domain's previous and latest score (empty with fewer than two rounds)."""
        if len(self.rounds) < 2:
            return pd.DataFrame(columns=["Domain", "Previous", "Latest", "Change"])
        series = self._series()
        return pd.DataFrame(
            [
                {
                    "Domain": title,
                    "Previous": series[title][-2],
                    "Latest": series[title][-1],
                    "Change": change(series[title][-1], series[title][-2]),
                }
                for _, title in self.domains
                if len(series.get(title, [])) >= 2
            ]
        )

    def sustainment_flags(self) -> list[SustainmentFlag]:
        round_titles = [r.title for r in self.rounds]
        flags = []
        for title, values in self._series().items():
            if len(values) < 2:
                continue
            earlier = values[:-1]
            peak = max(earlier)
            if peak >= HIGH_LEVEL and change(peak, values[-1]) >= SUSTAINMENT_DROP:
                flags.append(
                    SustainmentFlag(title, peak, round_titles[earlier.index(peak)], values[-1])
                )
        order = [title for _, title in self.domains]
        return sorted(flags, key=lambda flag: order.index(flag.domain))


def _closed_rounds(session: Session, organisation_id: int) -> list[ProfileRound]:
    return list(
        session.scalars(
            select(ProfileRound)
            .where(
                ProfileRound.organisation_id == organisation_id,
                ProfileRound.status == RoundStatus.CLOSED,
            )
            .order_by(ProfileRound.held_on, ProfileRound.id)
        )
    )


def _agreed(session: Session, round_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    agreed: dict[int, dict[str, int]] = defaultdict(dict)
    for round_id, code, score in session.execute(
        select(AgreedScore.round_id, AgreedScore.item_code, AgreedScore.score).where(
            AgreedScore.round_id.in_(list(round_ids))
        )
    ):
        agreed[round_id][code] = score
    return agreed


def build_progress(
    definition: ProfileDefinition,
    instrument: str,
    rounds: Sequence[tuple[int, str, dt.date]],
    agreed: Mapping[int, Mapping[str, int]],
    timeline: Timeline | None = None,
    other_version_rounds: int = 0,
) -> ProgressReport:
    """The report for rounds (id, title, date) of one instrument version, oldest first."""
    titles = {domain.code: domain.title for domain in definition.domains}
    points, records = [], []
    for round_id, title, held_on in rounds:
        phase = timeline.phase_on(held_on) if timeline else None
        points.append(
            RoundPoint(
                round_id,
                title,
                held_on,
                phase.label if phase else None,
                timeline.band_on(held_on) if timeline else None,
            )
        )
        for code, score in domain_scores(definition, agreed.get(round_id, {})).items():
            records.append(
                {
                    "round_id": round_id,
                    "round": title,
                    "held_on": held_on,
                    "domain_code": code,
                    "domain": titles[code],
                    "score": score,
                }
            )
    return ProgressReport(
        instrument=instrument,
        domains=list(titles.items()),
        rounds=points,
        scores=pd.DataFrame.from_records(
            records, columns=["round_id", "round", "held_on", "domain_code", "domain", "score"]
        ),
        other_version_rounds=other_version_rounds,
    )


def _version_label(version: ProfileInstrumentVersion) -> str:
    return f"{version.title} (v{version.version})"


def progress_report(db: Database, actor: Actor, organisation_id: int) -> ProgressReport | None:
    """Progress across the closed rounds that share the latest closed round's instrument
    version; ``None`` before any round has closed."""
    timeline = get_timeline(db, actor, organisation_id)  # checks role and organisation
    with db.read() as session:
        rounds = _closed_rounds(session, organisation_id)
        if not rounds:
            return None
        version = rounds[-1].instrument_version
        same = [r for r in rounds if r.instrument_version_id == version.id]
        agreed = _agreed(session, [r.id for r in same])
        return build_progress(
            profile_definition_of(version),
            _version_label(version),
            [(r.id, r.title, r.held_on) for r in same],
            agreed,
            timeline,
            other_version_rounds=len(rounds) - len(same),
        )


# --- readiness --------------------------------------------------------------------------


@dataclass(frozen=True)
class Readiness:
    """Per team, staff confidence bands beside the organisation's profile. Deliberately no
    combined score: each part is shown as it is."""

    wave_title: str
    teams: pd.DataFrame
    profile: pd.DataFrame | None
    profile_round: str | None


def readiness(
    db: Database, actor: Actor, organisation_id: int, wave_id: int, *, min_group_size: int
) -> Readiness:
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        wave = session.get(Wave, wave_id)
        if wave is None or wave.organisation_id != organisation_id:
            raise NotFound("No such survey wave in this organisation.")
        wave_title = wave.title
        wave_team_ids = set(
            session.scalars(select(WaveTeam.team_id).where(WaveTeam.wave_id == wave_id))
        )
    teams = [t for t in list_teams(db, actor, organisation_id) if t.id in wave_team_ids]
    counts = load_wave_counts(db, actor, wave_id)  # once: every team reads the same tallies
    rows = []
    for team in teams:
        record: dict[str, object] = {"Team": team.name}
        # A team's row includes its sub-teams, as everywhere else in the reports.
        tables = counts.tables_for(team.id, min_group_size)
        respondents = tables[0].respondents if tables else None
        record["Respondents"] = (
            str(respondents) if respondents is not None else fewer_than(min_group_size)
        )
        for table in tables:
            bands = " / ".join(table.band_labels)
            for row in table.rows:
                record[f"{row.label} ({bands} %)"] = (
                    # Whole percents, half up on the counts (not on the rounded tenths).
                    " / ".join(as_shown(percent(c, row.n, 0), places=0) for c in row.counts)
                    if row.counts and row.n
                    else TOO_FEW
                )
        rows.append(record)
    report = progress_report(db, actor, organisation_id)
    profile = None
    if report is not None:
        latest = report.weakest_areas().set_index("Domain")["Latest"]
        profile = pd.DataFrame({"Domain": [title for _, title in report.domains]})
        profile["Latest score"] = profile["Domain"].map(latest)
        if len(report.rounds) >= 2:
            change = report.changes_since_first().set_index("Domain")["Change"]
            profile["Change since first round"] = profile["Domain"].map(change)
    return Readiness(
        wave_title=wave_title,
        teams=pd.DataFrame(rows),
        profile=profile,
        profile_round=report.rounds[-1].title if report else None,
    )


# --- many organisations -----------------------------------------------------------------


@dataclass(frozen=True)
class ExperienceComparison:
    instrument: str
    organisations_by_band: dict[ExperienceBand, int]
    without_start_date: int
    own_band: ExperienceBand | None
    table: pd.DataFrame  # Domain, This organisation, then one column per band

    def shown_bands(self) -> list[ExperienceBand]:
        return [b for b, n in self.organisations_by_band.items() if n >= MIN_ORGANISATIONS]


def band_medians(
    definition: ProfileDefinition,
    latest_by_organisation: Mapping[int, tuple[ExperienceBand | None, Mapping[str, int]]],
) -> tuple[dict[ExperienceBand, int], dict[ExperienceBand, dict[str, float]]]:
    """Per band, how many organisations contribute and (only where at least
    ``MIN_ORGANISATIONS`` do) the median of their domain scores."""
    by_band: dict[ExperienceBand, list[dict[str, float]]] = defaultdict(list)
    for band, agreed in latest_by_organisation.values():
        if band is not None:
            by_band[band].append(domain_scores(definition, agreed))
    counts = {band: len(by_band.get(band, [])) for band in ExperienceBand}
    medians: dict[ExperienceBand, dict[str, float]] = {}
    for band, profiles in by_band.items():
        if len(profiles) < MIN_ORGANISATIONS:
            continue
        medians[band] = {}
        for domain in definition.domains:
            values = [p[domain.code] for p in profiles if domain.code in p]
            if len(values) >= MIN_ORGANISATIONS:
                medians[band][domain.code] = half_up(statistics.median(map(exact, values)))
    return counts, medians


def experience_comparison(
    db: Database, actor: Actor, organisation_id: int
) -> ExperienceComparison | None:
    """Domain medians of every authority's latest closed round on this organisation's
    instrument version, grouped by experience band at the round's date."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        own_rounds = _closed_rounds(session, organisation_id)
        if not own_rounds:
            return None
        version = own_rounds[-1].instrument_version
        definition = profile_definition_of(version)
        latest: dict[int, tuple[ProfileRound, dt.date | None]] = {}
        for profile_round, start in session.execute(
            select(ProfileRound, Organisation.sos_start_date)
            .join(Organisation, Organisation.id == ProfileRound.organisation_id)
            .where(
                ProfileRound.instrument_version_id == version.id,
                ProfileRound.status == RoundStatus.CLOSED,
            )
            .order_by(ProfileRound.held_on, ProfileRound.id)
        ):
            latest[profile_round.organisation_id] = (profile_round, start)
        agreed = _agreed(session, [r.id for r, _ in latest.values()])
        instrument = _version_label(version)
        banded = {
            org_id: (experience_band(start, r.held_on), agreed.get(r.id, {}))
            for org_id, (r, start) in latest.items()
        }
    counts, medians = band_medians(definition, banded)
    own = domain_scores(definition, banded[organisation_id][1])
    table = pd.DataFrame({"Domain": [domain.title for domain in definition.domains]})
    table["This organisation"] = [own.get(domain.code) for domain in definition.domains]
    for band in ExperienceBand:
        table[band.label] = [
            medians[band].get(domain.code) if band in medians else None
            for domain in definition.domains
        ]
    return ExperienceComparison(
        instrument=instrument,
        organisations_by_band=counts,
        without_start_date=sum(band is None for band, _ in banded.values()),
        own_band=banded[organisation_id][0],
        table=table,
    )
