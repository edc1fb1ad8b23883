"""Conference feedback by period: n, the mean to one decimal, the distribution, each
statement, by agency and by quarter, in the words of Brent's scrutiny report ("216
professionals, average score 8.8/10").

When a period is shown (the disclosure gate, ``privacy``):

- it has *ended*, and paper forms from its last conferences can no longer be typed in
  (``forms.ENTRY_WINDOW_DAYS`` after its last day), so its figures never change once shown
  and nobody can difference a live figure;
- its months hold at least k forms, in *blocks*: months are joined from the first one on
  into blocks of at least k forms (``privacy.period_blocks``), and a period is shown only
  when it takes each block whole. Any difference between two shown periods is then whole
  blocks of at least k forms; a collection that never closes still releases in steps.
- By agency, for periods of whole financial quarters (each shown on its own, so each is
  whole blocks): each quarter's agencies are grouped so every group holds 0 or at least k
  forms (``privacy.breakdown_groups``, complementary suppression included) and a period
  uses the finest grouping coarser than each of its quarters' (``privacy.join_groupings``):
  every agency figure shown is a sum of fixed (quarter, group) cells of 0 or at least k
  forms, and no agency figure is ever shown for part of a quarter, so no subtraction,
  across agencies or periods or from a total, isolates fewer than k. (Quarters, not
  months: a month holds too few forms per agency to show them apart.)
- A statement other than the headline (which every form answers) is shown only when each
  block of the period has 0 or at least k answers to it; comments only when the period
  takes whole blocks of at least 2k forms (the way people write can identify them).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

import pandas as pd
from sqlalchemy import select

from sos_workforce.access import Actor, require
from sos_workforce.core.dates import as_date
from sos_workforce.core.db import Database
from sos_workforce.core.enums import Role
from sos_workforce.core.errors import NotFound
from sos_workforce.core.exports import CodebookEntry, csv_bytes, xlsx_bytes
from sos_workforce.core.figures import as_shown, half_up, percent
from sos_workforce.core.models import (
    FeedbackComment,
    FeedbackEntry,
    FeedbackForm,
    FeedbackPending,
    Organisation,
)
from sos_workforce.feedback.forms import ENTRY_WINDOW_DAYS
from sos_workforce.feedback.periods import (
    FIRST_MONTH_OF_YEAR,
    Period,
    financial_year_of,
    month_start,
    months_between,
    months_period,
    quarter_of,
)
from sos_workforce.privacy import (
    breakdown_groups,
    cells_safe,
    join_groupings,
    period_blocks,
)
from sos_workforce.surveys import ChoiceItem, InstrumentDefinition, ScaleItem, definition_of

NOT_GIVEN = ""  # a form that skipped the breakdown question
WITHHELD = "withheld"


@dataclass(frozen=True)
class ScoreRow:
    """One statement (or a group's headline score): n answering and the mean, or why not."""

    label: str
    n: int | None
    mean: float | None  # rounded half up to one decimal
    note: str = ""


@dataclass(frozen=True)
class DistributionRow:
    score: int
    forms: int
    percent: float


@dataclass(frozen=True)
class QuarterRow:
    period: Period
    n: int | None
    mean: float | None
    note: str


@dataclass(frozen=True)
class FeedbackReport:
    """A form's feedback for one period, as far as the disclosure gate allows."""

    organisation: str
    title: str
    audience_words: str
    scale: tuple[int, int]
    period: Period
    k: int
    shown: bool
    explanation: str  # why nothing is shown (empty when shown)
    n: int | None = None
    mean: float | None = None
    distribution: list[DistributionRow] = field(default_factory=list)
    statements: list[ScoreRow] = field(default_factory=list)
    breakdown_label: str | None = None
    by_breakdown: list[ScoreRow] = field(default_factory=list)
    quarters: list[QuarterRow] = field(default_factory=list)
    comments: list[str] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def out_of(self) -> str:
        return f"/{self.scale[1]}"

    def sentence(self) -> str:
        """The headline in the words of Brent's report (seed 004 §3.17, §3.26)."""
        if not self.shown or self.n is None:
            return self.explanation
        return (
            f"Feedback from child protection conferences {self.period.words}: {self.n} "
            f"{self.audience_words}, average score {as_shown(self.mean)}{self.out_of}."
        )

    @property
    def count_heading(self) -> str:
        return f"Number of {self.audience_words}"

    @property
    def mean_heading(self) -> str:
        return f"Average score ({self.scale[0]} to {self.scale[1]})"

    def distribution_frame(self) -> pd.DataFrame:
        """The data behind the distribution chart."""
        return pd.DataFrame(
            [{"score": r.score, "forms": r.forms, "percent": r.percent} for r in self.distribution],
            columns=["score", "forms", "percent"],
        )

    def quarter_frame(self) -> pd.DataFrame:
        """The data behind the chart by quarter (withheld quarters have no mean)."""
        return pd.DataFrame(
            [
                {"quarter": r.period.label, "order": i, "mean": r.mean, "n": r.n}
                for i, r in enumerate(self.quarters)
            ],
            columns=["quarter", "order", "mean", "n"],
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """The report's tables as people read them (headings in the form's own words)."""
        count, average = self.count_heading, self.mean_heading
        summary = pd.DataFrame(
            [
                {
                    "Period": self.period.label,
                    "Form": self.title,
                    "Who answered": self.audience_words,
                    count: self.n if self.shown else WITHHELD,
                    average: self.mean if self.shown else WITHHELD,
                    "In words": self.sentence(),
                }
            ]
        )
        frames = {"Summary": summary}
        if not self.shown:
            return frames
        frames["Distribution"] = pd.DataFrame(
            [
                {"Score": row.score, count: row.forms, "% of forms": row.percent}
                for row in self.distribution
            ],
            columns=["Score", count, "% of forms"],
        )
        frames["Statements"] = _score_frame(self.statements, "Statement", count, average)
        if self.breakdown_label:
            frames[f"By {self.breakdown_label.lower()}"] = _score_frame(
                self.by_breakdown, self.breakdown_label, count, average
            )
        frames["By quarter"] = pd.DataFrame(
            [
                {
                    "Quarter": row.period.label,
                    count: row.n if row.n is not None else WITHHELD,
                    average: row.mean if row.mean is not None else WITHHELD,
                    "Note": row.note,
                }
                for row in self.quarters
            ],
            columns=["Quarter", count, average, "Note"],
        )
        return frames


def _score_frame(rows: Sequence[ScoreRow], heading: str, count: str, average: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                heading: row.label,
                count: row.n if row.n is not None else WITHHELD,
                average: row.mean if row.mean is not None else WITHHELD,
                "Note": row.note,
            }
            for row in rows
        ],
        columns=[heading, count, average, "Note"],
    )


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stored:
    organisation: str
    definition: InstrumentDefinition
    forms: list[tuple[dt.date, dict[str, int]]]
    comments: list[tuple[dt.date, str]]


def _load(db: Database, actor: Actor, form_id: int) -> _Stored:
    with db.read() as session:
        form = session.get(FeedbackForm, form_id)
        if form is None:
            raise NotFound("No such feedback form.")
        require(actor, Role.LEAD, Role.EXECUTIVE, organisation_id=form.organisation_id)
        forms: list[tuple[dt.date, dict[str, int]]] = []
        comments: list[tuple[dt.date, str]] = []
        for received_on, answers in session.execute(
            select(FeedbackEntry.received_on, FeedbackEntry.answers).where(
                FeedbackEntry.form_id == form_id
            )
        ):
            forms.append((received_on, dict(answers)))
        for received_on, body in session.execute(
            select(FeedbackComment.received_on, FeedbackComment.body).where(
                FeedbackComment.form_id == form_id
            )
        ):
            comments.append((received_on, body))
        # Forms still waiting to be moved count as well: the move never changes a figure.
        for received_on, answers, texts in session.execute(
            select(
                FeedbackPending.received_on, FeedbackPending.answers, FeedbackPending.texts
            ).where(FeedbackPending.form_id == form_id)
        ):
            forms.append((received_on, dict(answers)))
            comments.extend((received_on, str(body)) for _, body in texts)
        return _Stored(
            session.get_one(Organisation, form.organisation_id).name,
            definition_of(form.instrument_version),
            forms,
            comments,
        )


# --- the gate ----------------------------------------------------------------------------


def final_from(period: Period) -> dt.date:
    """The first day a period's figures can be shown: its end plus the entry window."""
    return period.ends_on + dt.timedelta(days=ENTRY_WINDOW_DAYS + 1)


@dataclass(frozen=True)
class _Blocks:
    """Settled months (oldest first) and the blocks they form."""

    months: list[dt.date]
    block_of: dict[dt.date, int]  # month → block index (months after the last: none)
    blocks: list[list[dt.date]]

    @classmethod
    def of(cls, months: list[dt.date], counts: Counter[dt.date], k: int) -> _Blocks:
        spans = period_blocks([counts[m] for m in months], k)
        blocks = [months[first : last + 1] for first, last in spans]
        return cls(
            months,
            {month: index for index, block in enumerate(blocks) for month in block},
            blocks,
        )

    def whole(self, period: Period, counts: Counter[dt.date]) -> tuple[bool, list[list[dt.date]]]:
        """Whether the period's forms are whole blocks, and the blocks it takes (or cuts)."""
        taken: set[int] = set()
        for month in period.months:
            if counts[month] == 0:
                continue
            if month not in self.block_of:
                return False, []
            taken.add(self.block_of[month])
        blocks = [self.blocks[index] for index in sorted(taken)]
        whole = all(
            period.holds(month) or counts[month] == 0 for block in blocks for month in block
        )
        return whole, blocks


def _block_words(block: list[dt.date]) -> str:
    first, last = block[0], block[-1]
    return f"{first:%B %Y}" if first == last else f"{first:%B %Y} to {last:%B %Y}"


def _mean(values: Sequence[int]) -> float:
    return half_up(Fraction(sum(values), len(values)), 1)


@dataclass(frozen=True)
class _Gate:
    definition: InstrumentDefinition
    forms: list[tuple[dt.date, dict[str, int]]]
    counts: Counter[dt.date]
    blocks: _Blocks
    comment_blocks: _Blocks
    k: int
    today: dt.date

    @classmethod
    def build(cls, stored: _Stored, k: int, today: dt.date) -> _Gate:
        counts: Counter[dt.date] = Counter(month_start(day) for day, _ in stored.forms)
        settled: list[dt.date] = []
        if counts:
            # Months whose figures are final: ended, and the entry window passed.
            for month in months_between(min(counts), max(min(counts), today)):
                if final_from(Period(month, month, "")) <= today:
                    settled.append(month)
        return cls(
            stored.definition,
            stored.forms,
            counts,
            _Blocks.of(settled, counts, k),
            _Blocks.of(settled, counts, 2 * k),
            k,
            today,
        )

    def refusal(self, period: Period) -> str:
        """Why the period shows nothing, or "" when it may be shown."""
        if final_from(period) > self.today:
            ended = (
                f"{period.label} has not ended yet"
                if period.ends_on >= self.today
                else f"{period.label} ended on {as_date(period.ends_on, long=True)}"
            )
            return (
                f"{ended}. Its figures appear from {as_date(final_from(period), long=True)}: paper "
                f"forms can be typed in up to {ENTRY_WINDOW_DAYS} days after a conference, "
                "and a period is shown only once nothing more can be added to it, so its "
                "figures never change."
            )
        n = sum(self.counts[month] for month in period.months)
        if n == 0:
            return f"No forms were received in {period.label}."
        whole, blocks = self.blocks.whole(period, self.counts)
        if not blocks:
            return (
                f"{period.label} has too few forms to show so far: figures are shown only "
                f"for at least {self.k} forms, so its last months wait to be counted "
                "together with the next months' forms."
            )
        if not whole:
            cut = [b for b in blocks if not all(period.holds(m) for m in b)]
            return (
                f"{period.label} cannot be shown on its own: some months have so few forms "
                f"that they are counted together with the months beside them "
                f"({'; '.join(_block_words(b) for b in cut)}), and showing part of such a "
                "group would let someone work out a few people's answers by subtraction. "
                "Choose a period that takes these months whole."
            )
        return ""

    def forms_in(self, period: Period) -> list[tuple[dt.date, dict[str, int]]]:
        return [(day, answers) for day, answers in self.forms if period.holds(day)]

    def headline(self, period: Period) -> tuple[int, float]:
        code = self.definition.reporting.headline
        assert code is not None  # a continuous instrument declares its headline
        values = [answers[code] for _, answers in self.forms_in(period) if code in answers]
        return len(values), _mean(values)


def _statements(gate: _Gate, period: Period, blocks: list[list[dt.date]]) -> list[ScoreRow]:
    rows = []
    forms = gate.forms_in(period)
    block_of = {month: index for index, block in enumerate(blocks) for month in block}
    for item in gate.definition.items:
        if not isinstance(item, ScaleItem) or item.code == gate.definition.reporting.headline:
            continue
        answering = Counter(
            block_of[month_start(day)] for day, answers in forms if item.code in answers
        )
        per_block = [answering[index] for index in range(len(blocks))]
        values = [answers[item.code] for _, answers in forms if item.code in answers]
        if not values:
            rows.append(ScoreRow(item.label, 0, None, "Nobody answered this statement."))
        elif not cells_safe(per_block, gate.k):
            rows.append(
                ScoreRow(
                    item.label,
                    None,
                    None,
                    f"Withheld: some months had fewer than {gate.k} answers to it.",
                )
            )
        else:
            rows.append(ScoreRow(item.label, len(values), _mean(values)))
    return rows


def _breakdown(
    gate: _Gate, item: ChoiceItem, period: Period, blocks: list[list[dt.date]]
) -> list[ScoreRow]:
    headline = gate.definition.reporting.headline
    assert headline is not None
    forms = gate.forms_in(period)
    categories = [str(option.value) for option in item.options] + [NOT_GIVEN]
    block_of = {month: index for index, block in enumerate(blocks) for month in block}
    cells = Counter(
        (block_of[month_start(day)], str(answers.get(item.code, NOT_GIVEN)))
        for day, answers in forms
    )
    groupings = [
        breakdown_groups({c: cells[(index, c)] for c in categories}, gate.k)
        for index in range(len(blocks))
    ]
    names = {str(option.value): option.label for option in item.options}
    names[NOT_GIVEN] = f"{item.label} not given"
    order = {category: index for index, category in enumerate(categories)}
    rows = []
    for group in sorted(join_groupings(groupings), key=lambda g: min(order[c] for c in g)):
        values = [
            answers[headline]
            for _, answers in forms
            if str(answers.get(item.code, NOT_GIVEN)) in group
        ]
        if not values:
            continue
        members = sorted(group, key=order.__getitem__)
        label = (
            names[members[0]]
            if len(members) == 1
            else " and ".join([", ".join(names[c] for c in members[:-1]), names[members[-1]]])
        )
        note = "" if len(members) == 1 else "Counted together: too few forms to show apart."
        rows.append(ScoreRow(label, len(values), _mean(values), note))
    return rows


def _whole_quarters(period: Period) -> list[Period] | None:
    """The financial quarters a period is made of, or None when it cuts one."""
    if (
        quarter_of(period.first).first != period.first
        or quarter_of(period.last).last != period.last
    ):
        return None
    quarters, current = [], quarter_of(period.first)
    while current.first <= period.last:
        quarters.append(current)
        current = quarter_of(current.ends_on + dt.timedelta(days=1))
    return quarters


def _quarters(gate: _Gate) -> list[QuarterRow]:
    if not gate.counts:
        return []
    rows = []
    quarter = quarter_of(min(gate.counts))
    while quarter.first <= gate.today:
        refusal = gate.refusal(quarter)
        if refusal:
            rows.append(QuarterRow(quarter, None, None, refusal))
        else:
            n, mean = gate.headline(quarter)
            rows.append(QuarterRow(quarter, n, mean, ""))
        quarter = quarter_of(quarter.ends_on + dt.timedelta(days=1))
    return rows


def feedback_report(
    db: Database,
    actor: Actor,
    form_id: int,
    period: Period,
    k: int,
    *,
    today: dt.date | None = None,
) -> FeedbackReport:
    """The form's feedback for ``period`` (whole months), or a plain explanation of why it
    is not shown yet."""
    today = today or dt.date.today()
    stored = _load(db, actor, form_id)
    definition = stored.definition
    scale_item = definition.item(definition.reporting.headline or "")
    assert isinstance(scale_item, ScaleItem)
    gate = _Gate.build(stored, k, today)
    base = FeedbackReport(
        organisation=stored.organisation,
        title=definition.title,
        audience_words=definition.audience_words,
        scale=(scale_item.min, scale_item.max),
        period=period,
        k=k,
        shown=False,
        explanation="",
        quarters=_quarters(gate),
    )
    refusal = gate.refusal(period)
    if refusal:
        return replace(base, explanation=refusal)
    _, blocks = gate.blocks.whole(period, gate.counts)
    n, mean = gate.headline(period)
    values = Counter(
        answers[scale_item.code]
        for _, answers in gate.forms_in(period)
        if scale_item.code in answers
    )
    distribution = [
        DistributionRow(score, values[score], percent(values[score], n))
        for score in range(scale_item.min, scale_item.max + 1)
    ]
    notes = [
        f"Scores run from {scale_item.min} to {scale_item.max}; the average is the mean, "
        "rounded half up to one decimal place.",
    ]
    breakdown_label = None
    by_breakdown: list[ScoreRow] = []
    breakdown_code = definition.reporting.breakdown
    if breakdown_code is not None:
        item = definition.item(breakdown_code)
        assert isinstance(item, ChoiceItem)
        breakdown_label = item.label
        quarters = _whole_quarters(period)
        if quarters is None:
            notes.append(
                f"By {item.label.lower()}: shown for whole quarters of the financial year "
                "(and periods made of them, such as April to December), where each group "
                f"has at least {k} forms; choose such a period to see it."
            )
        elif any(gate.refusal(q) for q in quarters if gate.forms_in(q)):
            notes.append(
                f"By {item.label.lower()}: withheld, because a quarter of this period cannot "
                "be shown on its own."
            )
        else:
            by_breakdown = _breakdown(gate, item, period, [q.months for q in quarters])
            if any(row.note for row in by_breakdown):
                notes.append(
                    f"{item.label}s with fewer than {k} forms in a quarter are counted "
                    "together (and, so that none can be worked out by subtraction from "
                    "the total, with the next smallest), in every period that includes it."
                )
    comments = None
    comments_whole, comment_blocks = gate.comment_blocks.whole(period, gate.counts)
    if comments_whole and comment_blocks:
        comments = sorted(
            (body for day, body in stored.comments if period.holds(day)), key=str.casefold
        )
    else:
        notes.append(
            f"Comments are shown only for periods of at least {2 * k} forms in whole "
            "groups of months, because the way people write can identify them."
        )
    return replace(
        base,
        shown=True,
        n=n,
        mean=mean,
        distribution=distribution,
        statements=_statements(gate, period, blocks),
        breakdown_label=breakdown_label,
        by_breakdown=by_breakdown,
        comments=comments,
        notes=notes,
    )


# --- exports ---------------------------------------------------------------------------


def feedback_csv(report: FeedbackReport) -> bytes:
    """Every table of the report in one long CSV (formula-safe, ``core.exports``)."""
    count, average = report.count_heading, report.mean_heading
    header = ["Table", "Row", count, average, "% of forms", "Note"]
    rows: list[list[object]] = [
        [
            "Overall",
            report.period.label,
            report.n if report.shown else WITHHELD,
            as_shown(report.mean) if report.shown else WITHHELD,
            "",
            report.sentence(),
        ]
    ]
    if report.shown:
        rows += [
            ["Score", str(r.score), r.forms, "", as_shown(r.percent), ""]
            for r in report.distribution
        ]
        rows += [
            ["Statement", r.label, _n(r.n), as_shown(r.mean, missing=WITHHELD), "", r.note]
            for r in report.statements
        ]
        rows += [
            [report.breakdown_label or "", r.label, _n(r.n), as_shown(r.mean), "", r.note]
            for r in report.by_breakdown
        ]
    rows += [
        ["Quarter", q.period.label, _n(q.n), as_shown(q.mean, missing=WITHHELD), "", q.note]
        for q in report.quarters
    ]
    return csv_bytes(header, rows)


def _n(value: int | None) -> object:
    return WITHHELD if value is None else value


def feedback_workbook(report: FeedbackReport) -> bytes:
    """The report's tables as XLSX, with a codebook and the disclosure rules stated."""
    frames = report.frames()
    meanings = {
        "Period": "The months the figures cover (whole months).",
        "Form": "The feedback form.",
        "Who answered": "Who fills in this form.",
        report.count_heading: f"How many {report.audience_words} sent a form (or answered "
        "the statement).",
        report.mean_heading: "The mean score, rounded half up to one decimal place.",
        "In words": "The headline as the scrutiny report words it.",
        "Score": "A score on the form's scale.",
        "% of forms": "Share of forms giving this score, rounded half up to one decimal.",
        "Statement": "A statement on the form.",
        "Quarter": "A quarter of the financial year (April to March).",
        "Note": "Why a figure is withheld or groups are counted together.",
    }
    if report.breakdown_label:
        meanings[report.breakdown_label] = f"The {report.breakdown_label.lower()} given."
    codebook = [
        CodebookEntry(str(column), meanings.get(str(column), "(no description)"))
        for frame in frames.values()
        for column in frame.columns
    ]
    unique = list({entry.column: entry for entry in codebook}.values())
    notes = [
        f"A period is shown once it has ended, {ENTRY_WINDOW_DAYS} days have passed for paper "
        f"forms to be typed in, and it holds at least {report.k} forms in whole groups of "
        "months; any two shown periods differ by whole groups of at least that many.",
        *report.notes,
    ]
    if not report.shown:
        notes.append(report.explanation)
    return xlsx_bytes(frames, unique, notes)


def latest_feedback(
    db: Database, actor: Actor, form_id: int, k: int, *, today: dt.date | None = None
) -> FeedbackReport | None:
    """The financial year to date as a scrutiny report gives it ("April to December
    2017"): from April to the latest quarter's end that makes a period the gate shows (so
    the figures come by agency too), else to the latest month that does, else to the
    latest final month, with the explanation; None while no month is final."""
    today = today or dt.date.today()
    gate = _Gate.build(_load(db, actor, form_id), k, today)
    if not gate.blocks.months:
        return None
    last = gate.blocks.months[-1]
    start = dt.date(financial_year_of(last), FIRST_MONTH_OF_YEAR, 1)
    shown = [end for end in months_between(start, last) if not gate.refusal(Period(start, end, ""))]
    quarter_ends = [end for end in shown if quarter_of(end).last == end]
    end = (quarter_ends or shown or [last])[-1]
    return feedback_report(db, actor, form_id, months_period(start, end), k, today=today)
