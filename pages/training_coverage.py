"""Training coverage as executives see it: shares of current staff trained to each level
against the targets, each team's coverage beside its confidence bands, and the number of
in-house trainers over time against the authority's target. Shares only, through the
gate; no names."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sos_workforce.core.dates import as_date
from sos_workforce.core.enums import Role
from sos_workforce.core.figures import as_shown
from sos_workforce.training import coverage_beside_confidence, coverage_report, trainer_count
from ui import require_actor, require_organisation, runtime

context = runtime()
actor = require_actor(Role.LEAD, Role.EXECUTIVE)
organisation_id = require_organisation()
k = context.settings.min_group_size
TOO_FEW = f"fewer than {k}"
NOT_ON_ROSTER = "no roster team of this name"

st.title("Training coverage")
report = coverage_report(context.db, actor, organisation_id, k, shares_only=True)
if report.roster_date is None:
    st.info(
        "No roster yet: coverage is worked out from the staff in post on the latest roster, "
        "which the implementation lead imports."
    )
else:
    st.caption(
        f"Shares of the {report.staff} staff in post on the roster of "
        f"{as_date(report.roster_date)}. Refreshers due are counted apart. A team's "
        f"shares are withheld when it has fewer than {k} staff, or when they could be "
        "worked out by subtraction."
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Level": level.label,
                    "Trained": as_shown(level.share, unit="%", missing=TOO_FEW),
                    "Refresher due": as_shown(level.due_share, unit="%", missing=TOO_FEW),
                    "Target": as_shown(level.target, unit="%"),
                }
                for level in report.levels
            ]
        ),
        hide_index=True,
        placeholder="—",
    )

    def share(value: float | None, people: int | None, who: str) -> str:
        if people == 0:
            return f"no {who} on the roster"
        return as_shown(value, unit="%", missing=TOO_FEW)

    st.markdown(
        "**Managers with the advanced course:** "
        + share(report.managers_advanced, report.managers, "managers")
        + " · **Practice leaders at a session in the last year:** "
        + share(report.practice_leaders_attending, report.practice_leaders, "practice leaders")
    )
    if report.trend:
        st.subheader("Over time")
        st.dataframe(
            pd.DataFrame(
                [
                    {"Roster of": as_date(point.as_of)}
                    | {
                        f"{level.label} %": as_shown(
                            point.shares[level.level], unit="%", missing=TOO_FEW
                        )
                        for level in report.levels
                    }
                    for point in report.trend
                ]
            ),
            hide_index=True,
            placeholder="—",
        )
    st.subheader("By team, beside confidence")
    beside = coverage_beside_confidence(context.db, actor, organisation_id, k)
    if beside.wave_title is None:
        st.info("No confidence survey has closed yet; teams' coverage is shown alone.")
    else:
        st.caption(
            f"Confidence: {beside.wave_title}, the share of respondents in the "
            f"{beside.top_band_label} band of each statement."
        )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Team": team.team,
                    "Introduction trained": as_shown(
                        team.trained["introduction"],
                        unit="%",
                        missing=TOO_FEW if team.on_roster else NOT_ON_ROSTER,
                    ),
                    "Advanced trained": as_shown(
                        team.trained["advanced"],
                        unit="%",
                        missing=TOO_FEW if team.on_roster else NOT_ON_ROSTER,
                    ),
                }
                | {
                    text: as_shown(team.top_band.get(text), unit="%", missing=TOO_FEW)
                    for text in beside.statements
                }
                for team in beside.teams
            ]
        ),
        hide_index=True,
        placeholder="—",
    )

st.subheader("In-house trainers")
trainers = trainer_count(context.db, actor, organisation_id)
st.metric(
    "In-house trainers (booked on train-the-trainer or licensed)",
    trainers.trainers,
    help="People's roles, not survey answers, so shown as they are.",
)
st.caption(
    f"{trainers.licensed} licensed"
    + (f"; the authority's target is {trainers.target}." if trainers.target is not None else ".")
)
st.dataframe(
    pd.DataFrame(
        [
            {"On": as_date(point.on), "In-house trainers": point.trainers}
            | ({"Target": trainers.target} if trainers.target is not None else {})
            for point in trainers.series
        ]
    ),
    hide_index=True,
    placeholder="—",
)
