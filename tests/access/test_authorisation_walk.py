"""Every service refuses users of another organisation (and executives where a lead is
needed), whatever page or script calls it.

The services are found by introspection: every public function of ``sos_workforce`` whose
first parameter is ``db`` and that takes an ``actor``. Each must have an entry in
``SERVICES`` (minimal valid arguments for a target in organisation A); a new service
without one fails ``test_every_service_is_covered`` until someone decides how it is
guarded. The same arguments, called by the rightful user, must then succeed, so a refusal
is the permission check's doing and not a side effect of bad arguments.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

import sos_workforce
from sos_workforce import diaries, feedback, surveys, training, workforce
from sos_workforce.access import resolve_session
from sos_workforce.access.audit_log import AuditFilter
from sos_workforce.access.auth import Actor
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import MailStatus, RaterRole, Role
from sos_workforce.core.errors import NotFound, PermissionDenied
from sos_workforce.core.models import OutboxMessage, TrainingOptIn
from sos_workforce.mail import DIARY_INVITATION, SURVEY_INVITATION
from sos_workforce.profiling import rounds as profiling
from sos_workforce.profiling import timeline
from tests.support.factories import PASSWORD, World, build_world, instrument_version, launch

TODAY = dt.date.today()
AS_OF = dt.date(2024, 9, 30)
ROSTER = (
    "Staff id,Team,Role,Employment type,FTE,Start date\n"
    "A1,Alpha,Social worker,permanent,1.0,01/01/2019\n"
    "B2,Beta,Social worker,agency,1.0,01/03/2023\n"
)


@dataclass
class Targets:
    """Organisation A (the target) with one of everything, and organisation B (the
    outsiders' own)."""

    a: World
    b: World
    wave_id: int
    round_id: int
    item_codes: list[str]
    snapshot_id: int
    milestone_id: int
    profile_version_id: int
    diary_period_id: int
    # Organisation A's own instruments (offered to A only): one run in waves, one
    # collected all year.
    own_instrument: surveys.InstrumentVersionSummary
    own_form: surveys.InstrumentVersionSummary
    serial: Iterator[int] = field(default_factory=lambda: iter(range(1, 10_000)))
    extra_waves: dict[str, int] = field(default_factory=dict)


Call = tuple[tuple[Any, ...], dict[str, Any]]
# Who may call: "lead" (leads of the organisation and admins), "reader" (also its
# executives), "admin" (administrators only), "shared" (no organisation's data: any
# signed-in user, checked by ``shared_check`` instead).
Guard = str


@dataclass(frozen=True)
class Service:
    guard: Guard
    # Argument variants for a target in organisation A. ``own`` is the organisation id to
    # pass where a service takes one beside an object id: the outsider's own organisation
    # (an attempt to reach A's object through an organisation they do belong to).
    calls: Callable[[Targets, int], list[Call]]
    shared_check: Callable[[Any, Targets], bool] | None = None


def _one(*args: Any, **kwargs: Any) -> list[Call]:
    return [(args, kwargs)]


def _org_and_object(make: Callable[[int], Call]) -> Callable[[Targets, int], list[Call]]:
    return lambda t, own: [make(t.a.organisation_id), *([make(own)] if own else [])]


SERVICES: dict[str, Service] = {
    # accounts and organisations
    "access.auth.list_users": Service("admin", lambda t, own: _one()),
    "access.auth.create_user": Service(
        "admin",
        lambda t, own: _one(
            email=f"new{next(t.serial)}@testshire.example",
            display_name="New",
            role=Role.LEAD,
            password=None,
            organisation_ids=[t.a.organisation_id],
        ),
    ),
    "access.accounts.set_account_active": Service(
        "admin", lambda t, own: _one(t.a.executive.user_id, active=True)
    ),
    "access.accounts.change_role": Service(
        "admin", lambda t, own: _one(t.a.executive.user_id, Role.EXECUTIVE)
    ),
    "access.accounts.set_memberships": Service(
        "admin", lambda t, own: _one(t.a.executive.user_id, [t.a.organisation_id])
    ),
    "access.accounts.reset_password": Service(
        "admin", lambda t, own: _one(t.a.executive.user_id, "a walk in the long grass")
    ),
    "access.accounts.account_id": Service("admin", lambda t, own: _one(t.a.lead.email)),
    "access.accounts.memberships_of": Service("admin", lambda t, own: _one(t.a.lead.user_id)),
    "access.accounts.change_own_password": Service(
        "shared",
        lambda t, own: _one(PASSWORD, "a walk in the long grass"),
        lambda result, t: result is None,
    ),
    # A session is only ever the caller's own: B's lead gets a session for B's lead.
    "access.sessions.start_session": Service(
        "shared",
        lambda t, own: _one(),
        lambda result, t: resolve_session(DB, result).user_id == t.b.lead.user_id,
    ),
    "access.sessions.start_sso_session": Service(
        "shared",
        lambda t, own: _one(),
        lambda result, t: resolve_session(DB, result.token).user_id == t.b.lead.user_id,
    ),
    "access.organisations.create_organisation": Service(
        "admin", lambda t, own: _one(f"New {next(t.serial)}", f"new{next(t.serial)}")
    ),
    "access.organisations.list_organisations": Service(
        "shared",
        lambda t, own: _one(),
        lambda result, t: t.a.organisation_id not in {o.id for o in result},
    ),
    "access.organisations.list_teams": Service("reader", lambda t, own: _one(t.a.organisation_id)),
    "access.organisations.create_team": Service(
        "lead", lambda t, own: _one(t.a.organisation_id, f"Team {next(t.serial)}")
    ),
    "access.organisations.set_la_codes": Service(
        "admin",
        lambda t, own: _one(t.a.organisation_id, old_la_code="304", new_la_code="E09000005"),
    ),
    # DfE's published statistics: imported once per deployment by administrators, read by
    # anyone signed in (public figures, no organisation's data)
    "dfe.imports.import_dfe_file": Service(
        "admin", lambda t, own: _one("population.csv", DFE_POPULATION.encode())
    ),
    "dfe.imports.list_dfe_files": Service(
        "shared", lambda t, own: _one(), lambda result, t: isinstance(result, list)
    ),
    # outcomes beside the implementation
    "outcomes.report.outcome_report": Service("reader", lambda t, own: _one(t.a.organisation_id)),
    "outcomes.report.set_outcome_direction": Service(
        "lead", lambda t, own: _one(t.a.organisation_id, "children_in_need_rate", "lower")
    ),
    # benchmarks: organisation names are shared so authorities can pick neighbours
    "surveys.benchmarks.all_organisations": Service(
        "shared", lambda t, own: _one(), lambda result, t: all(o.name for o in result)
    ),
    "surveys.benchmarks.benchmark_wave": Service("reader", lambda t, own: _one(t.wave_id, 5)),
    "surveys.benchmarks.list_neighbours": Service(
        "reader", lambda t, own: _one(t.a.organisation_id)
    ),
    "surveys.benchmarks.set_neighbours": Service(
        "admin", lambda t, own: _one(t.a.organisation_id, [t.b.organisation_id])
    ),
    # surveys and results
    "surveys.catalogue.list_instrument_versions": Service(
        "reader", lambda t, own: _one(t.a.organisation_id)
    ),
    # A's own instrument: launched in A; a lead of B cannot launch it in B by its id.
    "surveys.waves.launch_wave": Service(
        "lead",
        lambda t, own: [
            _launch_call(t, t.a),
            *([_launch_call(t, t.b)] if own else []),
        ],
    ),
    "surveys.waves.list_waves": Service("reader", lambda t, own: _one(t.a.organisation_id)),
    "surveys.waves.close_wave": Service("lead", lambda t, own: _one(t.wave_id)),
    "surveys.waves.response_rates": Service(
        "reader", lambda t, own: _one(t.wave_id, min_group_size=5)
    ),
    "surveys.results.load_wave_counts": Service("reader", lambda t, own: _one(t.wave_id)),
    "surveys.results.wave_band_tables": Service(
        "reader", lambda t, own: _one(t.wave_id, min_group_size=5)
    ),
    "surveys.results.latest_item_result": Service(
        "reader", lambda t, own: _one(t.a.organisation_id, "understanding", 5)
    ),
    "surveys.trends.instrument_trend": Service(
        "reader", lambda t, own: _one(t.a.organisation_id, "sos_confidence", 5)
    ),
    "reports.scrutiny.scrutiny_report": Service(
        "reader", _org_and_object(lambda org: ((org, TARGETS.wave_id, 5), {}))
    ),
    "profiling.progress.readiness": Service(
        "reader",
        _org_and_object(lambda org: ((org, TARGETS.wave_id), {"min_group_size": 5})),
    ),
    # self-profiling and timeline
    "profiling.rounds.list_profile_versions": Service(
        "shared", lambda t, own: _one(), lambda result, t: len(result) > 0
    ),
    "profiling.rounds.profile_definition": Service(
        "shared",
        lambda t, own: _one(t.profile_version_id),
        lambda result, t: len(result.items) > 0,
    ),
    "profiling.rounds.list_rounds": Service("reader", lambda t, own: _one(t.a.organisation_id)),
    "profiling.rounds.open_round": Service(
        "lead",
        lambda t, own: _one(
            organisation_id=t.a.organisation_id,
            instrument_version_id=t.profile_version_id,
            title=f"Walk round {next(t.serial)}",
            held_on=TODAY,
            raters={},
            today=TODAY,
        ),
    ),
    "profiling.rounds.enable_rater_links_file": Service("admin", lambda t, own: _one(t.round_id)),
    "profiling.rounds.issue_rater_links": Service(
        "lead", lambda t, own: _one(t.round_id, base_url="http://testserver")
    ),
    "profiling.rounds.round_consolidation": Service(
        "reader", lambda t, own: _one(t.round_id, min_group_size=5)
    ),
    "profiling.rounds.record_agreed_scores": Service(
        "lead",
        lambda t, own: _one(
            t.round_id, {code: profiling.AgreedInput(5, "Agreed") for code in t.item_codes}
        ),
    ),
    "profiling.rounds.close_round": Service("lead", lambda t, own: _one(t.round_id)),
    "profiling.progress.progress_report": Service(
        "reader", lambda t, own: _one(t.a.organisation_id)
    ),
    "profiling.progress.experience_comparison": Service(
        "reader", lambda t, own: _one(t.a.organisation_id)
    ),
    "profiling.timeline.get_timeline": Service("reader", lambda t, own: _one(t.a.organisation_id)),
    "profiling.timeline.set_timeline": Service(
        "lead",
        lambda t, own: _one(
            t.a.organisation_id, sos_start_date=dt.date(2023, 4, 1), phase_starts={}
        ),
    ),
    "profiling.timeline.add_milestone": Service(
        "lead",
        lambda t, own: _one(t.a.organisation_id, "Practice leads in place", TODAY, today=TODAY),
    ),
    "profiling.timeline.remove_milestone": Service("lead", lambda t, own: _one(t.milestone_id)),
    # workforce
    "workforce.rosters.import_roster": Service(
        "lead",
        lambda t, own: _one(
            t.a.organisation_id,
            data=ROSTER.encode(),
            filename="roster.csv",
            as_of=AS_OF - dt.timedelta(days=next(t.serial)),
        ),
    ),
    "workforce.measures.list_snapshots": Service(
        "reader", lambda t, own: _one(t.a.organisation_id)
    ),
    "workforce.measures.snapshot_report": Service(
        "reader", lambda t, own: _one(t.a.organisation_id, AS_OF, 3)
    ),
    "workforce.measures.measure_trend": Service(
        "reader", lambda t, own: _one(t.a.organisation_id, 3)
    ),
    "workforce.rosters.save_summary": Service(
        "lead",
        lambda t, own: _one(
            t.a.organisation_id, AS_OF, {"permanent_headcount": 10}, precedence="roster"
        ),
    ),
    "workforce.rosters.summary_figures": Service(
        "lead", lambda t, own: _one(t.a.organisation_id, AS_OF)
    ),
    "workforce.rosters.set_establishment": Service(
        "lead", lambda t, own: _one(t.a.organisation_id, AS_OF, [("Alpha", 2.0, 0.0)])
    ),
    "workforce.rosters.establishment_sheet": Service(
        "lead", lambda t, own: _one(t.a.organisation_id, AS_OF)
    ),
    "workforce.census.census_report": Service("reader", lambda t, own: _one(t.a.organisation_id)),
    "workforce.rosters.delete_roster": Service("lead", lambda t, own: _one(t.snapshot_id)),
    # training
    "training.records.record_session": Service(
        "lead",
        lambda t, own: _one(
            t.a.organisation_id,
            course_id="sos-intro-2day",
            held_on=TODAY - dt.timedelta(days=next(t.serial)),
            staff_refs=["A1"],
        ),
    ),
    "training.records.list_sessions": Service("lead", lambda t, own: _one(t.a.organisation_id)),
    "training.records.delete_session": Service(
        "lead", _org_and_object(lambda org: ((org, _training_session()), {}))
    ),
    "training.records.import_training": Service(
        "lead",
        lambda t, own: _one(
            t.a.organisation_id,
            data=(
                f"Staff id,Course,Date\nA1,sos-advanced-5day,0{next(t.serial) % 9 + 1}/01/2025\n"
            ).encode(),
            filename="lms.csv",
        ),
    ),
    "training.records.set_target": Service(
        "lead", lambda t, own: _one(t.a.organisation_id, "advanced", 75.0)
    ),
    "training.records.training_targets": Service(
        "reader", lambda t, own: _one(t.a.organisation_id)
    ),
    "training.records.attendance_count": Service(
        "reader", lambda t, own: _one(t.a.organisation_id)
    ),
    "training.coverage.coverage_report": Service(
        "reader", lambda t, own: _one(t.a.organisation_id, 3)
    ),
    "training.optins.list_optins": Service("lead", lambda t, own: _one(t.a.organisation_id)),
    "training.optins.record_step": Service(
        "lead", _org_and_object(lambda org: ((org, _optin(), "offered_coaching"), {}))
    ),
    "training.optins.erase_optin": Service(
        "lead", _org_and_object(lambda org: ((org, _optin()), {}))
    ),
    "training.optins.trainer_count": Service("reader", lambda t, own: _one(t.a.organisation_id)),
    "training.executive.coverage_beside_confidence": Service(
        "reader", lambda t, own: _one(t.a.organisation_id, 3)
    ),
    # audit
    "access.audit_log.record_export": Service(
        "reader",
        lambda t, own: _one(organisation_id=t.a.organisation_id, kind="band_table_csv", count=1),
    ),
    "access.audit_log.list_events": Service(
        "lead", lambda t, own: _one(AuditFilter(t.a.organisation_id))
    ),
    "access.audit_log.event_actions": Service("lead", lambda t, own: _one(t.a.organisation_id)),
    "access.audit_log.events_csv": Service(
        "lead", lambda t, own: _one(AuditFilter(t.a.organisation_id))
    ),
    # survey engine: instruments, lifecycle, distribution, comments
    # A's own instrument; the shared library's are read by anyone (tests/surveys).
    "surveys.catalogue.instrument_definition": Service(
        "reader", lambda t, own: _one(t.own_instrument.id)
    ),
    # For organisation A; the shared library is published by administrators only.
    "surveys.catalogue.publish_instrument": Service(
        "lead", lambda t, own: _one(INSTRUMENT, organisation_id=t.a.organisation_id)
    ),
    "surveys.catalogue.share_instrument": Service(
        "admin", lambda t, own: _one(t.own_instrument.instrument_id)
    ),
    "surveys.waves.open_wave": Service("lead", lambda t, own: _one(_extra_wave(t, "to open"))),
    "surveys.waves.discard_draft_wave": Service(
        "lead", lambda t, own: _one(_extra_wave(t, "to discard"))
    ),
    "surveys.waves.reopen_wave": Service(
        "lead",
        lambda t, own: _one(
            _extra_wave(t, "to reopen"),
            reason="Reopened for the walk test",
            closes_on=TODAY + dt.timedelta(days=7),
        ),
    ),
    "surveys.open_link.issue_open_link": Service(
        "lead", lambda t, own: _one(t.wave_id, base_url="http://testserver")
    ),
    "surveys.open_link.answers_by_channel": Service(
        "reader", lambda t, own: _one(t.wave_id, min_group_size=5)
    ),
    # email: the outbox, reminders, failed deliveries and the links file
    "mail.sender.send_now": Service(
        "lead", lambda t, own: _one(_unreachable_mail_server(), t.a.organisation_id)
    ),
    "mail.sender.waiting": Service("lead", lambda t, own: _one(t.a.organisation_id)),
    "surveys.delivery.wave_mail": Service("lead", lambda t, own: _one(t.wave_id, min_group_size=5)),
    "surveys.delivery.queue_reminders": Service(
        "lead",
        lambda t, own: _one(
            _extra_wave(t, "emailed"), base_url="http://testserver", min_group_size=5
        ),
    ),
    "surveys.delivery.resend_invitation": Service(
        "lead",
        lambda t, own: _one(
            _extra_wave(t, "emailed"),
            _failed_delivery(t),
            address="corrected@testshire.example",
            base_url="http://testserver",
        ),
    ),
    "surveys.delivery.enable_links_file": Service("admin", lambda t, own: _one(t.wave_id)),
    "surveys.delivery.issue_links_file": Service(
        "lead", lambda t, own: _one(t.wave_id, base_url="http://testserver")
    ),
    "surveys.waves.read_audience": Service(
        "lead",
        lambda t, own: _one(
            t.a.organisation_id, data=b"Staff id,Team\nS1,Alpha\n", filename="audience.csv"
        ),
    ),
    "surveys.comments.free_text": Service(
        "reader", lambda t, own: _one(t.wave_id, min_group_size=5)
    ),
    "reports.scrutiny.dashboard_workbook": Service(
        "reader", _org_and_object(lambda org: ((org, TARGETS.wave_id, 0, 5), {}))
    ),
    # retention and erasure
    "privacy.retention.get_retention": Service("admin", lambda t, own: _one(t.a.organisation_id)),
    "privacy.retention.set_retention": Service(
        "admin", lambda t, own: _one(t.a.organisation_id, 365)
    ),
    "maintenance.purge_expired": Service("admin", lambda t, own: _one()),
    "surveys.erasure.erase_respondent": Service(
        "admin", lambda t, own: _one(t.a.organisation_id, "someone@testshire.example")
    ),
    "diaries.erasure.erase_diary_worker": Service(
        "admin", lambda t, own: _one(t.a.organisation_id, "X9")
    ),
    # time diaries and time use
    "diaries.periods.roster_participants": Service(
        "lead", lambda t, own: _one(t.a.organisation_id, [t.a.teams["Alpha"]], AS_OF)
    ),
    "diaries.periods.launch_period": Service(
        "lead",
        lambda t, own: _one(
            t.a.organisation_id,
            title=f"Walk diary {next(t.serial)}",
            starts_on=TODAY,
            ends_on=TODAY + dt.timedelta(days=6),
            team_ids=[t.a.teams["Alpha"]],
            base_url="http://testserver",
            participants=[diaries.ParticipantInput("W1", t.a.teams["Alpha"], fte=1.0)],
            today=TODAY,
        ),
    ),
    "diaries.periods.list_periods": Service(
        "reader", lambda t, own: _one(t.a.organisation_id, min_group_size=5)
    ),
    "diaries.periods.participation": Service(
        "reader", lambda t, own: _one(t.diary_period_id, min_group_size=5)
    ),
    "diaries.periods.reissue_links": Service(
        "lead", lambda t, own: _one(t.diary_period_id, base_url="http://testserver")
    ),
    "diaries.delivery.period_mail": Service(
        "lead", lambda t, own: _one(t.diary_period_id, min_group_size=5)
    ),
    "diaries.delivery.queue_reminders": Service(
        "lead",
        lambda t, own: _one(_emailed_period(t), base_url="http://testserver", min_group_size=5),
    ),
    "diaries.delivery.resend_invitation": Service(
        "lead",
        lambda t, own: _one(
            _emailed_period(t),
            _failed_diary_delivery(t),
            address="corrected@testshire.example",
            base_url="http://testserver",
        ),
    ),
    "diaries.delivery.enable_links_file": Service("admin", lambda t, own: _one(t.diary_period_id)),
    "profiling.delivery.round_mail": Service(
        "lead", lambda t, own: _one(t.round_id, min_group_size=5)
    ),
    "profiling.delivery.queue_rater_reminders": Service(
        "lead",
        lambda t, own: _one(_emailed_round(t), base_url="http://testserver", min_group_size=5),
    ),
    "profiling.delivery.resend_rater_invitation": Service(
        "lead",
        lambda t, own: _one(
            _emailed_round(t),
            _failed_rater_delivery(t),
            address="corrected@testshire.example",
            base_url="http://testserver",
        ),
    ),
    "diaries.imports.import_diaries": Service(
        "lead",
        lambda t, own: _one(
            t.diary_period_id,
            data=f"Staff id,Date,Activity,Minutes\nD1,{TODAY:%d/%m/%Y},travel,30\n".encode(),
            filename="diaries.days.csv",
        ),
    ),
    "diaries.periods.close_period": Service("lead", lambda t, own: _one(t.diary_period_id)),
    "diaries.periods.reopen_period": Service(
        "lead", lambda t, own: _one(t.diary_period_id, reason="Closed before the paper came in")
    ),
    "diaries.time_use.time_use_report": Service(
        "reader", lambda t, own: _one(t.diary_period_id, 5)
    ),
    "diaries.time_use.compare_with_others": Service(
        "reader", lambda t, own: _one(t.diary_period_id, 5)
    ),
    "diaries.time_use.period_trend": Service("reader", lambda t, own: _one(t.a.organisation_id, 5)),
    "diaries.time_use.compare_periods": Service(
        "reader", lambda t, own: _one(t.diary_period_id, t.diary_period_id, 5)
    ),
    "diaries.time_use.matching_waves": Service("reader", lambda t, own: _one(t.diary_period_id)),
    "diaries.time_use.confidence_beside_time": Service(
        "reader", lambda t, own: _one(t.diary_period_id, t.wave_id, 5)
    ),
    # conference feedback collected all year
    "feedback.forms.list_feedback_forms": Service(
        "reader", lambda t, own: _one(t.a.organisation_id)
    ),
    # A's own form; a lead of B cannot start it in B by its id.
    "feedback.forms.start_feedback_form": Service(
        "lead",
        _org_and_object(lambda org: ((org, TARGETS.own_form.id), {"release_step": 5})),
    ),
    "feedback.forms.issue_feedback_link": Service(
        "lead", lambda t, own: _one(_feedback_form(t), base_url="http://testserver")
    ),
    "feedback.forms.enter_paper_forms": Service(
        "lead",
        lambda t, own: _one(
            _feedback_form(t), [feedback.PaperForm(TODAY, {"overall": 8})], today=TODAY
        ),
    ),
    "feedback.report.feedback_report": Service(
        "reader",
        lambda t, own: _one(_feedback_form(t), feedback.month_period(TODAY.year, TODAY.month), 5),
    ),
    "feedback.report.latest_feedback": Service("reader", lambda t, own: _one(_feedback_form(t), 5)),
}
DFE_POPULATION = (
    "time_period,geographic_level,country_code,region_code,region_name,old_la_code,"
    "new_la_code,la_name,age_group,population_estimate\n"
    "2016,National,E92000001,,,,,,Children aged 0 to 17 years,11671521\n"
)
INSTRUMENT = """\
code: walk_check
version: 1
title: Walk check
sections:
  - code: main
    title: Main
    items:
      - {code: q, kind: text, text: "Anything to add"}
"""


OWN_INSTRUMENT = INSTRUMENT.replace("walk_check", "walk_own").replace("Walk check", "Own check")
OWN_FORM = (
    (Settings().surveys_dir / "conference_feedback_family_v2.yaml")
    .read_text(encoding="utf-8")
    .replace("code: conference_feedback_family", "code: walk_own_form", 1)
)


def _launch_call(t: Targets, world: World) -> Call:
    """Launching a wave of A's own instrument in ``world``'s organisation."""
    return _one(
        organisation_id=world.organisation_id,
        instrument_version_id=t.own_instrument.id,
        title=f"Walk wave {next(t.serial)}",
        opens_on=TODAY,
        closes_on=TODAY + dt.timedelta(days=7),
        headcounts={world.teams["Alpha"]: 2},
        base_url="http://testserver",
        today=TODAY,
    )[0]


def _feedback_form(t: Targets) -> int:
    """Organisation A's professionals' conference feedback form (started once)."""
    if "feedback form" not in t.extra_waves:
        t.extra_waves["feedback form"] = feedback.start_feedback_form(
            DB,
            t.a.lead,
            t.a.organisation_id,
            instrument_version(DB, "conference_feedback_professional"),
            release_step=5,
        )
    return t.extra_waves["feedback form"]


def _extra_wave(t: Targets, purpose: str) -> int:
    """A wave of organisation A in the state a lifecycle service needs (made once)."""
    if purpose == "emailed" and purpose not in t.extra_waves:
        t.extra_waves[purpose] = surveys.launch_wave(
            DB,
            t.a.lead,
            organisation_id=t.a.organisation_id,
            instrument_version_id=t.a.instrument_version_id,
            title="Emailed wave",
            opens_on=TODAY,
            closes_on=TODAY + dt.timedelta(days=7),
            audience=[
                surveys.AudienceMember(f"E{n}", t.a.teams["Alpha"], f"e{n}@testshire.example")
                for n in range(3)
            ],
            base_url="http://testserver",
            email=SURVEY_INVITATION,
        ).wave_id
    if purpose not in t.extra_waves:
        wave_id = launch(DB, t.a, draft=purpose != "to reopen").wave_id
        if purpose == "to reopen":
            surveys.close_wave(DB, t.a.lead, wave_id)
        t.extra_waves[purpose] = wave_id
    return t.extra_waves[purpose]


def _failed_delivery(t: Targets) -> int:
    """An invitation of the emailed wave that the mail server refused (made once)."""
    if "failed delivery" not in t.extra_waves:
        wave_id = _extra_wave(t, "emailed")
        with DB.write() as session:
            message = session.scalars(
                select(OutboxMessage).where(OutboxMessage.wave_id == wave_id).limit(1)
            ).one()
            message.status, message.body = MailStatus.FAILED, None
            message.last_error = "550 no such mailbox"
            t.extra_waves["failed delivery"] = message.id
    return t.extra_waves["failed delivery"]


def _emailed_period(t: Targets) -> int:
    """A diary period of organisation A whose links were emailed (made once)."""
    if "emailed period" not in t.extra_waves:
        t.extra_waves["emailed period"] = diaries.launch_period(
            DB,
            t.a.lead,
            t.a.organisation_id,
            title="Emailed diary",
            starts_on=TODAY - dt.timedelta(days=1),
            ends_on=TODAY + dt.timedelta(days=5),
            team_ids=[t.a.teams["Alpha"]],
            base_url="http://testserver",
            participants=[
                diaries.ParticipantInput(
                    f"E{n}", t.a.teams["Alpha"], fte=1.0, email=f"e{n}@testshire.example"
                )
                for n in range(3)
            ],
            email=DIARY_INVITATION,
        ).period_id
    return t.extra_waves["emailed period"]


def _failed_diary_delivery(t: Targets) -> int:
    """An invitation of the emailed diary period that the mail server refused (made once)."""
    if "failed diary delivery" not in t.extra_waves:
        period_id = _emailed_period(t)
        with DB.write() as session:
            message = session.scalars(
                select(OutboxMessage).where(OutboxMessage.period_id == period_id).limit(1)
            ).one()
            message.status, message.body = MailStatus.FAILED, None
            message.last_error = "550 no such mailbox"
            t.extra_waves["failed diary delivery"] = message.id
    return t.extra_waves["failed diary delivery"]


def _emailed_round(t: Targets) -> int:
    """A self-profiling round of organisation A whose raters were emailed (made once)."""
    if "emailed round" not in t.extra_waves:
        t.extra_waves["emailed round"] = profiling.open_round(
            DB,
            t.a.lead,
            organisation_id=t.a.organisation_id,
            instrument_version_id=t.profile_version_id,
            title="Emailed round",
            held_on=TODAY,
            emails={RaterRole.LEADER: [f"r{n}@testshire.example" for n in range(3)]},
            base_url="http://testserver",
            today=TODAY,
        ).round_id
    return t.extra_waves["emailed round"]


def _failed_rater_delivery(t: Targets) -> int:
    """A rater invitation of the emailed round that the mail server refused (made once)."""
    if "failed rater delivery" not in t.extra_waves:
        round_id = _emailed_round(t)
        with DB.write() as session:
            message = session.scalars(
                select(OutboxMessage).where(OutboxMessage.round_id == round_id).limit(1)
            ).one()
            message.status, message.body = MailStatus.FAILED, None
            message.last_error = "550 no such mailbox"
            t.extra_waves["failed rater delivery"] = message.id
    return t.extra_waves["failed rater delivery"]


def _training_session() -> int:
    """A training session of organisation A (a fresh one each call: one may be deleted)."""
    t = TARGETS
    on = TODAY - dt.timedelta(days=500 + next(t.serial))
    training.record_session(
        DB,
        t.a.lead,
        t.a.organisation_id,
        course_id="sos-intro-2day",
        held_on=on,
        staff_refs=["A1"],
    )
    return next(
        s.id for s in training.list_sessions(DB, t.a.lead, t.a.organisation_id) if s.held_on == on
    )


def _optin() -> int:
    """A request for support in organisation A (a fresh one each call: one may be erased)."""
    with DB.write() as session:
        optin = TrainingOptIn(
            organisation_id=TARGETS.a.organisation_id,
            name="Target Person",
            email="target@testshire.example",
            wants_support=True,
            wants_trainer=False,
            shared=[],
            made_on=TODAY,
        )
        session.add(optin)
        session.flush()
        return optin.id


def _unreachable_mail_server() -> Settings:
    """Mail settings whose server refuses connections: sending records a retry."""
    return Settings(
        database_url=DB.engine.url.render_as_string(hide_password=False),
        smtp_host="127.0.0.1",
        smtp_port=9,
        smtp_from="survey@testshire.example",
        smtp_timeout_seconds=2,
    )


# Rightful calls run in this order: reads first, destructive calls last.
LAST = [
    "surveys.catalogue.share_instrument",  # A's instrument is offered to all from then on
    "surveys.waves.open_wave",
    "surveys.waves.discard_draft_wave",
    "surveys.waves.reopen_wave",
    "surveys.waves.close_wave",
    "profiling.rounds.record_agreed_scores",
    "profiling.rounds.close_round",
    "profiling.timeline.remove_milestone",
    "training.records.delete_session",
    "training.optins.erase_optin",
    "workforce.rosters.delete_roster",
    "diaries.periods.close_period",
    "diaries.periods.reopen_period",  # the period close_period has just closed
]
TARGETS: Targets  # set by the fixture (the builders of mixed variants read it)


def discovered_services() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for module_info in pkgutil.walk_packages(sos_workforce.__path__, "sos_workforce."):
        if module_info.ispkg or ".migrations" in module_info.name:
            continue
        module = importlib.import_module(module_info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            parameters = list(inspect.signature(function).parameters)
            if parameters[:1] == ["db"] and "actor" in parameters:
                found[f"{module_info.name.removeprefix('sos_workforce.')}.{name}"] = function
    return found


def _call(function: Callable[..., Any], actor: Actor | None, call: Call) -> Any:
    args, kwargs = call
    parameters = list(inspect.signature(function).parameters)
    if parameters[1] == "actor":
        return function(DB, actor, *args, **kwargs)
    return function(DB, *args, actor=actor, **kwargs)


DB: Database


def test_every_service_is_covered() -> None:
    services = discovered_services()
    assert len(services) >= 40, sorted(services)  # the walk really found the services
    unlisted = sorted(set(services) - set(SERVICES))
    assert not unlisted, (
        f"services without an entry in SERVICES ({__file__}): {unlisted}. Add minimal "
        "valid arguments for a target in organisation A and the guard it should have."
    )
    assert not sorted(set(SERVICES) - set(services)), "SERVICES lists functions that are gone"


@pytest.fixture
def targets(db: Database, settings: Settings) -> Targets:
    global DB, TARGETS
    DB = db
    a = build_world(db, settings)
    b = build_world(db, settings, code="otherby")
    wave_id = launch(db, a).wave_id
    version = profiling.list_profile_versions(db, a.lead)[0].id
    opened = profiling.open_round(
        db,
        a.lead,
        organisation_id=a.organisation_id,
        instrument_version_id=version,
        title="Target round",
        held_on=TODAY,
        raters={},
        today=TODAY,
    )
    consolidation = profiling.round_consolidation(db, a.lead, opened.round_id, min_group_size=5)
    snapshot = workforce.import_roster(
        db, a.lead, a.organisation_id, data=ROSTER.encode(), filename="r.csv", as_of=AS_OF
    )
    milestone = timeline.add_milestone(db, a.lead, a.organisation_id, "Target", TODAY)
    diary = diaries.launch_period(
        db,
        a.lead,
        a.organisation_id,
        title="Target diary",
        starts_on=TODAY - dt.timedelta(days=6),
        ends_on=TODAY,
        team_ids=[a.teams["Alpha"]],
        base_url="http://testserver",
        participants=[diaries.ParticipantInput("D1", a.teams["Alpha"], fte=1.0)],
    )
    diaries.enable_links_file(db, a.admin, diary.period_id)  # for reissue_links
    profiling.enable_rater_links_file(db, a.admin, opened.round_id)  # for issue_rater_links
    own_instrument = surveys.publish_instrument(
        db, a.lead, OWN_INSTRUMENT, organisation_id=a.organisation_id
    )
    own_form = surveys.publish_instrument(db, a.lead, OWN_FORM, organisation_id=a.organisation_id)
    TARGETS = Targets(
        a,
        b,
        wave_id,
        opened.round_id,
        [item.item_code for item in consolidation.items],
        snapshot.snapshot_id,
        milestone,
        version,
        diary.period_id,
        own_instrument,
        own_form,
    )
    return TARGETS


def test_every_service_refuses_outsiders_and_serves_the_rightful_user(
    targets: Targets,
) -> None:
    services = discovered_services()
    a, b = targets.a, targets.b
    outsiders = {"lead of B": b.lead, "executive of B": b.executive, "nobody": None}
    refused = 0
    for name, spec in SERVICES.items():
        function = services[name]
        callers: dict[str, Actor | None]
        if spec.guard == "shared":
            callers = {"nobody": None}
        elif spec.guard == "admin":
            callers = {"lead of A": a.lead, "executive of A": a.executive, **outsiders}
        elif spec.guard == "lead":
            callers = {"executive of A": a.executive, **outsiders}
        else:
            callers = dict(outsiders)
        for who, actor in callers.items():
            own = b.organisation_id if actor is not None and who.endswith("of B") else 0
            for variant, call in enumerate(spec.calls(targets, own)):
                try:
                    _call(function, actor, call)
                except PermissionDenied:
                    refused += 1
                    continue
                except NotFound:
                    # Only when the outsider named their own organisation beside A's
                    # object: "not in this organisation" reveals nothing either.
                    if variant > 0:
                        refused += 1
                        continue
                    raise
                pytest.fail(f"{name} served the {who} a target in organisation A")
        if spec.shared_check is not None:
            result = _call(function, b.lead, spec.calls(targets, 0)[0])
            assert spec.shared_check(result, targets), f"{name} showed B what it should not"
    assert refused >= 3 * len(SERVICES) - 15

    # The same arguments work for the rightful user: the refusals above were the checks.
    order = [n for n in SERVICES if n not in LAST] + LAST
    for name in order:
        spec = SERVICES[name]
        actor = a.admin if spec.guard == "admin" else a.lead
        try:
            _call(services[name], actor, spec.calls(targets, 0)[0])
        except Exception as error:  # noqa: BLE001 - report which service and why
            pytest.fail(f"{name} failed for the rightful user: {error!r}")
