"""Band tables: per item, the share of answers in each band, of those who answered.

This is the table of Brent's scrutiny report (seed 004, section 3.35): each statement, the
% in 1–3 / 4–6 / 7–10, with n answering. A group (or item) answered by fewer than the
minimum group size shows "too few responses", never numbers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sos_workforce.access import Actor, require, team_tree
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role, WaveStatus
from sos_workforce.core.errors import InvalidInput, NotFound
from sos_workforce.core.exports import frame_codebook, xlsx_bytes
from sos_workforce.core.figures import as_shown, half_up, percent, wilson_interval
from sos_workforce.core.models import (
    AnswerTally,
    InstrumentItem,
    RespondentTally,
    Response,
    Team,
    TrainingOptIn,
    Wave,
)
from sos_workforce.privacy import (
    MAX_FILTERS,
    GroupCount,
    cells_safe,
    suppress_filtered,
    suppress_tree,
)
from sos_workforce.surveys import release
from sos_workforce.surveys.instruments import InstrumentDefinition, ScaleItem, definition_of

TOO_FEW = "too few responses"


@dataclass(frozen=True)
class BandRow:
    item_code: str
    label: str
    text: str
    n: int | None  # None when suppressed
    counts: tuple[int, ...] | None
    percents: tuple[float, ...] | None
    intervals: tuple[tuple[float, float], ...] | None

    @property
    def suppressed(self) -> bool:
        return self.n is None


@dataclass(frozen=True)
class BandTable:
    title: str
    band_labels: tuple[str, ...]
    rows: list[BandRow]
    respondents: int | None  # None when the whole group is under the minimum
    min_group_size: int

    def to_frame(self) -> pd.DataFrame:
        """The table as people read it: statement, % per band, n answering."""
        records = []
        for row in self.rows:
            record: dict[str, object] = {"Statement": row.text}
            for index, band in enumerate(self.band_labels):
                record[f"{band} %"] = row.percents[index] if row.percents else TOO_FEW
            record["n answering"] = row.n if row.n is not None else TOO_FEW
            records.append(record)
        return pd.DataFrame.from_records(records)

    def display_frame(self) -> pd.DataFrame:
        """``to_frame`` formatted for reading: "72.3%", counts as whole numbers."""
        frame = self.to_frame()
        for band in self.band_labels:
            column = f"{band} %"
            frame[column] = [
                v if isinstance(v, str) else as_shown(v, unit="%") for v in frame[column]
            ]
        frame["n answering"] = [str(v) for v in frame["n answering"]]
        return frame.set_index("Statement")

    def long_frame(self) -> pd.DataFrame:
        """One row per shown (item, band): the data behind the chart."""
        records = [
            {
                "item": row.label,
                "statement": row.text,
                "band": band,
                "band_index": index,
                "percent": row.percents[index],
                "count": row.counts[index],
                "n": row.n,
                "ci_low": half_up(row.intervals[index][0]),
                "ci_high": half_up(row.intervals[index][1]),
            }
            for row in self.rows
            if row.percents and row.counts and row.intervals
            for index, band in enumerate(self.band_labels)
        ]
        return pd.DataFrame.from_records(records)


def band_row(item: ScaleItem, values: dict[int, int], min_group_size: int) -> BandRow:
    """The band row for one item from a histogram {value: count}."""
    n = sum(values.values())
    if n < min_group_size:
        return BandRow(item.code, item.label, item.text, None, None, None, None)
    counts = [0] * len(item.bands)
    for value, count in values.items():
        counts[item.band_of(value)] += count
    return BandRow(
        item_code=item.code,
        label=item.label,
        text=item.text,
        n=n,
        counts=tuple(counts),
        percents=tuple(percent(c, n) for c in counts),
        intervals=tuple(wilson_interval(c, n) for c in counts),
    )


def build_band_tables(
    definition: InstrumentDefinition,
    histograms: dict[str, dict[int, int]],
    respondents: int,
    min_group_size: int,
    hidden_items: Collection[str] = (),
) -> list[BandTable]:
    """Band tables for every scale item, one table per band scheme (e.g. 1–3/4–6/7–10).
    Items in ``hidden_items`` (withheld by disclosure control) show no numbers."""
    shown_respondents = None if respondents < min_group_size else respondents
    by_scheme: dict[tuple[str, ...], list[BandRow]] = defaultdict(list)
    for item in definition.items:
        if not isinstance(item, ScaleItem):
            continue
        scheme = tuple(band.label for band in item.bands)
        if shown_respondents is None or item.code in hidden_items:
            row = BandRow(item.code, item.label, item.text, None, None, None, None)
        else:
            row = band_row(item, histograms.get(item.code, {}), min_group_size)
        by_scheme[scheme].append(row)
    return [
        BandTable(definition.title, scheme, rows, shown_respondents, min_group_size)
        for scheme, rows in by_scheme.items()
    ]


# --- per-team figures under disclosure control ------------------------------------------

WHOLE_WAVE = 0  # the root of the team tree: everyone in the wave


# The respondent's own answers to the grouping questions, used as dashboard filters.
FILTER_FIELDS = ("staff_role", "employment_type", "tenure_band")
FILTER_LABELS = {
    "staff_role": "Role",
    "employment_type": "Employment type",
    "tenure_band": "Time with the authority",
}
Cell = tuple[int, str, str, str]  # team, staff_role, employment_type, tenure_band


@dataclass(frozen=True)
class WaveCounts:
    """Histograms per team and item for one wave, with the team tree they sit in.
    ``cells`` split each team by the respondents' grouping answers, for filters."""

    definition: InstrumentDefinition
    parents: dict[int, int]  # team → parent team, or WHOLE_WAVE for a top-level team
    names: dict[int, str]
    histograms: dict[int, dict[str, dict[int, int]]]  # team → item → value → count
    respondents: dict[int, int]
    cell_histograms: dict[Cell, dict[str, dict[int, int]]] = field(default_factory=dict)
    cell_respondents: dict[Cell, int] = field(default_factory=dict)
    release_step: int = 5
    status: WaveStatus = WaveStatus.CLOSED
    reopened: bool = False
    held_back: bool = False  # a closed wave keeps some late answers out of its figures
    # Per team, respondents who shared some answers by name with a request for support or
    # training: the gate counts a group as holding k people only when k shared nothing.
    known: dict[int, int] = field(default_factory=dict)

    @property
    def filters_withheld(self) -> str | None:
        """Why filters are not offered for this wave, or None when they are. Filtered
        groups cut across teams, so releases in steps of whole teams do not protect them:
        they are shown only once, on the closed wave, and never after a reopen."""
        if self.status is not WaveStatus.CLOSED:
            return (
                "Filters by role, employment type and time with the authority are offered "
                "once the wave has closed: while it is open, comparing filtered figures "
                "from one day to the next could show what one person said."
            )
        if self.reopened:
            return (
                "Filters are not offered for a wave that was reopened: its filtered figures "
                "before and after could be compared to show what the late answers said."
            )
        if self.known:
            return (
                "Filters are not offered for this wave: some respondents shared answers by "
                "name, and a filtered group could single out what else they said."
            )
        return None

    def filter_options(self) -> dict[str, list[str]]:
        """The answers given to each grouping question in this wave ("" = not answered);
        none while filters are withheld."""
        if self.filters_withheld is not None:
            return {}
        options: dict[str, set[str]] = {name: set() for name in FILTER_FIELDS}
        for _team, *answers in self.cell_respondents:
            for name, answer in zip(FILTER_FIELDS, answers, strict=True):
                if answer:
                    options[name].add(str(answer))
        return {name: sorted(values) for name, values in options.items() if values}

    def _filtered_shown(
        self, counts: Mapping[Cell, int], filters: Mapping[str, str], k: int
    ) -> set[int]:
        fields = [FILTER_FIELDS.index(name) + 1 for name in filters]
        wanted = list(filters.values())
        people = [
            (cell[0], tuple(cell[i] == v for i, v in zip(fields, wanted, strict=True)), n)
            for cell, n in counts.items()
        ]
        # A group is split by the filters only when every team in it has 0 or at least k
        # of its own members in every cell: the unfiltered tables show each team whole,
        # so beside one cell of a team the other follows by subtraction (with a zero cell
        # elsewhere, a filtered total minus whole teams isolates it).
        atoms: dict[int, dict[tuple[bool, ...], int]] = defaultdict(lambda: defaultdict(int))
        for team, matches, n in people:
            atoms[team][matches] += n
        unsafe = {team for team, cells in atoms.items() if not cells_safe(cells.values(), k)}
        parents: dict[int, int | None] = {WHOLE_WAVE: None}
        parents.update(self.parents)
        return {
            group
            for group in suppress_filtered(parents, people, k)
            if not self.members(group) & unsafe
        }

    def members(self, group: int) -> set[int]:
        """``group`` and every team below it (WHOLE_WAVE: every team)."""
        inside = {group}
        changed = True
        while changed:
            changed = False
            for team, parent in self.parents.items():
                if parent in inside and team not in inside:
                    inside.add(team)
                    changed = True
        return inside

    def shown_groups(self, own_counts: Mapping[int, int], k: int) -> set[int]:
        """Groups whose figure may be shown when each team holds ``own_counts`` people."""
        tree = {WHOLE_WAVE: GroupCount(None, 0)}
        tree.update(
            {
                team: GroupCount(parent, own_counts.get(team, 0))
                for team, parent in self.parents.items()
            }
        )
        return suppress_tree(tree, k, self.known)

    def answering(self, item_code: str) -> dict[int, int]:
        return {
            team: sum(items.get(item_code, {}).values()) for team, items in self.histograms.items()
        }

    def tables_for(
        self, group: int, k: int, filters: Mapping[str, str] | None = None
    ) -> list[BandTable]:
        """Band tables for one group (a team with its sub-teams, or the whole wave),
        optionally only for respondents matching ``filters`` (grouping field → answer, at
        most two). A filtered group is shown only when ``disclosure.suppress_filtered``
        allows it, for respondents and for each item's answers."""
        if filters:
            return self._filtered_tables(group, k, dict(filters))
        members = self.members(group)
        respondents = sum(self.respondents.get(team, 0) for team in members)
        if group not in self.shown_groups(self.respondents, k):
            respondents = 0  # withheld: would reveal a small group by difference
        merged: dict[str, dict[int, int]] = defaultdict(dict)
        for team in members:
            for code, histogram in self.histograms.get(team, {}).items():
                for value, count in histogram.items():
                    merged[code][value] = merged[code].get(value, 0) + count
        hidden = {
            item.code
            for item in self.definition.items
            if isinstance(item, ScaleItem)
            and group not in self.shown_groups(self.answering(item.code), k)
        }
        return build_band_tables(self.definition, merged, respondents, k, hidden)

    def _filtered_tables(self, group: int, k: int, filters: dict[str, str]) -> list[BandTable]:
        withheld = self.filters_withheld
        if withheld is not None:
            raise InvalidInput(withheld)
        unknown = set(filters) - set(FILTER_FIELDS)
        if unknown:
            raise InvalidInput(f"Unknown filter: {', '.join(sorted(unknown))}.")
        if len(filters) > MAX_FILTERS:
            raise InvalidInput(f"Combine at most {MAX_FILTERS} filters at a time.")
        members = self.members(group)
        fields = {FILTER_FIELDS.index(name) + 1: value for name, value in filters.items()}
        selected = [
            cell
            for cell in self.cell_respondents
            if cell[0] in members and all(cell[i] == v for i, v in fields.items())
        ]
        respondents = sum(self.cell_respondents[cell] for cell in selected)
        if group not in self._filtered_shown(self.cell_respondents, filters, k):
            respondents = 0
        merged: dict[str, dict[int, int]] = defaultdict(dict)
        for cell in selected:
            for code, histogram in self.cell_histograms.get(cell, {}).items():
                for value, count in histogram.items():
                    merged[code][value] = merged[code].get(value, 0) + count
        hidden = set()
        for item in self.definition.items:
            if not isinstance(item, ScaleItem):
                continue
            answering = {
                cell: sum(items.get(item.code, {}).values())
                for cell, items in self.cell_histograms.items()
            }
            if group not in self._filtered_shown(answering, filters, k):
                hidden.add(item.code)
        return build_band_tables(self.definition, merged, respondents, k, hidden)


def _wave_counts(session: Session, wave: Wave) -> WaveCounts:
    teams = session.execute(
        select(Team.id, Team.parent_id, Team.name).where(
            Team.organisation_id == wave.organisation_id
        )
    ).all()
    parents = {team_id: parent_id or WHOLE_WAVE for team_id, parent_id, _ in teams}
    # Plain Core rows for the tallies (thousands of them): no ORM result processing.
    connection = session.connection()
    rows = connection.execute(
        select(
            AnswerTally.team_id,
            AnswerTally.staff_role,
            AnswerTally.employment_type,
            AnswerTally.tenure_band,
            InstrumentItem.code,
            AnswerTally.value,
            AnswerTally.n,
        )
        .join(InstrumentItem, InstrumentItem.id == AnswerTally.item_id)
        .where(AnswerTally.wave_id == wave.id)
    ).all()
    histograms: dict[int, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    cell_histograms: dict[Cell, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for team_id, role, employment, tenure, code, value, count in rows:
        team_values = histograms[team_id][code]
        team_values[value] = team_values.get(value, 0) + int(count)
        cell_histograms[(team_id, role, employment, tenure)][code][value] = int(count)
    cell_respondents: dict[Cell, int] = {
        (team_id, role, employment, tenure): int(count)
        for team_id, role, employment, tenure, count in connection.execute(
            select(
                RespondentTally.team_id,
                RespondentTally.staff_role,
                RespondentTally.employment_type,
                RespondentTally.tenure_band,
                RespondentTally.n,
            ).where(RespondentTally.wave_id == wave.id)
        ).all()
    }
    respondents: dict[int, int] = defaultdict(int)
    for cell, count in cell_respondents.items():
        respondents[cell[0]] += count
    return WaveCounts(
        definition=definition_of(wave.instrument_version),
        parents=parents,
        names={team_id: name for team_id, _, name in teams},
        # Plain dicts, so the counts can be cached (pickled) by the UI.
        histograms={team: dict(items) for team, items in histograms.items()},
        respondents=dict(respondents),
        cell_histograms={cell: dict(items) for cell, items in cell_histograms.items()},
        cell_respondents=cell_respondents,
        release_step=wave.release_step,
        status=wave.status,
        reopened=wave.reopened,
        held_back=wave.status is WaveStatus.CLOSED
        and release.held_back(session.connection(), wave.id),
        known=named_by_team(session, wave.id),
    )


def named_by_team(session: Session, wave_id: int) -> dict[int, int]:
    """Per team, the wave's opt-ins that shared answers by name."""
    return release.shared_opt_ins(
        session.connection(), TrainingOptIn.team_id, TrainingOptIn.wave_id == wave_id
    )


def wave_data_stamp(db: Database, wave_id: int) -> tuple[int, int]:
    """(responses, highest response id) for a wave: changes whenever a response arrives,
    so a cache keyed on it is invalidated by new data."""
    with db.read() as session:
        count = session.scalar(
            select(func.coalesce(func.sum(RespondentTally.n), 0)).where(
                RespondentTally.wave_id == wave_id
            )
        )
        highest = session.scalar(
            select(func.coalesce(func.max(Response.id), 0)).where(Response.wave_id == wave_id)
        )
        return int(count or 0), int(highest or 0)


def load_wave_counts(db: Database, actor: Actor, wave_id: int) -> WaveCounts:
    with db.read() as session:
        wave = session.get(Wave, wave_id)
        if wave is None:
            raise NotFound("No such survey wave.")
        require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=wave.organisation_id)
        return _wave_counts(session, wave)


def wave_band_tables(
    db: Database,
    actor: Actor,
    wave_id: int,
    *,
    min_group_size: int,
    team_ids: Collection[int] | None = None,
) -> list[BandTable]:
    """Band tables for a wave, or for one team with its sub-teams (``team_ids`` must be
    exactly such a set), under disclosure control: a group whose figures could be derived
    by subtracting other shown groups shows "too few responses"."""
    counts = load_wave_counts(db, actor, wave_id)
    group = WHOLE_WAVE
    if team_ids is not None:
        chosen = set(team_ids)
        roots = [team for team in chosen if counts.parents.get(team) not in chosen]
        if len(roots) != 1 or counts.members(roots[0]) != chosen:
            raise InvalidInput("Choose one team (its sub-teams are included).")
        group = roots[0]
    return counts.tables_for(group, min_group_size)


SUPPRESSED = "suppressed"


def team_heatmap(counts: WaveCounts, k: int) -> pd.DataFrame:
    """Per team (with sub-teams) and item: the share in the top band, under disclosure
    control. Withheld cells keep their row with ``status`` "suppressed" so a chart can
    mark them rather than leave a blank."""
    records = []
    scale_items = [item for item in counts.definition.items if isinstance(item, ScaleItem)]
    visible = {
        item.code: counts.shown_groups(counts.answering(item.code), k) for item in scale_items
    }
    tree = team_tree(
        [(team, counts.names[team], parent or None) for team, parent in counts.parents.items()]
    )
    for team in tree:
        members = counts.members(team.id)
        for item in scale_items:
            n = sum(sum(counts.histograms.get(t, {}).get(item.code, {}).values()) for t in members)
            top = item.bands[-1]
            record: dict[str, object] = {
                "team": team.indented_name,
                "team_id": team.id,
                "item": item.label,
                "top_band": top.label,
            }
            if n == 0:
                record.update(status="no responses", n=None, top_share=None)
            elif team.id not in visible[item.code]:
                record.update(status=SUPPRESSED, n=None, top_share=None)
            else:
                in_top = sum(
                    count
                    for t in members
                    for value, count in counts.histograms.get(t, {}).get(item.code, {}).items()
                    if top.min <= value <= top.max
                )
                record.update(status="shown", n=n, top_share=percent(in_top, n))
            records.append(record)
    return pd.DataFrame.from_records(records)


BAND_TABLE_MEANINGS = {
    "Statement": "The statement respondents rated.",
    "n answering": "Respondents who answered this statement (skipped answers are excluded).",
    "Team": "Team, with its sub-teams (↳).",
    "Short label": "Short label of the statement.",
    "Top band": "The highest band of the scale (e.g. 7–10).",
    "% in top band": "% of those answering who chose a value in the top band.",
    "Status": "shown; withheld (fewer than the minimum, or derivable by subtraction); "
    "no responses.",
    "Wave": "The survey wave.",
    "Opened": "The day the wave opened.",
    "Version": "The version of the survey's wording (changes compare like with like).",
    "% in the top band": "% of those answering who chose a value in the top band.",
    "Change (points)": "Change since the previous wave in percentage points, where the "
    "two can be compared.",
    "Us: % in top band": "This authority's % of those answering in the top band.",
    "Us: n answering": "This authority's respondents answering the statement.",
    "Other authorities: median %": "The median of the other authorities' % in the top band.",
    "Other authorities: lower quartile %": "The lower quartile of the other authorities' %.",
    "Other authorities: upper quartile %": "The upper quartile of the other authorities' %.",
    "Other authorities compared": "How many other authorities' latest waves are compared.",
    "Statistical neighbours: median %": "The median of the statistical neighbours' %.",
    "Statistical neighbours compared": "How many statistical neighbours are compared.",
}
# The heat map's columns as the workbook heads them, and its statuses in words.
_BY_TEAM_COLUMNS = {
    "team": "Team",
    "item": "Short label",
    "top_band": "Top band",
    "top_share": "% in top band",
    "n": "n answering",
    "status": "Status",
}
_STATUS_WORDS = {SUPPRESSED: "withheld"}


def by_team_sheet(heatmap: pd.DataFrame) -> pd.DataFrame:
    """The heat map as a sheet: a row per team and statement, headed in words; a withheld
    or unanswered cell says so rather than showing a blank."""
    frame = heatmap.drop(columns=["team_id"], errors="ignore").rename(columns=_BY_TEAM_COLUMNS)
    if frame.empty:
        return frame
    frame["Team"] = [str(team).strip() for team in frame["Team"]]
    frame["Status"] = [_STATUS_WORDS.get(status, status) for status in frame["Status"]]
    frame["% in top band"] = [
        share if status == "shown" else status
        for share, status in zip(frame["% in top band"], frame["Status"], strict=True)
    ]
    frame["n answering"] = [
        n if status == "shown" else status
        for n, status in zip(frame["n answering"], frame["Status"], strict=True)
    ]
    return frame[list(_BY_TEAM_COLUMNS.values())]


def wave_workbook(
    counts: WaveCounts,
    group: int,
    k: int,
    filters: Mapping[str, str] | None = None,
    extra_sheets: Mapping[str, pd.DataFrame] | None = None,
) -> bytes:
    """The dashboard's tables as XLSX, with a codebook and the suppression rules stated.
    ``extra_sheets`` (e.g. trends, benchmarks) must already be under disclosure control."""
    sheets: dict[str, pd.DataFrame] = {}
    for index, table in enumerate(counts.tables_for(group, k, filters), 1):
        sheets[f"Bands {index}"] = table.to_frame()
    sheets["By team"] = by_team_sheet(team_heatmap(counts, k))
    sheets.update(extra_sheets or {})
    meanings = dict(BAND_TABLE_MEANINGS)
    meanings["Statement"] = f"The statement {counts.definition.audience_words} rated."
    for frame in sheets.values():
        for column in frame.columns:
            if str(column).endswith(" %"):
                meanings[str(column)] = f"% of those answering who chose {column[:-2]}."
    codebook = [entry for frame in sheets.values() for entry in frame_codebook(frame, meanings)]
    unique = list({entry.column: entry for entry in codebook}.values())
    notes = [
        f"No group smaller than {k} is shown. A group is also withheld when its figures "
        "could be worked out by subtracting other shown groups from a larger one.",
        "Percentages are rounded half-up to one decimal place.",
    ]
    if filters:
        notes.append(
            "Band tables are filtered to respondents who answered: "
            + "; ".join(f"{FILTER_LABELS[name]} = {value}" for name, value in filters.items())
            + ". A filtered group is withheld when any group it splits into is too small."
        )
    return xlsx_bytes(sheets, unique, notes)


@dataclass(frozen=True)
class ItemResult:
    wave_title: str
    opens_on: dt.date
    band_labels: tuple[str, ...]
    row: BandRow


def latest_item_result(
    db: Database, actor: Actor, organisation_id: int, item_code: str, k: int
) -> ItemResult | None:
    """The organisation-wide band row for ``item_code`` (e.g. ``intention_to_stay``) from
    the latest wave whose survey asks it; ``None`` when no survey asks it."""
    require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=organisation_id)
    with db.read() as session:
        found = session.execute(
            select(Wave.id, Wave.title, Wave.opens_on)
            .join(
                InstrumentItem, InstrumentItem.instrument_version_id == Wave.instrument_version_id
            )
            .where(Wave.organisation_id == organisation_id, InstrumentItem.code == item_code)
            .order_by(Wave.opens_on.desc(), Wave.id.desc())
            .limit(1)
        ).first()
    if found is None:
        return None
    wave_id, title, opens_on = found
    for table in load_wave_counts(db, actor, wave_id).tables_for(WHOLE_WAVE, k):
        for row in table.rows:
            if row.item_code == item_code:
                return ItemResult(title, opens_on, table.band_labels, row)
    return None
